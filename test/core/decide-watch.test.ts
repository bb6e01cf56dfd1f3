import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/core/actions.js';
import type { Launching, ServiceRollout, Waiter } from '../../src/core/deployment.js';
import type { TaskStateInput } from '../../src/core/inputs.js';
import { LEFTOVER_STOP } from '../../src/core/rolled-out.js';
import {
  activeState,
  committed,
  ctx,
  decideOn,
  emitted,
  endedDeployment,
  eventTypes,
  given,
  idleState,
  KEPT_EXIT_0,
  launchingDeployment,
  NOW,
  OLD_IMAGE,
  only,
  PUSHED_IMAGE,
  parse,
  queuedDeployment,
  queueState,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  SAMPLE_TASK,
  sample,
  service,
  serviceMigratedBy,
  TD,
  withEvent,
} from '../support/fixtures.js';

const TAIL = ['applying 0002_add_orders.sql', 'ERROR:  column "customer" does not exist'];

/** A task-* sample with the log tail the shell adds before deciding. */
function stopped(name: string, logTail: string[] = TAIL): TaskStateInput {
  const input = parse(sample(name));
  if (input.kind !== 'task-state') throw new Error(`${name} is not a task event`);
  return { ...input, logTail };
}

const running = runningDeployment();

/** The rollout a `continue` decision started comes back with what it did to each service. */
function rolledOut(state: ReturnType<typeof activeState>, verdict: Decision, services: ServiceRollout[]) {
  const update = only(verdict, 'continueRollout');
  return given(state).when({
    kind: 'rollout-result',
    deploymentId: update.deploymentId,
    services,
    ...(update.completion !== undefined ? { completion: update.completion } : {}),
  });
}
const launchResult = {
  kind: 'launch-result',
  deploymentId: SAMPLE_DEPLOYMENT,
  ok: true,
  taskArn: SAMPLE_TASK,
  taskDefinitionArn: TD(43),
} as const;

describe('task STOPPED, migration container exit 0', () => {
  it('continues the rollout to the deployment task definition, then records it and frees the environment in one commit', () => {
    const state = activeState(running);
    const d = given(state)
      .when(stopped('task-stopped-success', ['done: 2 applied']))
      .then({
        decision: 'continue',
        deploymentId: SAMPLE_DEPLOYMENT,
        reason: `container "app" exited with code 0: service shop-api updated to ${TD(43)}`,
        actions: ['continueRollout'],
      });
    expect(only(d, 'continueRollout')).toMatchObject({
      type: 'continueRollout',
      deploymentId: SAMPLE_DEPLOYMENT,
      target: { mode: 'update-service', cluster: 'shop-staging', service: 'shop-api' },
      taskDefinitionArn: TD(43),
      image: PUSHED_IMAGE,
    });
    // What the update did comes back, and the end is committed with it.
    const r = rolledOut(state, d, [{ service: 'shop-api', result: 'continued', ecsDeploymentId: 'ecs-svc/1' }]).then({
      decision: 'record',
      actions: ['commit', 'publish'],
      events: ['Migration Succeeded', 'Rollout Continued'],
    });
    expect(only(r, 'commit').env).toEqual({
      expectedVersion: 7,
      state: {
        environment: 'staging',
        version: 8,
        lastSucceeded: {
          deploymentId: SAMPLE_DEPLOYMENT,
          image: PUSHED_IMAGE,
          taskDefinitionArn: TD(43),
          command: ['db-migrate'],
          at: NOW,
        },
        // The events go out with the environment record this commit writes (the outbox every invocation reads).
        outbox: [
          expect.objectContaining({ detailType: 'Migration Succeeded' }),
          expect.objectContaining({ detailType: 'Rollout Continued' }),
        ],
        // The rollout it started, indexed: ECS's verdict on it finds this deployment later too.
        rollouts: [{ ecsDeploymentId: 'ecs-svc/1', deploymentId: SAMPLE_DEPLOYMENT }],
      },
    });
    expect(committed(r, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      rollout: 'continued',
      revision: 3,
      stop: { exitCode: 0, stopCode: 'EssentialContainerExited' },
      stoppedAt: '2026-11-25T09:17:58.771Z',
      logTail: ['done: 2 applied'],
      services: [{ service: 'shop-api', result: 'continued', ecsDeploymentId: 'ecs-svc/1' }],
    });
    expect(only(r, 'publish').outbox).toEqual({ record: 'environment', environment: 'staging', version: 8 });
    expect(only(r, 'commit').deployments[0]?.expectedRevision).toBe(2);
  });

  it('rolls out the revision the deployment recorded, never the one the event names', () => {
    const event = withEvent(sample('task-stopped-success'), {
      detail: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/evil:1' },
    });
    const d = given(activeState(running)).when(event).then({ decision: 'continue' });
    expect(only(d, 'continueRollout').taskDefinitionArn).toBe(TD(43));
  });

  it('does not move the service back when it has moved on to a newer revision', () => {
    const d = given(activeState(running, { service: { ...service, taskDefinitionArn: TD(45) } }))
      .when(stopped('task-stopped-success'))
      .then({
        decision: 'continue',
        reason: new RegExp(`has moved on to ${TD(45)} meanwhile; not moved back to ${TD(43)}`),
        actions: ['commit', 'publish'],
      });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ rollout: 'moved-on' });
  });

  it('says so when the service already runs the revision', () => {
    const d = given(activeState(running, { service: { ...service, taskDefinitionArn: TD(43) } }))
      .when(stopped('task-stopped-success'))
      .then({ actions: ['commit', 'publish'] });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ rollout: 'already-current' });
  });

  it('launches the queued deployment from the revision just rolled out', () => {
    const queued = queuedDeployment('20261125-091600-cccccccc', 'repo@sha256:next');
    const state = queueState(running, queued);
    const verdict = given(state)
      .when(stopped('task-stopped-success'))
      .then({ actions: ['continueRollout'] });
    const d = rolledOut(state, verdict, [{ service: 'shop-api', result: 'continued' }]).then({
      actions: ['commit', 'publish', 'launchTask'],
    });
    expect(only(d, 'commit').env?.state).toMatchObject({ active: { deploymentId: queued.id }, version: 8 });
    expect(only(d, 'commit').env?.state.queued).toBeUndefined();
    expect(committed(d, queued.id)).toMatchObject({ status: 'launching', handedOverBy: SAMPLE_DEPLOYMENT });
    expect(only(d, 'launchTask').request).toMatchObject({
      image: 'repo@sha256:next',
      baseTaskDefinitionArn: TD(43),
      startedBy: `ecs-migrate/${queued.id}`,
    });
  });

  it('succeeds a command without touching the service', () => {
    const command = runningDeployment({ kind: 'command', command: ['db-rollback'] });
    const d = given(activeState(command))
      .when(stopped('task-stopped-success'))
      .then({ decision: 'continue', actions: ['commit', 'publish'], events: ['Command Succeeded'] });
    expect(only(d, 'commit').env?.state.lastSucceeded).toBeUndefined();
  });
});

