import { type Decision, ignore } from './actions.js';
import { commitActions } from './commit.js';
import { addMinutes, type DecideContext, lockExpiresAt } from './context.js';
import { HOOK_MARGIN_MINUTES, waitersAllExpired } from './deadline.js';
import { attemptOf, awaitingRetry, type Deployment, type Launching } from './deployment.js';
import { launchRequest } from './launch-request.js';
import { launchRetry, maxAttempts } from './retry-transitions.js';
import { settle } from './settle.js';
import type { ControllerState, EnvironmentState } from './state.js';

/**
 * Launches `d` again as it was committed, with the same RunTask `clientToken`: ECS answers with the task an earlier
 * invocation may have started (and a resumed launch finds the revision it registered), never a second one.
 */
export function resumeLaunch(d: Launching, state: ControllerState, ctx: DecideContext, reason: string): Decision {
  return {
    decision: 'launch',
    reason,
    deploymentId: d.id,
    actions: [{ type: 'launchTask', deploymentId: d.id, request: launchRequest(d, state.service, ctx, true) }],
  };
}

/**
 * A retried event of a deployment that has ended, whose end handed the environment to the queued deployment:
 * that launch may never have started (the invocation failed after its commit), so it is resumed with the same
 * RunTask `clientToken`. Without this the queued deployment would hold the environment until its lock expired.
 */
export function resumeHandover(state: ControllerState, ctx: DecideContext, endedId: string): Decision | undefined {
  const active = state.env.active;
  const next = active !== undefined ? state.deployments[active.deploymentId] : undefined;
  if (next?.status !== 'launching' || next.handedOverBy === undefined) return undefined;
  // One that waits for the task its hand-over stopped (`waitForStop`) launches by its scheduled check, not earlier;
  // once that is due, an event of the deployment that handed it over launches it too (should the check be lost).
  if (awaitingRetry(next)) return waitIsOver(next, ctx) ? launchWaiting(next, state, ctx) : undefined;
  if (next.handedOverBy === endedId)
    return resumeLaunch(next, state, ctx, `resuming the launch of ${next.id}, handed the environment by ${endedId} (retried delivery)`);
  // Handed on again in the same invocation: the launch it resumed ended at once (a kept task event judged), handing
  // the environment to the next one, and the invocation died before that launch. (The loader reads the one between.)
  const between = state.deployments[next.handedOverBy];
  if (between?.status !== 'ended' || between.handedOverBy !== endedId) return undefined;
  const why = `resuming the launch of ${next.id}, handed the environment by ${between.id}, itself handed it by ${endedId} (retried delivery)`;
  return resumeLaunch(next, state, ctx, why);
}

/**
 * A trigger whose deployment exists (a push, a request, a paused deployment's hook event): a retried launch resumes
 * (the clientToken keeps it to one task); a duplicate is dropped.
 */
export function revisit(existing: Deployment, state: ControllerState, ctx: DecideContext): Decision {
  if (existing.status === 'launching' && state.env.active?.deploymentId === existing.id) {
    if (!awaitingRetry(existing)) return resumeLaunch(existing, state, ctx, `resuming the launch of ${existing.id} (retried delivery)`);
    if (waitIsOver(existing, ctx)) return launchWaiting(existing, state, ctx);
  }
  return (
    resumeHandover(state, ctx, existing.id) ??
    ignore(
      `duplicate delivery: deployment ${existing.id} exists already (${existing.status === 'ended' ? existing.outcome : existing.status})`,
      existing.id,
    )
  );
}

/** Whether a launch that waits (`retryAt`: a launch retry, or the stop timeout of a task its hand-over stopped) is due. */
function waitIsOver(d: Launching, ctx: DecideContext): boolean {
  return d.retryAt !== undefined && Date.parse(ctx.now) >= Date.parse(d.retryAt);
}

/**
 * A command of "the task definition the service runs" whose launch a takeover deferred while the service named the
 * paused revision it answered ROLLBACK (`afterRollbackOf`): the one the service names now, once ECS moved it back. Not
 * that revision still, nor one a queued migration has yet to migrate (a deployment paused meanwhile): the new code
 * must not run before its migration; the command then ends, saying why (a string). Any other launch keeps its work.
 */
function onServiceRevision(d: Launching, state: ControllerState, serviceTaskDefinitionArn: string): Launching | string {
  if (d.work.type !== 'task-definition' || d.work.afterRollbackOf === undefined) return d;
  const queued = state.env.queued !== undefined ? state.deployments[state.env.queued] : undefined;
  const unmigrated = queued?.work.type === 'revision' && queued.work.taskDefinitionArn === serviceTaskDefinitionArn;
  if (serviceTaskDefinitionArn === d.work.afterRollbackOf || unmigrated)
    return `not run: the service names ${serviceTaskDefinitionArn}, ${unmigrated ? `the revision of a paused deployment whose migration ${queued.id} has not run` : 'the paused revision the takeover answered ROLLBACK (ECS has not moved it back yet)'}; send the command again once the service runs a migrated revision`;
  const { afterRollbackOf: _a, ...work } = d.work;
  return { ...d, work: { ...work, taskDefinitionArn: serviceTaskDefinitionArn } };
}

