import type { Deployment } from './deployment.js';
import type { ContainerState } from './inputs.js';
import type { ControllerState, ServiceInfo } from './state.js';

/** What was read of a task: its containers, each with its exit code once it has one. */
type TaskSeen = { containers: readonly Pick<ContainerState, 'name' | 'exitCode'>[] };

/**
 * An open migration the watcher rolled out and died before recording: its migration container is known to have
 * exited 0 (in `task`, read with DescribeTasks, for a running deployment; in a task event kept before RunTask's
 * answer, for a launching one), and the service runs its own revision, registered for its image and tagged with its
 * id (`migratedBy`; for a running deployment, also the revision it recorded). Only the watcher moves a service there
 * after exit 0 (or the owner by hand, after it): either way the migration succeeded and its revision runs. Neither
 * alone proves it: a service updated by family while a migration runs picks up its revision before it ended. An
 * operator's request then leaves the deployment to the watcher; a lock takeover records the success, and so does the
 * watcher when it judges the task, stopped by us after the exit (`UserInitiated`), before its end was recorded.
 */
export function rolledOutUnrecorded(d: Deployment, service: ServiceInfo | undefined, container: string, task?: TaskSeen): boolean {
  if ((d.status !== 'running' && d.status !== 'launching') || d.kind !== 'migration' || d.work.type !== 'image') return false;
  if (service === undefined) return false;
  const exitedZero = (t: TaskSeen | undefined) => t?.containers.find((c) => c.name === container)?.exitCode === 0;
  if (d.status === 'launching') return service.migratedBy === d.id && (d.earlyTaskEvents ?? []).some(exitedZero);
  return (service.migratedBy === d.id || service.taskDefinitionArn === d.taskDefinitionArn) && exitedZero(task);
}

/** The task `state` holds for `d` (`LoadPlan.openTask`), if it is `d`'s own. */
export function taskOfState(d: Deployment, state: ControllerState): ControllerState['task'] {
  return d.status === 'running' && state.task?.taskArn === d.taskArn ? state.task : undefined;
}
