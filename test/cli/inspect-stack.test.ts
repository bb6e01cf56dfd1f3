import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { type AttributeValue, BatchGetItemCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { historyCommand, logsCommand, statusCommand } from '../../cli/inspect.js';
import { KEYS } from '../../src/adapters/aws/store.js';
import type { Deployment } from '../../src/core/deployment.js';
import { encodeDeployment, encodeEnvironment } from '../../src/core/records.js';
import type { EnvironmentState } from '../../src/core/state.js';
import { endedDeployment, launchingDeployment, queuedDeployment, runningDeployment, SAMPLE_TASK, TD } from '../support/fixtures.js';

/** status, history and logs of a deployed stack (cli/inspect-aws.ts), over mocked DynamoDB, ECS and CloudWatch Logs. */

const TABLE = 'ecs-migrate-staging-DeploymentsTable-ABC123';
const TARGET = ['--environment', 'staging', '--table', TABLE, '--region', 'eu-west-1'];
const LOG = { group: '/ecs/shop-api', stream: 'ecs/app/9f3c2b1a4d5e46f7a8b9c0d1e2f3a4b5' };

let out: string[];
let err: string[];
const stdout = () => out.join('');

const ddb = mockClient(DynamoDBClient);
const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);

beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  ecs.on(DescribeTaskDefinitionCommand).rejects(new Error('AccessDeniedException'));
  logs.on(FilterLogEventsCommand).resolves({ events: [] });
});
afterEach(() => {
  vi.restoreAllMocks();
  ddb.reset();
  ecs.reset();
  logs.reset();
});

type Item = Record<string, AttributeValue>;
const envItem = (env: Record<string, unknown>): Item =>
  marshall({ ...env, ...KEYS.environment('staging') }, { removeUndefinedValues: true });
const depItem = (d: Deployment): Item =>
  marshall({ ...encodeDeployment(d), ...KEYS.deployment('staging', d.id) }, { removeUndefinedValues: true });

/**
 * The table as DynamoDB answers: BatchGetItem by key; Query on `DEP#` items newest first, `Limit` items per page with
 * `LastEvaluatedKey` when more may follow. `items()` is read on every call (a record that changes between reads).
 */
function table(items: () => Item[]): { queries: { Limit?: number }[] } {
  const queries: { Limit?: number }[] = [];
  ddb.on(BatchGetItemCommand).callsFake((input: { RequestItems: Record<string, { Keys: Item[] }> }) => {
    const [name, { Keys }] = Object.entries(input.RequestItems)[0] as [string, { Keys: Item[] }];
    const found = items().filter((i) => Keys.some((k) => k.pk?.S === i.pk?.S && k.sk?.S === i.sk?.S));
    return { Responses: { [name]: found } };
  });
  ddb.on(QueryCommand).callsFake((input: { Limit?: number; ExclusiveStartKey?: Item }) => {
    queries.push({ Limit: input.Limit });
    const deps = items()
      .filter((i) => i.sk?.S?.startsWith('DEP#'))
      .sort((a, b) => ((a.sk?.S ?? '') < (b.sk?.S ?? '') ? 1 : -1));
    const from = input.ExclusiveStartKey !== undefined ? deps.findIndex((i) => i.sk?.S === input.ExclusiveStartKey?.sk?.S) + 1 : 0;
    const page = deps.slice(from, input.Limit !== undefined ? from + input.Limit : undefined);
    const last = page.at(-1);
    const more = input.Limit !== undefined && page.length === input.Limit && last !== undefined;
    return { Items: page, ...(more ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk } as Item } : {}) };
  });
  return { queries };
}

