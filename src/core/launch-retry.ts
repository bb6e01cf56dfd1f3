import { assertNever, type Decision, ignore } from './actions.js';
import { commitActions } from './commit.js';
import { addMinutes, type DecideContext, LOCK_GRACE_MINUTES } from './context.js';
import { deadlineCheck, firstWaiterDeadline, migrationDeadline } from './deadline.js';
import {
  attemptOf,
  type Deployment,
  type Launching,
  type PendingEvent,
  type Running,
  type StopReport,
  type TaskObservation,
} from './deployment.js';
import type { LaunchResultInput, TimeoutCheckInput } from './inputs.js';
import { launchWaiting, resumeLaunch } from './resume.js';
import { maxAttempts, noteLaunching, scheduleRetry } from './retry-transitions.js';
import { type StartFailure, startFailure } from './start-failure.js';
import type { ControllerState, EnvironmentState } from './state.js';

/**
 * Automatic launch retries (the failure taxonomy). A launch whose task never started for a reason that can pass
 * (no capacity, a transient image pull failure, a resource initialisation error) is launched again, up to
 * LAUNCH_RETRIES more times, through a scheduled check; each attempt has its own clientToken and task. A missing
 * image, or a migration that ran (its container has an exit code), is never retried; after the last attempt the
 * usual failure rule applies. Each function returns undefined when the input is not its business, so the usual
 * decision follows.
 */

/** Minutes before retry `n` (1-based): 1, then 4, then 16 at most. */
export function retryDelayMinutes(retry: number): number {
  return Math.min(4 ** (retry - 1), 16);
}

/** RunTask did not start a task: no capacity is retried; our clientToken in conflict means a task of this launch may run. */
export function onLaunchRefused(
  d: Launching,
  input: Extract<LaunchResultInput, { ok: false }>,
  state: ControllerState,
  ctx: DecideContext,
): Decision | undefined {
  switch (input.failure) {
    case 'token-conflict':
      return keepLaunching(d, input.reason, state, ctx);
    case 'capacity':
      return retryLater(d, { reason: `the task could not be started: ${input.reason}` }, [], state, ctx);
    case 'refused':
    case undefined:
      return undefined;
    default:
      return assertNever(input.failure);
  }
}

/** The deployment's task stopped: retried when it never started for a reason that can pass. */
export function onStartFailure(
  d: Running,
  task: TaskObservation,
  failure: { reason: string; stop: StopReport },
  prior: PendingEvent[],
  state: ControllerState,
  ctx: DecideContext,
): Decision | undefined {
  const kind: StartFailure | undefined = startFailure(task, ctx.config.CONTAINER);
  if (kind !== 'transient') return undefined;
  return retryLater(d, failure, prior, state, ctx);
}

/**
 * A scheduled check: a due retry launches its attempt; a timeout check of an earlier attempt is stale (that task is
 * gone and the current attempt has its own). Anything else is the timeout check's to decide.
 */
export function onScheduledCheck(input: TimeoutCheckInput, state: ControllerState, ctx: DecideContext): Decision | undefined {
  const d = input.environment === ctx.config.ENVIRONMENT ? state.deployments[input.deploymentId] : undefined;
  if (d === undefined || d.status === 'ended') return undefined;
  const checked = input.attempt ?? 1;
  const current = attemptOf(d);
  if (input.purpose !== 'retry') {
    return checked === current ? undefined : ignore(`timeout check of attempt ${checked}; ${d.id} is at attempt ${current}`, d.id);
  }
  if (d.status !== 'launching' || checked !== current) {
    return ignore(`retry check of attempt ${checked}; ${d.id} is ${d.status} at attempt ${current}: duplicate or late`, d.id);
  }
  // A check before `retryAt` is due all the same: its schedule is kept from an earlier delivery of the failure, whose
  // commit failed (Scheduler keeps the first schedule of a name, and the retried decision's later time was committed).
  // Ignoring it would leave the attempt with no check at all; it is at most that retry of the failure's delivery early.
  if (state.env.active?.deploymentId !== d.id) return ignore(`${d.id} no longer holds environment ${d.environment}`, d.id);
  if (d.retryAt === undefined) {
    // Committed as launching by an earlier delivery of this check, whose RunTask may have been sent: same clientToken.
    return resumeLaunch(d, state, ctx, `resuming attempt ${current} of ${d.id} (retried delivery)`);
  }
  return launchWaiting(d, state, ctx);
}

