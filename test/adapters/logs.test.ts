import 'aws-sdk-client-mock-vitest/extend';
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTaskDefinitionCommand, ECSClient, type TaskDefinition } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CloudWatchTaskLogs, cloudWatchLogTail } from '../../src/adapters/aws/logs.js';
import { TransientAwsError } from '../../src/errors.js';
import { SAMPLE_TASK, TD } from '../support/fixtures.js';

const ref = { taskArn: SAMPLE_TASK, taskDefinitionArn: TD(43), container: 'app' };
const LIMITS = { lines: 50, bytes: 8 * 1024 };

function definition(logConfiguration: NonNullable<TaskDefinition['containerDefinitions']>[number]['logConfiguration']): TaskDefinition {
  return {
    taskDefinitionArn: TD(43),
    containerDefinitions: [
      { name: 'log-router', image: 'fluent-bit', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/other' } } },
      { name: 'app', image: 'shop-api', ...(logConfiguration !== undefined ? { logConfiguration } : {}) },
    ],
  };
}

const awslogs = {
  logDriver: 'awslogs' as const,
  options: { 'awslogs-group': '/ecs/shop-api', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'ecs' },
};

describe('CloudWatchTaskLogs', () => {
  const ecsClient = new ECSClient({ region: 'eu-west-1' });
  const logsClient = new CloudWatchLogsClient({ region: 'eu-west-1' });
  const ecs = mockClient(ecsClient);
  const logs = mockClient(logsClient);
  const adapter = new CloudWatchTaskLogs(ecsClient, logsClient);

  beforeEach(() => {
    ecs.reset();
    logs.reset();
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: definition(awslogs) });
  });

  it("reads the migration container's stream prefix/container/taskId from its awslogs options, newest lines last", async () => {
    // Prepare
    logs.on(GetLogEventsCommand).resolves({
      events: [
        { timestamp: 1, message: 'applying 0042_add_orders.sql\n' },
        { timestamp: 2, message: 'ERROR: relation "orders" already exists' },
      ],
    });

    // Act
    const tail = await adapter.tail(ref, LIMITS);

    // Assess
    expect(tail).toEqual(['applying 0042_add_orders.sql', 'ERROR: relation "orders" already exists']);
    expect(logs).toHaveReceivedCommandWith(GetLogEventsCommand, {
      logGroupName: '/ecs/shop-api',
      logStreamName: 'ecs/app/9f3c2b1a4d5e46f7a8b9c0d1e2f3a4b5',
      startFromHead: false,
      limit: 50,
    });
  });

  it('follows the backward token past an empty or short newest page, to the start of the stream', async () => {
    // GetLogEvents "can return empty results while there are more log events available through the token": a tail
    // that read one page came back empty, and a failed migration was recorded with no log lines saying why.
    logs
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [], nextBackwardToken: 'b/3' })
      .resolvesOnce({
        events: [{ timestamp: 2, message: 'ERROR: column "legacy_id" is referenced by view "report"' }],
        nextBackwardToken: 'b/2',
      })
      .resolvesOnce({ events: [{ timestamp: 1, message: 'applying 0043_drop_legacy.sql' }], nextBackwardToken: 'b/1' })
      .resolves({ events: [], nextBackwardToken: 'b/1' });

    const tail = await adapter.tail(ref, LIMITS);

    expect(tail).toEqual(['applying 0043_drop_legacy.sql', 'ERROR: column "legacy_id" is referenced by view "report"']);
    expect(logs).toHaveReceivedCommandWith(GetLogEventsCommand, { nextToken: 'b/3', limit: 50 });
    expect(logs).toHaveReceivedCommandWith(GetLogEventsCommand, { nextToken: 'b/2', limit: 49 });
  });

  it('reads at most 3 pages, and stops at the start of the stream (the same token back)', async () => {
    let n = 0;
    logs.on(GetLogEventsCommand).callsFake(() => ({ events: [], nextBackwardToken: `b/${++n}` }));
    expect(await adapter.tail(ref, LIMITS)).toEqual([]);
    expect(logs).toHaveReceivedCommandTimes(GetLogEventsCommand, 3);

    logs.reset();
    logs
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [{ timestamp: 1, message: 'only line' }], nextBackwardToken: 'b/1' })
      .resolves({ events: [], nextBackwardToken: 'b/1' });
    expect(await adapter.tail(ref, LIMITS)).toEqual(['only line']);
    // The first answer's token, sent back, returns itself: the stream has nothing older.
    expect(logs).toHaveReceivedCommandTimes(GetLogEventsCommand, 2);
  });

  it('keeps at most the last N lines and at most the byte budget', async () => {
    // Prepare
    const events = Array.from({ length: 50 }, (_, i) => ({ timestamp: i, message: `${String(i).padStart(2, '0')} ${'x'.repeat(397)}` }));
    logs.on(GetLogEventsCommand).resolves({ events });

    // Act
    const byLines = await adapter.tail(ref, { lines: 5, bytes: 8 * 1024 });
    const byBytes = await adapter.tail(ref, { lines: 50, bytes: 2 * 1024 });

    // Assess
    expect(byLines.map((l) => l.slice(0, 2))).toEqual(['45', '46', '47', '48', '49']);
    expect(byBytes.map((l) => l.slice(0, 2))).toEqual(['45', '46', '47', '48', '49']);
    expect(Buffer.byteLength(byBytes.join('\n')) + 1).toBeLessThanOrEqual(2 * 1024);
  });

  it('keeps the end of a single line longer than the budget', async () => {
    // Prepare
    logs.on(GetLogEventsCommand).resolves({ events: [{ timestamp: 1, message: `${'a'.repeat(20_000)}THE END` }] });

    // Act
    const tail = await adapter.tail(ref, LIMITS);

    // Assess
    expect(tail).toHaveLength(1);
    expect(tail[0]?.endsWith('THE END')).toBe(true);
    expect(Buffer.byteLength(tail[0] ?? '')).toBeLessThanOrEqual(8 * 1024);
  });

  it('says so when the container does not log with awslogs', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: definition({ logDriver: 'splunk', options: {} }) });

    // Act
    const tail = await adapter.tail(ref, LIMITS);

    // Assess
    expect(tail).toEqual([expect.stringContaining('logs with splunk, not awslogs')]);
    expect(logs).not.toHaveReceivedCommand(GetLogEventsCommand);
  });

  it('says so when the stream does not exist (the container never started)', async () => {
    // Prepare
    logs
      .on(GetLogEventsCommand)
      .rejects(new ResourceNotFoundException({ $metadata: { httpStatusCode: 400 }, message: 'The specified log stream does not exist.' }));

    // Act
    const tail = await adapter.tail(ref, LIMITS);

    // Assess
    expect(tail).toEqual([expect.stringContaining('no log stream ecs/app/9f3c2b1a4d5e46f7a8b9c0d1e2f3a4b5 in /ecs/shop-api')]);
  });

  it('uses the client for the log group region when it differs', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: definition({ ...awslogs, options: { ...awslogs.options, 'awslogs-region': 'us-east-1' } }),
    });
    const usEast = new CloudWatchLogsClient({ region: 'us-east-1' });
    const usEastMock = mockClient(usEast);
    usEastMock.on(GetLogEventsCommand).resolves({ events: [{ timestamp: 1, message: 'from us-east-1' }] });
    const crossRegion = new CloudWatchTaskLogs(ecsClient, logsClient, { logsInRegion: () => usEast });

    // Act
    const tail = await crossRegion.tail(ref, LIMITS);

    // Assess
    expect(tail).toEqual(['from us-east-1']);
    expect(logs).not.toHaveReceivedCommand(GetLogEventsCommand);
  });

  it('throws TransientAwsError when CloudWatch Logs is unavailable', async () => {
    // Prepare
    logs.on(GetLogEventsCommand).rejects(new ServiceUnavailableException({ $metadata: { httpStatusCode: 503 }, message: 'unavailable' }));

    // Act
    const result = adapter.tail(ref, LIMITS);

    // Assess
    await expect(result).rejects.toThrow(TransientAwsError);
  });
});

describe('cloudWatchLogTail (the watcher’s Logs port)', () => {
  it('reads the tail through a CloudWatch Logs client it builds on the first tail, in the region of the log group', async () => {
    vi.stubEnv('AWS_REGION', 'us-east-1');
    const logs = mockClient(CloudWatchLogsClient);
    const ecsClient = new ECSClient({ region: 'eu-west-1' });
    const ecs = mockClient(ecsClient);
    try {
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: definition(awslogs) });
      logs.on(GetLogEventsCommand).resolves({ events: [{ message: 'applying 0042_add_orders.sql' }, { message: 'done' }] });
      const tail = cloudWatchLogTail({ ecs: ecsClient });

      expect(await tail.tail(ref, LIMITS)).toEqual(['applying 0042_add_orders.sql', 'done']);
      expect(logs).toHaveReceivedCommandWith(GetLogEventsCommand, {
        logGroupName: '/ecs/shop-api',
        logStreamName: `ecs/app/${SAMPLE_TASK.split('/').pop()}`,
      });
      expect(await (logs.call(0).thisValue as CloudWatchLogsClient).config.region()).toBe('eu-west-1');
    } finally {
      logs.restore();
      ecs.restore();
      vi.unstubAllEnvs();
    }
  });
});
