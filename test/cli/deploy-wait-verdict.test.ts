import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deployCommand } from '../../cli/deploy.js';
import { describeFailure } from '../../cli/failure.js';
import { KEYS } from '../../src/adapters/aws/store.js';
import type { Deployment, Ended, ServiceRollout } from '../../src/core/deployment.js';
import { encodeDeployment } from '../../src/core/records.js';
import type { EnvironmentState } from '../../src/core/state.js';
import { startAwsEndpoint } from '../support/aws-endpoint.js';
import { DIGEST, endedDeployment, OLD_IMAGE, PUSHED_IMAGE, runningDeployment, TD } from '../support/fixtures.js';
import { mockTable } from '../support/stack-table.js';

/** `deploy --wait` on a deployed stack: what a CI step is told, and that --timeout bounds it. */

let out: string[];
beforeEach(() => {
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const NEW_DIGEST = PUSHED_IMAGE.split('@')[1] as string;
const TARGET = ['--environment', 'staging', '--table', 'ecs-migrate-staging-DeploymentsTable-ABC123', '--region', 'eu-west-1'];

/** How a run of the CLI settled (its exit code, or what `failed` makes of its error), or 'still waiting' 15 s later. */
function within15s<T>(run: Promise<number>, failed: (error: unknown) => T): Promise<{ code: number } | T | 'still waiting'> {
  return Promise.race([
    run.then((code) => ({ code }), failed),
    new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 15_000)),
  ]);
}

describe('deploy --wait of a mutable tag the controller took as a repeat', () => {
  // Made per test and restored after it, so no other test of this file runs against stubs.
  const makeMocks = () => ({
    dynamodb: mockClient(DynamoDBClient),
    events: mockClient(EventBridgeClient),
    ecs: mockClient(ECSClient),
    ecr: mockClient(ECRClient),
  });
  let mocks: ReturnType<typeof makeMocks>;
  beforeEach(() => {
    mocks = makeMocks();
    const { events, ecs, ecr } = mocks;
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] });
    ecs.on(DescribeTaskDefinitionCommand).rejects(new Error('AccessDeniedException'));
    // What `main` names now: the digest of the push whose migration failed (for a CLI that resolves the tag).
    ecr
      .on(DescribeImagesCommand)
      .resolves({ imageDetails: [{ imageDigest: NEW_DIGEST, imagePushedAt: new Date('2026-11-25T09:14:58Z') }] });
  });
  afterEach(() => {
    for (const m of Object.values(mocks)) m.restore();
  });

  function table(env: EnvironmentState, deployments: Deployment[]): void {
    mockTable(mocks.dynamodb, env, deployments);
  }

  it('does not exit 0 "already deployed" when the migration of the digest the tag names now failed', async () => {
    // Yesterday `main` named OLD_IMAGE's digest: migrated and rolled out (the environment's last success).
    const yesterday = endedDeployment('succeeded', {
      id: '20261124-100000-aaaaaaaa',
      trigger: { type: 'ecr-push', eventId: 'e-0', at: '2026-11-24T10:00:00Z', imageTag: 'main' },
      work: { type: 'image', image: OLD_IMAGE, baseTaskDefinitionArn: TD(41) },
      taskDefinitionArn: TD(42),
      stop: { exitCode: 0 },
      rollout: 'continued',
    });
    // Today CI pushed a new `main` (the push started this migration), then ran `deploy --tag main --wait`: the
    // controller ignored the request as "already in progress", and the push's migration then failed.
    const today = endedDeployment('failed', {
      trigger: { type: 'ecr-push', eventId: 'e-1', at: '2026-11-25T09:14:58Z', imageTag: 'main' },
      work: { type: 'image', image: PUSHED_IMAGE, baseTaskDefinitionArn: TD(42) },
      stop: { exitCode: 1, stopCode: 'EssentialContainerExited' },
      rollout: 'halted',
      // It ended while the CLI waited (a clock this machine reads).
      finishedAt: new Date(Date.now() + 1_000).toISOString(),
    });
    table(
      {
        environment: 'staging',
        version: 9,
        lastSucceeded: { deploymentId: yesterday.id, image: OLD_IMAGE, command: ['db-migrate'], at: '2026-11-24T10:03:00.000Z' },
      },
      [today, yesterday],
    );
    const code = await deployCommand(
      [...TARGET, '--requested-by', 'ci', '--wait', '--timeout', '30s', '--request-id', 'gh-77-1', '--image', `${REGISTRY}/shop-api:main`],
      { pollMs: 5, heartbeatMs: 3_600_000, repeatAfterMs: 30, unrecordedAfterMs: 400 },
    );
    expect(out.join(''), out.join('')).not.toMatch(/already deployed/);
    expect(code, 'the schema of what `main` names now was not migrated and the service was not moved').not.toBe(0);
  });
});