describe('task STOPPED, exit 0, several services (SERVICES) in update-service mode', () => {
  const two = () => ctx({ SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });
  const stoppedOk = () => parse(sample('task-stopped-success'), two().config);

  it('rolls every service out to the migrated image, the first to the deployment revision', () => {
    const d = given(activeState(running), two())
      .when(stoppedOk())
      .then({
        decision: 'continue',
        reason: `container "app" exited with code 0: service shop-api, shop-worker updated to ${PUSHED_IMAGE}`,
        actions: ['continueRollout'],
      });
    const rollout = only(d, 'continueRollout');
    expect(rollout).toMatchObject({ target: { service: 'shop-api', services: ['shop-api', 'shop-worker'] }, image: PUSHED_IMAGE });
    expect(rollout.firstService).toBeUndefined();
  });

  it('a task definition run as it is: rolls every service out, the others to the image its migration container runs', () => {
    // deploy --task-definition: the deployment names no image; what it ran is its task definition.
    const ran = runningDeployment({ work: { type: 'task-definition', taskDefinitionArn: TD(43) } });
    const d = given(activeState(ran), two())
      .when(stoppedOk())
      .then({
        decision: 'continue',
        reason: `container "app" exited with code 0: service shop-api updated to ${TD(43)}, shop-worker updated to the image container "app" runs in ${TD(43)}`,
        actions: ['continueRollout'],
      });
    const rollout = only(d, 'continueRollout');
    expect(rollout).toMatchObject({ target: { services: ['shop-api', 'shop-worker'] }, taskDefinitionArn: TD(43) });
    expect(rollout.image).toBeUndefined();
    expect(d.reason).not.toMatch(/undefined/);
  });

  it('a retried event that finds the first service on the revision already still rolls out the others', () => {
    // The first try moved shop-api, then moving shop-worker was throttled and the event came again.
    const state = activeState(running, { service: { ...service, taskDefinitionArn: TD(43) } });
    const d = given(state, two())
      .when(stoppedOk())
      .then({
        decision: 'continue',
        reason: `container "app" exited with code 0: service shop-api already runs ${TD(43)}; shop-worker updated to ${PUSHED_IMAGE}`,
        actions: ['continueRollout'],
      });
    const rollout = only(d, 'continueRollout');
    expect(rollout).toMatchObject({
      target: { services: ['shop-api', 'shop-worker'] },
      firstService: { service: 'shop-api', result: 'unchanged' },
    });
    const services: ServiceRollout[] = [
      { service: 'shop-api', result: 'unchanged' },
      { service: 'shop-worker', result: 'continued', ecsDeploymentId: 'ecs-svc/2' },
    ];
    const r = rolledOut(state, d, services).then({ decision: 'record', events: ['Migration Succeeded', 'Rollout Continued'] });
    expect(committed(r, SAMPLE_DEPLOYMENT)).toMatchObject({ outcome: 'succeeded', rollout: 'continued', services });
  });

  it('a retried event that finds the first service on the revision follows the rollout ECS has in progress there', () => {
    // The first try's UpdateService started ecs-svc/1 and its answer was never recorded: that rollout is followed.
    const rolloutInProgress = { ecsDeploymentId: 'ecs-svc/1', taskDefinitionArn: TD(43) };
    const state = activeState(running, { service: { ...service, taskDefinitionArn: TD(43), rolloutInProgress } });
    const d = decideOn(sample('task-stopped-success'), state, two());
    expect(only(d, 'continueRollout').firstService).toEqual({ service: 'shop-api', result: 'unchanged', ecsDeploymentId: 'ecs-svc/1' });
  });

  it('never moves the first service back when it has moved on, and still rolls out the others', () => {
    const d = given(activeState(running, { service: { ...service, taskDefinitionArn: TD(45) } }), two())
      .when(stoppedOk())
      .then({
        decision: 'continue',
        reason: new RegExp(`service shop-api has moved on to ${TD(45)} meanwhile; not moved back to ${TD(43)}; shop-worker updated to`),
        actions: ['continueRollout'],
      });
    expect(only(d, 'continueRollout').firstService).toEqual({
      service: 'shop-api',
      result: 'moved-on',
      reason: `has moved on to ${TD(45)} meanwhile; not moved back to ${TD(43)}`,
    });
  });
});

describe('task STOPPED, exit 0, several services, the first one unreadable', () => {
  // README: "With several services every one is rolled out: … a service that cannot be moved (…) is recorded `failed`
  // with the reason, and `Rollout Failed` names it". Was: a first service deleted or INACTIVE meanwhile (or
  // DescribeServices refused for good) halted the whole deployment as failed, and the others were never rolled out.
  const two = () => ctx({ SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });
  const problem = 'service "shop-api" not found in cluster "shop-staging" (it is INACTIVE): check SERVICE and CLUSTER';
  const unreadable = { ...activeState(running), service: undefined, serviceProblem: problem };

  it('rolls out the others and records the first failed, saying why; the migration succeeded', () => {
    const d = given(unreadable, two())
      .when(parse(sample('task-stopped-success'), two().config))
      .then({
        decision: 'continue',
        reason: `container "app" exited with code 0: service shop-api could not be read (${problem}): not updated; shop-worker updated to ${PUSHED_IMAGE}`,
        actions: ['continueRollout'],
      });
    const rollout = only(d, 'continueRollout');
    expect(rollout).toMatchObject({ target: { services: ['shop-api', 'shop-worker'] }, image: PUSHED_IMAGE });
    expect(rollout.firstService).toEqual({ service: 'shop-api', result: 'failed', reason: `could not be read (${problem}): not updated` });
    const services: ServiceRollout[] = [
      { service: 'shop-api', result: 'failed', reason: `could not be read (${problem}): not updated` },
      { service: 'shop-worker', result: 'continued', ecsDeploymentId: 'ecs-svc/2' },
    ];
    const r = rolledOut(unreadable, d, services).then({ decision: 'record' });
    expect(eventTypes(r)).toEqual(expect.arrayContaining(['Migration Succeeded', 'Rollout Failed']));
    expect(eventTypes(r)).not.toContain('Migration Failed');
    expect(committed(r, SAMPLE_DEPLOYMENT)).toMatchObject({ outcome: 'succeeded', services });
  });

  it('one gated service that cannot be read still halts, as before', () => {
    given({ ...unreadable }, ctx())
      .when(stopped('task-stopped-success'))
      .then({ decision: 'halt', reason: /the service could not be read .*: rollout halted/ });
  });
});

