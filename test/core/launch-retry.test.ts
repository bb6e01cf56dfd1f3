import { describe, expect, it } from 'vitest';
import { deploymentIdOfTrigger, type Launching, type Running } from '../../src/core/deployment.js';
import type { LaunchResultInput, TaskStateInput, TimeoutCheckInput } from '../../src/core/inputs.js';
import { retryDelayMinutes } from '../../src/core/launch-retry.js';
import { startFailure } from '../../src/core/start-failure.js';
import {
  actionsOf,
  activeState,
  committed,
  ctx,
  emitted,
  given,
  launchingDeployment,
  NOW,
  only,
  parse,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  SAMPLE_TASK,
  sample,
  TD,
} from '../support/fixtures.js';

const RESOURCE_INIT =
  'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post "https://api.ecr.eu-west-1.amazonaws.com/": dial tcp 10.0.0.1:443: i/o timeout';
const PULL_TIMEOUT =
  'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@sha256:4c1e: dial tcp 52.95.1.1:443: i/o timeout';
const MISSING_IMAGE =
  'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v9: not found';
const MANIFEST_UNKNOWN =
  'CannotPullContainerError: Error response from daemon: manifest for shop-api:v9 not found: manifest unknown: manifest unknown';

/** The failed-to-start sample, stopped for `reason` (the task's stoppedReason and the migration container's reason). */
function failedToStart(reason: string, taskArn = SAMPLE_TASK): TaskStateInput {
  const input = parse(sample('task-stopped-failed-to-start'));
  if (input.kind !== 'task-state') throw new Error('not a task event');
  const containers = input.containers.map((c) => (c.name === 'app' ? { ...c, reason } : c));
  return { ...input, taskArn, stoppedReason: reason, containers };
}

const capacity: LaunchResultInput = {
  kind: 'launch-result',
  deploymentId: SAMPLE_DEPLOYMENT,
  ok: false,
  reason: `RunTask of ${TD(43)} refused: RESOURCE:MEMORY : the cluster has no capacity for the task`,
  failure: 'capacity',
};

const IN_ONE_MINUTE = '2026-11-25T09:19:00.000Z';

/** The deployment once attempt 1 failed to start: waiting to launch attempt 2 at `retryAt`. */
function waitingForRetry(overrides: Partial<Launching> = {}): Launching {
  return launchingDeployment({
    attempt: 2,
    retryAt: IN_ONE_MINUTE,
    launchStartedAt: NOW,
    attempts: [{ attempt: 1, failedAt: NOW, reason: 'the task failed to start', taskArn: SAMPLE_TASK, taskDefinitionArn: TD(43) }],
    ...overrides,
  });
}

function retryCheck(attempt: number): TimeoutCheckInput {
  return {
    kind: 'timeout-check',
    eventId: `retry-${attempt}`,
    environment: 'staging',
    deploymentId: SAMPLE_DEPLOYMENT,
    attempt,
    purpose: 'retry',
  };
}

