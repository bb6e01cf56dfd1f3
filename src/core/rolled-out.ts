import type { Deployment, Running } from './deployment.js';
import type { ServiceInfo } from './state.js';

/**
 * A running migration whose own revision (registered for its image) the service runs already: its task exited 0 and
 * the watcher moved the service, then died before recording it. Only the watcher moves a service to that revision,
 * and only after exit 0, so the service proves the success. A task definition run as it is proves nothing (the
 * service may have run it before). An operator's request leaves such a deployment to the watcher; a lock takeover
 * records its success.
 */
export function rolledOutUnrecorded(d: Deployment, service: ServiceInfo | undefined): d is Running {
  return (
    d.status === 'running' &&
    d.kind === 'migration' &&
    d.work.type === 'image' &&
    service !== undefined &&
    service.taskDefinitionArn === d.taskDefinitionArn
  );
}