describe('deploy --wait, re-run with an image named by tag and digest', () => {
  // A CI job sends `--image REGISTRY/shop-api:v1.5.0@sha256:<digest>` (pinned by digest, the tag kept as information)
  // and is re-run: the controller resolves it to `REGISTRY/shop-api@sha256:<digest>`, finds that deployed or in
  // progress and records nothing, so the CLI must recognise the work as its own repeat.
  // Was: cli/follow.ts isSameImage split the reference at its last ":", the one inside "sha256:", so it never
  // recognised the work: the re-run waited and failed with exit 1, "the controller rejected it".
  const TAG_AND_DIGEST = `${REGISTRY}/shop-api:v1.5.0@${DIGEST}`;
  const makeMocks = () => ({ dynamodb: mockClient(DynamoDBClient), events: mockClient(EventBridgeClient), ecs: mockClient(ECSClient) });
  let mocks: ReturnType<typeof makeMocks>;
  beforeEach(() => {
    mocks = makeMocks();
    mocks.events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-2' }] });
    mocks.ecs.on(DescribeTaskDefinitionCommand).rejects(new Error('AccessDeniedException'));
  });
  afterEach(() => {
    for (const m of Object.values(mocks)) m.restore();
  });

  function table(env: EnvironmentState, deployments: Deployment[]): void {
    mockTable(mocks.dynamodb, env, deployments);
  }

  // The first run of the job: its deploy-request, resolved and recorded by the controller as it records any request.
  const trigger = {
    type: 'deploy-request' as const,
    eventId: 'e-1',
    at: '2026-11-25T09:15:00Z',
    requestId: 'gh-9812-1-deploy',
    requestedBy: 'ci',
    imageTag: 'v1.5.0',
  };

  it('ends with 0 "already deployed" when the first run migrated and rolled out that image', async () => {
    const first = endedDeployment('succeeded', {
      trigger,
      work: { type: 'image', image: PUSHED_IMAGE, baseTaskDefinitionArn: TD(42) },
      taskDefinitionArn: TD(43),
      stop: { exitCode: 0, stopCode: 'EssentialContainerExited' },
      rollout: 'continued',
    });
    table(
      {
        environment: 'staging',
        version: 9,
        lastSucceeded: {
          deploymentId: first.id,
          image: PUSHED_IMAGE,
          taskDefinitionArn: TD(43),
          command: ['db-migrate'],
          at: '2026-11-25T09:17:00.000Z',
        },
      },
      [first],
    );
    const code = await deployCommand(
      [...TARGET, '--requested-by', 'ci', '--wait', '--timeout', '30s', '--request-id', 'gh-9812-2-deploy', '--image', TAG_AND_DIGEST],
      { pollMs: 5, heartbeatMs: 3_600_000, repeatAfterMs: 30, unrecordedAfterMs: 400 },
    );
    const text = out.join('');
    expect(text, text).toMatch(/already deployed/);
    expect(code).toBe(0);
  });

  it('follows the deployment of that image still in progress instead of giving up as "rejected"', async () => {
    const running = runningDeployment({ trigger, work: { type: 'image', image: PUSHED_IMAGE, baseTaskDefinitionArn: TD(42) } });
    table({ environment: 'staging', version: 8, active: { deploymentId: running.id, lockExpiresAt: '2099-01-01T00:00:00.000Z' } }, [
      running,
    ]);
    const code = await deployCommand(
      [...TARGET, '--requested-by', 'ci', '--wait', '--timeout', '1s', '--request-id', 'gh-9812-2-deploy', '--image', TAG_AND_DIGEST],
      { pollMs: 5, heartbeatMs: 3_600_000, repeatAfterMs: 30, unrecordedAfterMs: 400 },
    );
    const text = out.join('');
    expect(text, text).toMatch(/already being deployed by/);
    // Still running when --timeout passes: 124 (the deployment goes on), not 1 ("the controller rejected it").
    expect(code).toBe(124);
  });
});

