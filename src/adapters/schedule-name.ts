import type { ScheduledCheck } from '../ports.js';

/**
 * `ecs-migrate-<id>` for the first attempt's timeout; `ecs-migrate-<id>-<purpose>-<attempt>` for every other check,
 * and a `deadline` check also carries its time (`-YYYYMMDDHHmm`): each paused deployment that brings the timeout
 * further forward gets a schedule of its own. Scheduler keeps the first schedule of a name (a retry's is ignored).
 */
export function scheduleNameFor(deploymentId: string, check?: ScheduledCheck, at?: string): string {
  if (check === undefined || (check.purpose === 'timeout' && check.attempt === 1)) return `ecs-migrate-${deploymentId}`;
  const when = check.purpose === 'deadline' && at !== undefined ? `-${at.replace(/\D/g, '').slice(0, 12)}` : '';
  return `ecs-migrate-${deploymentId}-${check.purpose}-${check.attempt}${when}`;
}
