import { type Action, type Decision, ignore } from './actions.js';
import { classifyStop } from './classify-stop.js';
import { addMinutes, type DecideContext } from './context.js';
import { type Deployment, deploymentIdFromStartedBy, isFinal, type RolloutOutcome, withStatus } from './deployment.js';
import { eventDetail } from './event-detail.js';
import type { LaunchResultInput, TaskStateInput, TimeoutCheckInput } from './inputs.js';
import { commit, finish, rolloutTarget } from './lifecycle.js';
import type { ControllerState } from './state.js';
import { compareRevisions } from './task-definition.js';

/** ECS `Task State Change`: record progress, and on STOPPED continue or halt the rollout. */
export function decideTaskState(input: TaskStateInput, state: ControllerState, ctx: DecideContext): Decision {
  const id = deploymentIdFromStartedBy(input.startedBy);
  if (id === undefined) return ignore(`task ${input.taskArn} was not started by ecs-migrate (startedBy "${input.startedBy ?? ''}")`);
  const d = state.deployments[id];
  if (d === undefined)
    return ignore(`no deployment ${id} in environment ${ctx.config.ENVIRONMENT} (another environment's task, or purged)`, id);
  if (isFinal(d.status)) return ignore(`deployment ${id} has already ended (${d.status}): duplicate or late event`, id);
  if (d.taskArn !== undefined && d.taskArn !== input.taskArn)
    return ignore(`task ${input.taskArn} is not the deployment's task ${d.taskArn}`, id);
  if (d.taskVersion !== undefined && input.version <= d.taskVersion) {
    return ignore(`stale event: task version ${input.version} is not newer than ${d.taskVersion} already seen`, id);
  }

  const seen: Deployment = {
    ...d,
    taskArn: input.taskArn,
    taskVersion: input.version,
    ...(d.taskDefinitionArn === undefined ? { taskDefinitionArn: input.taskDefinitionArn } : {}),
    ...(input.startedAt !== undefined ? { startedAt: input.startedAt } : {}),
  };

  if (input.lastStatus !== 'STOPPED') {
    const note = `task ${input.lastStatus}`;
    const recorded = d.status === 'launching' ? withStatus(seen, 'running', ctx.now, note) : seen;
    return {
      decision: 'record',
      reason: `task ${shortTask(input.taskArn)} is ${input.lastStatus}`,
      deploymentId: id,
      actions: [commit(state, undefined, [recorded])],
    };
  }

  const verdict = classifyStop(input, ctx.config.CONTAINER);
  const stopped = {
    stop: verdict.report,
    ...(input.stoppedAt !== undefined ? { stoppedAt: input.stoppedAt } : {}),
    ...(input.logTail !== undefined ? { logTail: input.logTail } : {}),
  };
  const cancel: Action = { type: 'cancelTimeout', deploymentId: id };

  if (!verdict.ok) {
    const reason =
      d.kind === 'migration'
        ? `${verdict.reason}: rollout halted, service left on its current revision`
        : `${verdict.reason}: command failed`;
    return {
      decision: 'halt',
      reason,
      deploymentId: id,
      actions: [cancel, ...finish(state, ctx, { deployment: seen, status: 'failed', reason, haltReason: verdict.reason, ...stopped })],
    };
  }

  if (d.kind === 'command') {
    const reason = `${verdict.reason}: command succeeded`;
    return {
      decision: 'continue',
      reason,
      deploymentId: id,
      actions: [cancel, ...finish(state, ctx, { deployment: seen, status: 'succeeded', reason, rollout: 'not-applicable', ...stopped })],
    };
  }

  if (state.service === undefined) {
    const reason = `${verdict.reason}, but the service could not be read (${state.serviceProblem ?? 'unknown error'}): rollout halted`;
    return {
      decision: 'halt',
      reason,
      deploymentId: id,
      actions: [cancel, ...finish(state, ctx, { deployment: seen, status: 'failed', reason, haltReason: reason, ...stopped })],
    };
  }
  const wanted = seen.taskDefinitionArn ?? input.taskDefinitionArn;
  const current = state.service.taskDefinitionArn;
  const order = compareRevisions(current, wanted);
  let rollout: RolloutOutcome = 'continued';
  let how = `service ${ctx.config.SERVICE} updated to ${wanted}`;
  const rolloutActions: Action[] = [];
  if (order === 'same') {
    rollout = 'already-current';
    how = `service ${ctx.config.SERVICE} already runs ${wanted}`;
  } else if (order === 'newer') {
    rollout = 'moved-on';
    how = `service ${ctx.config.SERVICE} has moved on to ${current} meanwhile; not moved back to ${wanted}`;
  } else {
    rolloutActions.push({ type: 'continueRollout', deploymentId: id, target: rolloutTarget(ctx), taskDefinitionArn: wanted });
  }
  const serviceAfter = rollout === 'moved-on' ? current : wanted;
  const reason = `${verdict.reason}: ${how}`;
  return {
    decision: 'continue',
    reason,
    deploymentId: id,
    // The service update comes before the commit: if this invocation dies in between, the retry finds the
    // deployment still open and updates again (idempotent) instead of finding it ended and skipping the rollout.
    actions: [
      cancel,
      ...rolloutActions,
      ...finish(state, ctx, { deployment: seen, status: 'succeeded', reason, rollout, ...stopped, serviceTaskDefinitionArn: serviceAfter }),
    ],
  };
}