describe('a launch that never started for a reason that can pass is retried', () => {
  it.each([
    ['a resource initialisation error', RESOURCE_INIT],
    ['a transient image pull failure', PULL_TIMEOUT],
    ['no capacity', 'Capacity is unavailable at this time. Please try again later or in a different availability zone'],
  ])('schedules attempt 2 one minute later after %s, keeping the environment and recording attempt 1 with its task', (_, reason) => {
    const state = activeState(runningDeployment());
    const d = given(state)
      .when(failedToStart(reason))
      .then({
        decision: 'record',
        reason: /attempt 1 of 3 failed before the migration ran .*; attempt 2 at 2026-11-25T09:19:00.000Z/,
        actions: ['scheduleTimeout', 'commit', 'publish'],
        events: ['Launch Retry Scheduled'],
      });
    expect(only(d, 'scheduleTimeout')).toEqual({
      type: 'scheduleTimeout',
      deploymentId: SAMPLE_DEPLOYMENT,
      environment: 'staging',
      at: IN_ONE_MINUTE,
      attempt: 2,
      purpose: 'retry',
    });
    const after = committed(d, SAMPLE_DEPLOYMENT);
    expect(after).toMatchObject({ status: 'launching', attempt: 2, retryAt: IN_ONE_MINUTE });
    expect(after).not.toHaveProperty('taskArn');
    expect(after.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        taskArn: SAMPLE_TASK,
        taskDefinitionArn: TD(43),
        stop: expect.objectContaining({ stopCode: 'TaskFailedToStart' }),
      }),
    ]);
    expect(after.history.at(-1)?.note).toMatch(/^attempt 1 of 3 failed: the task failed to start/);
    // The lock covers the wait, the attempt and its grace.
    expect(only(d, 'commit').env?.state.active).toEqual({ deploymentId: SAMPLE_DEPLOYMENT, lockExpiresAt: '2026-11-25T10:34:00.000Z' });
    expect(emitted(d)[0]?.detail).toMatchObject({
      failedAttempt: 1,
      attempt: 2,
      maxAttempts: 3,
      retryAt: IN_ONE_MINUTE,
      stopCode: 'TaskFailedToStart',
    });
  });

  it('schedules a retry when RunTask had no capacity, before any task existed', () => {
    const d = given(activeState(launchingDeployment()))
      .when(capacity)
      .then({ decision: 'record', actions: ['scheduleTimeout', 'commit', 'publish'], events: ['Launch Retry Scheduled'] });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'launching',
      attempt: 2,
      attempts: [{ attempt: 1, reason: expect.stringContaining('RESOURCE:MEMORY') }],
    });
  });

  it('waits 1, then 4 minutes between attempts', () => {
    expect([1, 2, 3].map(retryDelayMinutes)).toEqual([1, 4, 16]);
    const second = runningDeployment({ attempt: 2, taskArn: `${SAMPLE_TASK}2` });
    const d = given(activeState(second))
      .when(failedToStart(RESOURCE_INIT, `${SAMPLE_TASK}2`))
      .then({ decision: 'record', events: ['Launch Retry Scheduled'] });
    expect(only(d, 'scheduleTimeout')).toMatchObject({ at: '2026-11-25T09:22:00.000Z', attempt: 3, purpose: 'retry' });
  });

  // Pins "16 at most" (a mutation of retryDelayMinutes' cap from 16 to 64 in src/core/launch-retry.ts went unnoticed
  // before: only retries 1 to 3 were checked).
  it('waits 16 minutes at most, also before the fifth and sixth attempts', () => {
    expect([1, 2, 3, 4, 5].map(retryDelayMinutes)).toEqual([1, 4, 16, 16, 16]);
    const fourth = runningDeployment({ attempt: 4, taskArn: `${SAMPLE_TASK}4` });
    const d = given(activeState(fourth), ctx({ LAUNCH_RETRIES: '5' }))
      .when(failedToStart(RESOURCE_INIT, `${SAMPLE_TASK}4`))
      .then({ decision: 'record', events: ['Launch Retry Scheduled'] });
    expect(only(d, 'scheduleTimeout')).toMatchObject({ at: '2026-11-25T09:34:00.000Z', attempt: 5, purpose: 'retry' });
  });

  it('launches the due attempt with its own clientToken, reusing the revision an earlier attempt registered', () => {
    const check = ctx({}, '2026-11-25T09:20:00.000Z');
    const d = given(activeState(waitingForRetry()), check)
      .when(retryCheck(2))
      .then({ decision: 'launch', reason: `launching attempt 2 of 3 of ${SAMPLE_DEPLOYMENT}`, actions: ['commit', 'launchTask'] });
    expect(only(d, 'launchTask').request).toMatchObject({ clientToken: `ecs-migrate-${SAMPLE_DEPLOYMENT}-2`, resumed: true });
    expect(committed(d, SAMPLE_DEPLOYMENT)).not.toHaveProperty('retryAt');
    expect(only(d, 'commit').env?.state.active?.lockExpiresAt).toBe('2026-11-25T10:35:00.000Z');
  });

  it("records the attempt's own task and schedules that attempt's own timeout", () => {
    const launched = waitingForRetry({ retryAt: undefined });
    const task = `${SAMPLE_TASK.slice(0, -1)}2`;
    const d = given(activeState(launched))
      .when({ kind: 'launch-result', deploymentId: SAMPLE_DEPLOYMENT, ok: true, taskArn: task, taskDefinitionArn: TD(43) })
      .then({ decision: 'record', actions: ['scheduleTimeout', 'commit', 'publish'], events: ['Migration Started'] });
    expect(only(d, 'scheduleTimeout')).toMatchObject({ attempt: 2 });
    expect(only(d, 'scheduleTimeout')).not.toHaveProperty('purpose');
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'running',
      taskArn: task,
      attempt: 2,
      attempts: [{ taskArn: SAMPLE_TASK }],
    });
    expect(emitted(d)[0]?.detail).toMatchObject({ attempt: 2, taskArn: task });
  });

  it('launches the current attempt when its check comes before retryAt (an earlier delivery scheduled it), never another', () => {
    // Was ignored ("not due until …") with nothing scheduled again: the retry is scheduled before its commit, so a
    // failed commit and its retried delivery (a later retryAt, committed; Scheduler keeps the first schedule of the
    // name) left a check that always came early, and the deployment held the environment with no attempt launched.
    given(activeState(waitingForRetry()), ctx({}, '2026-11-25T09:18:30.000Z'))
      .when(retryCheck(2))
      .then({ decision: 'launch', reason: `launching attempt 2 of 3 of ${SAMPLE_DEPLOYMENT}`, actions: ['commit', 'launchTask'] });
    given(activeState(runningDeployment({ attempt: 3 })), ctx({}, '2026-11-25T09:30:00.000Z'))
      .when(retryCheck(2))
      .then({ decision: 'ignore', reason: /duplicate or late/, actions: [] });
  });

  it('fails the deployment, with no task to stop, when the service cannot be read as the retry is due', () => {
    const state = { ...activeState(waitingForRetry()), service: undefined, serviceProblem: 'service "shop-api" not found' };
    given(state, ctx({}, '2026-11-25T09:20:00.000Z'))
      .when(retryCheck(2))
      .then({
        decision: 'halt',
        reason: /attempt 2 could not be launched: the service could not be read \(service "shop-api" not found\)/,
        actions: ['haltRollout', 'commit', 'publish'],
        events: ['Migration Failed', 'Rollout Halted'],
      });
  });

  it('resumes, with the same clientToken, an attempt a lost invocation committed as launching', () => {
    const d = given(activeState(waitingForRetry({ retryAt: undefined })), ctx({}, '2026-11-25T09:20:00.000Z'))
      .when(retryCheck(2))
      .then({ decision: 'launch', reason: /resuming attempt 2/, actions: ['launchTask'] });
    expect(only(d, 'launchTask').request.clientToken).toBe(`ecs-migrate-${SAMPLE_DEPLOYMENT}-2`);
  });

  it('ignores a retried trigger while the retry waits: it must not launch early', () => {
    const push = parse(sample('ecr-push'));
    if (push.kind !== 'ecr-image-action') throw new Error('not a push');
    const id = deploymentIdOfTrigger(push.trigger, 'staging');
    given(activeState(waitingForRetry({ id, trigger: push.trigger })))
      .when(push)
      .then({ decision: 'ignore', reason: /duplicate delivery: deployment .* exists already \(launching\)/, actions: [] });
  });

  it("ignores a late event of an earlier attempt's task while the next attempt launches", () => {
    given(activeState(waitingForRetry()))
      .when(failedToStart(RESOURCE_INIT))
      .then({ decision: 'ignore', reason: /belongs to attempt 1 of .*, which has failed already/, actions: [] });
  });

  it("ignores the first attempt's timeout check once attempt 2 runs (that one has its own)", () => {
    const second: Running = runningDeployment({ attempt: 2, launchedAt: '2026-11-25T09:20:00.000Z' });
    given(activeState(second), ctx({}, '2026-11-25T10:19:00.000Z'))
      .when(sample('timeout-check'))
      .then({ decision: 'ignore', reason: /timeout check of attempt 1; .* is at attempt 2/, actions: [] });
  });
});

