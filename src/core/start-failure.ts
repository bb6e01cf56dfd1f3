import type { StoppedTask } from './classify-stop.js';

/**
 * Whether a stopped task never started for a reason that can pass, so its launch is worth another attempt:
 * - `transient`: `TaskFailedToStart` with `ResourceInitializationError`, an image pull that failed for any reason
 *   but a missing image, or no capacity ("Capacity is unavailable");
 * - `permanent`: it never started and will not (a missing image: `CannotPullContainerError` … not found / manifest
 *   unknown; any other reason ECS gives);
 * - `ran`: the migration container has an exit code: the migration ran, and running it again is never automatic.
 */
export type StartFailure = 'transient' | 'permanent' | 'ran';

/** A missing image (ECR and Docker Hub spell it these ways; local mode says "is not known on this machine"). */
const MISSING_IMAGE = /not found|manifest unknown|does not exist|is not known/i;

export function startFailure(task: StoppedTask, containerName: string): StartFailure | undefined {
  const migration = task.containers.find((c) => c.name === containerName);
  if (migration?.exitCode !== undefined) return 'ran';
  if (task.stopCode !== 'TaskFailedToStart') return undefined;
  // ECS puts the cause in the task's stoppedReason, and often in the failing container's reason as well.
  const reasons = [task.stoppedReason, ...task.containers.map((c) => c.reason)].filter((r): r is string => r !== undefined && r !== '');
  const pull = reasons.filter((r) => /CannotPullContainerError/i.test(r));
  if (pull.length > 0) return pull.some((r) => MISSING_IMAGE.test(r)) ? 'permanent' : 'transient';
  if (reasons.some((r) => /ResourceInitializationError|capacity is unavailable/i.test(r))) return 'transient';
  return 'permanent';
}
