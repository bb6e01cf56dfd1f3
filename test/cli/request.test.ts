import { readFileSync } from 'node:fs';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { BatchGetItemCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeArchiveCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deployCommand, runCommandCommand } from '../../cli/deploy.js';
import { describeFailure } from '../../cli/failure.js';
import { cancelCommand, unlockCommand } from '../../cli/operator-requests.js';
import { replayCommand } from '../../cli/replay.js';
import { requestCommand, requestEntry } from '../../cli/request.js';
import { RUN_COMMAND_USAGE } from '../../cli/usage.js';
import type { Deployment } from '../../src/core/deployment.js';
import { parseInput } from '../../src/core/parse.js';
import type { EnvironmentState } from '../../src/core/state.js';
import { endedDeployment, runningDeployment, TD } from '../support/fixtures.js';
import { mockTable } from '../support/stack-table.js';

const events = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);
let out: string[];
beforeEach(() => {
  events.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/ci' });
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('ecs-migrate request', () => {
  it('builds a deploy-request the controller parses as one', () => {
    const entry = requestEntry({
      kind: 'deploy',
      environment: 'staging',
      image: 'repo:v2',
      rerun: true,
      source: 'ecs-migrate',
      requestId: 'r-1',
      requestedBy: 'ci',
      command: ['db-migrate', '--verbose'],
    });
    expect(entry).toMatchObject({ Source: 'ecs-migrate', DetailType: 'deploy-request' });
    const raw = {
      version: '0',
      id: 'x',
      source: entry.Source,
      'detail-type': entry.DetailType,
      account: '1',
      region: 'r',
      time: '2026-11-25T10:00:00Z',
      resources: [],
      detail: JSON.parse(entry.Detail),
    };
    expect(parseInput(raw, { requestSource: 'ecs-migrate', registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' })).toMatchObject({
      kind: 'deploy-request',
      environment: 'staging',
      work: { type: 'image', image: 'repo:v2' },
      command: ['db-migrate', '--verbose'],
      trigger: { requestId: 'r-1', requestedBy: 'ci', rerun: true },
    });
  });

  it('sends it to the bus with PutEvents', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] });
    const code = await requestCommand([
      'run-command',
      '--region',
      'eu-west-1',
      '--environment',
      'staging',
      '--command',
      'db-rollback --to 0002',
      '--bus',
      'shop',
      '--request-id',
      'rb-1',
    ]);
    expect(code).toBe(0);
    const sent = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(sent).toMatchObject({ EventBusName: 'shop', Source: 'ecs-migrate', DetailType: 'run-command' });
    expect(JSON.parse(sent?.Detail ?? '{}')).toMatchObject({
      environment: 'staging',
      command: ['db-rollback', '--to', '0002'],
      requestId: 'rb-1',
    });
    expect(JSON.parse(sent?.Detail ?? '{}').requestedBy).toBe('arn:aws:iam::123456789012:user/ci');
    expect(out.join('')).toContain('sent run-command rb-1 for staging (event ev-1) to bus shop');
  });

  it("sends to the stack's request bus unless told otherwise (requests on the default bus are ignored)", async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-2' }] });
    const code = await requestCommand([
      'deploy',
      '--region',
      'eu-west-1',
      '--environment',
      'production',
      '--requested-by',
      'ci',
      '--image',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v2',
    ]);
    expect(code).toBe(0);
    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.EventBusName).toBe('ecs-migrate-production-requests');
  });

  it('exits 1 and says why when the bus refuses the entry', async () => {
    events
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not authorized' }] });
    await expect(requestCommand(['deploy', '--region', 'eu-west-1', '--environment', 'staging', '--image', 'repo:v2'])).rejects.toThrow(
      'the bus ecs-migrate-staging-requests did not accept the request: AccessDeniedException not authorized',
    );
  });

  it('refuses a request the controller would reject for its shape, before sending', async () => {
    await expect(requestCommand(['deploy', '--region', 'eu-west-1', '--environment', 'staging'])).rejects.toThrow(
      /exactly one of --image, --tag or --task-definition/,
    );
    await expect(requestCommand(['run-command', '--region', 'eu-west-1', '--environment', 'staging'])).rejects.toThrow(/needs a command/);
    await expect(
      requestCommand(['deploy', '--region', 'eu-west-1', '--environment', 'staging', '--image', 'repo:v2', '--command', '']),
    ).rejects.toThrow(/detail\.command/);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

describe('cancel and unlock refuse what the launcher would reject for its shape (exit 2, its reason), as deploy does', () => {
  const TARGET = ['--environment', 'staging', '--region', 'eu-west-1'];
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => describeFailure(e),
    );
  beforeEach(() => events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] }));

  it("refuses a request id, an empty reason or an over-long requested-by with the launcher's parser's reason, and sends nothing", async () => {
    const cases: [() => Promise<number>, RegExp][] = [
      [
        () => cancelCommand([...TARGET, '--requested-by', 'ops', '--request-id', 'cancel because of outage']),
        /^invalid "cancel-request" event: detail\.requestId: expected 1–128 letters, digits or \. _ : \/ @ -/,
      ],
      [() => cancelCommand([...TARGET, '--requested-by', 'ops', '--reason', '']), /^invalid "cancel-request" event: detail\.reason/],
      [() => cancelCommand([...TARGET, '--requested-by', 'o'.repeat(257)]), /^invalid "cancel-request" event: detail\.requestedBy/],
      [
        () => unlockCommand([...TARGET, '--requested-by', 'ops', '--reason', 'task lost', '--request-id', 'unlock now!']),
        /^invalid "unlock-request" event: detail\.requestId/,
      ],
      [
        () => unlockCommand([...TARGET, '--requested-by', 'o'.repeat(257), '--reason', 'task lost']),
        /^invalid "unlock-request" event: detail\.requestedBy/,
      ],
    ];
    for (const [run, reason] of cases) {
      const refused = await failureOf(run());
      expect(refused?.exitCode, String(reason)).toBe(2);
      expect(refused?.line).toMatch(reason);
    }
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('sends what the launcher parses as a cancel-request and an unlock-request', async () => {
    expect(await cancelCommand([...TARGET, '--requested-by', 'ops', '--request-id', 'cancel-1', '--reason', 'outage'])).toBe(0);
    expect(await unlockCommand([...TARGET, '--requested-by', 'ops', '--reason', 'the task is lost'])).toBe(0);
    const sent = events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0]);
    expect(sent.map((e) => e?.DetailType)).toEqual(['cancel-request', 'unlock-request']);
    for (const entry of sent) {
      const raw = {
        version: '0',
        id: 'x',
        source: entry?.Source,
        'detail-type': entry?.DetailType,
        account: '123456789012',
        region: 'eu-west-1',
        time: '2026-11-25T10:00:00Z',
        resources: [],
        detail: JSON.parse(entry?.Detail ?? '{}'),
      };
      const parsed = parseInput(raw, { requestSource: 'ecs-migrate', registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' });
      expect(parsed.kind, entry?.DetailType).toBe(entry?.DetailType);
    }
    expect(JSON.parse(sent[0]?.Detail ?? '{}')).toEqual({
      environment: 'staging',
      requestId: 'cancel-1',
      requestedBy: 'ops',
      reason: 'outage',
    });
  });
});