/**
 * Launches a deployment whose wait is over (its scheduled check, or any event that finds it due): committed launching
 * again, with the lock taken anew, then RunTask. Not once every paused deployment it gates is past its deadline (it
 * ends timed out, as a queued one freed too late does), nor without the service to launch it in (it ends failed).
 */
export function launchWaiting(d: Launching, state: ControllerState, ctx: DecideContext): Decision {
  const attempt = attemptOf(d);
  // Gating nothing any more, it ends at once, whatever the task it waits for does (its end hands that wait on).
  if (waitersAllExpired(d, ctx.now)) {
    const reason = `every paused deployment waiting for it was past its hook's expiry (less ${HOOK_MARGIN_MINUTES} minutes) when attempt ${attempt} was due: the migration was not run, rollout halted`;
    return notLaunched(d, 'timed_out', reason, state, ctx);
  }
  const stillRuns = stoppedTaskRuns(d, state);
  if (stillRuns !== undefined) return waitOn(d, stillRuns, state, ctx);
  if (state.service === undefined) {
    const reason = `attempt ${attempt} could not be launched: the service could not be read (${state.serviceProblem ?? 'unknown error'})`;
    return notLaunched(d, 'failed', reason, state, ctx);
  }
  const launching = onServiceRevision(launchRetry(d, ctx.now), state, state.service.taskDefinitionArn);
  if (typeof launching === 'string') return notLaunched(d, 'failed', launching, state, ctx);
  const env: EnvironmentState = { ...state.env, active: { deploymentId: d.id, lockExpiresAt: lockExpiresAt(ctx) } };
  return {
    decision: 'launch',
    reason: `launching attempt ${attempt} of ${maxAttempts(ctx)} of ${d.id}`,
    deploymentId: d.id,
    actions: [
      ...commitActions(state, env, [launching]),
      // Resumed: the revision an earlier attempt registered is found by the deployment's tag and run again.
      { type: 'launchTask', deploymentId: d.id, request: launchRequest(launching, state.service, ctx, true) },
    ],
  };
}

/** A waiting launch that ends instead of launching, `reason` saying why. */
function notLaunched(d: Launching, outcome: 'failed' | 'timed_out', reason: string, state: ControllerState, ctx: DecideContext): Decision {
  return { decision: 'halt', reason, deploymentId: d.id, actions: settle(state, ctx, d, { outcome, reason }) };
}

/** How often a launch waiting for a stopped task checks it again while ECS still describes it running. */
export const STOP_RECHECK_MINUTES = 1;

/**
 * The task a launch waits for, unless ECS describes it stopped or no longer has it (`MISSING`): its status, or
 * `NOT READ` when this decision has no reading of it (a check that came before the wait was due), which waits too.
 */
function stoppedTaskRuns(d: Launching, state: ControllerState): string | undefined {
  if (d.waitsFor === undefined) return undefined;
  const read = state.waitedTask;
  if (read === undefined || read.taskArn !== d.waitsFor.taskArn) return 'NOT READ';
  return read.lastStatus === 'STOPPED' || read.lastStatus === 'MISSING' ? undefined : read.lastStatus;
}

/**
 * The stopped task still runs (an EC2 agent's stop timeout over the wait, a disconnected agent): checked again a minute
 * later, the lock kept; after TIMEOUT_MINUTES of that the launch ends failed rather than run a second migration beside it.
 */
function waitOn(d: Launching, status: string, state: ControllerState, ctx: DecideContext): Decision {
  const task = d.waitsFor?.taskArn ?? '';
  const waited = (Date.parse(ctx.now) - Date.parse(d.launchStartedAt)) / 60_000;
  if (waited >= ctx.config.TIMEOUT_MINUTES) {
    const reason = `task ${task} of ${d.waitsFor?.deploymentId}, stopped before this launch, is still ${status === 'NOT READ' ? 'not known stopped' : status} after ${ctx.config.TIMEOUT_MINUTES} minutes (TIMEOUT_MINUTES): not launched, so two migrations never run at once; stop that task, then send the trigger again`;
    return notLaunched(d, 'failed', reason, state, ctx);
  }
  const retryAt = addMinutes(ctx.now, STOP_RECHECK_MINUTES);
  const seen = status === 'NOT READ' ? 'is not read yet' : `is still ${status}`;
  const note = `task ${task} ${seen}: checked again at ${retryAt}`;
  const waiting: Launching = { ...d, retryAt, history: [...d.history, { at: ctx.now, status: 'launching', note }] };
  const env: EnvironmentState = { ...state.env, active: { deploymentId: d.id, lockExpiresAt: lockExpiresAt(ctx) } };
  return {
    decision: 'record',
    reason: `${d.id} waits: ${note}`,
    deploymentId: d.id,
    actions: [
      { type: 'scheduleTimeout', deploymentId: d.id, environment: d.environment, at: retryAt, attempt: attemptOf(d), purpose: 'retry' },
      ...commitActions(state, env, [waiting]),
    ],
  };
}
