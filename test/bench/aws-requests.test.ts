import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { identify } from '../../bench/lib/aws-requests.js';
import { type CountingProxy, startCountingProxy } from '../../bench/lib/counting-proxy.js';

const tables = { deployments: 'deployments-table', idempotency: 'idempotency-table' };

/** The benchmark's counter, with real SDK clients sending through it to a stand-in that answers `{}`. */
describe('AWS requests counted at the HTTP level (bench/lib)', () => {
  let upstream: Server;
  let proxy: CountingProxy;
  const options = () => ({
    endpoint: proxy.endpoint,
    region: 'eu-west-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    proxy = await startCountingProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('names each request by service and operation, tells idempotency records apart, and says what it was about', async () => {
    const dynamodb = new DynamoDBClient(options());
    const ecs = new ECSClient(options());
    const scheduler = new SchedulerClient(options());

    proxy.phase('launcher');
    await dynamodb.send(new PutItemCommand({ TableName: tables.idempotency, Item: { id: { S: 'x' } } }));
    await dynamodb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: tables.deployments, Item: { pk: { S: 'ENV#staging' }, sk: { S: 'STATE' } } } },
          {
            Update: {
              TableName: tables.deployments,
              Key: { pk: { S: 'ENV#staging' }, sk: { S: 'DEP#20261125-1' } },
              UpdateExpression: 'SET a = :a',
            },
          },
        ],
      }),
    );
    await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:7' }));
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 's1',
        GroupName: 'g',
        ScheduleExpression: 'at(2026-01-01T00:00:00)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: 'a', RoleArn: 'r' },
      }),
    );
    proxy.phase('watcher');
    await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'shop-api:8' }));
    await scheduler.send(new DeleteScheduleCommand({ Name: 's1', GroupName: 'g' }));

    const calls = proxy.requests.map((r) => identify(r, tables));
    expect(calls.map((c) => [c.role, c.api, c.idempotency])).toEqual([
      ['launcher', 'dynamodb:PutItem', true],
      ['launcher', 'dynamodb:TransactWriteItems', false],
      ['launcher', 'ecs:DescribeTaskDefinition', false],
      ['launcher', 'scheduler:CreateSchedule', false],
      ['watcher', 'ecs:DescribeTaskDefinition', false],
      ['watcher', 'scheduler:DeleteSchedule', false],
    ]);
    expect(calls[0]?.purpose).toMatch(/^Powertools idempotency/);
    expect(calls[1]?.detail).toBe('Put STATE, Update DEP#…');
    expect(calls[2]?.detail).toBe('shop-api:7');
    // The same API, a different purpose by role: the watcher reads a task definition only for the log tail.
    expect(calls[2]?.purpose).not.toEqual(calls[4]?.purpose);
    expect(calls[4]?.purpose).toMatch(/^log tail/);
    expect(calls.every((c) => c.status === 200)).toBe(true);
  });

  // Was: the watcher's DescribeServices had the launcher's purpose ("network and capacity settings").
  it("says the watcher's DescribeServices for what the watcher reads the service for, on each of its events", () => {
    const describe = (phase: string) =>
      identify(
        {
          phase,
          method: 'POST',
          path: '/',
          headers: {
            authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/ecs/aws4_request, SignedHeaders=host, Signature=0',
            'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeServices',
          },
          body: '{"services":["shop-api"]}',
          status: 200,
        },
        tables,
      ).purpose;
    expect(describe('launcher')).toContain('network and capacity settings');
    for (const phase of ['watcher', 'watcher-running', 'completed', 'timeout-check']) {
      expect(describe(phase)).not.toContain('capacity');
      expect(describe(phase)).toContain('its current revision before a rollout');
    }
  });

  it('reports a request it has no purpose for, instead of hiding it', () => {
    const call = identify(
      {
        phase: 'watcher',
        method: 'POST',
        path: '/',
        headers: {
          authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
          'x-amz-target': 'AmazonSQS.SendMessage',
        },
        body: '{}',
        status: 200,
      },
      tables,
    );
    expect(call).toMatchObject({ api: 'sqs:SendMessage', purpose: 'not catalogued in bench/lib/aws-requests.ts', idempotency: false });
  });
});

// Was: the proxy recorded a request in the upstream's response callback, so a request whose forwarding failed was never
// recorded (the SDK's retry was, the attempt was not), and requests in flight together were recorded in the order their
// answers came, where `requests` is "in arrival order" and inOrder() reads meaning into that order.
describe('the counting proxy records every request it receives, on arrival', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close();
  });

  async function upstreamOf(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server: Server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    opened.push({
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function proxyTo(target: string): Promise<CountingProxy> {
    const counting = await startCountingProxy(target);
    opened.push(counting);
    return counting;
  }

  const send = (endpoint: string, target: string) =>
    fetch(endpoint, { method: 'POST', headers: { 'x-amz-target': target }, body: '{}' })
      .then((r) => r.status)
      .catch(() => 0);

  it('records a request whose upstream dropped the connection (the SDK sent it; it will retry), as failed', async () => {
    let attempts = 0;
    const target = await upstreamOf((req, res) => {
      attempts++;
      if (attempts === 1)
        req.socket.destroy(); // the first attempt: connection reset, as a crashed or restarting emulator
      else res.end('{}');
    });
    const counting = await proxyTo(target);
    counting.phase('watcher');
    const first = await send(counting.endpoint, 'DynamoDB_20120810.TransactWriteItems');
    const retry = await send(counting.endpoint, 'DynamoDB_20120810.TransactWriteItems');
    expect([first, retry]).toEqual([502, 200]);
    expect(attempts).toBe(2);
    // Was: 1, only the retry.
    expect(counting.requests.map((r) => [r.phase, r.status])).toEqual([
      ['watcher', 502],
      ['watcher', 200],
    ]);
    expect(counting.requests[0]?.error).toBeDefined();
    expect(counting.requests[0]?.body).toBe('{}');
  });

  it('keeps requests in the order they arrived, not the order their answers came', async () => {
    const target = await upstreamOf((req, res) => {
      // The first request's answer is slow, the second's immediate.
      const slow = req.headers['x-amz-target'] === 'AWSEvents.PutEvents';
      setTimeout(() => res.end('{}'), slow ? 100 : 0);
    });
    const counting = await proxyTo(target);
    counting.phase('watcher');
    const first = send(counting.endpoint, 'AWSEvents.PutEvents');
    await new Promise((resolve) => setTimeout(resolve, 20)); // it has arrived
    const second = send(counting.endpoint, 'DynamoDB_20120810.TransactWriteItems');
    await Promise.all([first, second]);
    // Was: ['DynamoDB_20120810.TransactWriteItems', 'AWSEvents.PutEvents'].
    expect(counting.requests.map((r) => r.headers['x-amz-target'])).toEqual([
      'AWSEvents.PutEvents',
      'DynamoDB_20120810.TransactWriteItems',
    ]);
    expect(counting.requests.map((r) => r.status)).toEqual([200, 200]);
  });
});
