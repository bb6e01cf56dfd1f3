import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/core/actions.js';
import {
  activeState,
  committed,
  ctx,
  endedDeployment,
  given,
  idleState,
  KEPT_EXIT_0,
  launchingDeployment,
  only,
  operatorRequest,
  queuedDeployment,
  queueState,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  SAMPLE_TASK,
  scheduledCheck,
  service,
  serviceMigratedBy,
  TD,
} from '../support/fixtures.js';

const request = operatorRequest;

describe('cancel-request', () => {
  it('stops the running task, ends the deployment as cancelled and halts the rollout', () => {
    const d = given(activeState(runningDeployment()))
      .when(request('cancel-request', { reason: 'wrong image' }))
      .then({
        decision: 'halt',
        deploymentId: SAMPLE_DEPLOYMENT,
        reason: 'cancelled by arn:aws:iam::123456789012:user/ana: wrong image',
        actions: ['stopTask', 'haltRollout', 'commit', 'publish'],
        events: ['Migration Cancelled', 'Rollout Halted'],
      });
    expect(only(d, 'stopTask').taskArn).toBe(SAMPLE_TASK);
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'ended',
      outcome: 'cancelled',
      cancelledBy: 'arn:aws:iam::123456789012:user/ana',
    });
    expect(only(d, 'commit').env?.state.active).toBeUndefined();
  });

  it('cancels a launch whose task is not known yet by stopping every task started for it (RunTask answer may be lost)', () => {
    const d = given(activeState(launchingDeployment()))
      .when(request('cancel-request'))
      .then({ decision: 'halt', actions: ['stopTasksStartedBy', 'haltRollout', 'commit', 'publish'] });
    expect(only(d, 'stopTasksStartedBy')).toMatchObject({ cluster: 'shop-staging', startedBy: `ecs-migrate/${SAMPLE_DEPLOYMENT}` });
  });

  it("hands the environment to the queued deployment, which launches once the stopped task's stop timeout has passed", () => {
    // StopTask sends SIGTERM; ECS kills the container after its stop timeout (30 s by default, up to 120 s). Was: the
    // queued migration launched at once, so two migrations could run against the database meanwhile.
    const queued = queuedDeployment('20261125-091600-cccccccc', 'repo@sha256:next');
    const d = given(queueState(runningDeployment(), queued))
      .when(request('cancel-request'))
      .then({ actions: ['stopTask', 'haltRollout', 'scheduleTimeout', 'commit', 'publish'] });
    const launching = committed(d, queued.id);
    expect(launching).toMatchObject({ status: 'launching', retryAt: '2026-11-25T09:21:00.000Z', handedOverBy: SAMPLE_DEPLOYMENT });
    expect(only(d, 'scheduleTimeout')).toMatchObject({
      deploymentId: queued.id,
      at: '2026-11-25T09:21:00.000Z',
      attempt: 1,
      purpose: 'retry',
    });
    // Its check launches it then.
    const after = { ...queueState(runningDeployment(), queued), env: only(d, 'commit').env?.state ?? idleState().env };
    after.deployments = { ...after.deployments, [queued.id]: launching };
    const check = scheduledCheck(queued.id, 1, 'retry');
    // (The shell reads the cancelled task when the wait is due: ECS no longer has it.)
    given({ ...after, waitedTask: { taskArn: runningDeployment().taskArn, lastStatus: 'MISSING' } }, ctx({}, '2026-11-25T09:21:30.000Z'))
      .when(check)
      .then({ decision: 'launch', actions: ['commit', 'launchTask'] });
  });

  it('launches a queued command that named no task definition in the one the service runs now', () => {
    // Queued when the service ran revision 42; by its launch the service runs 44 (rolled out meanwhile).
    const command = {
      ...queuedDeployment('20261125-091600-cccccccc', 'repo@sha256:next'),
      kind: 'command' as const,
      command: ['db-seed'],
      work: { type: 'task-definition' as const, taskDefinitionArn: TD(42), ofService: true as const },
    };
    const state = { ...queueState(runningDeployment(), command), service: { ...service, taskDefinitionArn: TD(44) } };
    const d = given(state)
      .when(request('cancel-request'))
      .then({ actions: ['stopTask', 'haltRollout', 'scheduleTimeout', 'commit', 'publish'] });
    expect(committed(d, command.id).work).toMatchObject({ taskDefinitionArn: TD(44) });
    // One that named its task definition runs that one.
    const named = { ...command, work: { type: 'task-definition' as const, taskDefinitionArn: TD(42) } };
    const e = given({ ...state, deployments: { ...state.deployments, [named.id]: named } })
      .when(request('cancel-request'))
      .then({ decision: 'halt' });
    expect(committed(e, named.id).work).toMatchObject({ taskDefinitionArn: TD(42) });
  });

  it('takes a queued deployment out of the queue', () => {
    const queued = queuedDeployment('20261125-091600-cccccccc', 'repo@sha256:next');
    const d = given(queueState(runningDeployment(), queued))
      .when(request('cancel-request', { deploymentId: queued.id }))
      .then({ decision: 'halt', actions: ['haltRollout', 'commit', 'publish'] });
    expect(only(d, 'commit').env?.state).toMatchObject({ active: { deploymentId: SAMPLE_DEPLOYMENT } });
    expect(only(d, 'commit').env?.state.queued).toBeUndefined();
  });

  it('ignores a deployment that has ended, and refuses when there is nothing to cancel', () => {
    given(activeState(endedDeployment('succeeded')))
      .when(request('cancel-request', { deploymentId: SAMPLE_DEPLOYMENT }))
      .then({ decision: 'ignore' });
    given(idleState())
      .when(request('cancel-request'))
      .then({ decision: 'reject', reason: /nothing to cancel/, events: ['Event Rejected'] });
  });
});

