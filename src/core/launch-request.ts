import type { Action, LaunchRequest, RolloutTarget } from './actions.js';
import type { DecideContext } from './context.js';
import { clientTokenFor, type Deployment, type Launching, startedByFor, taskOf } from './deployment.js';
import type { ServiceInfo } from './state.js';

/** Where a deployment's rollout goes on or stops: the paused deployments waiting for it, or the services to update. */
export function rolloutTarget(d: Pick<Deployment, 'waiters'>, ctx: DecideContext): RolloutTarget {
  if (d.waiters !== undefined) return { mode: 'pause-hook', waiters: d.waiters };
  const { CLUSTER: cluster, SERVICE: service, SERVICES: services } = ctx.config;
  return services.length > 1 ? { mode: 'update-service', cluster, service, services } : { mode: 'update-service', cluster, service };
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
  if (d.work.type === 'image') {
    request.image = d.work.image;
    const base = d.work.baseTaskDefinitionArn ?? service?.taskDefinitionArn;
    if (base !== undefined) request.baseTaskDefinitionArn = base;
  } else request.taskDefinitionArn = d.work.taskDefinitionArn;
  // A paused deployment's revision says where its tasks will run; otherwise the service does.
  const where = d.work.type === 'revision' ? d.work.launch : service;
  if (where?.network !== undefined) request.network = where.network;
  if (where?.launchType !== undefined) request.launchType = where.launchType;
  if (where?.capacityProviderStrategy !== undefined) request.capacityProviderStrategy = where.capacityProviderStrategy;
  if (where?.platformVersion !== undefined) request.platformVersion = where.platformVersion;
  return request;
}

/** Stops a deployment's task, if it has one (or one was seen before RunTask answered). */
export function stopTaskOf(d: Deployment, ctx: DecideContext, reason: string): Action[] {
  // RunTask may have started a task whose answer was lost (an early event may even be someone else's): stop every
  // task started for the deployment, never end it while one may run.
  if (d.status === 'launching') return [stopTasksOf(d, ctx, reason)];
  const taskArn = taskOf(d);
  return taskArn !== undefined ? [stopTaskNamed(d, taskArn, ctx, reason)] : [];
}

/** Stops one task of the deployment, named by RunTask's answer or by the deployment's record. */
export function stopTaskNamed(d: Deployment, taskArn: string, ctx: DecideContext, reason: string): Action {
  return { type: 'stopTask', deploymentId: d.id, cluster: ctx.config.CLUSTER, taskArn, reason: stopReason(reason) };
}

/** Stops every task started for the deployment (by its startedBy; the adapter stops only those tagged for this environment). */
export function stopTasksOf(d: Deployment, ctx: DecideContext, reason: string): Action {
  return {
    type: 'stopTasksStartedBy',
    deploymentId: d.id,
    cluster: ctx.config.CLUSTER,
    startedBy: startedByFor(d.id),
    reason: stopReason(reason),
  };
}

/** The StopTask reason ecs-migrate gives (ECS reports it as the task's `stoppedReason`). */
export function stopReason(reason: string): string {
  return `ecs-migrate: ${reason}`.slice(0, 1024);
}

/** A migration that did not succeed halts its rollout; a command never touched it. */
export function haltOf(d: Deployment, ctx: DecideContext, reason: string): Action[] {
  return d.kind === 'migration' ? [{ type: 'haltRollout', deploymentId: d.id, target: rolloutTarget(d, ctx), reason }] : [];
}