describe('deploy --wait re-run by CI with a new request id: a repeat the controller ignores (records nothing for)', () => {
  const dynamodb = mockClient(DynamoDBClient);
  const ecs = mockClient(ECSClient);
  const TASK_DEFINITION = TD(43);
  const IMAGE =
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@sha256:4c1ea0f2b7d93e5a6f80c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2';
  const TARGET = ['--environment', 'staging', '--table', 'ecs-migrate-staging-DeploymentsTable-ABC123', '--region', 'eu-west-1'];
  const WAIT = ['--requested-by', 'ci', '--wait', '--timeout', '30s', '--request-id', 'gh-9812-2-deploy'];
  const FAST = { pollMs: 5, heartbeatMs: 3_600_000, repeatAfterMs: 30, unrecordedAfterMs: 400 };
  // Attempt 1 of the CI job (its request id built from run_attempt); attempt 2 sends gh-9812-2-deploy.
  const trigger = { type: 'deploy-request' as const, eventId: 'e-1', at: '2026-11-25T09:14:58Z', requestId: 'gh-9812-1-deploy' };
  const work = { type: 'task-definition' as const, taskDefinitionArn: TASK_DEFINITION };
  beforeEach(() => {
    dynamodb.reset();
    ecs.reset();
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] });
    // The task's log location is unknown: --wait says so and goes on.
    ecs.on(DescribeTaskDefinitionCommand).rejects(new Error('AccessDeniedException'));
  });

  /** The deployments table holds this environment record and these deployments (newest first). */
  function table(env: EnvironmentState, deployments: Deployment[]): void {
    mockTable(dynamodb, env, deployments);
  }

  it('--image of the last successful deployment ends with 0, already deployed', async () => {
    const done = endedDeployment('succeeded', { trigger, stop: { exitCode: 0 }, rollout: 'continued' });
    table(
      {
        environment: 'staging',
        version: 5,
        lastSucceeded: { deploymentId: done.id, image: IMAGE, command: ['db-migrate'], at: '2026-11-25T09:17:59.000Z' },
      },
      [done],
    );
    expect(await deployCommand([...TARGET, ...WAIT, '--image', IMAGE], FAST)).toBe(0);
    expect(out.join('')).toContain(`✔ already deployed: ${done.id} migrated and rolled out this image`);
  });

  /** The table with a successful deployment of TASK_DEFINITION as the environment's last success. */
  function lastSucceededTaskDefinition() {
    const done = endedDeployment('succeeded', {
      trigger,
      work,
      taskDefinitionArn: TASK_DEFINITION,
      stop: { exitCode: 0 },
      rollout: 'continued',
    });
    const at = '2026-11-25T09:17:59.000Z';
    const lastSucceeded = { deploymentId: done.id, taskDefinitionArn: TASK_DEFINITION, command: ['db-migrate'], at };
    table({ environment: 'staging', version: 5, lastSucceeded }, [done]);
    return done;
  }

  it('--task-definition of the last successful deployment ends with 0, already deployed (decide-launch.ts alreadyDeployed)', async () => {
    const done = lastSucceededTaskDefinition();
    const code = await deployCommand([...TARGET, ...WAIT, '--task-definition', TASK_DEFINITION], FAST);
    expect(out.join(''), out.join('')).not.toMatch(/no deployment recorded request/);
    expect(code).toBe(0);
    expect(out.join('')).toContain(`✔ already deployed: ${done.id} migrated and rolled out this task definition`);
  });

  it('--task-definition of the migration in progress follows it (admission.ts "already in progress"), not "unrecorded"', async () => {
    const running = runningDeployment({ trigger, work, taskDefinitionArn: TASK_DEFINITION });
    table({ environment: 'staging', version: 4, active: { deploymentId: running.id, lockExpiresAt: '2099-01-01T00:00:00.000Z' } }, [
      running,
    ]);
    const code = await deployCommand([...TARGET, ...WAIT, '--task-definition', TASK_DEFINITION, '--timeout', '1s'], FAST);
    // Following the running deployment, the wait ends at --timeout (124), never as an unrecorded request (1).
    expect(out.join(''), out.join('')).not.toMatch(/no deployment recorded request/);
    expect(out.join('')).toContain(`${TASK_DEFINITION} is already being deployed by ${running.id}`);
    expect(code).toBe(124);
  });

  it('--task-definition with --command, or --rerun, is new work: an unrecorded request still fails (exit 1)', async () => {
    lastSucceededTaskDefinition();
    expect(await deployCommand([...TARGET, ...WAIT, '--task-definition', TASK_DEFINITION, '--rerun'], FAST)).toBe(1);
    expect(await deployCommand([...TARGET, ...WAIT, '--task-definition', TASK_DEFINITION, '--command', 'db-migrate --all'], FAST)).toBe(1);
    expect(out.join('')).not.toMatch(/already deployed/);
  });
});

