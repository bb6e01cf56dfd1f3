import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { deployCommand, runCommandCommand } from '../../cli/deploy.js';
import { historyCommand, logsCommand, statusCommand } from '../../cli/inspect.js';
import { cancelCommand, unlockCommand } from '../../cli/operator-requests.js';
import {
  ACCOUNT,
  CLUSTER,
  CONTAINER,
  DEPLOYMENTS_TABLE,
  drainEvents,
  ENVIRONMENT,
  freshStack,
  type Handler,
  handlerEnv,
  importHandlers,
  LOG_GROUP,
  lambdaContext,
  onlyTask,
  pushImage,
  REGION,
  REPOSITORY,
  REPOSITORY_URI,
  ruleQueue,
  SERVICE,
  serviceTaskDefinition,
  type TestClients,
  taskArns,
  taskRefs,
  taskStoppedEvent,
  testClients,
  writeTaskLog,
} from './environment.js';

/**
 * The operator CLI against moto, with the real handlers run in-process as the stack's Lambda functions.
 * The stack's outputs come from a CloudFormation stack created in moto (its one resource is a stand-in:
 * moto cannot host the SAM template). Requests the CLI puts on the bus reach a queue through a rule with
 * the launcher's pattern; the test hands them to the launcher, writes the task's log lines, and sends the
 * task's STOPPED event (moto's ECS emits none) to the watcher, while the CLI waits.
 */

const STACK = 'ecs-migrate-staging';
const REQUEST_BUS = 'ecs-migrate-staging-requests';
const FAST = { pollMs: 100, heartbeatMs: 3_600_000 };

