import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetScheduleCommand, ListSchedulesCommand } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsEcs } from '../../src/adapters/aws/ecs.js';
import { serviceDeploymentReads } from '../../src/adapters/aws/ecs-deployments.js';
import {
  type EmulatedEvent,
  emitDeploymentState,
  PAUSE_HOOK,
  type PausedDeployment,
  pauseDeployment,
  timeOutHook,
} from '../support/pause-hooks.js';
import {
  appContainer,
  CLUSTER,
  CONTAINER,
  createServices,
  deploymentsStore,
  drainEvents,
  endpoint,
  freshStack,
  type Handler,
  imageOf,
  importHandlers,
  lambdaContext,
  named,
  onlyTask,
  REGION,
  registerTaskDefinition,
  SCHEDULER_GROUP,
  type Stack,
  setServicesEnv,
  type TestClients,
  taskArns,
  taskStoppedEvent,
  testClients,
  WEB,
  WORKER,
} from './environment.js';

/**
 * pause-hook mode end to end: the real launcher and watcher handlers, in process, against moto with the pause-hook
 * extension (test/support/moto_pause_hooks.py). The owner's deployment pauses; its hook event reaches the launcher,
 * which runs the target revision's task definition as it is; the task's exit answers the hook.
 */

const DIGEST = `sha256:${'a'.repeat(64)}`;
const NEW_IMAGE = imageOf(DIGEST);