// Was: --wait only checked that a table was named; the deploy-request went on the bus first, and the wait's first read
// of a mistyped --table (or one of another region or account) failed with exit 1: the migration it started ran on
// unobserved, and a retry of the CI job sent a second request.
describe('deploy --wait reads the deployments table before sending', () => {
  const dynamodb = mockClient(DynamoDBClient);
  const WAIT = ['--environment', 'staging', '--region', 'eu-west-1', '--requested-by', 'ci', '--wait', '--timeout', '10s'];
  const IMAGE = ['--image', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v2'];
  const FAST = { pollMs: 1, heartbeatMs: 3_600_000 };
  beforeEach(() => {
    dynamodb.reset();
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] });
  });
  /** Every read of the table fails with `error`. */
  const refusedWith = (error: Error) => {
    dynamodb.on(BatchGetItemCommand).rejects(error);
    dynamodb.on(QueryCommand).rejects(error);
  };

  it('a table that does not exist (a mistyped --table) is a usage error (exit 2), and nothing is sent', async () => {
    refusedWith(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }));
    const failure = await deployCommand([...WAIT, '--table', 'ecs-migrate-staging-DeploymentsTabel-ABC123', ...IMAGE], FAST).then(
      () => undefined,
      (e: unknown) => describeFailure(e),
    );
    expect(failure).toEqual({
      line: 'no deployments table "ecs-migrate-staging-DeploymentsTabel-ABC123" in this account and region: check --stack (or --table) and --region; nothing was sent',
      exitCode: 2,
    });
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('a table the caller may not read fails (exit 1) saying so, and nothing is sent', async () => {
    refusedWith(Object.assign(new Error('not authorized to perform: dynamodb:BatchGetItem'), { name: 'AccessDeniedException' }));
    const failure = await deployCommand([...WAIT, '--table', 'ecs-migrate-staging-DeploymentsTable-ABC123', ...IMAGE], FAST).then(
      () => undefined,
      (e: unknown) => describeFailure(e),
    );
    expect(failure?.exitCode).toBe(1);
    expect(failure?.line).toMatch(/lacks this permission.*; nothing was sent$/);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

describe("run-command and deploy --command refuse before sending what the stack's controller would refuse", () => {
  const cloudFormation = mockClient(CloudFormationClient);
  /** A stack whose outputs say these AllowedCommands (and MigrationCommand, when given). */
  function stack(allowed: string, migrationCommand?: string): void {
    cloudFormation.reset();
    stagingStackWith(cloudFormation, {
      RequestBusName: 'ecs-migrate-staging-requests',
      AllowedCommands: allowed,
      ...(migrationCommand !== undefined ? { MigrationCommand: migrationCommand } : {}),
    });
  }
  const STACK = ['--stack', 'ecs-migrate-staging', '--region', 'eu-west-1'];
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => describeFailure(e),
    );
  beforeEach(() => events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] }));

  it('sends a command a pattern entry allows (db-rollback --to *), as README documents', async () => {
    stack('db-rollback --to *,db-seed');
    expect(await runCommandCommand([...STACK, '--', 'db-rollback', '--to', '0042'])).toBe(0);
    expect(await runCommandCommand([...STACK, '--command', 'db-seed --count 10'])).toBe(0);
    const sent = events.commandCalls(PutEventsCommand).map((c) => JSON.parse(c.args[0].input.Entries?.[0]?.Detail ?? '{}').command);
    expect(sent).toEqual([
      ['db-rollback', '--to', '0042'],
      ['db-seed', '--count', '10'],
    ]);
  });

  it("reads the stack's entries trimmed, as the controller reads ALLOWED_COMMANDS", async () => {
    stack('db-seed, db-rollback --to *');
    expect(await runCommandCommand([...STACK, '--', 'db-rollback', '--to', '0042'])).toBe(0);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it("refuses what the controller would, with the controller's reason, and sends nothing (exit 2)", async () => {
    stack('db-rollback --to *,db-seed');
    const unlisted = await failureOf(runCommandCommand([...STACK, '--', 'db-drop-everything']));
    expect(unlisted).toEqual({
      line: 'command "db-drop-everything" is not in ALLOWED_COMMANDS (db-rollback --to *, db-seed): the controller would refuse it; nothing was sent',
      exitCode: 2,
    });
    const unfit = await failureOf(runCommandCommand([...STACK, '--', 'db-rollback', '--to', '0042', '--force']));
    expect(unfit?.line).toMatch(/^command "db-rollback --to 0042 --force" is not allowed: expected the form "db-rollback --to \*"/);
    const secret = await failureOf(runCommandCommand([...STACK, '--', 'db-seed', 'password=hunter2hunter2']));
    expect(secret?.line).toMatch(/looks like a secret/);
    stack('none');
    expect((await failureOf(runCommandCommand([...STACK, '--', 'db-seed'])))?.line).toMatch(
      /^command "db-seed" is not in ALLOWED_COMMANDS \(empty: no command may run\)/,
    );
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("checks a deploy's --command also against the stack's MigrationCommand, as the controller does", async () => {
    stack('db-seed', 'db-migrate --all');
    const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v2';
    expect(await deployCommand([...STACK, '--requested-by', 'ci', '--image', image, '--command', 'db-migrate --all'])).toBe(0);
    expect(await deployCommand([...STACK, '--requested-by', 'ci', '--image', image, '--command', 'db-migrate --verbose'])).toBe(0);
    const refused = await failureOf(deployCommand([...STACK, '--requested-by', 'ci', '--image', image, '--command', 'db-drop']));
    expect(refused?.line).toMatch(/^command "db-drop" is neither MIGRATION_COMMAND nor in ALLOWED_COMMANDS \(db-migrate, db-seed\)/);
    // A run-command is not allowed MIGRATION_COMMAND by the controller: nor here.
    expect((await failureOf(runCommandCommand([...STACK, '--', 'db-migrate', '--all'])))?.exitCode).toBe(2);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(2);
  });
});

// Was: without --stack (or with a stack that does not say AllowedCommands, or for a deploy MigrationCommand), the
// command was sent as written: the secret check, which needs neither output, was skipped with the allowlist, and a
// password went onto the request bus and into its archive, although the controller refuses it for that very reason.
describe('deploy --command and run-command refuse a command that carries a secret whatever the stack says', () => {
  const ENVIRONMENT = ['--environment', 'staging', '--region', 'eu-west-1'];
  const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v2';
  const sent = () =>
    events
      .commandCalls(PutEventsCommand)
      .map((c) => JSON.stringify(c.args[0].input))
      .join('\n');
  beforeEach(() => events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] }));

  it('refuses them with --environment (no stack outputs) before sending (exit 2)', async () => {
    const deploy = await deployCommand([
      ...ENVIRONMENT,
      '--image',
      IMAGE,
      '--command',
      'db-migrate --database-url=postgres://app:hunter2@db.internal/app',
    ]).catch((e: unknown) => describeFailure(e));
    expect(deploy).toMatchObject({ exitCode: 2, line: expect.stringMatching(/looks like a secret.*nothing was sent/) });
    const run = await runCommandCommand([...ENVIRONMENT, '--', 'db-seed', '--password=hunter2']).catch((e: unknown) => describeFailure(e));
    expect(run).toMatchObject({ exitCode: 2, line: expect.stringMatching(/looks like a secret/) });
    expect(sent()).not.toContain('hunter2');
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('still sends what only the unknown allowlist could refuse: the controller judges it', async () => {
    expect(await deployCommand([...ENVIRONMENT, '--requested-by', 'ci', '--image', IMAGE, '--command', 'db-migrate --dir /app/sql'])).toBe(
      0,
    );
    expect(await runCommandCommand([...ENVIRONMENT, '--requested-by', 'ci', '--', 'db-seed', '--count', '10'])).toBe(0);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(2);
  });
});

describe("deploy and run-command refuse before sending what a pause-hook stack's controller would refuse", () => {
  const cloudFormation = mockClient(CloudFormationClient);
  /** A stack whose RolloutMode output says `mode` (no such output when undefined: a stack older than it). */
  function stack(mode: string | undefined): void {
    cloudFormation.reset();
    stagingStackWith(cloudFormation, {
      RequestBusName: 'ecs-migrate-staging-requests',
      RepositoryUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api',
      AllowedCommands: 'db-seed',
      ...(mode !== undefined ? { RolloutMode: mode } : {}),
    });
  }
  const STACK = ['--stack', 'ecs-migrate-staging', '--region', 'eu-west-1', '--requested-by', 'ci'];
  const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v2';
  const TD = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:7';
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => describeFailure(e),
    );
  beforeEach(() => events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] }));

  it("refuses every deploy, with the controller's reason and what to do instead, and sends nothing (exit 2)", async () => {
    stack('pause-hook');
    for (const source of [
      ['--tag', 'v2'],
      ['--image', IMAGE],
      ['--task-definition', TD],
      ['--tag', 'v2', '--rerun'],
    ]) {
      const refused = await failureOf(deployCommand([...STACK, ...source]));
      expect(refused, source.join(' ')).toEqual({
        line: "in pause-hook mode the services' owner deploys; ecs-migrate answers their paused deployments: deploy the service instead: the controller would refuse it; nothing was sent (the stack's RolloutMode is pause-hook: the service's own ECS deployment starts the migration when it pauses at its hook)",
        exitCode: 2,
      });
    }
    // --dry-run with --stack is refused as a disallowed command is.
    expect((await failureOf(deployCommand([...STACK, '--tag', 'v2', '--dry-run'])))?.exitCode).toBe(2);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('refuses a run-command naming an image (it would register a revision), and sends nothing (exit 2)', async () => {
    stack('pause-hook');
    for (const source of [
      ['--tag', 'v2'],
      ['--image', IMAGE],
    ]) {
      const refused = await failureOf(runCommandCommand([...STACK, ...source, '--', 'db-seed']));
      expect(refused?.exitCode, source.join(' ')).toBe(2);
      expect(refused?.line).toMatch(
        /^in pause-hook mode a run-command cannot name an image \(".*shop-api:v2"\): .*: the controller would refuse it; nothing was sent/,
      );
      expect(refused?.line).toMatch(
        /pass --task-definition ARN, or neither --image nor --tag to run the task definition the service runs\)$/,
      );
    }
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('run-command --help and the README name --task-definition, which run-command accepts and the refusal above tells to pass', () => {
    // Was: run-command --help and the README's CLI table named only --image and --tag.
    expect(RUN_COMMAND_USAGE).toContain('--task-definition ARN');
    const row = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('| `run-command'));
    expect(row).toContain('--task-definition ARN');
  });

  it('sends what the controller accepts in pause-hook mode: a run-command with no image, or with a task definition', async () => {
    stack('pause-hook');
    expect(await runCommandCommand([...STACK, '--', 'db-seed'])).toBe(0);
    expect(await runCommandCommand([...STACK, '--task-definition', TD, '--', 'db-seed'])).toBe(0);
    const sent = events.commandCalls(PutEventsCommand).map((c) => JSON.parse(c.args[0].input.Entries?.[0]?.Detail ?? '{}'));
    expect(sent.map((d) => d.taskDefinitionArn)).toEqual([undefined, TD]);
  });

  it('sends a deploy to an update-service stack, to a stack without the RolloutMode output (older stacks), and to one of a mode it does not know', async () => {
    for (const mode of ['update-service', undefined, 'some-later-mode']) {
      stack(mode);
      expect(await deployCommand([...STACK, '--tag', 'v2']), String(mode)).toBe(0);
      expect(await runCommandCommand([...STACK, '--tag', 'v2', '--', 'db-seed']), String(mode)).toBe(0);
    }
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(6);
  });
});