/**
 * The watcher moved the service to the migration's revision (exit 0) and died before recording it: the deployment is
 * still `running` while the service runs its revision. An operator request must not record a halted rollout then.
 */
describe('operator requests while the service runs a migration revision not recorded yet', () => {
  /** Its task as DescribeTasks shows it (`LoadPlan.openTask`). */
  const exited = (exitCode?: number) => ({
    taskArn: SAMPLE_TASK,
    containers: [{ name: 'app', ...(exitCode !== undefined ? { exitCode } : {}) }],
  });
  const movedOn = activeState(runningDeployment(), { service: { ...service, taskDefinitionArn: TD(43) }, task: exited(0) });

  it('a cancel is refused, the deployment left to the watcher', () => {
    given(movedOn)
      .when(request('cancel-request'))
      .then({
        decision: 'reject',
        reason: /too late to cancel deployment .*: its migration succeeded and service shop-api runs its revision .*:43 already/,
        actions: ['putEvent'],
        events: ['Event Rejected'],
      });
  });

  it('an unlock is refused too: the watcher frees the environment', () => {
    given(movedOn)
      .when(request('unlock-request', { reason: 'stuck?' }))
      .then({ decision: 'reject', reason: /not unlocked: deployment .* its migration succeeded/, events: ['Event Rejected'] });
  });

  it('the service on its revision without a migration known to have exited 0 proves nothing: cancelled as before', () => {
    // Someone updated the service by family while the migration runs: it picked up the migration's revision.
    for (const task of [exited(), undefined]) {
      given({ ...movedOn, ...(task !== undefined ? { task } : { task: undefined }) })
        .when(request('cancel-request'))
        .then({ decision: 'halt', events: ['Migration Cancelled', 'Rollout Halted'] });
    }
  });

  it('a launching deployment (its task recorded nowhere yet) is known by the deployment tag of the revision the service runs', () => {
    // A STOPPED event of its task, exit 0, kept before RunTask's answer was recorded.
    const launching = launchingDeployment({ earlyTaskEvents: [KEPT_EXIT_0] });
    given(activeState(launching, { service: serviceMigratedBy(launching.id) }))
      .when(request('cancel-request'))
      .then({ decision: 'reject', reason: /too late to cancel/, events: ['Event Rejected'] });
    // An exit 0 of a task that ran another revision (someone else's task with our startedBy) proves nothing.
    const elsewhere = launchingDeployment({ earlyTaskEvents: [{ ...KEPT_EXIT_0, taskDefinitionArn: TD(42) }] });
    given(activeState(elsewhere, { service: serviceMigratedBy(launching.id) }))
      .when(request('cancel-request'))
      .then({ decision: 'halt', events: ['Migration Cancelled', 'Rollout Halted'] });
    // Another deployment's revision says nothing of this one.
    given(activeState(launching, { service: serviceMigratedBy('20261125-090000-aaaaaaaa') }))
      .when(request('cancel-request'))
      .then({ decision: 'halt', events: ['Migration Cancelled', 'Rollout Halted'] });
  });

  it('a migration of a task definition run as it is (the service may run it before any rollout) is cancelled as before', () => {
    const asItIs = runningDeployment({ work: { type: 'task-definition', taskDefinitionArn: TD(43) } });
    given(activeState(asItIs, { service: { ...service, taskDefinitionArn: TD(43) } }))
      .when(request('cancel-request'))
      .then({ decision: 'halt', events: ['Migration Cancelled', 'Rollout Halted'] });
  });
});