const ENV: EnvironmentState = { environment: 'staging', version: 9 };
describe('inspecting a long-lived stack', () => {
  it('history lists the deployments when the environment record does not validate (as local history does, skipping what does not)', async () => {
    const failed = endedDeployment('failed', { id: '20261125-091500-5f2c1a9e', stop: { exitCode: 1 } });
    // A damaged environment record (a hand edit, a partial restore): the very moment the operator needs the history.
    table(() => [envItem({ schemaVersion: 2, environment: 'staging', version: 'nine' }), depItem(failed)]);
    const code = await historyCommand(TARGET).catch((error: unknown) => `threw: ${String(error)}`);
    expect(code).toBe(0);
    expect(stdout()).toContain(failed.id);
  });

  it('status "last result" is the deployment that ended last, also when it is a replay (listed at its event\'s older time)', async () => {
    // Yesterday's push succeeded; today a replay of last week's archived push ran and failed just now.
    const yesterday = endedDeployment('succeeded', {
      id: '20261124-100000-aaaaaaaa',
      createdAt: '2026-11-24T10:00:00.000Z',
      finishedAt: '2026-11-24T10:05:00.000Z',
      stop: { exitCode: 0 },
      reason: 'container "app" exited with code 0: service shop-api updated',
    });
    const replay = endedDeployment('failed', {
      id: '20261118-080000-bbbbbbbb',
      trigger: { type: 'ecr-push', eventId: 'e-old', at: '2026-11-18T08:00:00Z', replayName: 'push-replay-1' },
      createdAt: '2026-11-25T09:00:00.000Z',
      launchedAt: '2026-11-25T09:00:01.000Z',
      finishedAt: '2026-11-25T09:02:00.000Z',
      stop: { exitCode: 1, stopCode: 'EssentialContainerExited' },
      reason: 'container "app" exited with code 1: rollout halted',
    });
    table(() => [
      envItem(encodeEnvironment({ ...ENV, lastSucceeded: { deploymentId: yesterday.id, image: 'img', at: '2026-11-24T10:05:00.000Z' } })),
      depItem(yesterday),
      depItem(replay),
    ]);
    expect(await statusCommand(TARGET)).toBe(0);
    expect(stdout()).toMatch(/last result\s+20261118-080000-bbbbbbbb failed/);
  });

  it.each([
    ['the stream is gone (ResourceNotFoundException)', 'gone'],
    ['the stream holds no events any more', 'empty'],
  ] as const)('logs of an ended deployment whose CloudWatch log expired (%s) prints the log tail the record keeps', async (_what, how) => {
    const failed = endedDeployment('failed', {
      log: LOG,
      launchedAt: '2026-09-01T09:15:01.000Z',
      finishedAt: '2026-09-01T09:17:00.000Z',
      stop: { exitCode: 1, stopCode: 'EssentialContainerExited' },
      reason: 'container "app" exited with code 1: rollout halted',
      logTail: ['ERROR: relation "orders" does not exist'],
    });
    table(() => [envItem(encodeEnvironment(ENV)), depItem(failed)]);
    if (how === 'gone')
      logs
        .on(FilterLogEventsCommand)
        .rejects(Object.assign(new Error('The specified log stream does not exist.'), { name: 'ResourceNotFoundException' }));
    else logs.on(FilterLogEventsCommand).resolves({ events: [] });
    expect(await logsCommand([failed.id, ...TARGET])).toBe(0);
    // The only record of why the migration failed that is left: local mode's logs falls back to it (logTailLines).
    expect(stdout()).toContain('ERROR: relation "orders" does not exist');
  });

  it('logs --follow of a queued deployment follows it: the task log once it runs, then how it ended', async () => {
    const queued = queuedDeployment('20261125-091500-5f2c1a9e', 'img');
    const running = runningDeployment({ log: LOG, taskArn: SAMPLE_TASK, taskDefinitionArn: TD(43) });
    const ended = endedDeployment('succeeded', { log: LOG, stop: { exitCode: 0 }, reason: 'container "app" exited with code 0: done' });
    let reads = 0;
    table(() => {
      reads++;
      const d = reads <= 2 ? queued : reads <= 4 ? running : ended;
      return [envItem(encodeEnvironment(ENV)), depItem(d)];
    });
    logs
      .on(FilterLogEventsCommand)
      .resolves({ events: [{ timestamp: Date.parse('2026-11-25T09:15:05Z'), message: 'applying 0041_orders.sql' }] });
    expect(await logsCommand([queued.id, ...TARGET, '--follow'], { pollMs: 5 })).toBe(0);
    expect(stdout()).toContain('applying 0041_orders.sql');
    expect(stdout()).toMatch(/succeeded — container "app" exited with code 0: done/);
  });

  // Was: one read of the record that failed (after the SDK's own retries: a throttled table, a network blip) ended a
  // follow of hours with exit 1 while the deployment went on; --wait retries a few failed reads in a row.
  it('logs --follow outlives a few failed reads of the record, as --wait does', async () => {
    const running = runningDeployment({ log: LOG, taskArn: SAMPLE_TASK, taskDefinitionArn: TD(43) });
    const ended = endedDeployment('succeeded', { log: LOG, stop: { exitCode: 0 }, reason: 'container "app" exited with code 0: done' });
    let reads = 0;
    table(() => {
      reads++;
      if (reads === 3 || reads === 4)
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' });
      return [envItem(encodeEnvironment(ENV)), depItem(reads <= 5 ? running : ended)];
    });
    logs
      .on(FilterLogEventsCommand)
      .resolves({ events: [{ timestamp: Date.parse('2026-11-25T09:15:05Z'), message: 'applying 0041_orders.sql' }] });
    expect(await logsCommand([running.id, ...TARGET, '--follow'], { pollMs: 5 })).toBe(0);
    expect(stdout()).toMatch(/succeeded — container "app" exited with code 0: done/);
  });

  it('logs of a deployment superseded before it ran does not say it "took" the time it waited in the queue', async () => {
    const superseded = endedDeployment('superseded', {
      id: '20261125-091500-5f2c1a9e',
      createdAt: '2026-11-25T09:15:00.000Z',
      finishedAt: '2026-11-25T09:45:00.000Z',
      work: { type: 'image', image: 'img' },
      reason: 'superseded by 20261125-093000-cccccccc before it ran',
      rollout: 'not-applicable',
      supersededBy: '20261125-093000-cccccccc',
    });
    // Never launched: no task, no task definition, no launch time.
    const { taskArn: _t, taskDefinitionArn: _d, launchedAt: _l, ...never } = superseded;
    table(() => [envItem(encodeEnvironment(ENV)), depItem(never)]);
    expect(await logsCommand([superseded.id, ...TARGET])).toBe(0);
    expect(stdout()).not.toMatch(/took\s+30m/);
  });
});

