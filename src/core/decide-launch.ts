import { type Action, type Decision, ignore, reject } from './actions.js';
import { type DecideContext, lockExpiresAt } from './context.js';
import { type Deployment, type DeploymentKind, deploymentIdOfTrigger, isFinal, type Trigger, withStatus } from './deployment.js';
import { eventDetail } from './event-detail.js';
import type { DeployRequestInput, EcrImageActionInput, RunCommandInput } from './inputs.js';
import { commit, launchRequest, outcomeEvents, rolloutWhenHalted, toLaunching } from './lifecycle.js';
import { refuseRequest } from './request-policy.js';
import type { ControllerState, EnvironmentState, ServiceInfo } from './state.js';
import { matchesTagPattern } from './tag-pattern.js';

/** What a trigger asks for, once it has passed the configuration's filters. */
interface Plan {
  trigger: Trigger;
  kind: DeploymentKind;
  image?: string;
  taskDefinitionArn?: string;
  command: string[];
  /** A replay or a rerun request: runs even when the same image has already been migrated. */
  deliberate: boolean;
}

export function decideEcrImageAction(input: EcrImageActionInput, state: ControllerState, ctx: DecideContext): Decision {
  const { config } = ctx;
  if (input.actionType !== 'PUSH') return ignore(`ECR action "${input.actionType}" is not a push`);
  if (input.result !== 'SUCCESS') return ignore(`the push of ${input.repository} did not succeed (result ${input.result})`);
  if (input.repository !== config.REPOSITORY) {
    return ignore(`repository "${input.repository}" is not the configured REPOSITORY "${config.REPOSITORY}"`);
  }
  if (config.TAG_PATTERN !== undefined) {
    if (input.tag === undefined) return ignore(`a push by digest has no tag to match TAG_PATTERN "${config.TAG_PATTERN}"`);
    if (!matchesTagPattern(input.tag, config.TAG_PATTERN))
      return ignore(`tag "${input.tag}" does not match TAG_PATTERN "${config.TAG_PATTERN}"`);
  }
  return request(
    {
      trigger: input.trigger,
      kind: 'migration',
      image: input.image,
      command: config.MIGRATION_COMMAND,
      deliberate: input.trigger.replayName !== undefined,
    },
    state,
    ctx,
  );
}

export function decideDeployRequest(input: DeployRequestInput, state: ControllerState, ctx: DecideContext): Decision {
  const { config } = ctx;
  if (input.environment !== config.ENVIRONMENT)
    return ignore(`the request is for environment "${input.environment}", this is "${config.ENVIRONMENT}"`);
  const refused = refuseRequest(input, state.service, config);
  if (refused !== undefined) return rejectRequest(refused, input.trigger, ctx);
  const command = input.command ?? config.MIGRATION_COMMAND;
  const plan: Plan = {
    trigger: input.trigger,
    kind: 'migration',
    command,
    deliberate: input.trigger.replayName !== undefined || input.trigger.rerun === true,
    ...(input.image !== undefined ? { image: input.image } : {}),
    ...(input.taskDefinitionArn !== undefined ? { taskDefinitionArn: input.taskDefinitionArn } : {}),
  };
  return request(plan, state, ctx);
}

export function decideRunCommand(input: RunCommandInput, state: ControllerState, ctx: DecideContext): Decision {
  const { config } = ctx;
  if (input.environment !== config.ENVIRONMENT)
    return ignore(`the request is for environment "${input.environment}", this is "${config.ENVIRONMENT}"`);
  const refused = refuseRequest(input, state.service, config);
  if (refused !== undefined) return rejectRequest(refused, input.trigger, ctx);
  const plan: Plan = {
    trigger: input.trigger,
    kind: 'command',
    command: input.command,
    // A command is run every time it is requested; only a duplicate delivery of one request is dropped.
    deliberate: true,
    ...(input.image !== undefined ? { image: input.image } : {}),
    ...(input.taskDefinitionArn !== undefined ? { taskDefinitionArn: input.taskDefinitionArn } : {}),
  };
  return request(plan, state, ctx);
}

function rejectRequest(reason: string, trigger: Trigger, ctx: DecideContext): Decision {
  return reject(reason, { environment: ctx.config.ENVIRONMENT, reason, trigger });
}

