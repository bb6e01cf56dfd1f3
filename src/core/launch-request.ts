import type { Action, LaunchRequest, RolloutTarget } from './actions.js';
import type { DecideContext } from './context.js';
import { clientTokenFor, type Deployment, type Launching, startedByFor, taskOf } from './deployment.js';
import type { ServiceInfo } from './state.js';

export function rolloutTarget(ctx: DecideContext): RolloutTarget {
  return { mode: 'update-service', cluster: ctx.config.CLUSTER, service: ctx.config.SERVICE };
}

/** RunTask parameters for a deployment: the service's own network, launch type and platform; tags tie the task to the deployment. */
export function launchRequest(d: Launching, service: ServiceInfo | undefined, ctx: DecideContext, resumed = false): LaunchRequest {
  const request: LaunchRequest = {
    cluster: ctx.config.CLUSTER,
    container: ctx.config.CONTAINER,
    command: d.command,
    startedBy: startedByFor(d.id),
    clientToken: clientTokenFor(d.id, d.attempt),
    tags: {
      'ecs-migrate:environment': d.environment,
      'ecs-migrate:deployment': d.id,
      'ecs-migrate:trigger': d.trigger.type,
    },
    ...(resumed ? { resumed } : {}),
  };
  if (d.work.type === 'task-definition') request.taskDefinitionArn = d.work.taskDefinitionArn;
  else {
    request.image = d.work.image;
    const base = d.work.baseTaskDefinitionArn ?? service?.taskDefinitionArn;
    if (base !== undefined) request.baseTaskDefinitionArn = base;
  }
  if (service?.network !== undefined) request.network = service.network;
  if (service?.launchType !== undefined) request.launchType = service.launchType;
  if (service?.capacityProviderStrategy !== undefined) request.capacityProviderStrategy = service.capacityProviderStrategy;
  if (service?.platformVersion !== undefined) request.platformVersion = service.platformVersion;
  return request;
}

/** Stops a deployment's task, if it has one (or one was seen before RunTask answered). */
export function stopTaskOf(d: Deployment, ctx: DecideContext, reason: string): Action[] {
  const taskArn = taskOf(d) ?? (d.status === 'launching' ? d.earlyTaskEvent?.taskArn : undefined);
  if (taskArn === undefined) return [];
  return [{ type: 'stopTask', deploymentId: d.id, cluster: ctx.config.CLUSTER, taskArn, reason: `ecs-migrate: ${reason}`.slice(0, 1024) }];
}

/** A migration that did not succeed halts its rollout; a command never touched it. */
export function haltOf(d: Deployment, ctx: DecideContext, reason: string): Action[] {
  return d.kind === 'migration' ? [{ type: 'haltRollout', deploymentId: d.id, target: rolloutTarget(ctx), reason }] : [];
}
