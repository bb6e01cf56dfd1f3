import type { Action } from './actions.js';
import { addMinutes, type DecideContext } from './context.js';
import { attemptOf, type Deployment, type Launching, type Running } from './deployment.js';

/** How long before a paused deployment's own timeout the migration is stopped, so there is time to answer. */
export const HOOK_MARGIN_MINUTES = 5;

/**
 * When a migration launched at `from` times out: TIMEOUT_MINUTES, or earlier when a paused deployment waiting for
 * it would time out first (its expiry less a margin), so the answer is ours, not ECS's default.
 */
export function migrationDeadline(from: string, d: Pick<Deployment, 'waiters'>, ctx: DecideContext): string {
  const candidates = [addMinutes(from, ctx.config.TIMEOUT_MINUTES)];
  for (const w of d.waiters ?? []) if (w.expiresAt !== undefined) candidates.push(addMinutes(w.expiresAt, -HOOK_MARGIN_MINUTES));
  return candidates.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
}

/** When the current launch attempt of an open deployment started: the time its timeout counts from. */
export function timeoutFrom(d: Launching | Running): string {
  return d.status === 'running' ? d.launchedAt : d.launchStartedAt;
}

/**
 * A timeout check of the current attempt at `at` other than the one set at launch (brought forward by a paused
 * deployment, or set again at the due time): a `deadline` schedule, named with its time so the launch's does not hide it.
 */
export function deadlineCheck(d: Launching | Running, at: string): Extract<Action, { type: 'scheduleTimeout' }> {
  return { type: 'scheduleTimeout', deploymentId: d.id, environment: d.environment, at, attempt: attemptOf(d), purpose: 'deadline' };
}