describe("RunTask's answer for another attempt (a duplicate retry check, whose race the other delivery won)", () => {
  // The watcher has no Powertools idempotency: a retry check delivered twice sends RunTask twice under attempt 2's
  // token. Was: the loser's refusal, decided again after its lost race, counted against attempt 3, never launched
  // (with LAUNCH_RETRIES 2 the deployment failed after two launches).
  const token2 = `ecs-migrate-${SAMPLE_DEPLOYMENT}-2`;

  it('ignores a refusal of attempt 2 while the deployment waits for attempt 3 or launches it', () => {
    const waiting3 = waitingForRetry({ attempt: 3 });
    given(activeState(waiting3))
      .when({ ...capacity, clientToken: token2 })
      .then({ decision: 'ignore', reason: /answer under .*-2 is not for attempt 3 .*due at .*: its refusal was counted/, actions: [] });
    given(activeState(waitingForRetry({ attempt: 3, retryAt: undefined })))
      .when({ ...capacity, clientToken: token2 })
      .then({ decision: 'ignore', actions: [] });
  });

  it("stops a task another attempt's answer names: no attempt the deployment follows would watch it", () => {
    const task = `${SAMPLE_TASK.slice(0, -1)}7`;
    const d = given(activeState(waitingForRetry({ attempt: 3 })))
      .when({
        kind: 'launch-result',
        deploymentId: SAMPLE_DEPLOYMENT,
        clientToken: token2,
        ok: true,
        taskArn: task,
        taskDefinitionArn: TD(43),
      })
      .then({ decision: 'record', actions: ['stopTask'] });
    expect(only(d, 'stopTask')).toMatchObject({ taskArn: task });
  });

  it("decides the current attempt's own answer as before", () => {
    given(activeState(waitingForRetry({ retryAt: undefined })))
      .when({ ...capacity, clientToken: token2 })
      .then({ decision: 'record', reason: /attempt 2 of 3 failed before the migration ran/ });
  });
});