describe('task STOPPED, anything else halts', () => {
  it('reports a task that failed to start and lists no containers as failed to start, not as missing the container', () => {
    const event = withEvent(sample('task-stopped-failed-to-start'), { detail: { containers: [] } });
    const d = decideOn(event, activeState(running));
    expect(d.decision).toBe('halt');
    expect(d.reason).toMatch(/^the task failed to start \(CannotPullContainerError/);
  });

  it('reports a capacity reclaim whose SIGKILL after stopTimeout gave exit 137 as the reclaim, not as out of memory', () => {
    // Fargate Spot: a SIGTERM with the task state change, then SIGKILL once stopTimeout passes (exit 137, no
    // OutOfMemoryError reason). Exit 137 with no reason still counts as out of memory when ECS says the container exited.
    const reclaimed = (stopCode: string) => {
      const event = sample('task-stopped-by-user');
      const containers = (event.detail as { containers: Record<string, unknown>[] }).containers.map((c) =>
        c.name === 'app' ? { ...c, exitCode: 137 } : c,
      );
      return withEvent(event, { detail: { stopCode, stoppedReason: 'Your Spot Task was interrupted.', containers } });
    };
    for (const stopCode of ['SpotInterruption', 'TerminationNotice']) {
      const d = decideOn(reclaimed(stopCode), activeState(running));
      expect(d.decision, stopCode).toBe('halt');
      expect(d.reason, stopCode).toMatch(new RegExp(`interrupted by capacity reclaim \\(${stopCode}\\)`));
      expect(d.reason, stopCode).not.toMatch(/ran out of memory/);
    }
    expect(decideOn(reclaimed('EssentialContainerExited'), activeState(running)).reason).toMatch(/ran out of memory \(exit code 137\)/);
  });

  it.each([
    ['task-stopped-exit-1', /container "app" exited with code 1/, { exitCode: 1, stopCode: 'EssentialContainerExited' }],
    ['task-stopped-sidecar-first', /container "app" exited with code 3/, { exitCode: 3 }],
    [
      'task-stopped-oom',
      /container "app" ran out of memory \(exit code 137\).*OutOfMemoryError/,
      { exitCode: 137, containerReason: expect.stringContaining('OutOfMemoryError') },
    ],
    ['task-stopped-failed-to-start', /the task failed to start \(CannotPullContainerError/, { stopCode: 'TaskFailedToStart' }],
    [
      'task-stopped-by-user',
      /stopped by someone before the migration finished \(Task stopped by user\)/,
      { stopCode: 'UserInitiated', exitCode: 143 },
    ],
    ['task-stopped-no-exit-code', /container "app" stopped without an exit code/, { stopCode: 'EssentialContainerExited' }],
  ])('%s: service untouched, failure recorded with exit code, stop code, reason and log tail', (name, reason, stop) => {
    const d = given(activeState(running))
      .when(stopped(name))
      .then({ decision: 'halt', reason, actions: ['haltRollout', 'commit', 'publish'], events: ['Migration Failed', 'Rollout Halted'] });
    expect(d.reason).toContain('rollout halted, service left on its current revision');
    expect(only(d, 'haltRollout').target).toEqual({ mode: 'update-service', cluster: 'shop-staging', service: 'shop-api' });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'ended',
      outcome: 'failed',
      rollout: 'halted',
      logTail: TAIL,
      stop: expect.objectContaining(stop),
    });
    expect(only(d, 'commit').env?.state.active).toBeUndefined();
    expect(emitted(d).find((e) => e.detailType === 'Migration Failed')).toMatchObject({
      detail: {
        deploymentId: SAMPLE_DEPLOYMENT,
        environment: 'staging',
        status: 'failed',
        taskArn: SAMPLE_TASK,
        logTail: TAIL,
        reason: expect.stringMatching(reason),
      },
    });
  });

  it('never reads the first container as the migration', () => {
    const d = given(activeState(running)).when(stopped('task-stopped-sidecar-first')).then({ decision: 'halt' });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ stop: { exitCode: 3 } });
  });

  it('halts when the migration container is missing from the task', () => {
    given(activeState(running), ctx({ CONTAINER: 'migrator' }))
      .when(stopped('task-stopped-success'))
      .then({ decision: 'halt', reason: /no container named "migrator" \(containers: app, log-router\)/ });
  });

  it('halts a successful migration whose service cannot be read', () => {
    given(activeState(running, { service: undefined, serviceProblem: 'AccessDenied on ecs:DescribeServices' }))
      .when(stopped('task-stopped-success'))
      .then({ decision: 'halt', reason: /AccessDenied on ecs:DescribeServices/, actions: ['haltRollout', 'commit', 'publish'] });
  });
});