describe('pause-hook mode: launcher and watcher on AWS (moto)', () => {
  let c: TestClients;
  let stack: Stack;
  let launch: Handler;
  let watch: Handler;
  let ecs: AwsEcs;
  let restoreEnv: () => void;
  /** The revision the owner deploys: the new image of REPOSITORY, otherwise the service's definition. */
  let target: string;
  const store = () => deploymentsStore(c);

  beforeAll(async () => {
    // The handlers read their configuration once, at import (cold start), as on Lambda.
    restoreEnv = setServicesEnv({ ROLLOUT_MODE: 'pause-hook', SERVICES: `${WEB},${WORKER}` });
    ({ launch, watch } = await importHandlers());
    c = testClients();
    ecs = new AwsEcs(c.ecs, { cluster: CLUSTER, service: WEB, container: CONTAINER, serviceDeployments: serviceDeploymentReads(c.ecs) });
  });

  afterAll(() => restoreEnv());

  /** Creates the named services, each with the owner's PAUSE hook, on the current stack. */
  const createHookedServices = (names: string[]) =>
    createServices(c, stack, names, { platformVersion: '1.4.0', deploymentConfiguration: { lifecycleHooks: [PAUSE_HOOK] } });

  beforeEach(async () => {
    stack = await freshStack(c);
    target = await registerTaskDefinition(c, [appContainer(NEW_IMAGE)]);
    await createHookedServices([WEB, WORKER]);
  });

  const pause = (service: string) =>
    pauseDeployment(endpoint(), { cluster: CLUSTER, service, taskDefinition: target, digests: { [CONTAINER]: DIGEST }, region: REGION });

  /** The emulated event as EventBridge delivers it to the launcher (with an id). */
  const delivered = (event: EmulatedEvent | undefined, id: string) => {
    if (event === undefined) throw new Error('the extension put no event');
    return { ...event, id };
  };

  const hookEvent = (paused: PausedDeployment, id: string) => delivered(paused.event, id);

  const hookStatus = async (paused: PausedDeployment) =>
    (await ecs.describeServiceDeployment(paused.serviceDeploymentArn))?.hooks.find((h) => h.hookId === paused.hookId)?.status;

  /** The hook's event launches its migration, the task exits 0, and the bus is drained. */
  async function migrated(paused: PausedDeployment, id: string): Promise<void> {
    await launch(hookEvent(paused, id), lambdaContext('launch'));
    await watch(taskStoppedEvent(await onlyTask(c), 0), lambdaContext('watch'));
    await drainEvents(c, stack.queueUrl);
  }

  it('hook event → one task of the target revision as it is → exit 0 → CONTINUE (the hook SUCCEEDED)', async () => {
    // Prepare
    const paused = await pause(WEB);

    // Act
    const launched = await launch(hookEvent(paused, 'hook-1'), lambdaContext('launch'));

    // Assess: one task, of the owner's revision itself (no revision registered), the migration command on CONTAINER.
    expect(launched.decisions.map((d) => d.decision)).toContain('launch');
    const task = await onlyTask(c);
    expect(task.taskDefinitionArn).toBe(target);
    expect(await hookStatus(paused)).toBe('AWAITING_ACTION');

    // Act
    const watched = await watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

    // Assess
    expect(watched.decisions.map((d) => d.decision)).toContain('continue');
    expect(await hookStatus(paused)).toBe('SUCCEEDED');
    const events = await drainEvents(c, stack.queueUrl);
    expect(named(events, 'Migration Succeeded')).toHaveLength(1);
    expect(named(events, 'Rollout Continued')).toHaveLength(1);
    const deploymentId = launched.decisions.find((d) => d.decision === 'launch')?.deploymentId ?? '';
    const recorded = (await store().loadDeployments([deploymentId]))[deploymentId];
    expect(recorded).toMatchObject({ status: 'ended', outcome: 'succeeded', services: [{ service: WEB, result: 'continued' }] });
  });

  it('exit 1 → ROLLBACK: the hook FAILED and the service deployment rolls back', async () => {
    const paused = await pause(WEB);
    await launch(hookEvent(paused, 'hook-2'), lambdaContext('launch'));
    const task = await onlyTask(c);

    const watched = await watch(taskStoppedEvent(task, 1), lambdaContext('watch'));

    expect(watched.decisions.map((d) => d.decision)).not.toContain('continue');
    expect(await hookStatus(paused)).toBe('FAILED');
    await expect(ecs.describeServiceDeployment(paused.serviceDeploymentArn)).resolves.toMatchObject({ status: 'ROLLBACK_IN_PROGRESS' });
    const events = await drainEvents(c, stack.queueUrl);
    expect(named(events, 'Migration Failed')).toHaveLength(1);
    expect(named(events, 'Rollout Continued')).toHaveLength(0);
  });

  it('the duplicate hook event (same id, and redelivered under another id) → still one task', async () => {
    const paused = await pause(WEB);

    const first = await launch(hookEvent(paused, 'hook-3'), lambdaContext('launch'));
    const again = await launch(hookEvent(paused, 'hook-3'), lambdaContext('launch'));
    const other = await launch(hookEvent(paused, 'hook-3-redelivered'), lambdaContext('launch'));

    expect(again).toEqual(first);
    expect(other.decisions.map((d) => d.decision)).not.toContain('launch');
    expect(await taskArns(c)).toHaveLength(1);
    expect(named(await drainEvents(c, stack.queueUrl), 'Migration Started')).toHaveLength(1);
  });

  it('web and worker hooks for one digest → one task, both hooks answered CONTINUE', async () => {
    const web = await pause(WEB);
    const worker = await pause(WORKER);

    await launch(hookEvent(web, 'hook-web'), lambdaContext('launch'));
    await launch(hookEvent(worker, 'hook-worker'), lambdaContext('launch'));
    const task = await onlyTask(c);
    await watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

    expect(await hookStatus(web)).toBe('SUCCEEDED');
    expect(await hookStatus(worker)).toBe('SUCCEEDED');
    expect(await taskArns(c)).toHaveLength(1);
  });

  it('a hook that joins the running migration and expires first brings the timeout check forward (a schedule of its own)', async () => {
    // Prepare: web's hook (30 minutes) launches the migration; its check is set at web's expiry less the margin.
    const web = await pause(WEB);
    const launched = await launch(hookEvent(web, 'hook-web-early'), lambdaContext('launch'));
    const deploymentId = launched.decisions.find((d) => d.decision === 'launch')?.deploymentId ?? '';
    const schedule = (name: string) => c.scheduler.send(new GetScheduleCommand({ Name: name, GroupName: SCHEDULER_GROUP }));
    /** The one schedule of the group whose name matches. */
    const onlySchedule = async (name: RegExp) => {
      const listed = await c.scheduler.send(new ListSchedulesCommand({ GroupName: SCHEDULER_GROUP }));
      const names = (listed.Schedules ?? []).flatMap((s) => (s.Name !== undefined && name.test(s.Name) ? [s.Name] : []));
      expect(names).toHaveLength(1);
      return schedule(names[0] ?? '');
    };
    const atOf = (expression: string | undefined) => Date.parse(`${/^at\((.+)\)$/.exec(expression ?? '')?.[1] ?? ''}Z`);
    const launchCheck = atOf((await schedule(`ecs-migrate-${deploymentId}`)).ScheduleExpression);
    // worker's owner gives its hook 10 minutes only, and deploys the same digest.
    const short = { ...PAUSE_HOOK, timeoutConfiguration: { timeoutInMinutes: 10, action: 'ROLLBACK' as const } };
    await c.ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: WORKER, deploymentConfiguration: { lifecycleHooks: [short] } }));
    const worker = await pause(WORKER);

    // Act
    const joined = await launch(hookEvent(worker, 'hook-worker-early'), lambdaContext('launch'));

    // Assess: one task for both; a check before worker's hook expires (less the margin; the adapter adds 1 minute
    // against clock skew), under a name of its own: the launch's check is still there, unchanged.
    expect(joined.decisions.map((d) => d.decision)).toEqual(['record']);
    expect(await taskArns(c)).toHaveLength(1);
    const early = await onlySchedule(new RegExp(`^ecs-migrate-${deploymentId}-deadline-1-\\d{12}$`));
    const due = Date.parse(worker.expiresAt) - 5 * 60_000;
    expect(atOf(early.ScheduleExpression)).toBeLessThanOrEqual(due + 61_000);
    expect(atOf(early.ScheduleExpression)).toBeLessThan(launchCheck);
    expect(JSON.parse(early.Target?.Input ?? '{}').detail).toEqual({
      environment: 'staging',
      deploymentId,
      attempt: 1,
      purpose: 'deadline',
    });
    expect(atOf((await schedule(`ecs-migrate-${deploymentId}`)).ScheduleExpression)).toBe(launchCheck);
  });

  it('the hook timed out before the migration ended → recorded as moved-on, no crash', async () => {
    const paused = await pause(WEB);
    const launched = await launch(hookEvent(paused, 'hook-4'), lambdaContext('launch'));
    const deploymentId = launched.decisions.find((d) => d.decision === 'launch')?.deploymentId ?? '';
    const task = await onlyTask(c);

    // ECS times the hook out (ROLLBACK); its event reaches the launcher too.
    const timedOut = await timeOutHook(endpoint(), { serviceDeploymentArn: paused.serviceDeploymentArn, region: REGION });
    await launch(delivered(timedOut.event, 'hook-4-timed-out'), lambdaContext('launch'));
    const watched = await watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

    expect(watched.decisions.map((d) => d.decision)).toContain('continue');
    expect(await hookStatus(paused)).toBe('TIMED_OUT');
    const recorded = (await store().loadDeployments([deploymentId]))[deploymentId];
    expect(recorded).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      rollout: 'moved-on',
      services: [{ service: WEB, result: 'moved-on', reason: expect.stringContaining('TIMED_OUT') }],
    });
  });

  it('ECS Deployment State Change: COMPLETED of the continued rollout → Rollout Completed; a circuit-breaker rollback → Rollout Failed', async () => {
    // Prepare: web's and worker's deployments, each continued by its own migration (two digests).
    const web = await pause(WEB);
    await migrated(web, 'hook-5');

    // Act: ECS says the continued rollout completed.
    const completed = await emitDeploymentState(endpoint(), {
      serviceDeploymentArn: web.serviceDeploymentArn,
      eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
      region: REGION,
    });
    const onCompleted = await watch(delivered(completed.event, 'state-1'), lambdaContext('watch'));

    // Assess
    expect(onCompleted.decisions.map((d) => d.decision)).toEqual(['record']);
    const afterCompleted = await drainEvents(c, stack.queueUrl);
    expect(named(afterCompleted, 'Rollout Completed')).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ service: WEB }) }),
    ]);

    // Act: the circuit breaker rolls the same service's next continued deployment back.
    stack = await freshStack(c);
    await createHookedServices([WEB]);
    const again = await pauseDeployment(endpoint(), {
      cluster: CLUSTER,
      service: WEB,
      digests: { [CONTAINER]: `sha256:${'b'.repeat(64)}` },
      region: REGION,
    });
    await migrated(again, 'hook-6');
    const rolling = await emitDeploymentState(endpoint(), {
      serviceDeploymentArn: again.serviceDeploymentArn,
      eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
      reason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/0000000000000000001.',
      region: REGION,
    });
    const onRolling = await watch(delivered(rolling.event, 'state-2'), lambdaContext('watch'));

    // Assess
    expect(onRolling.decisions.map((d) => d.decision)).toEqual(['record']);
    expect(named(await drainEvents(c, stack.queueUrl), 'Rollout Failed')).toHaveLength(1);
  });
});