describe("pause-hook mode: the paused deployments' deadlines while a retry waits", () => {
  // docs/deploy.md: once every hook waiting for a migration is past its deadline (its expiry less 5 minutes), it ends
  // timed out answering ROLLBACK; "when the environment frees, such a migration is not run either". Was: the retry
  // launched it anyway (gating nothing, ECS applying the hooks' timeout meanwhile), and no check answered the hooks
  // during the wait (the earlier attempts' checks are stale; the next attempt has none before RunTask answers).
  const hookCtx = (now: string) => ctx({ ROLLOUT_MODE: 'pause-hook' }, now);
  const waiter = {
    service: 'shop-api',
    serviceDeploymentArn: 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/NCWGC2ZR-taawPAYrIaU5',
    hookId: 'ecs-pause-api',
    // Its deadline: 09:20.
    expiresAt: '2026-11-25T09:25:00.000Z',
  };
  const hookWork = { type: 'revision' as const, taskDefinitionArn: TD(43), image: `shop-api@sha256:${'a'.repeat(64)}`, launch: {} };
  const trigger = { type: 'pause-hook' as const, eventId: 'hook-event-1', at: '2026-11-25T09:15:00Z' };

  it('a retry due after every deadline passed ends timed out, answering ROLLBACK, and launches nothing', () => {
    const waiting = waitingForRetry({ trigger, work: hookWork, waiters: [waiter], attempt: 3, retryAt: '2026-11-25T09:21:00.000Z' });
    given(activeState(waiting), hookCtx('2026-11-25T09:21:30.000Z'))
      .when(retryCheck(3))
      .then({
        decision: 'halt',
        reason: /every paused deployment waiting for it was past its hook's expiry .* when attempt 3 was due: the migration was not run/,
        actions: ['haltRollout', 'commit', 'publish'],
      });
  });

  it('a retry due after a deadline is guarded by a check at that deadline, which ends it then', () => {
    const second = launchingDeployment({ trigger, work: hookWork, waiters: [waiter], attempt: 2, launchStartedAt: NOW });
    const d = given(activeState(second), hookCtx(NOW))
      .when(capacity)
      .then({ decision: 'record', events: ['Launch Retry Scheduled'] });
    expect(actionsOf(d, 'scheduleTimeout')).toEqual([
      expect.objectContaining({ at: '2026-11-25T09:22:00.000Z', attempt: 3, purpose: 'retry' }),
      expect.objectContaining({ at: '2026-11-25T09:20:00.000Z', attempt: 3, purpose: 'deadline' }),
    ]);
    const check: TimeoutCheckInput = { ...retryCheck(3), purpose: 'deadline' };
    given(activeState(committed(d, SAMPLE_DEPLOYMENT)), hookCtx('2026-11-25T09:20:30.000Z'))
      .when(check)
      .then({
        decision: 'halt',
        reason: /no task started within the paused deployment's timeout less 5 minutes/,
        actions: ['stopTasksStartedBy', 'haltRollout', 'commit', 'publish'],
      });
  });

  it('no deadline check when the retry comes first', () => {
    const second = launchingDeployment({
      trigger,
      work: hookWork,
      waiters: [{ ...waiter, expiresAt: '2026-11-25T10:25:00.000Z' }],
      attempt: 2,
    });
    const d = given(activeState(second), hookCtx(NOW)).when(capacity).then({ decision: 'record' });
    expect(actionsOf(d, 'scheduleTimeout').map((a) => a.purpose)).toEqual(['retry']);
  });
});