describe('deploy --wait, re-run once 25 deployments came after the last success', () => {
  // README: a re-run job ends 0 "✔ already deployed" for the image the last successful deployment rolled out (1 when
  // that rollout left a gated service unmoved). An environment with a scheduled run-command lists 25 newer
  // deployments within a day.
  // Was: cli/follow.ts looked for the last success only among the 25 newest deployments, so with it out of that
  // listing a re-run of `--tag v1.4.0` (the tag is only in the record's trigger) waited 5 minutes and failed as
  // "the controller rejected it", and a re-run by digest ended 0 although that rollout left shop-worker unmoved.
  const makeMocks = () => ({ dynamodb: mockClient(DynamoDBClient), events: mockClient(EventBridgeClient), ecs: mockClient(ECSClient) });
  let mocks: ReturnType<typeof makeMocks>;
  beforeEach(() => {
    mocks = makeMocks();
    mocks.events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-3' }] });
    mocks.ecs.on(DescribeTaskDefinitionCommand).rejects(new Error('AccessDeniedException'));
  });
  afterEach(() => {
    for (const m of Object.values(mocks)) m.restore();
  });

  /** The table, its Query honouring `Limit` as DynamoDB does (`deployments` newest first, as the store asks). */
  function table(last: Deployment, since: Deployment[]): void {
    const env: EnvironmentState = {
      environment: 'staging',
      version: 40,
      lastSucceeded: {
        deploymentId: last.id,
        image: PUSHED_IMAGE,
        taskDefinitionArn: TD(43),
        command: ['db-migrate'],
        at: '2026-11-24T10:03:00.000Z',
      },
    };
    const deployments = [...since, last];
    mockTable(mocks.dynamodb, env, deployments);
    const items = deployments.map((d) =>
      marshall({ ...encodeDeployment(d), ...KEYS.deployment('staging', d.id) }, { removeUndefinedValues: true }),
    );
    mocks.dynamodb.on(QueryCommand).callsFake((input: { Limit?: number }) => ({ Items: items.slice(0, input.Limit ?? items.length) }));
  }

  /** v1.4.0, pushed and migrated yesterday: the environment's last success. */
  const lastSuccess = (overrides: Partial<Ended> = {}): Ended =>
    endedDeployment('succeeded', {
      id: '20261124-100000-aaaaaaaa',
      trigger: { type: 'ecr-push', eventId: 'e-0', at: '2026-11-24T10:00:00Z', imageTag: 'v1.4.0' },
      work: { type: 'image', image: PUSHED_IMAGE, baseTaskDefinitionArn: TD(42) },
      taskDefinitionArn: TD(43),
      stop: { exitCode: 0, stopCode: 'EssentialContainerExited' },
      rollout: 'continued',
      ...overrides,
    });

  /** 30 half-hourly `run-command -- db-vacuum` since, newest first, each succeeded. */
  const commandsSince = (): Ended[] =>
    Array.from({ length: 30 }, (_, n) => {
      const i = 29 - n;
      const at = `2026-11-25T${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 === 0 ? '00' : '30'}:00Z`;
      return endedDeployment('succeeded', {
        id: `20261125-${at.slice(11, 13)}${at.slice(14, 16)}00-${i.toString(16).padStart(8, 'c')}`,
        kind: 'command',
        trigger: { type: 'run-command', eventId: `c-${i}`, at, requestId: `cron-${i}`, requestedBy: 'cron' },
        work: { type: 'task-definition', taskDefinitionArn: TD(43), ofService: true },
        command: ['db-vacuum'],
        taskDefinitionArn: TD(43),
        stop: { exitCode: 0 },
        rollout: 'not-applicable',
      });
    });

  const WAIT = ['--requested-by', 'ci', '--wait', '--timeout', '30s', '--request-id', 'gh-1-2-deploy'];
  const DEPS = { pollMs: 5, heartbeatMs: 3_600_000, repeatAfterMs: 30, unrecordedAfterMs: 400 };

  it('--tag v1.4.0 (as action.yml passes it) ends 0 "already deployed", not 1 "the controller rejected it"', async () => {
    table(lastSuccess(), commandsSince());
    // The controller resolves v1.4.0 to PUSHED_IMAGE's digest, finds it deployed and records nothing.
    const code = await deployCommand([...TARGET, ...WAIT, '--image', `${REGISTRY}/shop-api:v1.4.0`], DEPS);
    const text = out.join('');
    expect(text, text).not.toMatch(/rejected it/);
    expect(text, text).toMatch(/already deployed/);
    expect(code).toBe(0);
  });

  it('ends 1 naming the gated service that rollout left unmoved, not 0 "already deployed"', async () => {
    const services: ServiceRollout[] = [
      { service: 'shop-api', result: 'continued', ecsDeploymentId: 'ecs-svc/1' },
      { service: 'shop-worker', result: 'failed', reason: 'AccessDeniedException' },
    ];
    table(lastSuccess({ services }), commandsSince());
    const code = await deployCommand([...TARGET, ...WAIT, '--image', PUSHED_IMAGE], DEPS);
    const text = out.join('');
    expect(code, text).toBe(1);
    expect(text).toMatch(/shop-worker \(AccessDeniedException\) not moved/);
  });
});

