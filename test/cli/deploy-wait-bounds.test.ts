import type { RequestListener } from 'node:http';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deployCommand } from '../../cli/deploy.js';
import { followRequest } from '../../cli/follow.js';
import { KEYS } from '../../src/adapters/aws/store.js';
import type { Deployment } from '../../src/core/deployment.js';
import { encodeDeployment, encodeEnvironment } from '../../src/core/records.js';
import type { EnvironmentState } from '../../src/core/state.js';
import type { DeploymentHistory } from '../../src/ports.js';
import { startAwsEndpoint } from '../support/aws-endpoint.js';
import { endedDeployment, runningDeployment, TD } from '../support/fixtures.js';

/** A history store that always answers with the same records (the controller records nothing for the request). */
function staticStore(env: EnvironmentState, deployments: Deployment[]): DeploymentHistory {
  return {
    async loadEnvironment() {
      return env;
    },
    async listDeployments() {
      return deployments;
    },
    async loadEnvironmentWith(_environment: string, ids: string[]) {
      return { env, deployments: Object.fromEntries(deployments.filter((d) => ids.includes(d.id)).map((d) => [d.id, d])) };
    },
    async loadDeployments(ids: string[]) {
      return Object.fromEntries(deployments.filter((d) => ids.includes(d.id)).map((d) => [d.id, d]));
    },
    async commit() {},
    async clearOutbox() {},
  } as unknown as DeploymentHistory;
}

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const IMAGE_X = `${REGISTRY}/shop-api@sha256:${'1'.repeat(64)}`;
const IMAGE_Y = `${REGISTRY}/shop-api@sha256:${'2'.repeat(64)}`;

describe('deploy --wait: a request the controller rejected is not judged by an older deployment', () => {
  it('a deploy of an image pushed before the one rolled out (rejected, recorded nowhere) is not reported as a succeeded migration', async () => {
    // Monday: X migrated and rolled out. Tuesday: Y (pushed later) migrated and rolled out: the last success.
    const x = endedDeployment('succeeded', {
      id: '20261123-100000-aaaaaaaa',
      trigger: { type: 'ecr-push', eventId: 'e-x', at: '2026-11-23T10:00:00Z' },
      work: { type: 'image', image: IMAGE_X, baseTaskDefinitionArn: TD(40), pushedAt: '2026-11-23T10:00:00Z' },
      taskDefinitionArn: TD(41),
      stop: { exitCode: 0 },
      rollout: 'continued',
    });
    const y = endedDeployment('succeeded', {
      id: '20261124-100000-bbbbbbbb',
      trigger: { type: 'ecr-push', eventId: 'e-y', at: '2026-11-24T10:00:00Z' },
      work: { type: 'image', image: IMAGE_Y, baseTaskDefinitionArn: TD(41), pushedAt: '2026-11-24T10:00:00Z' },
      taskDefinitionArn: TD(42),
      stop: { exitCode: 0 },
      rollout: 'continued',
    });
    const env: EnvironmentState = {
      environment: 'staging',
      version: 12,
      lastSucceeded: {
        deploymentId: y.id,
        image: IMAGE_Y,
        command: ['db-migrate'],
        at: '2026-11-24T10:03:00.000Z',
        pushedAt: '2026-11-24T10:00:00Z',
      },
    };
    // Wednesday: an old CI job re-runs `deploy --image X --wait` (no --rerun). The controller rejects it ("X was pushed
    // before Y, which is rolled out already": decide-launch.ts olderThanRolledOut), so no deployment records the request.
    let t = 0;
    const lines: string[] = [];
    const result = await followRequest({
      store: staticStore(env, [y, x]),
      environment: 'staging',
      requestId: 'gh-1234-1',
      work: { type: 'image', image: IMAGE_X },
      pollMs: 1,
      deadline: 1_000_000,
      now: () => t++,
      repeatAfterMs: 5,
      unrecordedAfterMs: 50,
      print: (l) => lines.push(l),
    });
    // { kind: 'unrecorded' } (exit 1, "the controller rejected it"). A first fix for moved tags took Monday's deployment
    // X as this request's verdict: "✔ migration succeeded; rollout continued", exit 0, while the service runs Y.
    const claimsSuccess = result.kind === 'ended' && result.view.outcome === 'succeeded';
    expect(claimsSuccess, `${JSON.stringify(result.kind)}\n${lines.join('\n')}`).toBe(false);
  });
});