/** Launch, queue or ignore a planned deployment, under the one-migration-per-environment rule. */
function request(plan: Plan, state: ControllerState, ctx: DecideContext): Decision {
  const { config, now } = ctx;
  const id = deploymentIdOfTrigger(plan.trigger, config.ENVIRONMENT);
  const existing = state.deployments[id];
  if (existing !== undefined) {
    if (existing.status === 'launching' && state.env.active?.deploymentId === id) {
      // A retried invocation after a failure between the commit and RunTask: the clientToken keeps it to one task.
      return {
        decision: 'launch',
        reason: `resuming the launch of ${id} (retried delivery)`,
        deploymentId: id,
        actions: [launchTask(existing, state.service, ctx, { resumed: true })],
      };
    }
    return ignore(`duplicate delivery: deployment ${id} exists already (${existing.status})`, id);
  }

  const service = state.service;
  if (service === undefined && plan.taskDefinitionArn === undefined) {
    // Nothing to start from: record the deployment as failed with what to fix, so it shows in the history.
    const reason = `the service could not be read: ${state.serviceProblem ?? 'unknown error'}`;
    const failed = withStatus(
      {
        id,
        revision: 0,
        environment: config.ENVIRONMENT,
        kind: plan.kind,
        status: 'failed',
        trigger: plan.trigger,
        command: plan.command,
        createdAt: now,
        finishedAt: now,
        reason,
        rollout: rolloutWhenHalted(plan.kind),
        history: [],
        ...(plan.image !== undefined ? { image: plan.image } : {}),
      },
      'failed',
      now,
      reason,
    );
    return { decision: 'halt', reason, deploymentId: id, actions: [commit(state, undefined, [failed]), ...outcomeEvents(failed)] };
  }
  if (
    plan.kind === 'migration' &&
    !plan.deliberate &&
    service !== undefined &&
    alreadyDeployed(plan, service.taskDefinitionArn, service.image, state.env)
  ) {
    return ignore(
      `already deployed: the service runs ${plan.image ?? plan.taskDefinitionArn} and its migration succeeded (${state.env.lastSucceeded?.deploymentId}); send a rerun request to run it again`,
    );
  }

  const deployment: Deployment = {
    id,
    revision: 0,
    environment: config.ENVIRONMENT,
    kind: plan.kind,
    status: 'queued',
    trigger: plan.trigger,
    command: plan.command,
    createdAt: now,
    history: [],
    ...(plan.image !== undefined ? { image: plan.image } : {}),
    ...(plan.taskDefinitionArn !== undefined ? { taskDefinitionArn: plan.taskDefinitionArn } : {}),
  };
  if (plan.kind === 'command' && plan.image === undefined && plan.taskDefinitionArn === undefined && service !== undefined) {
    // A command with no image runs in the task definition the service runs now, as it is.
    deployment.taskDefinitionArn = service.taskDefinitionArn;
  }

  const active = state.env.active !== undefined ? state.deployments[state.env.active.deploymentId] : undefined;
  const lockHeld =
    state.env.active !== undefined &&
    Date.parse(state.env.active.lockExpiresAt) > Date.parse(now) &&
    active !== undefined &&
    !isFinal(active.status);
  if (lockHeld && active !== undefined) return enqueue(deployment, plan, active, state, ctx);

  // An open deployment whose lock expired: the controller lost track of it. It ends, so the environment is usable again.
  const takeover = active !== undefined && !isFinal(active.status) ? abandon(active, id, state, ctx) : undefined;
  const launching = toLaunching(
    deployment,
    ctx,
    takeover === undefined ? 'environment free' : 'environment free (expired lock taken over)',
    service,
  );
  const env: EnvironmentState = { ...state.env, active: { deploymentId: id, lockExpiresAt: lockExpiresAt(ctx) } };
  return {
    decision: 'launch',
    reason: takeover === undefined ? `launching ${describePlan(plan)}` : `launching ${describePlan(plan)}; ${takeover.reason}`,
    deploymentId: id,
    actions: [
      commit(state, env, takeover === undefined ? [launching] : [takeover.abandoned, launching]),
      ...(takeover?.actions ?? []),
      launchTask(launching, service, ctx),
    ],
  };
}

