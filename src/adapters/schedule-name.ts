import type { ScheduledCheck } from '../ports.js';

/**
 * `ecs-migrate-<id>` for the first attempt's timeout; `ecs-migrate-<id>-<purpose>-<attempt>` for every other check,
 * and a `deadline` or `rollout-watch` check also carries its time (`-YYYYMMDDHHmm`): each paused deployment that brings
 * the timeout further forward, and each rollout followed after the end, gets a schedule of its own. Scheduler keeps
 * the first schedule of a name (a retry's is ignored).
 */
export function scheduleNameFor(deploymentId: string, check?: ScheduledCheck, at?: string): string {
  if (check === undefined || (check.purpose === 'timeout' && check.attempt === 1)) return `ecs-migrate-${deploymentId}`;
  const timed = check.purpose === 'deadline' || check.purpose === 'rollout-watch';
  const when = timed && at !== undefined ? `-${at.replace(/\D/g, '').slice(0, 12)}` : '';
  // `watch` for a rollout-watch check: with its time, `rollout-watch` would pass Scheduler's 64 characters.
  const purpose = check.purpose === 'rollout-watch' ? 'watch' : check.purpose;
  return `ecs-migrate-${deploymentId}-${purpose}-${check.attempt}${when}`;
}
