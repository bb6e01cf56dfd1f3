import { classifyStop, type StoppedTask } from './classify-stop.js';
import type { Deployment, Launching, Running, ServiceRollout, TaskObservation } from './deployment.js';
import { stopReason } from './launch-request.js';
import type { ControllerState, ServiceInfo } from './state.js';
import { recordTask, type Transition } from './transitions.js';

/** Why ecs-migrate stops the rest of a task whose migration container exited (the watcher, `judge`). */
export const LEFTOVER_STOP = 'the migration container exited; the rest of the task is not needed';

/**
 * An open migration the watcher rolled out and died before recording. Two facts, neither enough alone (a service
 * updated by family while a migration runs picks up its revision):
 * - its migration container exited 0, by a task of its own: the task read with DescribeTasks for a running
 *   deployment; for a launching one, a task event kept before RunTask's answer, of a task that ran the revision the
 *   service runs. A task stopped by anyone but ecs-migrate (or reclaimed) proves nothing: a process may exit 0 on
 *   SIGTERM halfway through; ecs-migrate stops only the rest of a task whose migration container had exited
 *   (`LEFTOVER_STOP`);
 * - the service runs the migration's own revision, registered for its image and tagged with its id (`migratedBy`;
 *   for a running deployment, also the revision it recorded). Only the watcher moves a service there after exit 0.
 * An operator's request then leaves the deployment to the retried event whose handling died (for a running one, at
 * the latest its timeout check); a lock takeover records the success, and so does the watcher when it judges that
 * task, stopped by it after the exit, before its end was recorded.
 */
export function rolledOutUnrecorded(d: Deployment, service: ServiceInfo | undefined, container: string, task?: StoppedTask): boolean {
  if ((d.status !== 'running' && d.status !== 'launching') || d.kind !== 'migration' || d.work.type !== 'image') return false;
  if (service === undefined) return false;
  if (d.status === 'launching') return keptExitZero(d, service, container) !== undefined;
  const onItsRevision = service.migratedBy === d.id || service.taskDefinitionArn === d.taskDefinitionArn;
  return onItsRevision && task !== undefined && exitedZero(task, container, d.essentialSidecars);
}

/**
 * A paused deployment's migration (pause-hook, `revision` work) whose task ecs-migrate stopped (`LEFTOVER_STOP`) after
 * its migration container exited 0, the end not recorded: the watcher answered CONTINUE to its hooks before that stop
 * (`continueRollout`), and died before the commit. Nothing the service shows proves that answer (a paused service
 * names its target revision already), so the stop reason alone tells our stop from another's, and only of a
 * migration container that exited 0: anyone allowed `ecs:StopTask` can give that reason, and a migration that exits 0
 * on SIGTERM halfway through would then count as a success (docs/RELIABILITY.md, who can do what).
 */
export function hookContinuedUnrecorded(d: Running, container: string, task: StoppedTask): boolean {
  return (
    d.kind === 'migration' && d.work.type === 'revision' && d.waiters !== undefined && exitedZero(task, container, d.essentialSidecars)
  );
}

/**
 * A launching deployment's kept task event that shows its rollout: the service runs the revision tagged with its id,
 * and the event is of a task that ran that revision and whose migration container exited 0.
 */
export function keptExitZero(d: Launching, service: ServiceInfo, container: string): TaskObservation | undefined {
  if (service.migratedBy !== d.id) return undefined;
  return (d.earlyTaskEvents ?? []).find((e) => e.taskDefinitionArn === service.taskDefinitionArn && exitedZero(e, container));
}

/**
 * The deployment a success the service shows ends: a running one as it is; a launching one with the task of its kept
 * event recorded as its own first (it ran the revision registered for it), so the end names the task that exited 0.
 */
export function withItsTask(d: Launching | Running, service: ServiceInfo, container: string, now: string): Transition<Running> {
  if (d.status === 'running') return { deployment: d, events: [] };
  const kept = keptExitZero(d, service, container);
  if (kept === undefined) throw new Error(`deployment ${d.id} shows no rollout: check rolledOutUnrecorded first`);
  return recordTask(d, { taskArn: kept.taskArn, taskDefinitionArn: service.taskDefinitionArn }, now);
}

/** The migration container exited 0, and the task was not stopped by anyone else before the end. */
function exitedZero(task: StoppedTask, container: string, sidecars?: readonly string[]): boolean {
  if (classifyStop(task, container, sidecars).ok) return true;
  const ours = task.stopCode === 'UserInitiated' && task.stoppedReason?.startsWith(stopReason(LEFTOVER_STOP)) === true;
  return ours && task.containers.find((c) => c.name === container)?.exitCode === 0;
}

/** The task `state` holds for `d` (`LoadPlan.openTask`), if it is `d`'s own. */
export function taskOfState(d: Deployment, state: ControllerState): ControllerState['task'] {
  return d.status === 'running' && state.task?.taskArn === d.taskArn ? state.task : undefined;
}

/**
 * A service found on the revision `taskDefinitionArn` already, recorded as what the rollout did to it, with the rollout
 * ECS has in progress to that revision (ServiceInfo.rolloutInProgress) when it has one, so the deployment still follows
 * it to ECS's verdict: the invocation that updated the service may have died before recording its answer.
 */
export function foundOnRevision(
  service: ServiceInfo,
  taskDefinitionArn: string,
  rollout: Pick<ServiceRollout, 'service' | 'result' | 'reason'>,
): ServiceRollout {
  const inProgress = service.rolloutInProgress;
  return inProgress?.taskDefinitionArn === taskDefinitionArn ? { ...rollout, ecsDeploymentId: inProgress.ecsDeploymentId } : rollout;
}

/**
 * The `services` of a deployment ended as the success the service shows (its revision found running, by a timeout
 * check or a lock takeover): the rollout ECS has in progress to that revision, followed; none when there is none.
 */
export function followedOn(service: ServiceInfo): { services?: ServiceRollout[] } {
  const found = foundOnRevision(service, service.taskDefinitionArn, {
    service: service.serviceName,
    result: 'continued',
    reason: 'found on its revision',
  });
  return found.ecsDeploymentId !== undefined ? { services: [found] } : {};
}
