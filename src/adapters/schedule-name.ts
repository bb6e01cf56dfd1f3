import type { ScheduledCheck } from '../ports.js';

/**
 * `ecs-migrate-<id>` for the first attempt's timeout; `ecs-migrate-<id>-<purpose>-<attempt>` for every other check,
 * and a `deadline` or `rollout-watch` check, or a first attempt's `retry` check, also carries its time
 * (`-YYYYMMDDHHmm`): each paused deployment that brings the timeout further forward, each rollout followed after the
 * end, and each check of a stopped task a launch waits for, gets a schedule of its own. Scheduler keeps
 * the first schedule of a name (a retry's is ignored).
 */
export function scheduleNameFor(deploymentId: string, check?: ScheduledCheck, at?: string): string {
  if (check === undefined || (check.purpose === 'timeout' && check.attempt === 1)) return `ecs-migrate-${deploymentId}`;
  // A first attempt's `retry` check is a launch waiting for a stopped task (`waitForStop`), checked again while it runs.
  const timed = check.purpose === 'deadline' || check.purpose === 'rollout-watch' || (check.purpose === 'retry' && check.attempt === 1);
  const when = timed && at !== undefined ? `-${at.replace(/\D/g, '').slice(0, 12)}` : '';
  // `watch` for a rollout-watch check: with its time, `rollout-watch` would pass Scheduler's 64 characters.
  const purpose = check.purpose === 'rollout-watch' ? 'watch' : check.purpose;
  return `ecs-migrate-${deploymentId}-${purpose}-${check.attempt}${when}`;
}