describe('ecs-migrate on a deployed stack (moto)', () => {
  let c: TestClients;
  let launch: Handler;
  let watch: Handler;
  let requestsUrl: string;
  let out: string[];
  let err: string[];
  const printed = () => out.join('');

  beforeAll(async () => {
    Object.assign(process.env, handlerEnv());
    ({ launch, watch } = await importHandlers());
    c = testClients();
  });

  beforeEach(async () => {
    await freshStack(c);
    await createCloudFormationStack();
    requestsUrl = await requestQueue();
    // The tags the tests deploy: the launcher resolves each to its digest in ECR (moto's).
    const ecr = new ECRClient({ region: REGION, maxAttempts: 1 });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
    const tags = ['v1.4.0', 'v1.5.0', 'v1.6.0', 'v1.7.0', 'v1.8.0', 'v1.9.0', 'v2.0.0', 'v2.1.0', 'v2.2.0', 'v3.0.0', 'v2.0.9'];
    for (const [i, tag] of tags.entries()) await pushImage(ecr, tag, '0123456789abcdef'.charAt(i));
    out = [];
    err = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The stack's outputs, as template.yaml declares them, on a stand-in stack. */
  async function createCloudFormationStack(): Promise<void> {
    const outputs: Record<string, string> = {
      Environment: ENVIRONMENT,
      DeploymentsTableName: DEPLOYMENTS_TABLE,
      RequestBusName: REQUEST_BUS,
      EventSource: 'ecs-migrate',
      TaskLogGroup: LOG_GROUP,
      Cluster: CLUSTER,
      Service: SERVICE,
      Container: CONTAINER,
      RepositoryUri: REPOSITORY_URI,
      AllowedCommands: 'db-seed',
      RedactPatterns: '["acme_live_[0-9]{8}"]',
    };
    const template = {
      Resources: { StandIn: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'stand-in' } } },
      Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
    };
    await new CloudFormationClient({ region: REGION, maxAttempts: 1 }).send(
      new CreateStackCommand({ StackName: STACK, TemplateBody: JSON.stringify(template) }),
    );
  }

  /** The launcher's request rule (template.yaml) on the stack's request bus, with a queue as its target. */
  async function requestQueue(): Promise<string> {
    await c.eventbridge.send(new CreateEventBusCommand({ Name: REQUEST_BUS }));
    return ruleQueue(c, {
      queue: 'launcher-requests',
      rule: 'launcher-requests',
      bus: REQUEST_BUS,
      pattern: {
        source: ['ecs-migrate'],
        'detail-type': ['deploy-request', 'run-command', 'cancel-request', 'unlock-request'],
        detail: { environment: [ENVIRONMENT] },
      },
    });
  }

  /** The next request the CLI sent, as EventBridge delivers it (moto leaves out `account`). */
  async function nextRequest(): Promise<Record<string, unknown>> {
    for (let i = 0; i < 100; i++) {
      const [event] = await drainEvents(c, requestsUrl);
      if (event !== undefined) return { account: ACCOUNT, ...event };
      await sleep(50);
    }
    throw new Error('the CLI sent no request');
  }

  async function until(what: string, check: () => boolean): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (check()) return;
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${what}; printed:\n${printed()}`);
  }

  /** The controller's part: launch on the request, log lines while it runs, then the task stops with `exitCode`. */
  async function runTask(lines: string[], exitCode: number): Promise<void> {
    const launched = await launch(await nextRequest(), lambdaContext('launch'));
    expect(launched.decisions[0]?.decision).toBe('launch');
    const task = await onlyTask(c);
    await writeTaskLog(c, task.taskArn, lines);
    // The CLI streams the log while the task runs: the last line shows before the task stops.
    await until('the streamed log', () => printed().includes(lines.at(-1) ?? ''));
    await watch(taskStoppedEvent(task, exitCode), lambdaContext('watch'));
  }

  it('deploy --wait: follows the request to "rollout continued" with the task log, exit 0', async () => {
    const waiting = deployCommand(['--stack', STACK, '--tag', 'v1.4.0', '--wait', '--timeout', '60s'], FAST);
    await runTask(['applying 0042_add_orders.sql', 'done: 1 migration applied'], 0);

    expect(await waiting).toBe(0);
    const text = printed();
    expect(text).toMatch(/sent deploy-request cli-[0-9a-f-]+ for staging/);
    expect(text).toMatch(/\d{8}-\d{6}-[0-9a-f]{8} running task /);
    expect(text).toContain('│ applying 0042_add_orders.sql');
    expect(text).toContain('exit code 0');
    expect(text).toContain('✔ migration succeeded');
    expect(text).toContain('rollout continued');
    // The image came from the stack's RepositoryUri, and the service moved to it.
    expect(await serviceTaskDefinition(c)).toBe((await onlyTask(c)).taskDefinitionArn);
  });

  it('deploy --wait: a failed migration exits 1 with the exit code, the reason and the log lines', async () => {
    const lines = ['applying 0043_drop_legacy.sql', 'ERROR: column "legacy_id" is referenced by view "report"', 'migration failed'];
    const waiting = deployCommand(['--stack', STACK, '--image', `${REPOSITORY_URI}:v1.7.0`, '--wait'], FAST);
    await runTask(lines, 1);

    expect(await waiting).toBe(1);
    const text = printed();
    for (const line of lines) expect(text).toContain(`│ ${line}`);
    expect(text).toContain('exit code 1');
    expect(text).toMatch(/reason {4}.*exited with code 1/);
    expect(text).toContain('rollout   halted');
    expect(text).toContain('✘ failed');
  });

  it('deploy --wait behind another deployment: says which one it is queued behind, then follows its own', async () => {
    // Prepare: a first deployment holds the environment.
    expect(await deployCommand(['--stack', STACK, '--tag', 'v1.8.0'], FAST)).toBe(0);
    const first = await launch(await nextRequest(), lambdaContext('launch'));
    const firstId = first.decisions[0]?.deploymentId ?? '';
    const firstTask = await onlyTask(c);

    // Act
    const waiting = deployCommand(['--stack', STACK, '--tag', 'v1.9.0', '--wait'], FAST);
    const queued = await launch(await nextRequest(), lambdaContext('launch'));
    expect(queued.decisions[0]?.decision).toBe('queue');
    await until('the queued line', () => printed().includes(`queued behind ${firstId}`));
    await watch(taskStoppedEvent(firstTask, 0), lambdaContext('watch'));
    const second = (await taskRefs(c)).find((t) => t.taskArn !== firstTask.taskArn);
    if (second === undefined) throw new Error('the queued deployment was not launched');
    await watch(taskStoppedEvent(second, 0), lambdaContext('watch'));

    // Assess
    expect(await waiting).toBe(0);
    expect(printed()).toMatch(/queued behind \d{8}-\d{6}-[0-9a-f]{8}[\s\S]*running task[\s\S]*✔ migration succeeded/);
  });

  it('deploy --wait of an image in progress follows that deployment; of the deployed image, ends as already deployed', async () => {
    // Prepare: a deployment of v1.8.0 is running.
    expect(await deployCommand(['--stack', STACK, '--tag', 'v1.8.0'], FAST)).toBe(0);
    const first = await launch(await nextRequest(), lambdaContext('launch'));
    const firstId = first.decisions[0]?.deploymentId ?? '';
    const task = await onlyTask(c);

    // Act: the same image again (a re-run CI job). The controller ignores the repeat and records nothing for it.
    const again = deployCommand(['--stack', STACK, '--tag', 'v1.8.0', '--wait'], { ...FAST, repeatAfterMs: 500 });
    const ignored = await launch(await nextRequest(), lambdaContext('launch'));
    expect(ignored.decisions[0]).toMatchObject({ decision: 'ignore', reason: expect.stringContaining('already in progress') });
    await until('following the running deployment', () => printed().includes(`is already being deployed by ${firstId}`));
    await watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

    // Assess
    expect(await again).toBe(0);
    expect(printed()).toContain('✔ migration succeeded');

    // Act: once more, now that it is deployed.
    out.length = 0;
    const done = deployCommand(['--stack', STACK, '--tag', 'v1.8.0', '--wait'], { ...FAST, repeatAfterMs: 500 });
    const nothing = await launch(await nextRequest(), lambdaContext('launch'));
    expect(nothing.decisions[0]).toMatchObject({ decision: 'ignore', reason: expect.stringContaining('already deployed') });

    // Assess
    expect(await done).toBe(0);
    expect(printed()).toContain(`✔ already deployed: ${firstId} migrated and rolled out this image`);
  });

  it('deploy --wait --timeout: exits 124 and says the deployment goes on', async () => {
    const waiting = deployCommand(['--stack', STACK, '--tag', 'v1.5.0', '--wait', '--timeout', '2s'], FAST);
    await launch(await nextRequest(), lambdaContext('launch'));

    expect(await waiting).toBe(124);
    expect(err.join('')).toMatch(/stopped waiting after 2s: deployment \d{8}-\d{6}-[0-9a-f]{8} is still running; it goes on/);
    expect(await taskArns(c)).toHaveLength(1);
  });

  it('deploy --wait --json: one JSON document with the verdict', async () => {
    const waiting = deployCommand(['--stack', STACK, '--tag', 'v1.6.0', '--wait', '--json'], FAST);
    const launched = await launch(await nextRequest(), lambdaContext('launch'));
    expect(launched.decisions[0]?.decision).toBe('launch');
    await watch(taskStoppedEvent(await onlyTask(c), 0), lambdaContext('watch'));

    expect(await waiting).toBe(0);
    expect(JSON.parse(printed())).toMatchObject({
      result: 'succeeded',
      deployment: {
        status: 'ended',
        outcome: 'succeeded',
        exitCode: 0,
        rollout: 'continued',
        image: expect.stringMatching(new RegExp(`^${REPOSITORY_URI}@sha256:`)),
      },
    });
  });

  it('run-command --wait -- ARGV: prints the log and "exit code N"; exit 1 when the command failed', async () => {
    const waiting = runCommandCommand(['--stack', STACK, '--wait', '--', 'db-seed', '--count', '3'], FAST);
    const request = await nextRequest();
    expect(request.detail).toMatchObject({ command: ['db-seed', '--count', '3'], requestedBy: expect.stringMatching(/^arn:aws:/) });
    const launched = await launch(request, lambdaContext('launch'));
    expect(launched.decisions[0]?.decision).toBe('launch');
    const task = await onlyTask(c);
    await writeTaskLog(c, task.taskArn, ['seeding 3 rows', 'ERROR: duplicate key']);
    await until('the streamed log', () => printed().includes('duplicate key'));
    await watch(taskStoppedEvent(task, 3), lambdaContext('watch'));

    expect(await waiting).toBe(1);
    expect(printed()).toContain('exit code 3');
    expect(printed()).toContain('✘ command failed');
  });

  it('deploy --wait: a request the controller rejects is never recorded; waiting stops with the reason where to look', async () => {
    const waiting = deployCommand(['--stack', STACK, '--tag', 'v3.0.0', '--command', 'db-drop-everything', '--wait'], {
      ...FAST,
      unrecordedAfterMs: 1500,
    });
    const rejected = await launch(await nextRequest(), lambdaContext('launch'));
    expect(rejected.decisions[0]?.decision).toBe('reject');

    expect(await waiting).toBe(1);
    expect(err.join('')).toMatch(/no deployment recorded request cli-[0-9a-f-]+ within 2s: the controller rejected it/);
  });

  it('refuses before sending: an environment the stack does not serve, a command outside AllowedCommands', async () => {
    await expect(deployCommand(['--stack', STACK, '--environment', 'stagign', '--tag', 'v1', '--wait'], FAST)).rejects.toThrow(
      'stack ecs-migrate-staging serves environment "staging", not "stagign"',
    );
    await expect(runCommandCommand(['--stack', STACK, '--', 'db-drop-everything'], FAST)).rejects.toThrow(
      /command "db-drop-everything" is not in ALLOWED_COMMANDS \(db-seed\): the controller would refuse it; nothing was sent/,
    );
    // A secret by the stack's RedactPatterns (its output), as the controller would see it.
    await expect(runCommandCommand(['--stack', STACK, '--', 'db-seed', 'acme_live_12345678'], FAST)).rejects.toThrow(
      /argument 1 of the command looks like a secret \("\[REDACTED\]"\).*nothing was sent/,
    );
    await expect(deployCommand(['--stack', 'no-such-stack', '--tag', 'v1'], FAST)).rejects.toThrow(/no stack "no-such-stack"/);
    expect(await drainEvents(c, requestsUrl)).toEqual([]);
  });

  it('deploy --wait and logs print the task log redacted, as the controller stores its tail (a CI log is no place for it)', async () => {
    const lines = [
      'connecting to postgres://app:Sup3rS3cretPw@db.internal/app',
      // What the stack's RedactPatterns hide (its RedactPatterns output), besides the built-in rules.
      'licence acme_live_12345678',
      'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE',
      'failed',
    ];
    const waiting = deployCommand(['--stack', STACK, '--tag', 'v2.0.9', '--wait'], FAST);
    await runTask(lines, 1);
    expect(await waiting).toBe(1);
    expect(printed()).toContain('│ connecting to postgres://app:[REDACTED]@db.internal/app');
    expect(printed()).toContain('│ licence [REDACTED]');
    const id = /(\d{8}-\d{6}-[0-9a-f]{8})/.exec(printed())?.[1] ?? '';
    out.length = 0;
    expect(await logsCommand([id, '--stack', STACK])).toBe(0);
    expect(printed()).toContain('│ connecting to postgres://app:[REDACTED]@db.internal/app');
    expect(printed()).toContain('│ licence [REDACTED]');
    out.length = 0;
    expect(await logsCommand([id, '--stack', STACK, '--json'])).toBe(0);
    expect(printed()).toContain('[REDACTED]');
    expect(printed()).not.toMatch(/Sup3rS3cretPw|wJalrXUtnFEMI/);
    // The lines the CLI prints (the stored tail is the controller's: this stand-in controller has no REDACT_PATTERNS).
    const { lines: json } = JSON.parse(printed()) as { lines: { message: string }[] };
    expect(json.map((l) => l.message)).toContain('licence [REDACTED]');
  });

  it('status, history and logs read the stack; logs prints the full task log', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i + 1}`);
    const waiting = deployCommand(['--stack', STACK, '--tag', 'v2.0.0', '--wait'], FAST);
    await runTask(lines, 1);
    expect(await waiting).toBe(1);
    out.length = 0;

    expect(await historyCommand(['--stack', STACK])).toBe(0);
    const id = /^(\d{8}-\d{6}-[0-9a-f]{8}) {2}failed/.exec(printed())?.[1];
    expect(id).toBeDefined();
    out.length = 0;

    expect(await statusCommand(['--stack', STACK])).toBe(0);
    expect(printed()).toMatch(/service\s+shop-api arn:aws:ecs:/);
    expect(printed()).toMatch(/running\s+nothing/);
    expect(printed()).toMatch(new RegExp(`last result\\s+${id} failed`));
    out.length = 0;

    // All 60 lines, not only the 50-line tail the controller keeps.
    expect(await logsCommand([id ?? '', '--stack', STACK])).toBe(0);
    expect(printed()).toContain('│ line 1\n');
    expect(printed()).toContain('│ line 60\n');
  });

  it('logs --follow prints the lines as the task writes them, until the deployment ends', async () => {
    expect(await deployCommand(['--stack', STACK, '--tag', 'v2.1.0'], FAST)).toBe(0);
    const launched = await launch(await nextRequest(), lambdaContext('launch'));
    const id = launched.decisions[0]?.deploymentId ?? '';
    const task = await onlyTask(c);
    await writeTaskLog(c, task.taskArn, ['backfilling totals']);
    out.length = 0;

    const following = logsCommand([id, '--stack', STACK, '--follow'], { pollMs: 100 });
    await until('the first line', () => printed().includes('│ backfilling totals'));
    await c.logs.send(
      new PutLogEventsCommand({
        logGroupName: LOG_GROUP,
        logStreamName: `ecs/${CONTAINER}/${task.taskArn.split('/').pop()}`,
        logEvents: [{ timestamp: Date.now(), message: 'backfilled 1200 rows' }],
      }),
    );
    await until('the later line', () => printed().includes('│ backfilled 1200 rows'));
    await watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

    expect(await following).toBe(0);
    expect(printed()).toMatch(/│ backfilled 1200 rows\n[\s\S]*succeeded — /);
  });

  it('status and history --json are JSON documents', async () => {
    expect(await deployCommand(['--stack', STACK, '--tag', 'v2.2.0'], FAST)).toBe(0);
    await launch(await nextRequest(), lambdaContext('launch'));
    out.length = 0;
    expect(await statusCommand(['--stack', STACK, '--json'])).toBe(0);
    expect(JSON.parse(printed())).toMatchObject({
      environment: ENVIRONMENT,
      stack: STACK,
      services: [{ service: SERVICE, taskDefinition: expect.stringContaining(':task-definition/') }],
      active: { status: 'running', image: expect.stringMatching(new RegExp(`^${REPOSITORY_URI}@sha256:`)) },
    });
    out.length = 0;
    expect(await historyCommand(['--stack', STACK, '--json', '--limit', '1'])).toBe(0);
    expect(JSON.parse(printed())).toEqual([
      expect.objectContaining({ status: 'running', trigger: expect.objectContaining({ type: 'deploy-request' }) }),
    ]);
  });

  it('cancel and unlock send operator requests the launcher rule takes (events:PutEvents only)', async () => {
    expect(await cancelCommand(['20261125-091500-5f2c1a9e', '--stack', STACK])).toBe(0);
    expect(await unlockCommand(['--stack', STACK, '--reason', 'task lost in an AZ outage'])).toBe(0);
    const sent = await drainEvents(c, requestsUrl);
    expect(sent.map((e) => [e['detail-type'], e.detail])).toEqual([
      [
        'cancel-request',
        expect.objectContaining({
          environment: ENVIRONMENT,
          deploymentId: '20261125-091500-5f2c1a9e',
          requestedBy: expect.stringMatching(/^arn:aws:/),
        }),
      ],
      ['unlock-request', expect.objectContaining({ environment: ENVIRONMENT, reason: 'task lost in an AZ outage' })],
    ]);
    await expect(unlockCommand(['--stack', STACK])).rejects.toThrow(/unlock needs --reason/);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