/** A task event of an earlier attempt's task, seen while a later attempt launches: that task is not the one judged. */
export function earlierAttemptTask(d: Launching, taskArn: string): Decision | undefined {
  const earlier = d.attempts?.find((a) => a.taskArn === taskArn);
  if (earlier === undefined) return undefined;
  return ignore(`task ${taskArn} belongs to attempt ${earlier.attempt} of ${d.id}, which has failed already`, d.id);
}

/** The attempt a timeout schedule is for, when it is not the first (each attempt's schedule has its own name). */
export function attemptField(d: Deployment): { attempt?: number } {
  return attemptOf(d) > 1 ? { attempt: attemptOf(d) } : {};
}

/**
 * Another attempt, later, when one remains and the deployment still holds the environment: the retry is scheduled
 * before the commit (a retried delivery schedules it again under the same name), and the lock is kept long enough
 * for the retry to run its course.
 */
function retryLater(
  d: Launching | Running,
  failure: { reason: string; stop?: StopReport },
  prior: PendingEvent[],
  state: ControllerState,
  ctx: DecideContext,
): Decision | undefined {
  const attempt = attemptOf(d);
  const max = maxAttempts(ctx);
  const active = state.env.active;
  if (attempt >= max || active?.deploymentId !== d.id) return undefined;
  const retryAt = addMinutes(ctx.now, retryDelayMinutes(attempt));
  const change = scheduleRetry(d, failure, ctx.now, retryAt, max);
  const holdUntil = addMinutes(retryAt, ctx.config.TIMEOUT_MINUTES + LOCK_GRACE_MINUTES);
  const lockExpires = Date.parse(holdUntil) > Date.parse(active.lockExpiresAt) ? holdUntil : active.lockExpiresAt;
  const env: EnvironmentState = { ...state.env, active: { deploymentId: d.id, lockExpiresAt: lockExpires } };
  // A paused deployment whose deadline comes before the retry is answered then (ROLLBACK, timed out), not after it.
  const deadline = firstWaiterDeadline(d, ctx.now);
  const guard =
    deadline !== undefined && Date.parse(deadline) < Date.parse(retryAt) ? [deadlineCheck({ ...d, attempt: attempt + 1 }, deadline)] : [];
  return {
    decision: 'record',
    reason: `attempt ${attempt} of ${max} failed before the migration ran (${failure.reason}); attempt ${attempt + 1} at ${retryAt}`,
    deploymentId: d.id,
    actions: [
      { type: 'scheduleTimeout', deploymentId: d.id, environment: d.environment, at: retryAt, attempt: attempt + 1, purpose: 'retry' },
      ...guard,
      ...commitActions(state, env, [{ deployment: change.deployment, events: [...prior, ...change.events] }]),
    ],
  };
}

/**
 * ECS refused RunTask under our clientToken because it holds a request with other parameters: an earlier attempt of
 * this launch reached RunTask, and its task may run. Recording a task found by its `startedBy` instead would trust
 * what anyone allowed RunTask can forge (a task counts only as RunTask's answer), and failing the deployment would
 * free the environment while that task migrates. So it stays `launching`, holding the environment; its task events
 * are kept, and a scheduled check times it out (stopping that task if one was seen) at TIMEOUT_MINUTES, or at the
 * deadline of a paused deployment waiting for it when that comes first (`migrationDeadline`), so ecs-migrate answers
 * it before ECS applies its hook's timeout action: no other check of this attempt is set (RunTask's answer never came).
 */
function keepLaunching(d: Launching, reason: string, state: ControllerState, ctx: DecideContext): Decision {
  const due = migrationDeadline(d.launchStartedAt, d, ctx);
  // Brought forward by a paused deployment, it is a `deadline` check, as `notDueYet` sets one (named with its time).
  const check =
    due === addMinutes(d.launchStartedAt, ctx.config.TIMEOUT_MINUTES)
      ? { type: 'scheduleTimeout' as const, deploymentId: d.id, environment: d.environment, at: due, ...attemptField(d) }
      : deadlineCheck(d, due);
  const note = `RunTask refused this launch's clientToken (${reason}): a task of an earlier try may run, so the deployment is not failed; it is timed out at ${due} unless its task is recorded`;
  return {
    decision: 'record',
    reason: note,
    deploymentId: d.id,
    actions: [check, ...commitActions(state, undefined, [noteLaunching(d, ctx.now, note)])],
  };
}
