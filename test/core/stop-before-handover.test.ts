import { describe, expect, it } from 'vitest';
import {
  activeState,
  cancelRequest,
  committed,
  ctx,
  given,
  OLD_IMAGE,
  only,
  operatorRequest,
  PUSHED_IMAGE,
  queuedDeployment,
  queueState,
  runningDeployment,
  sample,
  scheduledCheck,
  withEvent,
} from '../support/fixtures.js';

/**
 * README, Guarantees: "One migration per environment at a time." StopTask does not stop a task: ECS sends SIGTERM
 * and SIGKILLs the container only after its stopTimeout (30 s by default, up to 120 s on Fargate); a migration
 * running as PID 1 without a SIGTERM handler ignores the SIGTERM altogether and runs on until then. Yet a cancel, an
 * unlock, or a push taking over an expired lock hands the environment to the next migration in the same decision:
 * `stopTask` of the old migration's task and `launchTask` of the next one went out back to back (was), so the next
 * migration could run against the database while the old one still did (on EC2 with a cached image a task starts in
 * seconds). Now the next one is committed launching and launched by a scheduled check once the stopped task has had
 * its stop timeout (settle.ts `waitForStop`).
 */
const types = (d: { actions: { type: string }[] }) => d.actions.map((a) => a.type);

describe('the environment is handed over while the stopped migration may still run', () => {
  it('a cancel of the running migration does not launch the queued one before its task has stopped', () => {
    const holder = runningDeployment({ id: '20261125-090000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });
    const waiting = queuedDeployment('20261125-091000-bbbbbbbb', PUSHED_IMAGE);
    const d = given(queueState(holder, waiting)).when(cancelRequest('2026-11-25T09:17:00Z')).then({ decision: 'halt' });
    expect(types(d)).toContain('stopTask');
    // Was: stopTask, haltRollout, commit, publish, launchTask — the queued migration started while the cancelled one ran.
    expect(types(d)).not.toContain('launchTask');
  });

  it('a push taking over an expired lock does not launch while the lost migration task may still run', () => {
    const lost = runningDeployment({ id: '20261125-080000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });
    const state = activeState(lost);
    state.env = { ...state.env, active: { deploymentId: lost.id, lockExpiresAt: '2026-11-25T09:10:00.000Z' } };
    // DescribeTasks (read for the takeover) says the lost task is still RUNNING: no exit code.
    state.task = { taskArn: lost.taskArn, containers: [{ name: 'app' }] };
    const d = given(state)
      .when(withEvent(sample('ecr-push'), {}))
      .then({});
    expect(types(d)).toContain('stopTask');
    expect(types(d)).not.toContain('launchTask');
  });

  it('an unlock and a timeout wait as a cancel does', () => {
    const holder = runningDeployment({ id: '20261125-090000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });
    const waiting = queuedDeployment('20261125-091000-bbbbbbbb', PUSHED_IMAGE);
    const unlock = given(queueState(holder, waiting))
      .when(operatorRequest('unlock-request', { reason: 'stuck' }))
      .then({ decision: 'record' });
    expect(types(unlock)).toContain('stopTask');
    expect(types(unlock)).not.toContain('launchTask');
    const timeout = { kind: 'timeout-check' as const, eventId: 't', environment: 'staging', deploymentId: holder.id };
    const timedOut = given(queueState(holder, waiting), ctx({}, '2026-11-25T23:00:00.000Z')).when(timeout).then({ decision: 'halt' });
    expect(types(timedOut)).toEqual(expect.arrayContaining(['stopTask', 'scheduleTimeout']));
    expect(types(timedOut)).not.toContain('launchTask');
  });

  it('a takeover launches at once when the lost migration exited already (only the rest of its task runs)', () => {
    const lost = runningDeployment({ id: '20261125-080000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });
    const state = activeState(lost);
    state.env = { ...state.env, active: { deploymentId: lost.id, lockExpiresAt: '2026-11-25T09:10:00.000Z' } };
    state.task = { taskArn: lost.taskArn, containers: [{ name: 'app', exitCode: 1 }] };
    const d = given(state)
      .when(withEvent(sample('ecr-push'), {}))
      .then({ decision: 'launch' });
    expect(types(d)).toContain('launchTask');
  });
});

describe('the launch that waited checks the stopped task first (an EC2 agent stop timeout over the wait)', () => {
  // Was: the wait was a timer only; the check launched whatever ECS said of the stopped task.
  const holder = runningDeployment({ id: '20261125-090000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });
  const queued = queuedDeployment('20261125-091000-bbbbbbbb', PUSHED_IMAGE);
  const check = scheduledCheck(queued.id, 1, 'retry');

  function waiting() {
    const d = given(queueState(holder, queued)).when(cancelRequest('2026-11-25T09:17:00Z')).then({ decision: 'halt' });
    const launching = committed(d, queued.id);
    expect(launching).toMatchObject({ waitsFor: { deploymentId: holder.id, taskArn: holder.taskArn } });
    const state = { ...queueState(holder, queued), env: only(d, 'commit').env?.state ?? queueState(holder, queued).env };
    state.deployments = { ...state.deployments, [holder.id]: committed(d, holder.id), [queued.id]: launching };
    return state;
  }

  it('while ECS describes it still running: checked again a minute later, the lock kept, nothing launched', () => {
    const state = { ...waiting(), waitedTask: { taskArn: holder.taskArn, lastStatus: 'DEACTIVATING' } };
    const d = given(state, ctx({}, '2026-11-25T09:21:10.000Z'))
      .when(check)
      .then({
        decision: 'record',
        reason: /is still DEACTIVATING: checked again at 2026-11-25T09:22:10.000Z/,
        actions: ['scheduleTimeout', 'commit'],
      });
    expect(only(d, 'scheduleTimeout')).toMatchObject({
      deploymentId: queued.id,
      at: '2026-11-25T09:22:10.000Z',
      attempt: 1,
      purpose: 'retry',
    });
    expect(committed(d, queued.id)).toMatchObject({ status: 'launching', retryAt: '2026-11-25T09:22:10.000Z' });
    expect(only(d, 'commit').env?.state.active).toEqual({ deploymentId: queued.id, lockExpiresAt: '2026-11-25T10:36:10.000Z' });
  });

  it('once it is STOPPED, or ECS no longer has it: launched', () => {
    for (const lastStatus of ['STOPPED', 'MISSING']) {
      const state = { ...waiting(), waitedTask: { taskArn: holder.taskArn, lastStatus } };
      given(state, ctx({}, '2026-11-25T09:21:10.000Z'))
        .when(check)
        .then({ decision: 'launch', actions: ['commit', 'launchTask'] });
    }
  });

  it('with no reading of the task (a check before the wait was due, an input that did not read it): waits on', () => {
    given(waiting(), ctx({}, '2026-11-25T09:21:10.000Z'))
      .when(check)
      .then({ decision: 'record', reason: /is not read yet: checked again at/, actions: ['scheduleTimeout', 'commit'] });
  });

  it('still running TIMEOUT_MINUTES after the hand-over: ends failed, launching nothing', () => {
    const state = { ...waiting(), waitedTask: { taskArn: holder.taskArn, lastStatus: 'RUNNING' } };
    given(state, ctx({}, '2026-11-25T10:18:30.000Z'))
      .when(check)
      .then({ decision: 'halt', reason: /is still RUNNING after 60 minutes \(TIMEOUT_MINUTES\): not launched/ });
  });
});