describe('ecs-migrate replay', () => {
  it('replays the archive window onto the bus it came from', async () => {
    events.on(DescribeArchiveCommand).resolves({
      ArchiveArn: 'arn:aws:events:eu-west-1:1:archive/triggers',
      EventSourceArn: 'arn:aws:events:eu-west-1:1:event-bus/default',
    });
    events.on(StartReplayCommand).resolves({ State: 'STARTING' });
    const code = await replayCommand(
      ['--archive', 'triggers', '--from', '2026-11-25T09:00:00Z', '--to', '2026-11-25T10:00:00Z', '--name', 'rerun-1'],
      new EventBridgeClient({ region: 'eu-west-1' }),
    );
    expect(code).toBe(0);
    expect(events.commandCalls(StartReplayCommand)[0]?.args[0].input).toEqual({
      ReplayName: 'rerun-1',
      EventSourceArn: 'arn:aws:events:eu-west-1:1:archive/triggers',
      Destination: { Arn: 'arn:aws:events:eu-west-1:1:event-bus/default' },
      EventStartTime: new Date('2026-11-25T09:00:00Z'),
      EventEndTime: new Date('2026-11-25T10:00:00Z'),
    });
  });

  it("names a replay by its archive and window by default: two stacks' replays of one window never clash", async () => {
    events.on(DescribeArchiveCommand).resolves({
      ArchiveArn: 'arn:aws:events:eu-west-1:1:archive/x',
      EventSourceArn: 'arn:aws:events:eu-west-1:1:event-bus/default',
    });
    events.on(StartReplayCommand).resolves({ State: 'STARTING' });
    const window = ['--from', '2026-11-25T09:00:00Z', '--to', '2026-11-25T10:00:00Z'];
    for (const archive of ['ecs-migrate-staging-pushes', 'ecs-migrate-prod-pushes'])
      expect(await replayCommand(['--archive', archive, ...window], new EventBridgeClient({ region: 'eu-west-1' }))).toBe(0);
    await replayCommand(
      ['--archive', 'ecs-migrate-prod-pushes', '--from', '2026-11-25T08:00:00Z', '--to', '2026-11-25T10:00:00Z'],
      new EventBridgeClient({ region: 'eu-west-1' }),
    );
    const names = events.commandCalls(StartReplayCommand).map((c) => c.args[0].input.ReplayName ?? '');
    expect(names[0]).toMatch(/^ecs-migrate-staging-pushes-20261125100000-[0-9a-f]{6}$/);
    expect(new Set(names).size).toBe(3);
    expect(names.every((n) => n.length <= 64)).toBe(true);
  });

  describe('--stack', () => {
    const PUSH_RULE = 'arn:aws:events:eu-west-1:123456789012:rule/ecs-migrate-staging-LaunchFunctionEcrPush-1A2B3C';
    const REQUEST_RULE =
      'arn:aws:events:eu-west-1:123456789012:rule/ecs-migrate-staging-requests/ecs-migrate-staging-LaunchFunctionDeployRequest-4D5E6F';
    const OUTPUTS = {
      PushArchiveName: 'ecs-migrate-staging-pushes',
      RequestArchiveName: 'ecs-migrate-staging-requests',
      PushRuleArn: PUSH_RULE,
      RequestRuleArn: REQUEST_RULE,
    };
    const WINDOW = [
      '--stack',
      'ecs-migrate-staging',
      '--region',
      'eu-west-1',
      '--from',
      '2026-11-25T09:00:00Z',
      '--to',
      '2026-11-25T10:00:00Z',
    ];
    let cloudFormation: ReturnType<typeof mockClient>;
    beforeEach(() => {
      cloudFormation = mockClient(CloudFormationClient);
      events.on(DescribeArchiveCommand).callsFake((input: { ArchiveName: string }) => ({
        ArchiveArn: `arn:aws:events:eu-west-1:123456789012:archive/${input.ArchiveName}`,
        EventSourceArn:
          input.ArchiveName === 'ecs-migrate-staging-requests'
            ? 'arn:aws:events:eu-west-1:123456789012:event-bus/ecs-migrate-staging-requests'
            : 'arn:aws:events:eu-west-1:123456789012:event-bus/default',
      }));
      events.on(StartReplayCommand).resolves({ State: 'STARTING' });
      // The push rule acts on pushes (TriggerOnPush=true): `replay --stack` of the pushes reads its state first.
      events.on(DescribeRuleCommand).resolves({ Name: 'ecs-migrate-staging-LaunchFunctionEcrPush-1A2B3C', State: 'ENABLED' });
    });
    afterEach(() => cloudFormation.restore());

    it("replays the stack's push archive (PushArchiveName) to the launcher's push rule alone (PushRuleArn), not to every rule on the default bus", async () => {
      stagingStackWith(cloudFormation, OUTPUTS);
      expect(await replayCommand(WINDOW, new EventBridgeClient({ region: 'eu-west-1' }))).toBe(0);
      expect(events.commandCalls(DescribeArchiveCommand)[0]?.args[0].input).toEqual({ ArchiveName: 'ecs-migrate-staging-pushes' });
      // Without FilterArns EventBridge replays the archived ECR pushes to every rule on the default bus: another
      // ecs-migrate stack of the same repository (TriggerOnPush=true) would take them as deliberate reruns too.
      expect(events.commandCalls(StartReplayCommand)[0]?.args[0].input.Destination).toEqual({
        Arn: 'arn:aws:events:eu-west-1:123456789012:event-bus/default',
        FilterArns: [PUSH_RULE],
      });
      expect(out.join('')).toContain(`(rule ${PUSH_RULE} only)`);
    });

    it("replays its request archive (--archive RequestArchiveName) to the launcher's request rule alone (RequestRuleArn)", async () => {
      stagingStackWith(cloudFormation, OUTPUTS);
      expect(
        await replayCommand([...WINDOW, '--archive', 'ecs-migrate-staging-requests'], new EventBridgeClient({ region: 'eu-west-1' })),
      ).toBe(0);
      expect(events.commandCalls(StartReplayCommand)[0]?.args[0].input.Destination).toEqual({
        Arn: 'arn:aws:events:eu-west-1:123456789012:event-bus/ecs-migrate-staging-requests',
        FilterArns: [REQUEST_RULE],
      });
    });

    it("refuses (exit 2) an archive not the stack's, and a stack without the rule's output, naming it; replays nothing", async () => {
      stagingStackWith(cloudFormation, OUTPUTS);
      const client = new EventBridgeClient({ region: 'eu-west-1' });
      const other = describeFailure(await replayCommand([...WINDOW, '--archive', 'triggers'], client).catch((e: unknown) => e));
      expect(other?.exitCode).toBe(2);
      expect(other?.line).toMatch(/^--archive triggers is not an archive of stack ecs-migrate-staging/);
      const { PushRuleArn: _p, ...older } = OUTPUTS;
      cloudFormation.reset();
      stagingStackWith(cloudFormation, older);
      const missing = describeFailure(await replayCommand(WINDOW, client).catch((e: unknown) => e));
      expect(missing).toEqual({
        line: "stack ecs-migrate-staging has no PushRuleArn output (deployed from a template.yaml older than it): update the stack, so its PushArchiveName is replayed to the launcher's rule alone",
        exitCode: 2,
      });
      expect(events.commandCalls(StartReplayCommand)).toHaveLength(0);
    });

    // Was: the push archive was replayed to the push rule even when that rule is DISABLED (pause-hook mode, or
    // TriggerOnPush=false): "replay … STARTING … (rule … only)", exit 0, and nothing ever ran.
    describe('a push rule that does not act on pushes', () => {
      const client = () => new EventBridgeClient({ region: 'eu-west-1' });

      it('pause-hook stack (RolloutMode output): refused (exit 2), no replay started', async () => {
        stagingStackWith(cloudFormation, { ...OUTPUTS, RolloutMode: 'pause-hook' });
        const refused = describeFailure(await replayCommand(WINDOW, client()).catch((e: unknown) => e));
        expect(refused?.exitCode).toBe(2);
        expect(refused?.line).toMatch(/^stack ecs-migrate-staging's RolloutMode is pause-hook: its push rule is disabled/);
        expect(out.join('')).not.toMatch(/STARTING/);
        expect(events.commandCalls(StartReplayCommand)).toHaveLength(0);
      });

      it('TriggerOnPush=false stack (DescribeRule: DISABLED): refused (exit 2), no replay started', async () => {
        stagingStackWith(cloudFormation, { ...OUTPUTS, RolloutMode: 'update-service' });
        events.on(DescribeRuleCommand).resolves({ Name: 'ecs-migrate-staging-LaunchFunctionEcrPush-1A2B3C', State: 'DISABLED' });
        const refused = describeFailure(await replayCommand(WINDOW, client()).catch((e: unknown) => e));
        expect(refused?.exitCode).toBe(2);
        expect(refused?.line).toMatch(/^the push rule of stack ecs-migrate-staging \(.*\) is DISABLED \(TriggerOnPush=false\)/);
        expect(events.commandCalls(DescribeRuleCommand)[0]?.args[0].input).toEqual({
          Name: 'ecs-migrate-staging-LaunchFunctionEcrPush-1A2B3C',
        });
        expect(out.join('')).not.toMatch(/STARTING/);
        expect(events.commandCalls(StartReplayCommand)).toHaveLength(0);
      });

      it('a caller denied events:DescribeRule replays as before, saying nothing of it', async () => {
        stagingStackWith(cloudFormation, { ...OUTPUTS, RolloutMode: 'update-service' });
        events
          .on(DescribeRuleCommand)
          .rejects(Object.assign(new Error('not authorized to perform: events:DescribeRule'), { name: 'AccessDeniedException' }));
        expect(await replayCommand(WINDOW, client())).toBe(0);
        expect(events.commandCalls(StartReplayCommand)).toHaveLength(1);
        expect(out.join('')).toMatch(/^replay \S+ STARTING: /);
        expect(out.join('')).not.toMatch(/DescribeRule|denied|authorized/i);
      });
    });
  });

  it('refuses an empty or reversed window', async () => {
    await expect(replayCommand(['--archive', 'a', '--from', '2026-11-25T10:00:00Z', '--to', '2026-11-25T09:00:00Z'])).rejects.toThrow(
      /--from before --to/,
    );
  });
});

/** DescribeStacks answers stack ecs-migrate-staging (environment staging) with these outputs. */
function stagingStackWith(cloudFormation: ReturnType<typeof mockClient>, outputs: Record<string, string>): void {
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'ecs-migrate-staging',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.entries({ Environment: 'staging', ...outputs }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}