describe('what is never retried, and the last attempt', () => {
  it.each([
    ['a missing image (not found)', MISSING_IMAGE],
    ['a missing image (manifest unknown)', MANIFEST_UNKNOWN],
  ])('halts on %s as today', (_, reason) => {
    given(activeState(runningDeployment()))
      .when(failedToStart(reason))
      .then({
        decision: 'halt',
        reason: /the task failed to start \(CannotPullContainerError/,
        events: ['Migration Failed', 'Rollout Halted'],
      });
  });

  it('halts on a migration that ran (an exit code exists), even when ECS says it failed to start', () => {
    const ran = failedToStart(RESOURCE_INIT);
    const exited = { ...ran, containers: ran.containers.map((c) => (c.name === 'app' ? { ...c, exitCode: 1 } : c)) };
    expect(startFailure(exited, 'app')).toBe('ran');
    given(activeState(runningDeployment()))
      .when(exited)
      .then({ decision: 'halt', events: ['Migration Failed', 'Rollout Halted'] });
    given(activeState(runningDeployment()))
      .when({ ...parse(sample('task-stopped-exit-1')), logTail: [] } as TaskStateInput)
      .then({ decision: 'halt', events: ['Migration Failed', 'Rollout Halted'] });
  });

  it('fails the last attempt as today, its events saying which attempt failed', () => {
    const last = runningDeployment({
      attempt: 3,
      attempts: [
        { attempt: 1, failedAt: NOW, reason: 'no capacity' },
        { attempt: 2, failedAt: NOW, reason: 'the task failed to start', taskArn: `${SAMPLE_TASK}1` },
      ],
    });
    const d = given(activeState(last))
      .when(failedToStart(RESOURCE_INIT))
      .then({ decision: 'halt', actions: ['haltRollout', 'commit', 'publish'], events: ['Migration Failed', 'Rollout Halted'] });
    expect(emitted(d)[0]?.detail).toMatchObject({ attempt: 3, status: 'failed' });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'ended', outcome: 'failed', attempts: last.attempts });
  });

  it('fails at once when LAUNCH_RETRIES is 0, and on capacity after the last attempt', () => {
    given(activeState(runningDeployment()), ctx({ LAUNCH_RETRIES: '0' }))
      .when(failedToStart(RESOURCE_INIT))
      .then({ decision: 'halt', events: ['Migration Failed', 'Rollout Halted'] });
    given(activeState(launchingDeployment({ attempt: 3 })))
      .when(capacity)
      .then({
        decision: 'halt',
        reason: /the task could not be started: .*RESOURCE:MEMORY/,
        events: ['Migration Failed', 'Rollout Halted'],
      });
  });
});

