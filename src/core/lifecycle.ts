import type { Action, DeploymentCommit, EmittedType, LaunchRequest, RolloutTarget } from './actions.js';
import { type DecideContext, lockExpiresAt } from './context.js';
import {
  clientTokenFor,
  type Deployment,
  type DeploymentKind,
  type RolloutOutcome,
  type StopReport,
  startedByFor,
  withStatus,
} from './deployment.js';
import { eventDetail } from './event-detail.js';
import type { ControllerState, EnvironmentState, ServiceInfo } from './state.js';

/** The state changes a decision makes, as one `commit` action. */
export function commit(state: ControllerState, env: EnvironmentState | undefined, deployments: Deployment[]): Action {
  const changes: DeploymentCommit[] = deployments.map((d) => {
    const before = state.deployments[d.id];
    const expectedRevision = before?.revision ?? 0;
    return { deployment: { ...d, revision: expectedRevision + 1 }, expectedRevision };
  });
  return env === undefined
    ? { type: 'commit', deployments: changes }
    : {
        type: 'commit',
        env: { state: { ...env, version: state.env.version + 1 }, expectedVersion: state.env.version },
        deployments: changes,
      };
}

export function rolloutTarget(ctx: DecideContext): RolloutTarget {
  return { mode: 'update-service', cluster: ctx.config.CLUSTER, service: ctx.config.SERVICE };
}

/** RunTask parameters for a deployment: the service's own network, launch type and platform; tags tie the task to the deployment. */
export function launchRequest(d: Deployment, service: ServiceInfo | undefined, ctx: DecideContext): LaunchRequest {
  const request: LaunchRequest = {
    cluster: ctx.config.CLUSTER,
    container: ctx.config.CONTAINER,
    command: d.command,
    startedBy: startedByFor(d.id),
    clientToken: clientTokenFor(d.id),
    tags: {
      'ecs-migrate:environment': d.environment,
      'ecs-migrate:deployment': d.id,
      'ecs-migrate:trigger': d.trigger.type,
    },
  };
  if (d.taskDefinitionArn !== undefined) request.taskDefinitionArn = d.taskDefinitionArn;
  else {
    if (d.image !== undefined) request.image = d.image;
    const base = d.baseTaskDefinitionArn ?? service?.taskDefinitionArn;
    if (base !== undefined) request.baseTaskDefinitionArn = base;
  }
  if (service?.network !== undefined) request.network = service.network;
  if (service?.launchType !== undefined) request.launchType = service.launchType;
  if (service?.capacityProviderStrategy !== undefined) request.capacityProviderStrategy = service.capacityProviderStrategy;
  if (service?.platformVersion !== undefined) request.platformVersion = service.platformVersion;
  return request;
}

/** Marks a deployment as launching: it holds the environment from now on. */
export function toLaunching(d: Deployment, ctx: DecideContext, note: string, service: ServiceInfo | undefined): Deployment {
  const base = d.taskDefinitionArn === undefined && service !== undefined ? { baseTaskDefinitionArn: service.taskDefinitionArn } : {};
  return withStatus({ ...d, ...base }, 'launching', ctx.now, note);
}

/** How a deployment that did not succeed leaves the rollout: a migration halts it; a command never touched it. */
export function rolloutWhenHalted(kind: DeploymentKind): RolloutOutcome {
  return kind === 'migration' ? 'halted' : 'not-applicable';
}

export type Ending = {
  deployment: Deployment;
  reason: string;
  stop?: StopReport;
  logTail?: string[];
  stoppedAt?: string;
} & (
  | {
      status: 'succeeded';
      rollout: RolloutOutcome;
      /** The task definition the service runs once this deployment has ended (the base of the next one). */
      serviceTaskDefinitionArn?: string;
    }
  | {
      status: 'failed' | 'timed_out';
      /** Why a migration's rollout halts (the `haltRollout` action's reason); the rollout is derived. */
      haltReason: string;
    }
);

/**
 * Ends the active deployment: a migration that did not succeed halts its rollout first; then one commit records
 * the outcome, frees the environment and hands it to the queued deployment if there is one; then the outcome
 * events, then that deployment's launch.
 */
export function finish(state: ControllerState, ctx: DecideContext, end: Ending): Action[] {
  const d = end.deployment;
  const halt: Action[] =
    end.status !== 'succeeded' && d.kind === 'migration'
      ? [{ type: 'haltRollout', deploymentId: d.id, target: rolloutTarget(ctx), reason: end.haltReason }]
      : [];
  const final: Deployment = withStatus(
    {
      ...d,
      reason: end.reason,
      rollout: end.status === 'succeeded' ? end.rollout : rolloutWhenHalted(d.kind),
      finishedAt: ctx.now,
      ...(end.stop !== undefined ? { stop: end.stop } : {}),
      ...(end.logTail !== undefined && end.logTail.length > 0 ? { logTail: end.logTail } : {}),
      ...(end.stoppedAt !== undefined ? { stoppedAt: end.stoppedAt } : {}),
    },
    end.status,
    ctx.now,
    end.reason,
  );

  const env: EnvironmentState = { ...state.env };
  if (env.active?.deploymentId === d.id) delete env.active;
  if (end.status === 'succeeded' && d.kind === 'migration') {
    env.lastSucceeded = {
      deploymentId: d.id,
      at: ctx.now,
      ...(d.image !== undefined ? { image: d.image } : {}),
      ...(d.taskDefinitionArn !== undefined ? { taskDefinitionArn: d.taskDefinitionArn } : {}),
    };
  }

  const next = env.active === undefined && env.queued !== undefined ? state.deployments[env.queued] : undefined;
  const written: Deployment[] = [final];
  const after: Action[] = outcomeEvents(final);
  if (next !== undefined) {
    delete env.queued;
    env.active = { deploymentId: next.id, lockExpiresAt: lockExpiresAt(ctx) };
    const service = nextService(state.service, end.status === 'succeeded' ? end.serviceTaskDefinitionArn : undefined);
    const launching = toLaunching(next, ctx, `environment freed by ${d.id}`, service);
    written.push(launching);
    after.push({ type: 'launchTask', deploymentId: next.id, request: launchRequest(launching, service, ctx) });
  }
  return [...halt, commit(state, env, written), ...after];
}

function nextService(service: ServiceInfo | undefined, taskDefinitionArn: string | undefined): ServiceInfo | undefined {
  if (service === undefined || taskDefinitionArn === undefined) return service;
  return { ...service, taskDefinitionArn };
}

/** The events that say how a deployment ended. */
export function outcomeEvents(d: Deployment): Action[] {
  const detail = eventDetail(d);
  const put = (detailType: EmittedType): Action => ({ type: 'putEvent', detailType, detail });
  if (d.kind === 'command') {
    if (d.status === 'succeeded') return [put('Command Succeeded')];
    if (d.status === 'failed' || d.status === 'timed_out') return [put('Command Failed')];
    return [];
  }
  switch (d.status) {
    case 'succeeded':
      return [put('Migration Succeeded'), put('Rollout Continued')];
    case 'failed':
      return [put('Migration Failed'), put('Rollout Halted')];
    case 'timed_out':
      return [put('Migration Timed Out'), put('Rollout Halted')];
    case 'superseded':
      return [put('Migration Superseded')];
    default:
      return [];
  }
}
