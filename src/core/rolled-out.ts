import type { Deployment, Launching, Running } from './deployment.js';
import type { ServiceInfo } from './state.js';

/**
 * An open migration whose own revision (registered for its image, tagged with its id) the service runs already: its
 * task exited 0 and the watcher moved the service, then died before recording it. Only the watcher moves a service to
 * that revision, and only after exit 0, so the service proves the success. Known by the revision's tag when the
 * service was read with its image (`migratedBy`), else, for a running deployment, by the revision it recorded. A
 * task definition run as it is proves nothing (the service may have run it before). An operator's request leaves such
 * a deployment to the watcher; a lock takeover records its success.
 */
export function rolledOutUnrecorded(d: Deployment, service: ServiceInfo | undefined): d is Launching | Running {
  if ((d.status !== 'running' && d.status !== 'launching') || d.kind !== 'migration' || d.work.type !== 'image') return false;
  if (service === undefined) return false;
  return service.migratedBy === d.id || (d.status === 'running' && service.taskDefinitionArn === d.taskDefinitionArn);
}