/** Ends a deployment whose lock expired with no result: its task (if any) is stopped, and it is recorded as failed. */
function abandon(active: Deployment, takenOverBy: string, state: ControllerState, ctx: DecideContext) {
  const { now } = ctx;
  const reason = `the environment lock expired at ${state.env.active?.lockExpiresAt} with no result; taken over by ${takenOverBy}`;
  const abandoned = withStatus({ ...active, reason, rollout: rolloutWhenHalted(active.kind), finishedAt: now }, 'failed', now, reason);
  const stop: Action[] =
    active.taskArn === undefined
      ? []
      : [
          {
            type: 'stopTask',
            deploymentId: active.id,
            cluster: ctx.config.CLUSTER,
            taskArn: active.taskArn,
            reason: `ecs-migrate: ${reason}`,
          },
        ];
  return { reason, abandoned, actions: [...stop, ...outcomeEvents(abandoned)] };
}

function enqueue(deployment: Deployment, plan: Plan, active: Deployment, state: ControllerState, ctx: DecideContext): Decision {
  const queued = state.env.queued !== undefined ? state.deployments[state.env.queued] : undefined;
  if (!plan.deliberate && sameWork(plan, active)) {
    return ignore(`already in progress: ${active.id} runs the same ${plan.image ?? plan.taskDefinitionArn}`, active.id);
  }
  if (!plan.deliberate && queued !== undefined && sameWork(plan, queued)) {
    return ignore(`already queued: ${queued.id} will run the same ${plan.image ?? plan.taskDefinitionArn}`, queued.id);
  }
  const entry = withStatus(deployment, 'queued', ctx.now, `waiting for ${active.id}`);
  const written = [entry];
  const events: Action[] = [];
  let reason = `queued ${describePlan(plan)} behind ${active.id}`;
  if (queued !== undefined && !isFinal(queued.status)) {
    const note = `superseded by ${entry.id} before it ran`;
    const superseded = withStatus({ ...queued, supersededBy: entry.id, reason: note, finishedAt: ctx.now }, 'superseded', ctx.now, note);
    written.push(superseded);
    events.push({ type: 'putEvent', detailType: 'Migration Superseded', detail: eventDetail(superseded) });
    reason += `; it replaces ${queued.id}, which is superseded`;
  }
  const env: EnvironmentState = { ...state.env, queued: entry.id };
  return { decision: 'queue', reason, deploymentId: entry.id, actions: [commit(state, env, written), ...events] };
}

function launchTask(d: Deployment, service: ServiceInfo | undefined, ctx: DecideContext, resume: { resumed?: true } = {}): Action {
  return { type: 'launchTask', deploymentId: d.id, request: { ...launchRequest(d, service, ctx), ...resume } };
}

/** Same kind, command and image (or, for a request by task definition, the same task definition). */
function sameWork(plan: Plan, d: Deployment): boolean {
  // A launched deployment also carries the revision registered for its image, so compare what the plan names.
  const sameTarget =
    plan.image !== undefined ? d.image === plan.image : d.image === undefined && d.taskDefinitionArn === plan.taskDefinitionArn;
  return d.kind === plan.kind && sameTarget && d.command.join('\0') === plan.command.join('\0');
}

function alreadyDeployed(plan: Plan, serviceTaskDefinitionArn: string, serviceImage: string | undefined, env: EnvironmentState): boolean {
  const last = env.lastSucceeded;
  if (last === undefined) return false;
  if (plan.image !== undefined) return serviceImage === plan.image && last.image === plan.image;
  return plan.taskDefinitionArn === serviceTaskDefinitionArn && last.taskDefinitionArn === plan.taskDefinitionArn;
}

function describePlan(plan: Plan): string {
  const what = plan.image ?? plan.taskDefinitionArn ?? "the service's task definition";
  const how = plan.kind === 'command' ? `command "${plan.command.join(' ')}"` : `migration "${plan.command.join(' ')}"`;
  const why =
    plan.trigger.replayName !== undefined ? ` (replay ${plan.trigger.replayName})` : plan.trigger.rerun === true ? ' (rerun)' : '';
  return `${how} with ${what}${why}`;
}