/**
 * `logs ID --follow` "keeps printing new lines until the deployment ends" (LOGS_USAGE). For a running deployment
 * whose record has no log location (a task definition run as it is, e.g. `run-command --task-definition`, or a
 * release 0.1.0 record) and a caller without ecs:DescribeTaskDefinition, the location stays unknown. Was: the command
 * printed the (still empty) stored tail at once and exited 0 while the task ran, never saying how it ended. It waits
 * for the end and prints the tail the controller keeps, as --wait does ("the verdict will show the log tail").
 */
describe('logs --follow of a running deployment whose log location is unknown', () => {
  it('follows it to its end and prints how it ended, with the tail the controller kept', async () => {
    const work = { type: 'task-definition' as const, taskDefinitionArn: TD(43) };
    const running = runningDeployment({ kind: 'command', command: ['db-seed'], work, taskArn: SAMPLE_TASK, taskDefinitionArn: TD(43) });
    const ended = endedDeployment('failed', {
      kind: 'command',
      command: ['db-seed'],
      work,
      taskArn: SAMPLE_TASK,
      taskDefinitionArn: TD(43),
      rollout: 'not-applicable',
      stop: { exitCode: 3 },
      reason: 'container "app" exited with code 3: command failed',
      logTail: ['seeding orders', 'ERROR: duplicate key value violates unique constraint "orders_pkey"'],
    });
    let reads = 0;
    table(() => [envItem(encodeEnvironment(ENV)), depItem(++reads <= 3 ? running : ended)]);
    expect(await logsCommand([running.id, ...TARGET, '--follow'], { pollMs: 5 })).toBe(0);
    expect(stdout(), stdout()).toContain('duplicate key value violates unique constraint');
    expect(stdout(), stdout()).toMatch(/failed — container "app" exited with code 3/);
  });
});

/**
 * A launch retried after its first task failed to start (README: "Each attempt has its own … recorded task") runs the
 * migration in a second task, with its own log stream. Was: `logs ID --follow` picked the stream once and kept polling
 * the first task's (empty) one: none of the migration's output was printed, only "failed — …". It switches to the new
 * task's stream, as --wait does (follow.ts TaskLogSwitch).
 */
describe('logs --follow of a deployment whose launch is retried', () => {
  it("prints the log of the retry's task, which ran the migration, not only the first attempt's empty stream", async () => {
    const TASK_A = 'arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const TASK_B = 'arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
    const LOG_A = { group: '/ecs/shop-api', stream: 'ecs/app/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' };
    const LOG_B = { group: '/ecs/shop-api', stream: 'ecs/app/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' };
    const attempts = [{ attempt: 1, failedAt: '2026-11-25T09:15:30.000Z', reason: 'ResourceInitializationError', taskArn: TASK_A }];
    const first = runningDeployment({ taskArn: TASK_A, log: LOG_A, taskDefinitionArn: TD(43) });
    const retrying = launchingDeployment({ attempt: 2, retryAt: '2026-11-25T09:16:00.000Z', attempts });
    const second = runningDeployment({ attempt: 2, taskArn: TASK_B, log: LOG_B, taskDefinitionArn: TD(43), attempts });
    const ended = endedDeployment('failed', {
      attempt: 2,
      taskArn: TASK_B,
      log: LOG_B,
      attempts,
      stop: { exitCode: 1, stopCode: 'EssentialContainerExited' },
      reason: 'container "app" exited with code 1: rollout halted',
      logTail: [],
    });
    // The record as each read finds it.
    const sequence: Deployment[] = [first, first, retrying, retrying, second, second, second, ended];
    let reads = 0;
    let read: Deployment = first;
    table(() => {
      read = sequence[Math.min(reads++, sequence.length - 1)] as Deployment;
      return [envItem(encodeEnvironment(ENV)), depItem(read)];
    });
    // The first task never started: its stream does not exist. The second task's holds the migration's output.
    logs.on(FilterLogEventsCommand).callsFake((input: { logStreamNames?: string[] }) => {
      if (input.logStreamNames?.[0] === LOG_B.stream)
        return {
          events: [
            { timestamp: 1_764_062_200_000, message: 'applying 0043_drop_legacy.sql', eventId: 'b1', ingestionTime: 1 },
            { timestamp: 1_764_062_201_000, message: 'ERROR: cannot drop column legacy_id', eventId: 'b2', ingestionTime: 2 },
          ],
        };
      throw Object.assign(new Error('The specified log stream does not exist.'), { name: 'ResourceNotFoundException' });
    });
    expect(await logsCommand([first.id, ...TARGET, '--follow'], { pollMs: 5 })).toBe(0);
    expect(stdout(), stdout()).toContain(`log ${LOG_B.group} ${LOG_B.stream}`);
    expect(stdout(), stdout()).toContain('ERROR: cannot drop column legacy_id');
    expect(stdout(), stdout()).toMatch(/failed — container "app" exited with code 1/);
  });
});