/** The one-shot schedule set at launch: past TIMEOUT_MINUTES, stop the task and halt. */
export function decideTimeoutCheck(input: TimeoutCheckInput, state: ControllerState, ctx: DecideContext): Decision {
  const d = state.deployments[input.deploymentId];
  if (input.environment !== ctx.config.ENVIRONMENT)
    return ignore(`timeout check for environment "${input.environment}", this is "${ctx.config.ENVIRONMENT}"`);
  if (d === undefined) return ignore(`no deployment ${input.deploymentId}`, input.deploymentId);
  if (isFinal(d.status)) return ignore(`deployment ${d.id} has already ended (${d.status})`, d.id);
  const due = addMinutes(d.launchedAt ?? d.createdAt, ctx.config.TIMEOUT_MINUTES);
  if (Date.parse(ctx.now) < Date.parse(due)) return ignore(`deployment ${d.id} is not due to time out until ${due}`, d.id);

  const minutes = ctx.config.TIMEOUT_MINUTES;
  const started = d.taskArn !== undefined;
  const what = started
    ? `still running after ${minutes} minutes (TIMEOUT_MINUTES)`
    : `no task started within ${minutes} minutes (TIMEOUT_MINUTES)`;
  const reason =
    d.kind === 'migration' ? `${what}: task stopped, rollout halted, service left on its current revision` : `${what}: task stopped`;
  const actions: Action[] = [];
  if (d.taskArn !== undefined) {
    actions.push({
      type: 'stopTask',
      deploymentId: d.id,
      cluster: ctx.config.CLUSTER,
      taskArn: d.taskArn,
      reason: `ecs-migrate: timed out after ${minutes} minutes`,
    });
  }
  actions.push(
    ...finish(state, ctx, {
      deployment: d,
      status: 'timed_out',
      reason,
      haltReason: what,
      ...(input.logTail !== undefined ? { logTail: input.logTail } : {}),
    }),
  );
  return { decision: 'halt', reason, deploymentId: d.id, actions };
}

/** What RunTask said: record the task and start its timeout clock, or end the deployment with the reason. */
export function decideLaunchResult(input: LaunchResultInput, state: ControllerState, ctx: DecideContext): Decision {
  const d = state.deployments[input.deploymentId];
  if (d === undefined) return ignore(`no deployment ${input.deploymentId}`, input.deploymentId);
  if (d.status !== 'launching') return ignore(`deployment ${d.id} is ${d.status} already (its task events came first)`, d.id);

  if (!input.ok) {
    const reason =
      d.kind === 'migration'
        ? `the task could not be started: ${input.reason}; rollout halted`
        : `the task could not be started: ${input.reason}`;
    return {
      decision: 'halt',
      reason,
      deploymentId: d.id,
      actions: finish(state, ctx, { deployment: d, status: 'failed', reason, haltReason: input.reason }),
    };
  }

  const running = withStatus(
    { ...d, taskArn: input.taskArn, taskDefinitionArn: input.taskDefinitionArn, launchedAt: ctx.now },
    'running',
    ctx.now,
    `task ${shortTask(input.taskArn)} started`,
  );
  const started = d.kind === 'migration' ? 'Migration Started' : 'Command Started';
  return {
    decision: 'record',
    reason: `task ${shortTask(input.taskArn)} started with ${input.taskDefinitionArn}`,
    deploymentId: d.id,
    actions: [
      // The schedule comes first: should this invocation die after it, the retry sets it again (same name).
      { type: 'scheduleTimeout', deploymentId: d.id, environment: d.environment, at: addMinutes(ctx.now, ctx.config.TIMEOUT_MINUTES) },
      commit(state, undefined, [running]),
      { type: 'putEvent', detailType: started, detail: eventDetail(running) },
    ],
  };
}

function shortTask(taskArn: string): string {
  return taskArn.split('/').pop() ?? taskArn;
}
