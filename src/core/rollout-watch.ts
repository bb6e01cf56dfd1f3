import type { Action } from './actions.js';
import { addMinutes, type DecideContext } from './context.js';
import { migrationDeadline, timeoutFrom } from './deadline.js';
import type { Ended, OpenDeployment, ServiceRollout } from './deployment.js';

/**
 * The rollouts a deployment follows until ECS gives its verdict: those that went on (a ROLLBACK answered is not a
 * rollout of its revision), and a service found on the revision with ECS's rollout of it in progress (`foundOnRevision`).
 */
export function awaitingVerdict(services: ServiceRollout[] | undefined): ServiceRollout[] {
  return (services ?? []).filter(
    (s) => (s.result === 'continued' || s.result === 'unchanged') && s.ecsDeploymentId !== undefined && s.completion === undefined,
  );
}

/** When `s` of a deployment that ended at `finishedAt` is due a verdict: ROLLOUT_WATCH_MINUTES after it was followed. */
export function rolloutDueAt(s: ServiceRollout, finishedAt: string, ctx: DecideContext): string {
  return addMinutes(s.since ?? finishedAt, ctx.config.ROLLOUT_WATCH_MINUTES);
}

/**
 * The deployment's rollout-watch check at `at` (by default ROLLOUT_WATCH_MINUTES after its end). Its schedule is
 * named with its time, as a `deadline` check is: a later rollout of the deployment gets a check of its own.
 */
export function rolloutWatchCheck(
  d: Pick<Ended, 'id' | 'environment' | 'finishedAt'>,
  ctx: DecideContext,
  at = addMinutes(d.finishedAt, ctx.config.ROLLOUT_WATCH_MINUTES),
): Extract<Action, { type: 'scheduleTimeout' }> {
  return { type: 'scheduleTimeout', deploymentId: d.id, environment: d.environment, at, attempt: 1, purpose: 'rollout-watch' };
}

/**
 * The rollout-watch check of `d`, ending now as `ended` with rollouts awaiting ECS's verdict, when none of its checks is
 * still to come. The check set at launch follows the rollouts once it comes after the end (`watchRollouts`); a
 * deployment ended by that check (a task found stopped, a launch found rolled out) or after it (a lock takeover) has
 * no check left (`DecideContext.lastCheck`, or its deadline passed), so it gets its own. None on the usual path: one
 * more schedule would be one more request.
 */
export function watchWhenNoCheckLeft(d: OpenDeployment, ended: Ended, ctx: DecideContext): Action[] {
  if (awaitingVerdict(ended.services).length === 0 || d.status === 'queued') return [];
  const checkCame = ctx.lastCheck === true || Date.parse(ctx.now) >= Date.parse(migrationDeadline(timeoutFrom(d), d, ctx));
  return checkCame ? [rolloutWatchCheck(ended, ctx)] : [];
}

/** `ctx` for a decision made with no check of the deployment still to come (`DecideContext.lastCheck`). */
export function noCheckLeft(ctx: DecideContext): DecideContext {
  return { ...ctx, lastCheck: true };
}
