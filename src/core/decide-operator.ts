import { type Decision, ignore, reject } from './actions.js';
import { lockHolder } from './admission.js';
import { classifyStop } from './classify-stop.js';
import { commitActions } from './commit.js';
import type { DecideContext } from './context.js';
import type { Deployment, StopReport } from './deployment.js';
import { sidecarsOf } from './essential-sidecars.js';
import type { CancelRequestInput, UnlockRequestInput } from './inputs.js';
import { stopTaskOf } from './launch-request.js';
import { resumeHandover } from './resume.js';
import { rolledOutUnrecorded, taskOfState } from './rolled-out.js';
import { handOver, settle } from './settle.js';
import { startFailure } from './start-failure.js';
import { type ControllerState, type EnvironmentState, operatedBefore, withOperatorRequest } from './state.js';

/** An operator stops a deployment: its task is stopped, it ends as `cancelled` and a migration's rollout halts. */
export function decideCancel(input: CancelRequestInput, state: ControllerState, ctx: DecideContext): Decision {
  if (input.environment !== ctx.config.ENVIRONMENT)
    return ignore(`the request is for environment "${input.environment}", this is "${ctx.config.ENVIRONMENT}"`);
  // A request acts once, however often delivered: a retried delivery whose first one ended a deployment and handed the
  // environment over, then died, resumes that launch; otherwise it is done.
  const before = operatedBefore(state.env, input.requestId);
  if (before !== undefined) {
    return resumeHandover(state, ctx, before) ?? ignore(`cancel ${input.requestId} ended deployment ${before} already`, before);
  }
  // A request that names no deployment cancels the one holding the environment.
  const id = input.deploymentId ?? state.env.active?.deploymentId;
  if (id === undefined) return refuse(`nothing to cancel: no deployment holds environment ${ctx.config.ENVIRONMENT}`, input, ctx);
  const d = state.deployments[id];
  if (d === undefined) return refuse(`no deployment ${id} in environment ${ctx.config.ENVIRONMENT}`, input, ctx);
  // A retried cancel whose first delivery ended the deployment and handed the environment over, then died.
  if (d.status === 'ended') return resumeHandover(state, ctx, id) ?? ignore(`deployment ${id} has already ended (${d.outcome})`, id);
  const failed = failedRead(d, state, ctx);
  const done = leftToWatcher(d, failed, state, ctx);
  if (done !== undefined) return refuse(`too late to cancel deployment ${id}: ${done}`, input, ctx);
  // What the operator wrote is stored and emitted: redacted, as every decision's reason is.
  const by = ctx.redact(input.requestedBy);
  const reason = `cancelled by ${by}${input.reason !== undefined ? `: ${ctx.redact(input.reason)}` : ''}`;
  return {
    decision: 'halt',
    reason,
    deploymentId: id,
    actions: settle(
      state,
      ctx,
      d,
      { outcome: 'cancelled', reason, cancelledBy: by, ...(failed !== undefined ? { stop: failed.stop } : {}) },
      {
        before: stopTaskOf(d, ctx, reason),
        env: {
          lastCancel: { requestId: input.requestId, deploymentId: id, at: ctx.now },
          operatorRequests: withOperatorRequest(state.env, input.requestId, id),
        },
      },
    ),
  };
}

/**
 * An operator releases the environment lock. Its deployment, if still open, ends as failed (its task stopped);
 * the queued deployment, if any, launches. Recorded on the environment record and announced with `Environment Unlocked`.
 */