describe('the migration container exited while the rest of the task runs on (an essential container depends on it)', () => {
  const STOP_REASON = 'ecs-migrate: the migration container exited; the rest of the task is not needed';

  /** events/task-running-migration-exited.json (task RUNNING, container "app" STOPPED, "web" serving) with `exitCode`. */
  function exited(exitCode: number | undefined, containerReason?: string, logTail: string[] = TAIL): TaskStateInput {
    const input = parse(sample('task-running-migration-exited'));
    if (input.kind !== 'task-state') throw new Error('not a task event');
    const containers = input.containers.map((c) => {
      if (c.name !== 'app') return c;
      const { exitCode: _e, ...rest } = c;
      return {
        ...rest,
        ...(exitCode !== undefined ? { exitCode } : {}),
        ...(containerReason !== undefined ? { reason: containerReason } : {}),
      };
    });
    return { ...input, containers, logTail };
  }

  /** What ECS sends once the stopped task is gone: the STOPPED event of our own StopTask. */
  const stoppedByUs = withEvent(sample('task-stopped-success'), {
    detail: { version: 7, stopCode: 'UserInitiated', stoppedReason: STOP_REASON },
  });

  it('judges exit 0 at once: rolls out, stops the leftover task before the commit, and records no stop code', () => {
    const state = activeState(running);
    const d = given(state)
      .when(exited(0, undefined, []))
      .then({
        decision: 'continue',
        deploymentId: SAMPLE_DEPLOYMENT,
        reason: `container "app" exited with code 0: service shop-api updated to ${TD(43)}`,
        // The rollout first, then the stop; the end is committed when the rollout's result comes back.
        actions: ['continueRollout', 'stopTask'],
      });
    expect(only(d, 'stopTask')).toEqual({
      type: 'stopTask',
      deploymentId: SAMPLE_DEPLOYMENT,
      cluster: 'shop-staging',
      taskArn: SAMPLE_TASK,
      reason: STOP_REASON,
    });
    const r = rolledOut(state, d, [{ service: 'shop-api', result: 'continued', ecsDeploymentId: 'ecs-svc/1' }]).then({
      decision: 'record',
      actions: ['commit', 'publish'],
      events: ['Migration Succeeded', 'Rollout Continued'],
    });
    const ended = committed(r, SAMPLE_DEPLOYMENT);
    expect(ended).toMatchObject({ status: 'ended', outcome: 'succeeded', rollout: 'continued' });
    // The task has no stop code (it was running): the report claims none.
    expect(ended).toMatchObject({ stop: { exitCode: 0 } });
    expect(ended.status === 'ended' && ended.stop).toEqual({ exitCode: 0 });
    expect(ended).not.toHaveProperty('stoppedAt');
    expect(emitted(r).find((e) => e.detailType === 'Migration Succeeded')?.detail).not.toHaveProperty('stopCode');

    // The task's STOPPED event that our StopTask causes finds the deployment ended.
    given(activeState(ended, { env: only(r, 'commit').env?.state ?? state.env }))
      .when(stoppedByUs)
      .then({ decision: 'ignore', reason: /has already ended \(succeeded\): duplicate or late event/, actions: [] });
  });

  it.each([
    [1, undefined, /^container "app" exited with code 1: rollout halted, service left on its current revision$/, { exitCode: 1 }],
    [
      137,
      'OutOfMemoryError: Container killed due to memory usage',
      /container "app" ran out of memory \(exit code 137\) \(OutOfMemoryError/,
      { exitCode: 137, containerReason: 'OutOfMemoryError: Container killed due to memory usage' },
    ],
  ])('halts on exit %s at once, stops the task, keeps the log tail, and claims no stop code', (code, containerReason, reason, stop) => {
    const d = given(activeState(running))
      .when(exited(code, containerReason))
      .then({
        decision: 'halt',
        reason,
        actions: ['stopTask', 'haltRollout', 'commit', 'publish'],
        events: ['Migration Failed', 'Rollout Halted'],
      });
    expect(d.reason).not.toMatch(/stop code|stopped by someone|failed to start/);
    expect(only(d, 'stopTask')).toMatchObject({ taskArn: SAMPLE_TASK, reason: STOP_REASON });
    const ended = committed(d, SAMPLE_DEPLOYMENT);
    expect(ended).toMatchObject({ status: 'ended', outcome: 'failed', rollout: 'halted', logTail: TAIL });
    expect(ended.status === 'ended' && ended.stop).toEqual(stop);
    expect(only(d, 'commit').env?.state.active).toBeUndefined();
    expect(emitted(d).find((e) => e.detailType === 'Migration Failed')?.detail).toMatchObject({ exitCode: code, logTail: TAIL });
  });

  it('stops the task of a succeeded command, and of a migration whose service already runs the revision, before the commit', () => {
    const command = runningDeployment({ kind: 'command', command: ['db-rollback'] });
    given(activeState(command))
      .when(exited(0))
      .then({ decision: 'continue', actions: ['stopTask', 'commit', 'publish'], events: ['Command Succeeded'] });
    const d = given(activeState(running, { service: { ...service, taskDefinitionArn: TD(43) } }))
      .when(exited(0))
      .then({ decision: 'continue', actions: ['stopTask', 'commit', 'publish'] });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ rollout: 'already-current' });
  });

  it('halts a successful migration whose service cannot be read, and stops the task', () => {
    given(activeState(running, { service: undefined, serviceProblem: 'AccessDenied on ecs:DescribeServices' }))
      .when(exited(0))
      .then({
        decision: 'halt',
        reason: /AccessDenied on ecs:DescribeServices/,
        actions: ['stopTask', 'haltRollout', 'commit', 'publish'],
      });
  });

  it('is no verdict while the task runs when the migration container has no exit code (a reason alone): progress only', () => {
    given(activeState(running))
      .when(exited(undefined, 'CannotStartContainerError: dependency failed'))
      .then({ decision: 'progress', reason: /is RUNNING: nothing to record until its end/, actions: [] });
  });

  it('is judged only for its own task, and only when newer than the version seen', () => {
    given(activeState(runningDeployment({ taskVersion: 4 })))
      .when(exited(0))
      .then({ decision: 'ignore', reason: /stale event: task version 4 is not newer than 4/, actions: [] });
    given(activeState(runningDeployment({ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/other' })))
      .when(exited(0))
      .then({ decision: 'ignore', reason: /is not the deployment's task/, actions: [] });
    given(activeState(endedDeployment('failed')))
      .when(stopped('task-stopped-success'))
      .then({ decision: 'ignore', reason: /has already ended \(failed\)/, actions: [] });
  });

  it('stops a task of an ended deployment that still runs: none may run on (RunTask answered after a cancel, the answer lost)', () => {
    // Cancelled while launching: no task recorded.
    const { taskArn: _t, ...cancelledLaunching } = endedDeployment('cancelled');
    const d = given(activeState(cancelledLaunching))
      .when(exited(0))
      .then({
        decision: 'halt',
        reason: /has ended \(cancelled\); task \w+ is RUNNING: its tasks still running are stopped/,
        actions: ['stopTasksStartedBy'],
      });
    expect(only(d, 'stopTasksStartedBy')).toMatchObject({ startedBy: `ecs-migrate/${SAMPLE_DEPLOYMENT}`, cluster: 'shop-staging' });
    // One already being stopped asks for nothing more.
    given(activeState(cancelledLaunching))
      .when({ ...exited(0), desiredStatus: 'STOPPED' })
      .then({ decision: 'ignore', reason: /has already ended \(cancelled\)/, actions: [] });
    // One that ran to its end before any of its events was handled: noted in the history once, for it may have migrated.
    const noted = given(activeState(cancelledLaunching))
      .when(stopped('task-stopped-success'))
      .then({
        decision: 'record',
        reason: /task \w+ started after the end stopped: container "app" exited with code 0; it may have changed the database/,
        actions: ['commit'],
      });
    given(activeState(committed(noted, SAMPLE_DEPLOYMENT)))
      .when(stopped('task-stopped-success'))
      .then({ decision: 'ignore', reason: /has already ended \(cancelled\)/, actions: [] });
    // A late or repeated event of the task the deployment recorded (stopped by its end) is stale: nothing to stop.
    given(activeState(endedDeployment('succeeded')))
      .when(sample('task-running'))
      .then({ decision: 'ignore', reason: /has already ended \(succeeded\)/, actions: [] });
  });

  it('keeps such an event that comes before RunTask answered, and judges it (and stops the task) when the answer names that task', () => {
    const early = given(activeState(launchingDeployment()))
      .when(sample('task-running-migration-exited'))
      .then({ decision: 'record', reason: /is RUNNING before RunTask's answer was recorded/, actions: ['commit'] });
    const kept = committed(early, SAMPLE_DEPLOYMENT);
    expect(kept).toMatchObject({ earlyTaskEvents: [{ taskArn: SAMPLE_TASK, lastStatus: 'RUNNING', version: 4 }] });
    const d = given(activeState(kept))
      .when(launchResult)
      .then({ decision: 'continue', reason: /container "app" exited with code 0/, actions: ['continueRollout', 'stopTask'] });
    expect(only(d, 'stopTask')).toMatchObject({ taskArn: SAMPLE_TASK, reason: STOP_REASON });

    // Exit 1 kept the same way halts once the answer comes, and stops the task as well.
    const keptFailure = committed(
      given(activeState(launchingDeployment())).when(exited(1)).then({ decision: 'record' }),
      SAMPLE_DEPLOYMENT,
    );
    given(activeState(keptFailure))
      .when(launchResult)
      .then({
        decision: 'halt',
        reason: /container "app" exited with code 1: rollout halted/,
        actions: ['stopTask', 'haltRollout', 'commit', 'publish'],
        events: ['Migration Started', 'Migration Failed', 'Rollout Halted'],
      });
  });
});

describe('a STOPPED event of our own leftover stop, the end not recorded', () => {
  // The migration container exited 0 while the task ran on; the watcher moved the service, stopped the rest of the
  // task (UserInitiated) and died before its commit. The STOPPED event comes before the retried one.
  const stoppedBy = (stoppedReason: string, exitCode: number) =>
    withEvent(sample('task-stopped-by-user'), {
      detail: { stoppedReason, containers: [{ name: 'app', exitCode, lastStatus: 'STOPPED' }] },
    });
  const stoppedByUs = (exitCode: number) => stoppedBy(`ecs-migrate: ${LEFTOVER_STOP}`, exitCode);

  it('records the success the service shows instead of "stopped by someone"', () => {
    const d = given(activeState(running, { service: { ...service, taskDefinitionArn: TD(43) } }))
      .when(stoppedByUs(0))
      .then({ decision: 'continue', reason: /after its migration container exited 0 and service shop-api was moved to its revision/ });
    expect(d.actions.map((a) => a.type)).not.toContain('haltRollout');
  });

  it('halts as before when the service is not on its revision, or the migration did not exit 0', () => {
    given(activeState(running))
      .when(stoppedByUs(0))
      .then({ decision: 'halt', reason: /stopped by someone/ });
    given(activeState(running, { service: { ...service, taskDefinitionArn: TD(43) } }))
      .when(stoppedByUs(1))
      .then({ decision: 'halt', reason: /stopped by someone/ });
  });

  it('halts when someone else stopped the task, even with exit 0 and the service on its revision (updated by family)', () => {
    // A process may exit 0 on SIGTERM halfway through its migration.
    given(activeState(running, { service: { ...service, taskDefinitionArn: TD(43) } }))
      .when(stoppedBy('Task stopped by user', 0))
      .then({ decision: 'halt', reason: /stopped by someone/ });
  });

  describe('pause-hook mode (a paused revision): the hooks were answered CONTINUE before that stop', () => {
    // Was: `rolledOutUnrecorded` knows only image work, and a paused service names the target revision already, so
    // the event was judged "stopped by someone": Migration Failed, ROLLBACK to hooks answered CONTINUE, no lastSucceeded.
    const hookCtx = ctx({ ROLLOUT_MODE: 'pause-hook' });
    const waiter: Waiter = {
      service: 'shop-api',
      serviceDeploymentArn: 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/APISD',
      hookId: 'ecs-pause-api-x',
      expiresAt: '2026-11-26T09:00:00.000Z',
    };
    const hookMigration = runningDeployment({
      trigger: { type: 'pause-hook', eventId: 'api-hook-x', at: '2026-11-25T09:14:58Z' },
      work: { type: 'revision', taskDefinitionArn: TD(43), image: PUSHED_IMAGE, launch: {} },
      taskDefinitionArn: TD(43),
      waiters: [waiter],
    });
    const paused = activeState(hookMigration, { service: { ...service, taskDefinitionArn: TD(43) } });

    it('answers CONTINUE (before the stop) on the exit-0 event, so the hooks are answered already', () => {
      const d = given(paused, hookCtx)
        .when(sample('task-running-migration-exited'))
        .then({ decision: 'continue', actions: ['continueRollout', 'stopTask'] });
      expect(only(d, 'continueRollout').target).toEqual({ mode: 'pause-hook', waiters: [waiter] });
    });

    it('records the success: CONTINUE again (ECS refuses it: moved-on), Migration Succeeded, lastSucceeded set', () => {
      const d = given(paused, hookCtx)
        .when(stoppedByUs(0))
        .then({ decision: 'continue', reason: /exited with code 0, then its paused deployments were answered CONTINUE/ });
      const update = only(d, 'continueRollout');
      expect(update.target).toEqual({ mode: 'pause-hook', waiters: [waiter] });
      const r = given(paused, hookCtx)
        .when({
          kind: 'rollout-result',
          deploymentId: update.deploymentId,
          services: [{ service: 'shop-api', ecsDeploymentId: waiter.serviceDeploymentArn, result: 'moved-on', reason: 'already answered' }],
          ...(update.completion !== undefined ? { completion: update.completion } : {}),
        })
        .then({ decision: 'record' });
      expect(eventTypes(r)).toContain('Migration Succeeded');
      expect(eventTypes(r)).not.toContain('Migration Failed');
      expect(committed(r, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'ended', outcome: 'succeeded' });
      expect(only(r, 'commit').env?.state.lastSucceeded).toMatchObject({ deploymentId: SAMPLE_DEPLOYMENT, image: PUSHED_IMAGE });
    });

    it('halts as before when someone else stopped the task, or the migration did not exit 0', () => {
      // Only the reason tells our stop from another's here; it decides only of an exit 0 (see hookContinuedUnrecorded).
      for (const event of [stoppedBy('Task stopped by user', 0), stoppedByUs(1)]) {
        const d = given(paused, hookCtx)
          .when(event)
          .then({ decision: 'halt', reason: /stopped by someone/ });
        expect(only(d, 'haltRollout').target).toEqual({ mode: 'pause-hook', waiters: [waiter] });
      }
    });
  });
});

describe("an operator's end raced with the watcher's rollout", () => {
  // The cancel ran while the watcher (exit 0) was between its read of the service and UpdateService; the watcher
  // moved the service, then died before recording it. The service runs the cancelled deployment's own revision.
  const cancelled = endedDeployment('cancelled', { reason: 'cancelled by ana' });
  const onItsRevision = { ...service, taskDefinitionArn: TD(43) };

  it('the next event of its task records the rollout in it, once: the outcome stands, the record says what the service runs', () => {
    const d = given(activeState(cancelled, { service: onItsRevision }))
      .when(stopped('task-stopped-success'))
      .then({
        decision: 'record',
        reason: /service shop-api runs this deployment's revision .*:43: updated by the watcher before the end \(cancelled\)/,
        actions: ['commit'],
      });
    const recorded = committed(d, SAMPLE_DEPLOYMENT);
    expect(recorded).toMatchObject({ status: 'ended', outcome: 'cancelled', services: [{ service: 'shop-api', result: 'continued' }] });
    given(activeState(recorded, { service: onItsRevision }))
      .when(stopped('task-stopped-success'))
      .then({ decision: 'ignore', reason: /has already ended \(cancelled\)/ });
  });

  it('counts as rolled out: an image pushed before its image, tagged again afterwards, does not move the service back', () => {
    // Was: the environment record kept the image rolled out before (W) as the last one, so a retag of V (pushed
    // between W and the cancelled deployment's X) was migrated and its exit 0 moved the service from X back to V.
    const repo = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api';
    const w = `${repo}@sha256:${'1'.repeat(64)}`;
    const ofX = endedDeployment('cancelled', {
      work: { type: 'image', image: PUSHED_IMAGE, pushedAt: '2026-11-25T09:10:00Z', baseTaskDefinitionArn: TD(42) },
    });
    const env = {
      environment: 'staging',
      version: 11,
      lastSucceeded: { deploymentId: '20261125-080100-11111111', image: w, pushedAt: '2026-11-25T08:00:00Z', at: '2026-11-25T08:05:00Z' },
    };
    const state = { env, deployments: { [ofX.id]: ofX }, service: onItsRevision };
    const d = given(state)
      .when(stopped('task-stopped-success'))
      .then({ decision: 'record', actions: ['commit'] });
    const commit = only(d, 'commit');
    expect(commit.env?.expectedVersion).toBe(11);
    expect(commit.env?.state.lastSucceeded).toMatchObject({ deploymentId: ofX.id, image: PUSHED_IMAGE, pushedAt: '2026-11-25T09:10:00Z' });
    expect(committed(d, ofX.id)).toMatchObject({ outcome: 'cancelled' });

    // V (pushed 09:00, never rolled out) tagged again: dated by ECR, as the launcher does.
    const retagOfV = parse(withEvent(sample('ecr-push'), { detail: { 'image-digest': `sha256:${'2'.repeat(64)}` } }));
    if (retagOfV.kind !== 'ecr-image-action') throw new Error('not a push');
    given(idleState({ env: commit.env?.state ?? env, service: onItsRevision }))
      .when({ ...retagOfV, pushedAt: '2026-11-25T09:00:00Z' })
      .then({ decision: 'ignore', reason: /was pushed before .* rolled out already/ });
  });

  it('leaves a later image recorded as rolled out where it is (only ever advanced)', () => {
    const newer = {
      environment: 'staging',
      version: 11,
      lastSucceeded: { deploymentId: 'later', image: OLD_IMAGE, pushedAt: '2026-11-25T09:30:00Z', at: '2026-11-25T09:35:00Z' },
    };
    const ofX = endedDeployment('cancelled', {
      work: { type: 'image', image: PUSHED_IMAGE, pushedAt: '2026-11-25T09:10:00Z', baseTaskDefinitionArn: TD(42) },
    });
    const d = given({ env: newer, deployments: { [ofX.id]: ofX }, service: onItsRevision })
      .when(stopped('task-stopped-success'))
      .then({ decision: 'record' });
    expect(only(d, 'commit').env).toBeUndefined();
  });

  it('nothing is noted when its migration exited with another code (its revision deployed later as it is)', () => {
    given(activeState(cancelled, { service: onItsRevision }))
      .when(stopped('task-stopped-exit-1'))
      .then({ decision: 'ignore', reason: /has already ended \(cancelled\)/ });
  });

  it('nothing is noted for a late RUNNING event (no exit code) of a migration whose end recorded exit code 1', () => {
    // Was: only the event's exit code was read, so a retried RUNNING event of the failed migration's task, once a
    // deploy-request had run its revision as it is, recorded the service `continued` by the watcher.
    const failed = endedDeployment('failed', { stop: { exitCode: 1, stopCode: 'EssentialContainerExited' } });
    given(activeState(failed, { service: onItsRevision }))
      .when(withEvent(sample('task-running'), { detail: { version: 1 } }))
      .then({ decision: 'ignore', actions: [] });
  });

  it('nothing is noted when the service does not run its revision, or for a task definition run as it is', () => {
    given(activeState(cancelled))
      .when(stopped('task-stopped-success'))
      .then({ decision: 'ignore', reason: /has already ended \(cancelled\)/ });
    const asItIs = endedDeployment('cancelled', { work: { type: 'task-definition', taskDefinitionArn: TD(43) } });
    given(activeState(asItIs, { service: onItsRevision }))
      .when(stopped('task-stopped-success'))
      .then({ decision: 'ignore', reason: /has already ended \(cancelled\)/ });
  });
});

describe('a task event counts only for the task the deployment recorded', () => {
  it('commits nothing for progress of its own task: the STOPPED event carries the start, recorded with the end', () => {
    // Was: every RUNNING event of the migration task was committed (taskVersion, startedAt, a history step): one
    // DynamoDB write per migration that the task's STOPPED event makes redundant (issue 14).
    given(activeState(runningDeployment({ taskVersion: 1, startedAt: undefined })))
      .when(sample('task-running'))
      .then({ decision: 'progress', reason: /is RUNNING: nothing to record until its end/, actions: [] });
    const state = activeState(runningDeployment({ taskVersion: 1, startedAt: undefined }));
    const verdict = given(state)
      .when(stopped('task-stopped-success'))
      .then({ decision: 'continue', actions: ['continueRollout'] });
    const d = rolledOut(state, verdict, [{ service: 'shop-api', result: 'continued' }]).then({ decision: 'record' });
    const ended = committed(d, SAMPLE_DEPLOYMENT);
    expect(ended).toMatchObject({ status: 'ended', outcome: 'succeeded', startedAt: expect.any(String) });
    expect(ended.history.map((h) => h.note)).toContainEqual(expect.stringMatching(/^task started at 20\d\d-/));
  });

  it('keeps an event that comes before RunTask answered, and judges it when the answer names that task', () => {
    const early = given(activeState(launchingDeployment()))
      .when(stopped('task-stopped-exit-1'))
      .then({ decision: 'record', reason: /before RunTask's answer was recorded/, actions: ['commit'] });
    const kept = committed(early, SAMPLE_DEPLOYMENT);
    expect(kept).toMatchObject({ status: 'launching', earlyTaskEvents: [{ taskArn: SAMPLE_TASK, lastStatus: 'STOPPED' }] });
    const d = given(activeState(kept))
      .when(launchResult)
      .then({ decision: 'halt', reason: /exited with code 1/, events: ['Migration Started', 'Migration Failed', 'Rollout Halted'] });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'ended', outcome: 'failed', taskArn: SAMPLE_TASK });
  });

  // Pins "the newest of each task" is kept (a mutation of keepsEarlyTaskEvent's `same.version < event.version` to
  // `!==` in src/core/transitions.ts, letting an older event replace the kept STOPPED, went unnoticed before).
  it('an older event of a kept task is dropped, and the kept STOPPED is judged when RunTask answers', () => {
    const kept = committed(
      given(activeState(launchingDeployment()))
        .when(stopped('task-stopped-exit-1')) // version 6
        .then({ decision: 'record', reason: /before RunTask's answer was recorded/ }),
      SAMPLE_DEPLOYMENT,
    );
    given(activeState(kept))
      .when(sample('task-running')) // version 3 of the same task, delivered late
      .then({ decision: 'ignore', reason: /stale event: task version 3 is not newer/ });
    given(activeState(kept))
      .when(launchResult)
      .then({ decision: 'halt', reason: /exited with code 1/ });
  });

  it("judges its own task's early STOPPED even when a task someone else started with our startedBy sent a higher version", () => {
    const forged = withEvent(sample('task-stopped-exit-1'), {
      detail: { taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/forged', version: 9 },
    });
    const first = committed(given(activeState(launchingDeployment())).when(forged).then({ decision: 'record' }), SAMPLE_DEPLOYMENT);
    // Versions are compared within a task: ours (version 2 or so) is kept next to the forged one.
    const both = committed(given(activeState(first)).when(stopped('task-stopped-success')).then({ decision: 'record' }), SAMPLE_DEPLOYMENT);
    expect(both).toMatchObject({ earlyTaskEvents: [{ taskArn: expect.stringContaining('forged') }, { taskArn: SAMPLE_TASK }] });
    given(activeState(both)).when(launchResult).then({ decision: 'continue' });
  });

  it('keeps early events of a few tasks only, the first ones seen', () => {
    let d: Launching = launchingDeployment();
    for (const n of [1, 2, 3, 4, 5]) {
      const event = withEvent(sample('task-stopped-exit-1'), {
        detail: { taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/t${n}` },
      });
      const decision = given(activeState(d)).when(event).then({});
      if (n <= 4) d = committed(decision, SAMPLE_DEPLOYMENT) as Launching;
      else expect(decision).toMatchObject({ decision: 'ignore', reason: /keeps early events of 4 tasks already/ });
    }
    expect(d.earlyTaskEvents).toHaveLength(4);
  });

  it('does not judge an early event of another task once RunTask names its own', () => {
    const other = withEvent(sample('task-stopped-success'), {
      detail: { taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/spoofed' },
    });
    const kept = committed(given(activeState(launchingDeployment())).when(other).then({ decision: 'record' }), SAMPLE_DEPLOYMENT);
    given(activeState(kept))
      .when(launchResult)
      .then({ decision: 'record', actions: ['scheduleTimeout', 'commit', 'publish'], events: ['Migration Started'] });
  });

  it.each([
    [
      'a task not started by ecs-migrate',
      'task-stopped-not-ours',
      activeState(running),
      /was not started by ecs-migrate \(startedBy "ecs-svc\/4417621356821956811"\)/,
    ],
    [
      'an unknown deployment',
      'task-stopped-success',
      activeState(runningDeployment({ id: '20261125-000000-00000000' })),
      /no deployment 20261125-091500-5f2c1a9e in environment staging/,
    ],
    [
      'a duplicate STOPPED',
      'task-stopped-success',
      activeState(endedDeployment('succeeded')),
      /has already ended \(succeeded\): duplicate or late event/,
    ],
    [
      'an older version',
      'task-running',
      activeState(runningDeployment({ taskVersion: 6 })),
      /stale event: task version 3 is not newer than 6/,
    ],
    [
      'another task of the deployment',
      'task-stopped-success',
      activeState(runningDeployment({ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/other' })),
      /is not the deployment's task/,
    ],
    [
      'a task for a deployment still queued',
      'task-stopped-success',
      activeState(queuedDeployment(SAMPLE_DEPLOYMENT, PUSHED_IMAGE)),
      /is queued and has launched no task/,
    ],
  ])('ignores %s', (_what, name, state, reason) => {
    given(state).when(sample(name)).then({ decision: 'ignore', reason, actions: [] });
  });

  it('ignores a STOPPED that arrives after a newer event', () => {
    given(activeState(running))
      .when(withEvent(sample('task-stopped-exit-1'), { detail: { version: 2 } }))
      .then({ decision: 'ignore', reason: /stale event/ });
  });
});

describe('timeout check', () => {
  it('refuses a deploymentId that is not a deployment id ("__proto__" once crashed the decision: found by the fuzz test)', () => {
    for (const deploymentId of ['__proto__', 'constructor', 'x'.repeat(30)]) {
      given(activeState(running))
        .when(withEvent(sample('timeout-check'), { detail: { deploymentId } }))
        .then({ decision: 'reject', reason: /detail\.deploymentId: expected a deployment id/ });
    }
  });

  it('comes again when due if it came before TIMEOUT_MINUTES have passed (a retried launch counts from its own answer)', () => {
    // The launch's first try set the check, then died before its commit; the retry's answer is later, and its
    // schedule of the same name was refused as taken: this check is early, and one at the due time follows.
    const d = given(activeState(running), ctx({}, '2026-11-25T10:00:00.000Z'))
      .when(sample('timeout-check'))
      .then({
        decision: 'record',
        reason: `deployment ${SAMPLE_DEPLOYMENT} is not due to time out until 2026-11-25T10:15:01.000Z: checked again then`,
        actions: ['scheduleTimeout'],
      });
    expect(only(d, 'scheduleTimeout')).toMatchObject({ at: '2026-11-25T10:15:01.000Z', attempt: 1, purpose: 'deadline' });
  });

  it('stops the task, records timed_out and halts once due', () => {
    const input = parse(sample('timeout-check'));
    if (input.kind !== 'timeout-check') throw new Error('not a timeout check');
    const d = given(activeState(running), ctx({}, '2026-11-25T10:15:24.000Z'))
      .when({ ...input, logTail: ['still waiting for lock'] })
      .then({
        decision: 'halt',
        actions: ['stopTask', 'haltRollout', 'commit', 'publish'],
        events: ['Migration Timed Out', 'Rollout Halted'],
      });
    expect(only(d, 'stopTask')).toMatchObject({ taskArn: SAMPLE_TASK, reason: 'ecs-migrate: timed out after 60 minutes' });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ outcome: 'timed_out', rollout: 'halted', logTail: ['still waiting for lock'] });
  });

  it('a task its own timeout stopped ends timed_out, however it is judged before that end is recorded', () => {
    // Was: the check stops the task before its commit; decided again after that commit lost a race (or its task's
    // STOPPED event first), it found the task stopped UserInitiated and ended the deployment failed, "stopped by
    // someone", stopping it again.
    const TIMEOUT_STOP = 'ecs-migrate: timed out after 60 minutes';
    const check = parse(sample('timeout-check'));
    if (check.kind !== 'timeout-check') throw new Error('not a timeout check');
    const task = {
      lastStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: TIMEOUT_STOP,
      containers: [{ name: 'app', exitCode: 143 }],
    };
    const byItsStop = withEvent(sample('task-stopped-by-user'), { detail: { stoppedReason: TIMEOUT_STOP } });
    for (const input of [{ ...check, task, logTail: ['still waiting for lock'] }, byItsStop]) {
      const d = given(activeState(running), ctx({}, '2026-11-25T10:15:30.000Z'))
        .when(input)
        .then({
          decision: 'halt',
          reason: /^still running after 60 minutes \(TIMEOUT_MINUTES\): task stopped, rollout halted/,
          actions: ['haltRollout', 'commit', 'publish'],
          events: ['Migration Timed Out', 'Rollout Halted'],
        });
      expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ outcome: 'timed_out', stop: { exitCode: 143, stopCode: 'UserInitiated' } });
    }
    // Before the deadline that reason is not the timeout's: stopped by someone.
    given(activeState(running), ctx({}, '2026-11-25T09:40:00.000Z'))
      .when(byItsStop)
      .then({ decision: 'halt', reason: /stopped by someone/, events: ['Migration Failed', 'Rollout Halted'] });
  });

  it('is ignored for a deployment that has ended', () => {
    given(activeState(endedDeployment('failed')), ctx({}, '2026-11-25T11:00:00.000Z'))
      .when(sample('timeout-check'))
      .then({ decision: 'ignore' });
  });

  it("records a launching deployment's success the service shows (RunTask's answer judged a kept exit 0, then died)", () => {
    const launching = launchingDeployment({ earlyTaskEvents: [KEPT_EXIT_0] });
    const moved = { service: serviceMigratedBy(launching.id) };
    const d = given(activeState(launching, moved), ctx({}, '2026-11-25T10:15:24.000Z'))
      .when(sample('timeout-check'))
      .then({ decision: 'continue', reason: /exited with code 0, and service shop-api runs its revision .*:43: its migration succeeded/ });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      taskArn: SAMPLE_TASK,
      stop: { exitCode: 0 },
    });
    expect(committed(d, SAMPLE_DEPLOYMENT)).not.toHaveProperty('services');
    // The rollout ECS still has in progress to that revision is followed.
    const rolloutInProgress = { ecsDeploymentId: 'ecs-svc/3', taskDefinitionArn: TD(43) };
    const inProgress = decideOn(
      sample('timeout-check'),
      activeState(launching, { service: { ...moved.service, rolloutInProgress } }),
      ctx({}, '2026-11-25T10:15:24.000Z'),
    );
    expect(committed(inProgress, SAMPLE_DEPLOYMENT)).toMatchObject({
      services: [{ service: 'shop-api', result: 'continued', ecsDeploymentId: 'ecs-svc/3' }],
    });
    // Without the revision's deployment tag (or with several services) the service proves nothing: it times out.
    for (const [state, config] of [
      [activeState(launching, { service: { ...service, taskDefinitionArn: TD(43) } }), {}],
      [activeState(launching, moved), { SERVICE: undefined, SERVICES: 'shop-api,shop-worker' }],
    ] as const) {
      given(state, ctx(config, '2026-11-25T10:15:24.000Z'))
        .when(sample('timeout-check'))
        .then({ decision: 'halt', reason: /no task started within/ });
    }
  });
});

describe('launch result', () => {
  it('records the task, schedules the timeout check and announces the start', () => {
    const d = given(activeState(launchingDeployment()))
      .when(launchResult)
      .then({ decision: 'record', actions: ['scheduleTimeout', 'commit', 'publish'], events: ['Migration Started'] });
    expect(only(d, 'scheduleTimeout')).toMatchObject({ at: '2026-11-25T10:18:00.000Z', environment: 'staging' });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'running',
      taskArn: SAMPLE_TASK,
      taskDefinitionArn: TD(43),
      launchedAt: NOW,
    });
  });

  it('ends the deployment and frees the environment when the task could not start', () => {
    const d = given(activeState(launchingDeployment()))
      .when({ kind: 'launch-result', deploymentId: SAMPLE_DEPLOYMENT, ok: false, reason: 'RunTask failed: RESOURCE:MEMORY' })
      .then({
        decision: 'halt',
        reason: 'the task could not be started: RunTask failed: RESOURCE:MEMORY; rollout halted',
        events: ['Migration Failed', 'Rollout Halted'],
      });
    expect(only(d, 'commit').env?.state.active).toBeUndefined();
  });

  it('is ignored when the deployment has ended meanwhile with the task it names', () => {
    given(activeState(endedDeployment('failed')))
      .when(launchResult)
      .then({ decision: 'ignore', reason: /is failed already/ });
  });

  it('stops the task it names when the deployment ended before RunTask answered (a cancel while RunTask was in flight)', () => {
    const { taskArn: _t, taskDefinitionArn: _d, launchedAt: _l, ...cancelled } = endedDeployment('cancelled');
    const d = given(idleState({ deployments: { [SAMPLE_DEPLOYMENT]: cancelled } }))
      .when(launchResult)
      .then({ decision: 'record', reason: /is cancelled already: its task .* is stopped/, actions: ['stopTask'] });
    expect(only(d, 'stopTask').taskArn).toBe(SAMPLE_TASK);
  });

  it('stops a task RunTask started for a deployment that already runs another one, and keeps that one', () => {
    const d = given(activeState(running))
      .when({ ...launchResult, taskArn: `${SAMPLE_TASK}0` })
      .then({ decision: 'record', actions: ['stopTask'] });
    expect(only(d, 'stopTask').taskArn).toBe(`${SAMPLE_TASK}0`);
    given(activeState(running))
      .when(launchResult)
      .then({ decision: 'ignore', reason: /is running already/ });
  });
});
