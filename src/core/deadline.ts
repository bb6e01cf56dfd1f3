import type { Action } from './actions.js';
import { addMinutes, type DecideContext } from './context.js';
import { attemptOf, type Deployment, type Launching, type Running, type Waiter } from './deployment.js';

/** How long before a paused deployment's own timeout the migration is stopped, so there is time to answer. */
export const HOOK_MARGIN_MINUTES = 5;

/**
 * When a migration launched at `from` times out: TIMEOUT_MINUTES, or earlier when a paused deployment waiting for
 * it would time out first (its expiry less a margin), so the answer is ours, not ECS's default.
 */
export function migrationDeadline(from: string, d: Pick<Deployment, 'waiters'>, ctx: DecideContext): string {
  const timeout = addMinutes(from, ctx.config.TIMEOUT_MINUTES);
  // A waiter whose deadline had passed when this attempt started is ECS's to time out already: it cannot cut short
  // the migration the others wait for.
  return earliest([timeout, ...deadlinesAfter(d, from)]) ?? timeout;
}

/** The deadlines of the paused deployments waiting for `d` that come after `time`. */
function deadlinesAfter(d: Pick<Deployment, 'waiters'>, time: string): string[] {
  return (d.waiters ?? []).map(waiterDeadline).filter((due): due is string => due !== undefined && Date.parse(due) > Date.parse(time));
}

/** The first deadline of a paused deployment waiting for `d` that comes after `time`, if any. */
export function firstWaiterDeadline(d: Pick<Deployment, 'waiters'>, time: string): string | undefined {
  return earliest(deadlinesAfter(d, time));
}

/** The earliest of ISO times, if any. */
function earliest(times: string[]): string | undefined {
  return times.reduce<string | undefined>((a, b) => (a === undefined || Date.parse(b) < Date.parse(a) ? b : a), undefined);
}

/** When ecs-migrate answers a paused deployment at the latest: its hook's expiry less the margin (unknown: none). */
export function waiterDeadline(w: Waiter): string | undefined {
  return w.expiresAt !== undefined ? addMinutes(w.expiresAt, -HOOK_MARGIN_MINUTES) : undefined;
}

/**
 * Whether every paused deployment waiting for `d` is past its deadline at `now`: ECS applies (or has applied) their
 * hooks' timeout action, so a migration launched for them now would gate nothing and be stopped at once.
 */
export function waitersAllExpired(d: Pick<Deployment, 'waiters'>, now: string): boolean {
  const waiters = d.waiters ?? [];
  return (
    waiters.length > 0 &&
    waiters.every((w) => {
      const due = waiterDeadline(w);
      return due !== undefined && Date.parse(due) <= Date.parse(now);
    })
  );
}

/** When the current launch attempt of an open deployment started: the time its timeout counts from. */
export function timeoutFrom(d: Launching | Running): string {
  return d.status === 'running' ? d.launchedAt : d.launchStartedAt;
}

/**
 * The check of a queued migration's paused deployments (pause-hook mode): at the next deadline of its waiters, or at
 * once when all are past theirs; none when no waiter has a known expiry. While it waits in the queue nothing else
 * would answer a hook about to expire: the check ends it, answering ROLLBACK, once all are past (decide-watch.ts).
 */
export function queuedCheck(d: Deployment, now: string): Extract<Action, { type: 'scheduleTimeout' }> | undefined {
  const at = waitersAllExpired(d, now) ? now : earliest(deadlinesAfter(d, now));
  return at !== undefined ? deadlineCheck(d, at) : undefined;
}

/**
 * A timeout check of the current attempt at `at` other than the one set at launch (brought forward by a paused
 * deployment, or set again at the due time; a queued migration's): a `deadline` schedule, named with its time so the
 * launch's does not hide it.
 */
export function deadlineCheck(
  d: Pick<Deployment, 'id' | 'environment' | 'attempt'>,
  at: string,
): Extract<Action, { type: 'scheduleTimeout' }> {
  return { type: 'scheduleTimeout', deploymentId: d.id, environment: d.environment, at, attempt: attemptOf(d), purpose: 'deadline' };
}