export function decideUnlock(input: UnlockRequestInput, state: ControllerState, ctx: DecideContext): Decision {
  if (input.environment !== ctx.config.ENVIRONMENT)
    return ignore(`the request is for environment "${input.environment}", this is "${ctx.config.ENVIRONMENT}"`);
  const before = operatedBefore(state.env, input.requestId);
  if (before !== undefined) {
    return resumeHandover(state, ctx, before) ?? ignore(`unlock ${input.requestId} released deployment ${before} already`, before);
  }
  const active = state.env.active;
  if (active === undefined) return refuse(`environment ${ctx.config.ENVIRONMENT} is not locked`, input, ctx);
  // What the operator wrote is stored and emitted: redacted, as every decision's reason is.
  const lastUnlock = {
    by: ctx.redact(input.requestedBy),
    at: ctx.now,
    reason: ctx.redact(input.reason),
    deploymentId: active.deploymentId,
    requestId: input.requestId,
  };
  const operatorRequests = withOperatorRequest(state.env, input.requestId, active.deploymentId);
  const reason = `environment ${ctx.config.ENVIRONMENT} unlocked by ${lastUnlock.by}: ${lastUnlock.reason}`;
  const announce = { detailType: 'Environment Unlocked', detail: { environment: ctx.config.ENVIRONMENT, ...lastUnlock } };
  const d = state.deployments[active.deploymentId];
  const failed = d !== undefined ? failedRead(d, state, ctx) : undefined;
  const done = d !== undefined ? leftToWatcher(d, failed, state, ctx) : undefined;
  if (done !== undefined)
    return refuse(`environment ${ctx.config.ENVIRONMENT} not unlocked: deployment ${active.deploymentId} ${done}`, input, ctx);
  if (d !== undefined && d.status !== 'ended') {
    // A lost deployment whose task failed (its lock expired): the end keeps what the task read says.
    const ending = {
      outcome: 'failed' as const,
      reason: `${reason} (the deployment held the lock${failed !== undefined ? `; ${failed.reason}` : ''})`,
      ...(failed !== undefined ? { stop: failed.stop } : {}),
    };
    return {
      decision: 'record',
      reason,
      deploymentId: d.id,
      actions: settle(state, ctx, d, ending, {
        before: stopTaskOf(d, ctx, reason),
        prior: [announce],
        env: { lastUnlock, operatorRequests },
      }),
    };
  }
  const env: EnvironmentState = { ...state.env, lastUnlock, operatorRequests };
  delete env.active;
  // Handed over by the released deployment's id, so a retried delivery finds and resumes this launch.
  const next = handOver(state, env, ctx, active.deploymentId);
  return {
    decision: 'record',
    reason,
    deploymentId: active.deploymentId,
    actions: [
      ...next.before,
      ...commitActions(state, env, next.changes),
      { type: 'putEvent', detailType: 'Environment Unlocked', detail: announce.detail },
      ...next.after,
    ],
  };
}

/**
 * Why an operator request leaves `d` to the watcher, or undefined: its rollout the service shows
 * (`rolledOutUnrecorded`), or its task, read for the request, already failed for good (`failedUnseen`) while its lock
 * holds: once the lock expired, the watcher's event and check may be lost, and the request ends it (`failedRead`).
 */
function leftToWatcher(d: Deployment, failed: FailedRead | undefined, state: ControllerState, ctx: DecideContext): string | undefined {
  const task = taskOfState(d, state);
  const by = d.status === 'running' ? "the task's STOPPED event, at the latest its timeout check" : 'the retried event that launched it';
  if (rolledOutUnrecorded(d, state.service, ctx.config.CONTAINER, task))
    return `its migration succeeded and service ${state.service?.serviceName} runs its revision ${state.service?.taskDefinitionArn} already; its result is recorded, and the environment freed, by ${by}`;
  if (failed === undefined || lockHolder(state, ctx.now) === undefined) return undefined;
  return `its ${d.kind} failed (${failed.reason}); that failure is recorded with its stop report and log tail, and the environment freed, by ${by}`;
}

/** The failure the task read for the request shows (`failedUnseen`): its reason, and the stop report an end keeps. */
type FailedRead = { reason: string; stop: StopReport };

function failedRead(d: Deployment, state: ControllerState, ctx: DecideContext): FailedRead | undefined {
  const task = taskOfState(d, state);
  return task !== undefined ? failedUnseen(task, ctx.config.CONTAINER, sidecarsOf(d)) : undefined;
}

/**
 * Why the task an operator request read (`LoadPlan.openTask`) failed, when the watcher, which has not handled that yet,
 * will end the deployment failed whatever comes: the migration container ran and did not succeed (a migration that
 * ran is never launched again), or the task will never start (`startFailure`). Ended by the request instead, the
 * deployment would lose what the watcher records (exit code, stop code, stopped reason, log tail), its event then
 * dropped as late. A start failure that can pass is not one: the watcher would launch it again, undoing the request.
 */
function failedUnseen(
  task: NonNullable<ControllerState['task']>,
  container: string,
  sidecars: readonly string[] | undefined,
): FailedRead | undefined {
  const kind = startFailure(task, container);
  if (kind !== 'ran' && kind !== 'permanent') return undefined;
  const verdict = classifyStop(task, container, sidecars);
  return verdict.ok ? undefined : { reason: verdict.reason, stop: verdict.report };
}

function refuse(reason: string, input: { requestId: string; requestedBy: string }, ctx: DecideContext): Decision {
  const detail = { environment: ctx.config.ENVIRONMENT, reason, requestId: input.requestId, requestedBy: input.requestedBy };
  return reject(reason, detail, ctx.redact);
}