describe('deploy --wait with a long --timeout', () => {
  it('--timeout 1000h waits for the verdict: each read is not given up after 1 ms (setTimeout overflows past 2^31-1 ms)', async () => {
    const ended = endedDeployment('succeeded', {
      trigger: { type: 'deploy-request', eventId: 'ev-1', at: '2026-11-25T09:15:00Z', requestId: 'r-long-1', requestedBy: 'ci' },
      stop: { exitCode: 0 },
      rollout: 'continued',
    });
    const env: EnvironmentState = { environment: 'staging', version: 4 };
    // Records read over a network: each read takes a few milliseconds.
    const slow = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 20));
    const base = staticStore(env, [ended]);
    const store = {
      ...base,
      loadEnvironment: () => slow(env),
      listDeployments: () => slow([ended] as Deployment[]),
      loadEnvironmentWith: (e: string, ids: string[]) => base.loadEnvironmentWith(e, ids).then(slow),
    } as unknown as DeploymentHistory;
    const started = Date.now();
    const result = await followRequest({
      store,
      environment: 'staging',
      requestId: 'r-long-1',
      pollMs: 5,
      // As cli/wait.ts sets it for --timeout 1000h: started + parseDuration('1000h').
      deadline: started + 1000 * 3_600_000,
      now: Date.now,
      print: () => {},
    });
    // Was { kind: 'timeout' } at once (a timer past 2^31 - 1 ms fires after 1 ms: exit 124 a few ms after sending).
    expect(result).toMatchObject({ kind: 'ended', view: { id: ended.id, outcome: 'succeeded' } });
  });
});

const TABLE = 'ecs-migrate-staging-DeploymentsTable-ABC123';
type Item = Record<string, unknown>;

/**
 * A fake AWS endpoint for a `--wait` on TABLE: PutEvents accepted, the table read as `records` says, each task-log read
 * answered (or not) by `logRead`, anything else (STS GetCallerIdentity) refused, so the follower polls FilterLogEvents.
 */
function waitEndpoint(records: () => { env: Item; deployment: Item }, logRead: (json: (body: unknown) => void) => void): RequestListener {
  return (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    req.resume();
    req.on('end', () => {
      const json = (body: unknown, type = 'application/x-amz-json-1.0') => {
        res.writeHead(200, { 'content-type': type });
        res.end(JSON.stringify(body));
      };
      if (target === 'AWSEvents.PutEvents')
        return json({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] }, 'application/x-amz-json-1.1');
      const { env, deployment } = records();
      if (target === 'DynamoDB_20120810.Query') return json({ Items: [deployment] });
      if (target === 'DynamoDB_20120810.BatchGetItem') return json({ Responses: { [TABLE]: [env, deployment] } });
      if (target === 'Logs_20140328.FilterLogEvents') return logRead((body) => json(body, 'application/x-amz-json-1.1'));
      res.writeHead(403, { 'content-type': 'text/xml' });
      res.end('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>');
    });
  };
}

/** `deploy --wait` of an image on TABLE, request `requestId`, with `timeout`: polls every 50 ms, no heartbeat. */
function deployWaiting(requestId: string, timeout: string): Promise<number> {
  const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v1.5.0';
  const target = ['--environment', 'staging', '--table', TABLE, '--region', 'eu-west-1', '--requested-by', 'ci'];
  return deployCommand([...target, '--request-id', requestId, '--wait', '--timeout', timeout, '--image', image], {
    pollMs: 50,
    heartbeatMs: 3_600_000,
  });
}