describe('RunTask refuses our clientToken (ConflictException): a task of this launch may run (defect 10)', () => {
  it('does not end the deployment: it stays launching, holding the environment, and is timed out later', () => {
    const launching = launchingDeployment();
    const d = given(activeState(launching))
      .when({ ...capacity, failure: 'token-conflict', reason: 'RunTask of x failed: ConflictException: clientToken in use' })
      .then({
        decision: 'record',
        reason: /a task of an earlier try may run, so the deployment is not failed/,
        actions: ['scheduleTimeout', 'commit'],
        events: [],
      });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'launching' });
    expect(only(d, 'commit').env).toBeUndefined();
    expect(only(d, 'scheduleTimeout')).toMatchObject({ at: '2026-11-25T10:15:00.500Z' });
    expect(only(d, 'scheduleTimeout')).not.toHaveProperty('purpose');
  });

  it("schedules a later attempt's check under that attempt, so it neither hides nor is hidden by another", () => {
    const d = given(activeState(waitingForRetry({ retryAt: undefined })))
      .when({ ...capacity, failure: 'token-conflict', reason: 'ConflictException' })
      .then({ decision: 'record', actions: ['scheduleTimeout', 'commit'] });
    expect(only(d, 'scheduleTimeout')).toMatchObject({ attempt: 2, at: '2026-11-25T10:18:00.000Z' });
  });

  // Was: in pause-hook mode too, its only check was at launchStartedAt + TIMEOUT_MINUTES (10:15), 40 minutes after the
  // waiting hook expired (09:40): ECS applied the hook's timeout action and ecs-migrate never answered it.
  it("in pause-hook mode, checks it at the waiting hook's deadline when that comes first, and times it out then", () => {
    const waiter = {
      service: 'shop-api',
      serviceDeploymentArn: 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/SD1',
      hookId: 'ecs-pause-1',
      // Its deadline: 09:35.
      expiresAt: '2026-11-25T09:40:00.000Z',
    };
    const launching = launchingDeployment({
      trigger: { type: 'pause-hook', eventId: 'hook-1', at: '2026-11-25T09:15:00Z' },
      work: { type: 'revision', taskDefinitionArn: TD(43), image: `shop-api@sha256:${'a'.repeat(64)}`, launch: {} },
      waiters: [waiter],
    });
    const hookCtx = (now: string) => ctx({ ROLLOUT_MODE: 'pause-hook' }, now);
    const d = given(activeState(launching), hookCtx('2026-11-25T09:16:00.000Z'))
      .when({ ...capacity, failure: 'token-conflict', reason: 'ConflictException' })
      .then({ decision: 'record', actions: ['scheduleTimeout', 'commit'] });
    const check = only(d, 'scheduleTimeout');
    expect(check).toMatchObject({ at: '2026-11-25T09:35:00.000Z', attempt: 1, purpose: 'deadline' });
    given(activeState(committed(d, SAMPLE_DEPLOYMENT)), hookCtx('2026-11-25T09:35:30.000Z'))
      .when({
        kind: 'timeout-check',
        eventId: 'deadline-1',
        environment: 'staging',
        deploymentId: SAMPLE_DEPLOYMENT,
        attempt: 1,
        purpose: 'deadline',
      })
      .then({
        decision: 'halt',
        reason: /no task started within the paused deployment's timeout less 5 minutes/,
        actions: ['stopTasksStartedBy', 'haltRollout', 'commit', 'publish'],
      });
  });

  it("times it out at TIMEOUT_MINUTES, stopping every task started for it (the kept event may be someone else's)", () => {
    const early = { taskArn: SAMPLE_TASK, version: 2, lastStatus: 'RUNNING', containers: [{ name: 'app' }] };
    given(activeState(launchingDeployment({ earlyTaskEvents: [early] })), ctx({}, '2026-11-25T10:16:00.000Z'))
      .when(sample('timeout-check'))
      .then({
        decision: 'halt',
        actions: ['stopTasksStartedBy', 'haltRollout', 'commit', 'publish'],
        events: ['Migration Timed Out', 'Rollout Halted'],
      });
  });
});

describe('startFailure: which stopped tasks never started for a reason that can pass', () => {
  const task = (stopCode: string | undefined, reason: string, exitCode?: number) => ({
    ...(stopCode !== undefined ? { stopCode } : {}),
    stoppedReason: reason,
    containers: [{ name: 'log-router' }, { name: 'app', reason, ...(exitCode !== undefined ? { exitCode } : {}) }],
  });

  it.each([
    ['TaskFailedToStart', RESOURCE_INIT, undefined, 'transient'],
    ['TaskFailedToStart', PULL_TIMEOUT, undefined, 'transient'],
    ['TaskFailedToStart', 'CannotPullContainerError: toomanyrequests: Rate exceeded', undefined, 'transient'],
    ['TaskFailedToStart', 'Capacity is unavailable at this time. Please try again later', undefined, 'transient'],
    ['TaskFailedToStart', MISSING_IMAGE, undefined, 'permanent'],
    ['TaskFailedToStart', MANIFEST_UNKNOWN, undefined, 'permanent'],
    ['TaskFailedToStart', 'CannotPullContainerError: image shop-api:v9 is not known on this machine', undefined, 'permanent'],
    ['TaskFailedToStart', 'CannotStartContainerError: exec: "db-migrate": executable file not found in $PATH', undefined, 'permanent'],
    ['TaskFailedToStart', RESOURCE_INIT, 1, 'ran'],
    ['EssentialContainerExited', 'Essential container in task exited', 0, 'ran'],
    ['UserInitiated', 'stopped by someone', undefined, undefined],
  ])('%s "%s" (exit code %s): %s', (stopCode, reason, exitCode, expected) => {
    expect(startFailure(task(stopCode, reason, exitCode), 'app')).toBe(expected);
  });
});