/**
 * The task an operator request reads (`LoadPlan.openTask`) failed for good, and the watcher has not handled it yet:
 * the watcher ends the deployment failed whatever comes, saying why. Was: the request ended it first, with no stop
 * report and no log tail, and the task's STOPPED event was dropped as late.
 */
describe('operator requests whose task already failed, before the watcher handled it', () => {
  const task = (t: { stopCode?: string; stoppedReason?: string; exitCode?: number }) => ({
    taskArn: SAMPLE_TASK,
    ...(t.stopCode !== undefined ? { stopCode: t.stopCode } : {}),
    ...(t.stoppedReason !== undefined ? { stoppedReason: t.stoppedReason } : {}),
    containers: [{ name: 'app', ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}) }],
  });
  const withTask = (t: Parameters<typeof task>[0]) => activeState(runningDeployment(), { service, task: task(t) });

  it('a cancel and an unlock are refused when the migration exited non-zero: the watcher records it', () => {
    const failed = withTask({ stopCode: 'EssentialContainerExited', exitCode: 1 });
    given(failed)
      .when(request('cancel-request'))
      .then({
        decision: 'reject',
        reason:
          /too late to cancel deployment .*: its migration failed \(container "app" exited with code 1\); that failure is recorded with its stop report and log tail, and the environment freed, by the task's STOPPED event/,
        actions: ['putEvent'],
        events: ['Event Rejected'],
      });
    given(failed)
      .when(request('unlock-request', { reason: 'stuck?' }))
      .then({
        decision: 'reject',
        reason: /not unlocked: deployment .* its migration failed \(container "app" exited/,
        events: ['Event Rejected'],
      });
    // Stopped by someone after it ran (an exit 0 on SIGTERM proves nothing): failed all the same.
    given(withTask({ stopCode: 'UserInitiated', stoppedReason: 'by hand', exitCode: 0 }))
      .when(request('cancel-request'))
      .then({ decision: 'reject', reason: /its migration failed \(the task was stopped by someone/ });
  });

  it('a task that will never start is refused too; one whose start failure can pass is cancelled (the watcher would launch it again)', () => {
    given(withTask({ stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: manifest unknown' }))
      .when(request('cancel-request'))
      .then({ decision: 'reject', reason: /its migration failed \(the task failed to start/ });
    given(withTask({ stopCode: 'TaskFailedToStart', stoppedReason: 'ResourceInitializationError: unable to pull secrets' }))
      .when(request('cancel-request'))
      .then({ decision: 'halt', events: ['Migration Cancelled', 'Rollout Halted'] });
  });

  // Was (3f79cc6): refused however late: with the watcher's event and its timeout check both lost (their DLQs), the
  // lock long expired, the unlock meant for a lost deployment was refused with a promise nothing would keep.
  it('once the lock expired, an unlock and a cancel end the deployment, keeping the stop report the task read shows', () => {
    const lost = withTask({ stopCode: 'EssentialContainerExited', exitCode: 1 });
    expect(lost.env.active?.lockExpiresAt).toBe('2026-11-25T10:30:00.000Z');
    const late = { ...ctx(), now: '2026-11-25T11:00:00.000Z' };
    const unlocked = given(lost, late)
      .when(request('unlock-request', { reason: 'watcher was down' }))
      .then({ decision: 'record', events: ['Environment Unlocked', 'Migration Failed', 'Rollout Halted'] });
    expect(committed(unlocked, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'ended',
      outcome: 'failed',
      reason: expect.stringMatching(/the deployment held the lock; container "app" exited with code 1/),
      stop: { exitCode: 1, stopCode: 'EssentialContainerExited' },
    });
    const cancelled = given(lost, late).when(request('cancel-request')).then({ decision: 'halt' });
    expect(committed(cancelled, SAMPLE_DEPLOYMENT)).toMatchObject({ outcome: 'cancelled', stop: { exitCode: 1 } });
  });

  it('an exit 0 not rolled out yet, or a task still running, is cancelled as before', () => {
    for (const t of [{ stopCode: 'EssentialContainerExited', exitCode: 0 }, {}]) {
      given(withTask(t))
        .when(request('cancel-request'))
        .then({ decision: 'halt', events: ['Migration Cancelled', 'Rollout Halted'] });
    }
  });
});

describe('unlock-request', () => {
  it('ends the deployment holding the lock, frees the environment and says who and why', () => {
    const d = given(activeState(runningDeployment()))
      .when(request('unlock-request', { reason: 'task lost in a region outage' }))
      .then({
        decision: 'record',
        actions: ['stopTask', 'haltRollout', 'commit', 'publish'],
        events: ['Environment Unlocked', 'Migration Failed', 'Rollout Halted'],
      });
    expect(only(d, 'commit').env?.state).toMatchObject({
      lastUnlock: { by: 'arn:aws:iam::123456789012:user/ana', reason: 'task lost in a region outage', deploymentId: SAMPLE_DEPLOYMENT },
    });
    expect(only(d, 'commit').env?.state.active).toBeUndefined();
  });

  it('releases a lock whose deployment record is lost', () => {
    const state = activeState(runningDeployment(), { deployments: {} });
    const d = given(state)
      .when(request('unlock-request', { reason: 'record deleted' }))
      .then({ decision: 'record', actions: ['commit', 'putEvent'], events: ['Environment Unlocked'] });
    expect(only(d, 'commit').env?.state.active).toBeUndefined();
  });

  it('refuses when the environment is not locked', () => {
    given(idleState())
      .when(request('unlock-request', { reason: 'x' }))
      .then({ decision: 'reject', reason: /is not locked/ });
  });
});

describe("what an operator writes is stored and emitted redacted, as every decision's reason is", () => {
  const SECRET = 'hunter2secret';
  /** Everything a decision stores, emits or sends to ECS. */
  const everything = (d: Decision) => JSON.stringify(d.actions);

  it('a cancel: its reason and requester, in the deployment record, its history, the events and the stop reason', () => {
    const d = given(activeState(runningDeployment()))
      .when(request('cancel-request', { reason: `rotating the leaked DB password=${SECRET}`, requestedBy: `ana token=${SECRET}` }))
      .then({
        decision: 'halt',
        reason: 'cancelled by ana token=[REDACTED]: rotating the leaked DB password=[REDACTED]',
        actions: ['stopTask', 'haltRollout', 'commit', 'publish'],
      });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ cancelledBy: 'ana token=[REDACTED]' });
    expect(everything(d)).not.toContain(SECRET);
  });

  it.each([
    ['holding the lock', activeState(runningDeployment())],
    ['whose record is lost', activeState(runningDeployment(), { deployments: {} })],
  ])('an unlock of a deployment %s: its reason and requester, in lastUnlock, the record and Environment Unlocked', (_what, state) => {
    const d = given(state)
      .when(request('unlock-request', { reason: `task lost; its password=${SECRET}`, requestedBy: `ana token=${SECRET}` }))
      .then({ decision: 'record', reason: 'environment staging unlocked by ana token=[REDACTED]: task lost; its password=[REDACTED]' });
    expect(only(d, 'commit').env?.state.lastUnlock).toMatchObject({
      by: 'ana token=[REDACTED]',
      reason: 'task lost; its password=[REDACTED]',
    });
    expect(everything(d)).not.toContain(SECRET);
  });
});

describe('operator requests are bounded like deploy requests', () => {
  it.each(['cancel-request', 'unlock-request'] as const)(
    '%s: an environment name over 128 characters is invalid, echoed clipped',
    (kind) => {
      const d = given(idleState())
        .when(request(kind, { environment: 'x'.repeat(100_000), reason: 'lost task' }))
        .then({ decision: 'reject', reason: /environment/ });
      expect(d.reason.length).toBeLessThan(1_000);
      expect(d.reason).not.toContain('x'.repeat(201));
    },
  );
});

describe('an operator request acts once, however often delivered', () => {
  const A = '20261125-090000-aaaaaaaa';
  const B = '20261125-091000-bbbbbbbb';
  const C = '20261125-091200-cccccccc';
  /** A ended by operator request op-1 (its first delivery), B launching: op-1 handed it the environment, then died. */
  const handedOver = (operatorRequests: { requestId: string; deploymentId: string }[]) => {
    const ended = endedDeployment('failed', { id: A });
    const next = launchingDeployment({ id: B, handedOverBy: A });
    return {
      ...activeState(next),
      env: { ...activeState(next).env, operatorRequests },
      deployments: { [A]: ended, [B]: next },
    };
  };

  it('a retried unlock resumes the launch its first delivery handed over, instead of failing that deployment too', () => {
    const d = given(handedOver([{ requestId: 'op-1', deploymentId: A }]))
      .when(request('unlock-request', { requestId: 'op-1', reason: 'task lost' }))
      .then({ decision: 'launch', deploymentId: B, actions: ['launchTask'] });
    expect(only(d, 'launchTask').request.clientToken).toBe(`ecs-migrate-${B}`);
  });

  it('a retried unlock of a deployment whose record was lost resumes the launch it handed over too', () => {
    const queued = queuedDeployment(B, 'repo@sha256:next');
    const lost = { ...queueState(runningDeployment({ id: A }), queued) };
    const first = given({ ...lost, deployments: { [B]: queued } })
      .when(request('unlock-request', { requestId: 'op-1', reason: 'record deleted' }))
      .then({ decision: 'record', actions: ['commit', 'putEvent', 'launchTask'] });
    const launching = committed(first, B);
    expect(launching).toMatchObject({ status: 'launching', handedOverBy: A });
    const env = only(first, 'commit').env?.state ?? lost.env;
    given({ ...lost, env, deployments: { [B]: launching } })
      .when(request('unlock-request', { requestId: 'op-1', reason: 'record deleted' }))
      .then({ decision: 'launch', deploymentId: B });
  });

  it('a retried cancel that named no deployment does nothing once a second cancel moved the environment on', () => {
    // op-1 ended A and handed over to B, then died; op-2 ended B and handed over to C; op-1 is delivered again.
    const state = handedOver([
      { requestId: 'op-1', deploymentId: A },
      { requestId: 'op-2', deploymentId: B },
    ]);
    const moved = {
      ...state,
      env: { ...state.env, active: { deploymentId: C, lockExpiresAt: '2026-11-25T10:30:00.000Z' } },
      deployments: {
        ...state.deployments,
        [B]: endedDeployment('cancelled', { id: B }),
        [C]: launchingDeployment({ id: C, handedOverBy: B }),
      },
    };
    given(moved)
      .when(request('cancel-request', { requestId: 'op-1' }))
      .then({ decision: 'ignore', reason: /cancel op-1 ended deployment 20261125-090000-aaaaaaaa already/ });
  });
});