describe('deploy --wait --timeout while the task log is followed', () => {
  let endpoint: { close: () => Promise<void> };
  let out: string[];

  beforeEach(async () => {
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    // The request's deployment runs, and its task log answers every read (in 300 ms, as over a real network).
    const running = runningDeployment({
      trigger: { type: 'deploy-request', eventId: 'ev-1', at: '2026-11-25T09:15:00Z', requestId: 'r-timeout-1', requestedBy: 'ci' },
      log: { group: '/ecs/shop-api', stream: 'app/app/9f3c2b1a4d5e46f7a8b9c0d1e2f3a4b5' },
    });
    const envItem = marshall(
      {
        ...encodeEnvironment({
          environment: 'staging',
          version: 3,
          active: { deploymentId: running.id, lockExpiresAt: '2099-01-01T00:00:00.000Z' },
        }),
        ...KEYS.environment('staging'),
      },
      { removeUndefinedValues: true },
    );
    const depItem = marshall({ ...encodeDeployment(running), ...KEYS.deployment('staging', running.id) }, { removeUndefinedValues: true });
    endpoint = await startAwsEndpoint(
      waitEndpoint(
        () => ({ env: envItem, deployment: depItem }),
        (json) => {
          setTimeout(() => json({ events: [] }), 300);
        },
      ),
    );
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await endpoint.close();
  });

  it('exits 124 without a spurious "cannot read the task log … AbortError" after "stopped waiting" (the last log read is aborted, not awaited)', async () => {
    const code = await deployWaiting('r-timeout-1', '1s');
    // What the aborted read prints comes a moment after the command returned.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const text = out.join('');
    expect(code, text).toBe(124);
    expect(text).toMatch(/stopped waiting after/);
    const after = text.slice(text.indexOf('stopped waiting after'));
    expect(after, text).not.toMatch(/cannot read the task log|AbortError|aborted/i);
  }, 20_000);
});

describe('deploy --wait: the deployment ends while a read of the task log is stalled', () => {
  let endpoint: { close: () => Promise<void> };
  let out: string[];
  const trigger = {
    type: 'deploy-request' as const,
    eventId: 'ev-1',
    at: '2026-11-25T09:15:00Z',
    requestId: 'r-stall-1',
    requestedBy: 'ci',
  };

  beforeEach(async () => {
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    // The deployment runs for 800 ms, then ends; the task log answers its first read, then never again (the SDK sets
    // no request timeout on a stalled connection).
    const log = { group: '/ecs/shop-api', stream: 'app/app/9f3c2b1a4d5e46f7a8b9c0d1e2f3a4b5' };
    const running = runningDeployment({ trigger, log });
    const ended = endedDeployment('succeeded', { trigger, log, stop: { exitCode: 0, stopCode: 'EssentialContainerExited' } });
    const started = Date.now();
    const current = (): Deployment => (Date.now() - started < 800 ? running : ended);
    const item = (d: Deployment) =>
      marshall({ ...encodeDeployment(d), ...KEYS.deployment('staging', d.id) }, { removeUndefinedValues: true });
    const envItem = () =>
      marshall(
        {
          ...encodeEnvironment(
            current().status === 'ended'
              ? { environment: 'staging', version: 4 }
              : { environment: 'staging', version: 3, active: { deploymentId: running.id, lockExpiresAt: '2099-01-01T00:00:00.000Z' } },
          ),
          ...KEYS.environment('staging'),
        },
        { removeUndefinedValues: true },
      );
    let logReads = 0;
    endpoint = await startAwsEndpoint(
      waitEndpoint(
        () => ({ env: envItem(), deployment: item(current()) }),
        (json) => {
          // The first read answers; the others stall: never answered.
          if (++logReads === 1) json({ events: [{ timestamp: Date.now(), message: 'migrate: 1 pending', eventId: 'e1' }] });
        },
      ),
    );
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await endpoint.close();
  });

  // Was: the end of the deployment stopped the log follower with no time limit (the finally did bound it), and the
  // follower's stop waits for its stalled read: the CLI printed no verdict and never exited, far past --timeout.
  it('prints the verdict and exits within --timeout plus the last read allowance (5 s), instead of hanging', async () => {
    const run = deployWaiting('r-stall-1', '2s');
    const hung = Symbol('hung');
    const code = await Promise.race([run, new Promise((resolve) => setTimeout(() => resolve(hung), 10_000))]);
    const text = out.join('');
    expect(code, `still waiting 10 s after a --timeout of 2s:\n${text}`).toBe(0);
    expect(text).toContain('migrate: 1 pending');
    expect(text).toMatch(/migration succeeded/);
  }, 30_000);
});
