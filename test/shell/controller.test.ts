import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/adapters/local/store.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import type { Running } from '../../src/core/deployment.js';
import type { ImageRollout, ServiceRolloutResult } from '../../src/core/service-deployment.js';
import { CommitConflictError, PermanentAwsError, TooManyConflictsError, TransientAwsError } from '../../src/errors.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { CommitRequest, Ecs, LaunchOutcome, OutgoingEvent, Ports } from '../../src/ports.js';
import { conflictBackoffMs } from '../../src/shell/conflict-retry.js';
import { type ControllerDeps, createController, createRoleController, type LambdaFunction } from '../../src/shell/controller.js';
import { invoke, type LambdaRuntime } from '../../src/shell/lambda.js';
import { LAUNCH_FUNCTION } from '../../src/shell/launch-function.js';
import { silentLog } from '../../src/shell/logger.js';
import { WATCH_FUNCTION } from '../../src/shell/watch-function.js';
import { fakeEcs } from '../support/fake-ecs.js';
import { activeState, config, runningDeployment, SAMPLE_DEPLOYMENT, sample, service, TD, withEvent } from '../support/fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** RunTask started the task. */
const launchOk = async (r: LaunchRequest): Promise<LaunchOutcome> => ({
  ok: true,
  taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${r.clientToken.slice(-8)}`,
  taskDefinitionArn: TD(43),
});

/** Real local store; recording ECS, bus and scheduler. */
function harness(launch: (r: LaunchRequest) => Promise<LaunchOutcome> = launchOk) {
  const store = new LocalStore(new LocalLayout(dir, 'staging'));
  const launched: LaunchRequest[] = [];
  const events: OutgoingEvent[] = [];
  const schedules: string[] = [];
  const ecs: Ecs = fakeEcs({
    launch: async (r) => {
      launched.push(r);
      return launch(r);
    },
  });
  const ports: Ports = {
    ecs,
    store,
    bus: { put: async (e) => void events.push(...e) },
    logs: { tail: async () => [] },
    scheduler: { scheduleTimeout: async (id) => void schedules.push(id) },
    registry: { describeImage: async () => ({ digest: `sha256:${'c'.repeat(64)}`, pushedAt: '2026-11-25T09:00:00.000Z' }) },
  };
  const deps: ControllerDeps = { config: config(), ports, log: silentLog, now: () => new Date('2026-11-25T09:15:00Z') };
  return { store, ports, deps, launched, events, schedules };
}

/** One raw event through a controller built from `deps`. */
const handleEvent = (raw: unknown, deps: ControllerDeps) => createController(deps).handle(raw);

describe('the controller', () => {
  it("logs and returns a decision's reason redacted: an ignored request's fields are echoed in it", async () => {
    const h = harness();
    const lines: unknown[] = [];
    const log = { ...silentLog, info: (_message: string, fields?: unknown) => void lines.push(fields) };
    const other = withEvent(sample('deploy-request'), { detail: { environment: 'prod password=hunter2' } });
    const steps = await handleEvent(other, { ...h.deps, log });
    expect(steps[0]?.decision).toMatchObject({ decision: 'ignore', reason: expect.stringContaining('password=[REDACTED]') });
    expect(JSON.stringify([steps, lines])).not.toContain('hunter2');
  });

  it('follows a launch through RunTask to the recorded task, its timeout and the start event', async () => {
    const h = harness();
    const steps = await handleEvent(sample('ecr-push'), h.deps);
    expect(steps.map((s) => `${s.input}:${s.decision.decision}`)).toEqual(['ecr-image-action:launch', 'launch-result:record']);
    expect(h.launched).toHaveLength(1);
    expect(h.events.map((e) => e.detailType)).toEqual(['Migration Started']);
    const id = steps[0]?.decision.deploymentId as string;
    expect(h.schedules).toEqual([id]);
    const stored = (await h.store.loadDeployments([id]))[id];
    expect(stored).toMatchObject({ status: 'running', revision: 2, taskDefinitionArn: TD(43) });
    // Published, so the outbox the commit stored it in is empty again.
    expect(stored?.outbox).toBeUndefined();
  });

  it('reloads and decides again when a concurrent invocation wins the environment', async () => {
    const h = harness();
    const rival = withEvent(sample('ecr-push'), { top: { id: 'rival-event' }, detail: { 'image-digest': `sha256:${'1'.repeat(64)}` } });
    // The rival commits between our read and our write.
    const commit = h.store.commit.bind(h.store);
    let raced = false;
    h.ports.store.commit = async (request: CommitRequest) => {
      if (!raced) {
        raced = true;
        await handleEvent(rival, { ...h.deps, ports: { ...h.ports, store: h.store } });
      }
      return commit(request);
    };
    const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
    const log = { ...silentLog, warn: (message: string, fields?: Record<string, unknown>) => void warnings.push({ message, fields }) };
    const steps = await handleEvent(sample('ecr-push'), { ...h.deps, log });
    expect(steps.map((s) => s.decision.decision)).toEqual(['queue']);
    expect(h.launched).toHaveLength(1);
    // The line about the lost race names the deployment whose commit lost it, as every line about a deployment does.
    const lost = warnings.find((w) => w.message.startsWith('conflicting write'));
    expect(lost?.fields).toMatchObject({ deploymentId: steps[0]?.decision.deploymentId, input: 'ecr-image-action' });
    const env = await h.store.loadEnvironment('staging');
    expect(env.queued).toBe(steps[0]?.decision.deploymentId);
    expect(env.active?.deploymentId).not.toBe(env.queued);
  });

  it("the line of an invocation that failed carrying out a decision names that decision's deployment", async () => {
    const h = harness(async () => {
      throw new TransientAwsError('ecs:RunTask failed: ThrottlingException: Rate exceeded');
    });
    const errors: Record<string, unknown>[] = [];
    const logger = { ...silentLog, addContext: () => {}, error: (_m: string, fields: Record<string, unknown>) => void errors.push(fields) };
    const controller = createController(h.deps);
    await expect(invoke({ logger } as unknown as LambdaRuntime, controller)(sample('ecr-push'), {} as never)).rejects.toThrow(/RunTask/);
    const launched = (await h.store.listDeployments('staging', 1))[0]?.id;
    expect(errors).toEqual([expect.objectContaining({ deploymentId: launched })]);
  });

  it('rethrows a transient failure and resumes the same launch, same clientToken, on retry', async () => {
    let fail = true;
    const h = harness(async (r) => {
      if (fail) throw new TransientAwsError('RunTask throttled');
      return launchOk(r);
    });
    await expect(handleEvent(sample('ecr-push'), h.deps)).rejects.toThrow(TransientAwsError);
    const env = await h.store.loadEnvironment('staging');
    expect(env.active).toBeDefined();
    fail = false;
    const steps = await handleEvent(sample('ecr-push'), h.deps);
    expect(steps[0]?.decision).toMatchObject({ decision: 'launch', reason: expect.stringContaining('resuming the launch') });
    expect(h.launched.map((r) => r.clientToken)).toEqual([h.launched[0]?.clientToken, h.launched[0]?.clientToken]);
    // Only the resumed launch may find its revision registered already, so only it asks the adapter to look.
    expect(h.launched.map((r) => r.resumed === true)).toEqual([false, true]);
  });

  it('waits a jittered, growing delay between conflicting writes and gives up after five attempts', async () => {
    const h = harness();
    h.ports.store.commit = async () => {
      throw new CommitConflictError('environment staging changed since it was read');
    };
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    await expect(handleEvent(sample('ecr-push'), { ...h.deps, sleep })).rejects.toThrow(TooManyConflictsError);
    expect(waits).toHaveLength(4);
    waits.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(40 * 2 ** (i + 1));
    });
    expect(h.launched).toHaveLength(0);
  });

  it('bounds the backoff: the full range at each attempt, never above one second', () => {
    expect([1, 2, 3].map((attempt) => conflictBackoffMs(attempt, () => 0.999))).toEqual([79, 159, 319]);
    expect(conflictBackoffMs(10, () => 0.999)).toBe(999);
    expect(conflictBackoffMs(3, () => 0)).toBe(0);
  });

  it('logs and returns normally on invalid input, publishing Event Rejected', async () => {
    const h = harness();
    const steps = await handleEvent({ hello: 'world' }, h.deps);
    expect(steps.map((s) => s.decision.decision)).toEqual(['reject']);
    expect(h.events).toEqual([
      { detailType: 'Event Rejected', detail: expect.objectContaining({ reason: expect.stringContaining('not an EventBridge event') }) },
    ]);
  });

  it('publishes the events of a commit whose PutEvents failed, at the next invocation that reads it (outbox)', async () => {
    const h = harness();
    const put = h.ports.bus.put;
    h.ports.bus.put = async () => {
      throw new TransientAwsError('PutEvents: 500');
    };
    await expect(handleEvent(sample('ecr-push'), h.deps)).rejects.toThrow(TransientAwsError);
    const env = await h.store.loadEnvironment('staging');
    const id = env.active?.deploymentId as string;
    expect((await h.store.loadDeployments([id]))[id]).toMatchObject({ status: 'running', outbox: [{ detailType: 'Migration Started' }] });

    // The retry finds the deployment running: it decides nothing new, but publishes what the commit implied.
    h.ports.bus.put = put;
    const steps = await handleEvent(sample('ecr-push'), h.deps);
    expect(steps.map((s) => s.decision.decision)).toEqual(['ignore']);
    expect(h.events.map((e) => e.detailType)).toEqual(['Migration Started']);
    expect((await h.store.loadDeployments([id]))[id]?.outbox).toBeUndefined();
  });

  it("resumes the queued deployment's launch when the invocation that handed it the environment failed after its commit", async () => {
    const h = harness();
    const first = await handleEvent(sample('ecr-push'), h.deps);
    const activeId = first[0]?.decision.deploymentId as string;
    const second = withEvent(sample('ecr-push'), { top: { id: 'second-push' }, detail: { 'image-digest': `sha256:${'2'.repeat(64)}` } });
    const queuedId = (await handleEvent(second, h.deps))[0]?.decision.deploymentId as string;

    const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${activeId.slice(-8)}`;
    const done = withEvent(sample('task-stopped-success'), { detail: { startedBy: `ecs-migrate/${activeId}`, taskArn, version: 9 } });
    const launch = h.ports.ecs.launch;
    h.ports.ecs.launch = async () => {
      throw new TransientAwsError('RunTask throttled');
    };
    await expect(handleEvent(done, h.deps)).rejects.toThrow(TransientAwsError);
    expect((await h.store.loadDeployments([queuedId]))[queuedId]).toMatchObject({ status: 'launching', handedOverBy: activeId });

    // The retried task event finds its deployment ended: it resumes the launch it handed over, same clientToken.
    h.ports.ecs.launch = launch;
    const retry = await handleEvent(done, h.deps);
    expect(retry.map((s) => s.decision.decision)).toEqual(['launch', 'record']);
    expect((await h.store.loadDeployments([queuedId]))[queuedId]).toMatchObject({ status: 'running' });
    expect(h.launched.filter((r) => r.startedBy.endsWith(queuedId))).toEqual([
      expect.objectContaining({ clientToken: `ecs-migrate-${queuedId}`, resumed: true }),
    ]);
  });

  it('refuses an event routed to the other function, naming the function that should get it', async () => {
    const h = harness();
    const steps = await handleEvent(sample('task-stopped-success'), { ...h.deps, role: 'launch' });
    expect(steps[0]?.decision).toMatchObject({
      decision: 'reject',
      reason: expect.stringContaining('belongs to the watch function, not the launch function'),
    });
    expect(h.events.map((e) => e.detailType)).toEqual(['Event Rejected']);
  });

  it.each<[string, LambdaFunction, string, string]>([
    ['task-stopped-success', LAUNCH_FUNCTION, 'task-state', 'watch'],
    ['ecr-push', WATCH_FUNCTION, 'ecr-image-action', 'launch'],
  ])("refuses %s with the receiving function's own core as when it parses every event", async (name, fn, kind, owner) => {
    const full = harness();
    const fullSteps = await handleEvent(sample(name), { ...full.deps, role: fn.core.role });
    const h = harness();
    const steps = await createRoleController(h.deps, fn).handle(sample(name));

    const reason = `a "${kind}" event belongs to the ${owner} function, not the ${fn.core.role} function: check the EventBridge rules that target it`;
    expect(steps.map((s) => s.decision)).toEqual([
      { decision: 'reject', reason, actions: [expect.objectContaining({ detailType: 'Event Rejected' })] },
    ]);
    expect(steps.map((s) => s.decision)).toEqual(fullSteps.map((s) => s.decision));
    expect(h.events).toEqual([{ detailType: 'Event Rejected', detail: { environment: 'staging', reason, input: kind } }]);
    expect(h.events).toEqual(full.events);
    // Refused before anything is read or started.
    expect(h.launched).toHaveLength(0);
    expect(await h.store.loadEnvironmentWith('staging', [])).toMatchObject({ env: { version: 0 } });
  });

  it("takes its own events with the function's own parser and decider", async () => {
    const h = harness();
    const launched = await createRoleController(h.deps, LAUNCH_FUNCTION).handle(sample('ecr-push'));
    expect(launched.map((s) => `${s.input}:${s.decision.decision}`)).toEqual(['ecr-image-action:launch', 'launch-result:record']);
    const id = launched[0]?.decision.deploymentId as string;
    const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${id.slice(-8)}`;
    const done = withEvent(sample('task-stopped-success'), { detail: { startedBy: `ecs-migrate/${id}`, taskArn, version: 9 } });
    const watched = await createRoleController(h.deps, WATCH_FUNCTION).handle(done);
    expect(watched[0]).toMatchObject({ input: 'task-state', decision: { decision: 'continue' } });
  });

  it('refuses, with its key and field, an input whose stored record does not validate', async () => {
    const h = harness();
    const layout = new LocalLayout(dir, 'staging');
    await mkdir(layout.envDir, { recursive: true });
    await writeFile(layout.stateFile, JSON.stringify({ environment: 'staging', version: 'three' }));
    const steps = await handleEvent(sample('ecr-push'), h.deps);
    expect(steps[0]?.decision).toMatchObject({
      decision: 'reject',
      reason: expect.stringMatching(/environment\.json does not validate \(version: /),
    });
    expect(h.launched).toHaveLength(0);
  });
});

describe('several services (SERVICES) in update-service mode: the rollout reaches every gated service', () => {
  const twoServices = () => config({ SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });

  /** The local store holding `running` as the active deployment; ECS records the updates and image rollouts it is asked for. */
  async function seeded(running: Running, rollOutImage: Ecs['rollOutImage']) {
    const h = harness();
    const state = activeState(running);
    await h.store.commit({ env: { state: state.env, expectedVersion: 0 }, deployments: [{ deployment: running, expectedRevision: 0 }] });
    let serviceTaskDefinition = TD(42);
    const updated: string[] = [];
    const rolledOut: ImageRollout[] = [];
    h.ports.ecs = fakeEcs({
      describeService: async () => ({ ...service, taskDefinitionArn: serviceTaskDefinition }),
      updateService: async (target, taskDefinitionArn) => {
        updated.push(`${target.service}→${taskDefinitionArn}`);
        serviceTaskDefinition = taskDefinitionArn;
        return { ecsDeploymentId: 'ecs-svc/1' };
      },
      rollOutImage: async (request) => {
        rolledOut.push(request);
        return rollOutImage(request);
      },
    });
    return { ...h, deps: { ...h.deps, config: twoServices(), ports: h.ports }, updated, rolledOut };
  }

  const movedOk = async (request: ImageRollout): Promise<ServiceRolloutResult[]> =>
    request.services.map((s) => ({ service: s, ok: true, taskDefinitionArn: TD(60), containers: ['app'], unchanged: false }));

  it('a task definition run as it is: the first service moves to it, the others to the image its migration container runs', async () => {
    // deploy --task-definition with SERVICES: the deployment names no image, only the task definition it ran.
    const running = runningDeployment({ work: { type: 'task-definition', taskDefinitionArn: TD(43) } });
    const h = await seeded(running, movedOk);

    const steps = await handleEvent(sample('task-stopped-success'), h.deps);

    expect(steps.map((s) => s.decision.decision)).toEqual(['continue', 'record']);
    expect(steps[0]?.decision.reason).not.toMatch(/undefined/);
    expect(h.updated).toEqual([`shop-api→${TD(43)}`]);
    // The adapter reads the image from the task definition the deployment ran.
    expect(h.rolledOut).toEqual([expect.objectContaining({ services: ['shop-worker'], imageOf: TD(43) })]);
    expect((await h.store.loadDeployments([running.id]))[running.id]).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      services: [
        { service: 'shop-api', result: 'continued' },
        { service: 'shop-worker', result: 'continued' },
      ],
    });
  });

  it('a task definition whose image cannot be rolled out: each service not moved is recorded failed and announced (Rollout Failed)', async () => {
    const running = runningDeployment({ work: { type: 'task-definition', taskDefinitionArn: TD(43) } });
    const reason = `container "app" of task definition ${TD(43)} runs nginx:1.27, not an image of repository "shop-api"`;
    const h = await seeded(running, async (request) => request.services.map((s) => ({ service: s, ok: false as const, reason })));

    await handleEvent(sample('task-stopped-success'), h.deps);

    expect((await h.store.loadDeployments([running.id]))[running.id]).toMatchObject({
      outcome: 'succeeded',
      services: [
        { service: 'shop-api', result: 'continued' },
        { service: 'shop-worker', result: 'failed', reason },
      ],
    });
    const failed = h.events.find((e) => e.detailType === 'Rollout Failed');
    expect(failed?.detail.reason).toEqual(expect.stringContaining('shop-worker failed'));
  });

  it.each([
    ['several services', twoServices(), ['shop-worker']],
    ['one service', config(), []],
  ])('%s: an UpdateService refused for good is recorded failed and announced, never a crash loop', async (_what, cfg, others) => {
    const h = await seeded(runningDeployment(), movedOk);
    const refused = new PermanentAwsError(
      'ecs:UpdateService',
      'check that service "shop-api" is active',
      'InvalidParameterException: service not active',
    );
    const refusal = refused.message;
    h.ports.ecs = { ...h.ports.ecs, updateService: async () => Promise.reject(refused) };

    const steps = await handleEvent(sample('task-stopped-success'), { ...h.deps, config: cfg, ports: h.ports });

    expect(steps.map((s) => s.decision.decision)).toEqual(['continue', 'record']);
    expect((await h.store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT]).toMatchObject({
      outcome: 'succeeded',
      services: [
        { service: 'shop-api', result: 'failed', reason: refusal },
        ...others.map((service) => ({ service, result: 'continued' })),
      ],
    });
    expect(h.events.find((e) => e.detailType === 'Rollout Failed')?.detail.reason).toEqual(expect.stringContaining('shop-api failed'));
    // With no service moved, the rollout did not continue: no Rollout Continued, and the record says halted.
    const moved = others.length > 0;
    expect(h.events.some((e) => e.detailType === 'Rollout Continued')).toBe(moved);
    expect((await h.store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT]).toMatchObject({
      rollout: moved ? 'continued' : 'halted',
    });
  });

  it('an UpdateService that fails for now is thrown: the event is retried', async () => {
    const h = await seeded(runningDeployment(), movedOk);
    h.ports.ecs = {
      ...h.ports.ecs,
      updateService: async () => Promise.reject(new TransientAwsError('ecs:UpdateService failed: Throttling')),
    };
    await expect(handleEvent(sample('task-stopped-success'), h.deps)).rejects.toThrow(TransientAwsError);
  });

  it('a retried event after a partial rollout (first service moved, the others throttled) moves the others', async () => {
    let throttle = true;
    const h = await seeded(runningDeployment(), async (request) => {
      if (throttle) throw new TransientAwsError('ecs:DescribeServices failed: ThrottlingException');
      return movedOk(request);
    });

    // First try: UpdateService(shop-api) goes through, then the other service is throttled: the event is retried.
    await expect(handleEvent(sample('task-stopped-success'), h.deps)).rejects.toThrow(TransientAwsError);
    expect(h.updated).toEqual([`shop-api→${TD(43)}`]);
    throttle = false;

    // The retry reads shop-api on the revision already: it is left as it is, and shop-worker still moves.
    const steps = await handleEvent(sample('task-stopped-success'), h.deps);

    expect(steps.map((s) => s.decision.decision)).toEqual(['continue', 'record']);
    expect(h.updated).toEqual([`shop-api→${TD(43)}`]);
    expect(h.rolledOut.map((r) => r.services)).toEqual([['shop-worker'], ['shop-worker']]);
    expect((await h.store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT]).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      services: [
        { service: 'shop-api', result: 'unchanged' },
        { service: 'shop-worker', result: 'continued' },
      ],
    });
  });
});