describe('deploy --wait --timeout bounds the wait', () => {
  let endpoint: { close: () => Promise<void> };
  let targets: string[];
  /** Reads of the deployments table answered before they stall: the one before sending (the table exists). */
  let tableAnswers: number;

  beforeEach(async () => {
    // An endpoint that takes the request (PutEvents) and then never answers a read of the deployments table: a
    // stalled connection, as a CI runner's network can leave one.
    targets = [];
    tableAnswers = 1;
    endpoint = await startAwsEndpoint((req, res) => {
      targets.push(String(req.headers['x-amz-target'] ?? req.url));
      req.resume();
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        if (target.startsWith('AWSEvents.')) {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] }));
        }
        if (target.startsWith('DynamoDB_') && tableAnswers-- > 0) {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ Responses: {} }));
        }
        // DynamoDB after that: no answer, ever.
      });
    });
  });
  afterEach(async () => {
    await endpoint.close();
  });

  it('exits 124 once --timeout has passed, also when a read of the deployment records never answers', async () => {
    const run = deployCommand([...TARGET, '--requested-by', 'ci', '--wait', '--timeout', '2s', '--image', `${REGISTRY}/shop-api:v1.5.0`], {
      pollMs: 50,
      heartbeatMs: 3_600_000,
    });
    const settled = await within15s(run, (error) => ({ error: String(error) }));
    // The request went out, and the wait is stuck on a read of the table, not on anything before it.
    expect(targets, out.join('')).toContain('AWSEvents.PutEvents');
    expect(
      targets.some((t) => t.startsWith('DynamoDB_')),
      targets.join(', '),
    ).toBe(true);
    expect(settled, `--timeout 2s: still waiting 15 s later\n${out.join('')}`).toEqual({ code: 124 });
  }, 25_000);

  it('fails (exit 1) within --timeout, sending nothing, when the read of the table before sending never answers', async () => {
    tableAnswers = 0;
    const run = deployCommand([...TARGET, '--requested-by', 'ci', '--wait', '--timeout', '2s', '--image', `${REGISTRY}/shop-api:v1.5.0`], {
      pollMs: 50,
      heartbeatMs: 3_600_000,
    });
    const settled = await within15s(run, describeFailure);
    expect(settled).toEqual({
      line: 'the deployments table "ecs-migrate-staging-DeploymentsTable-ABC123" did not answer before --timeout passed: check the network; nothing was sent',
      exitCode: 1,
    });
    expect(targets).not.toContain('AWSEvents.PutEvents');
  }, 25_000);

  it('and the process exits then: no request left in flight holds it open', async () => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'cli', 'main.ts'),
        'deploy',
        ...TARGET,
        '--requested-by',
        'ci',
        '--wait',
        '--timeout',
        '2s',
        '--image',
        `${REGISTRY}/shop-api:v1.5.0`,
      ],
      { cwd: ROOT, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(124);
    expect(Date.now() - started, 'seconds after --timeout 2s').toBeLessThan(12_000);
  }, 25_000);
});

describe('deploy --timeout without --wait', () => {
  const makeEvents = () => mockClient(EventBridgeClient);
  let events: ReturnType<typeof makeEvents>;
  beforeEach(() => {
    events = makeEvents();
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] });
  });
  afterEach(() => events.restore());

  it('is not taken and ignored: a CI step that meant to wait is not told "done" (exit 0) right after sending', async () => {
    const code = await deployCommand([
      '--environment',
      'staging',
      '--region',
      'eu-west-1',
      '--requested-by',
      'ci',
      '--image',
      `${REGISTRY}/shop-api:v1.5.0`,
      '--timeout',
      '10m',
    ]).catch((error: unknown) => describeFailure(error).exitCode);
    expect(code, `--timeout 10m without --wait: ${out.join('')}`).not.toBe(0);
  });
});
