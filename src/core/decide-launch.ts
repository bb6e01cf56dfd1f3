import { type Decision, ignore, reject } from './actions.js';
import { describeWork, enqueue, launchNow, lockHolder, sameWork, shownSucceeded } from './admission.js';
import type { DecideContext } from './context.js';
import {
  type DeploymentKind,
  deploymentIdOfTrigger,
  imageOf,
  type Launching,
  pushedAtOf,
  pushedBefore,
  type Running,
  type Trigger,
  UNKNOWN_WORK,
  type Work,
} from './deployment.js';
import type { DeployRequestInput, EcrImageActionInput, RunCommandInput } from './inputs.js';
import { stopTaskOf } from './launch-request.js';
import { ignoredPush } from './push-policy.js';
import { refuseRequest } from './request-policy.js';
import { revisit } from './resume.js';
import { followedOn, rolledOutUnrecorded, taskOfState, withItsTask } from './rolled-out.js';
import { noCheckLeft } from './rollout-watch.js';
import { settle } from './settle.js';
import type { ControllerState } from './state.js';
import { sameRequest, withAdmitted } from './state.js';
import { create } from './transitions.js';

/** What a trigger asks for, once it has passed the configuration's filters. */
interface Plan {
  trigger: Trigger;
  kind: DeploymentKind;
  /** Absent for a command that runs in the service's task definition as it is. */
  work?: Work;
  command: string[];
  /** A replay or a rerun request: runs even when the same image has already been migrated. */
  deliberate: boolean;
}

export { PUSH_IN_PAUSE_HOOK_MODE } from './push-policy.js';

/**
 * How a reason tells its reader to run an image again deliberately: by a rerun request, as on a deployed stack. A CLI
 * with a flag for it says that instead (`ecs-migrate local --rerun`), finding these in the reason.
 */
export const RERUN_ADVICE = {
  /** After "already deployed". */
  again: 'send a rerun request to run it again',
  /** After an image pushed before the one rolled out. */
  rollBack: 'send it with "rerun": true to roll back to it deliberately',
} as const;

export function decideEcrImageAction(input: EcrImageActionInput, state: ControllerState, ctx: DecideContext): Decision {
  const { config } = ctx;
  const ignored = ignoredPush(input, config);
  if (ignored !== undefined) return ignore(ignored);
  // The image's push time orders the queue and says whether it is older than what is rolled out. ECR also sends a
  // push when a tag is added to an image it has, so the event's time is the tag's: an image seen before keeps the
  // time it was first seen, another takes the push time ECR records (the event's only if ECR could not say).
  const pushedAt = state.env.seenImages?.find((s) => s.image === input.image)?.pushedAt ?? input.pushedAt ?? input.trigger.at;
  const plan: Plan = {
    trigger: input.trigger,
    kind: 'migration',
    work: { type: 'image', image: input.image, pushedAt },
    command: config.MIGRATION_COMMAND,
    deliberate: input.trigger.replayName !== undefined,
  };
  return admit(plan, state, ctx);
}

export function decideDeployRequest(input: DeployRequestInput, state: ControllerState, ctx: DecideContext): Decision {
  const { config } = ctx;
  const refused = refusal(input, state, ctx);
  if (refused !== undefined) return refused;
  const command = input.command ?? config.MIGRATION_COMMAND;
  const plan: Plan = {
    trigger: senderRedacted(input.trigger, ctx),
    kind: 'migration',
    command,
    deliberate: input.trigger.replayName !== undefined || input.trigger.rerun === true,
    work: datedWork(input.work, state),
  };
  return admit(plan, state, ctx);
}

/**
 * A requested image the registry could not date (local mode: built, never tagged) takes the push time the environment
 * saw it with, if it did: it is then ordered as that push was, never taken for a newer image. So does the image a
 * requested task definition runs (`runs`), the age its success records.
 */
function datedWork(work: Work | undefined, state: ControllerState): Work | undefined {
  const seenAt = (image: string) => state.env.seenImages?.find((s) => s.image === image)?.pushedAt;
  if (work?.type === 'task-definition' && work.runs !== undefined && work.runs.pushedAt === undefined) {
    const seen = seenAt(work.runs.image);
    return seen !== undefined ? { ...work, runs: { ...work.runs, pushedAt: seen } } : work;
  }
  if (work?.type !== 'image' || work.pushedAt !== undefined) return work;
  const seen = seenAt(work.image);
  return seen !== undefined ? { ...work, pushedAt: seen } : work;
}

export function decideRunCommand(input: RunCommandInput, state: ControllerState, ctx: DecideContext): Decision {
  const refused = refusal(input, state, ctx);
  if (refused !== undefined) return refused;
  const work = input.work;
  // A command is run every time it is requested; only a duplicate delivery of one request is dropped.
  const plan: Plan = {
    trigger: senderRedacted(input.trigger, ctx),
    kind: 'command',
    command: input.command,
    deliberate: true,
    ...(work !== undefined ? { work } : {}),
  };
  return admit(plan, state, ctx);
}

/** A request for another environment is ignored; one outside the trust boundary is rejected (request-policy.ts). */
function refusal(input: DeployRequestInput | RunCommandInput, state: ControllerState, ctx: DecideContext): Decision | undefined {
  if (input.environment !== ctx.config.ENVIRONMENT) {
    return ignore(`the request is for environment "${input.environment}", this is "${ctx.config.ENVIRONMENT}"`);
  }
  const refused = refuseRequest(input, state.service, ctx.config, ctx.redact);
  return refused !== undefined ? rejectRequest(refused, input.trigger, ctx) : undefined;
}

/** A request's trigger as it is stored and emitted: `requestedBy` is the sender's free text, so it is redacted. */
function senderRedacted(trigger: Trigger, ctx: DecideContext): Trigger {
  return trigger.requestedBy !== undefined ? { ...trigger, requestedBy: ctx.redact(trigger.requestedBy) } : trigger;
}

function rejectRequest(reason: string, trigger: Trigger, ctx: DecideContext): Decision {
  return reject(reason, { environment: ctx.config.ENVIRONMENT, reason, trigger }, ctx.redact);
}

/** What a command meant to run in the service's task definition records when the service could not be read. */

/** Launch, queue or ignore a planned deployment, under the one-migration-per-environment rule. */
function admit(plan: Plan, state: ControllerState, ctx: DecideContext): Decision {
  const id = deploymentIdOfTrigger(plan.trigger, ctx.config.ENVIRONMENT);
  const existing = state.deployments[id];
  if (existing !== undefined) return revisit(existing, state, ctx);
  const { requestId, replayName } = plan.trigger;
  // A request put on the bus again (a retried PutEvents) is a new event: a duplicate of the first, as its copy in one
  // archive replay is of the other copy that replay delivered.
  const sent = requestId !== undefined ? state.env.seenRequests?.find((r) => sameRequest(r, requestId, replayName)) : undefined;
  if (sent !== undefined) {
    const again = replayName !== undefined ? `replay ${replayName} delivered it twice` : 'it was put on the bus again';
    return ignore(`duplicate request: ${requestId} created deployment ${sent.deploymentId} already (${again})`, sent.deploymentId);
  }

  // A command with no image or task definition runs in the task definition the service runs when it launches, as it is.
  const work: Work | undefined =
    plan.work ??
    (state.service !== undefined
      ? { type: 'task-definition', taskDefinitionArn: state.service.taskDefinitionArn, ofService: true }
      : undefined);
  const spec = { id, environment: ctx.config.ENVIRONMENT, kind: plan.kind, trigger: plan.trigger, command: plan.command };
  if (work === undefined || (work.type === 'image' && state.service === undefined)) {
    // Nothing to start from: the deployment is recorded as failed with what to fix, so it shows in the history.
    const reason = `the service could not be read: ${state.serviceProblem ?? 'unknown error'}`;
    const failed = create({ ...spec, work: work ?? UNKNOWN_WORK }, ctx.now, 'requested');
    // Remembered as admitted: a request sent again is a duplicate of this one.
    const env = withAdmitted(state.env, failed);
    const options = env !== state.env ? { env } : {};
    return { decision: 'halt', reason, deploymentId: id, actions: settle(state, ctx, failed, { outcome: 'failed', reason }, options) };
  }
  if (plan.kind === 'migration' && !plan.deliberate && alreadyDeployed(work, plan.command, state, ctx)) {
    return ignore(
      `already deployed: the service runs ${describeWork(work)} and its migration succeeded (${state.env.lastSucceeded?.deploymentId}); ${RERUN_ADVICE.again}`,
    );
  }
  const lost = plan.kind === 'migration' ? lostRollout(state, ctx) : undefined;
  if (lost !== undefined && !plan.deliberate && ctx.config.SERVICES.length <= 1 && sameWork({ ...plan, work }, lost)) {
    // Taking its lock over would record its success and then migrate the image it rolled out once more.
    const reason = `already deployed: the service runs ${describeWork(work)}, rolled out by ${lost.id}; ${RERUN_ADVICE.again}`;
    return withLostRolloutRecorded(ignore(reason), lost, state, ctx);
  }
  const rolledOut = plan.kind === 'migration' ? olderThanRolledOut(work, lost, state) : undefined;
  const older = rolledOut?.what;
  if (rolledOut !== undefined && (!plan.deliberate || sameReplay(plan.trigger, rolledOut, state))) {
    const how = plan.deliberate ? `by the same replay (${plan.trigger.replayName}), which keeps the order its pushes were pushed in` : '';
    const reason = `${describeWork(work)} was pushed before ${older}, which is rolled out already${how !== '' ? ` ${how}` : ''}; ${RERUN_ADVICE.rollBack}`;
    const refused = plan.trigger.type === 'ecr-push' ? ignore(reason) : rejectRequest(reason, plan.trigger, ctx);
    return rolledOut.lost !== undefined ? withLostRolloutRecorded(refused, rolledOut.lost, state, ctx) : refused;
  }
  const what = describePlan(plan, work) + (older !== undefined ? `: a deliberate roll back to an image pushed before ${older}` : '');
  const holder = lockHolder(state, ctx.now);
  if (holder !== undefined)
    return enqueue(create({ ...spec, work }, ctx.now, `waiting for ${holder.id}`), plan.deliberate, holder, state, ctx, what);
  return launchNow(create({ ...spec, work }, ctx.now, 'requested'), plan.deliberate, state, ctx, what);
}

/**
 * Whether what is rolled out came from the archive replay delivering `trigger`: a replay runs its pushes in the order
 * they were pushed, whatever order StartReplay delivers them in, so an older one of them never rolls the service back.
 */
function sameReplay(trigger: Trigger, rolledOut: { lost?: Launching | Running }, state: ControllerState): boolean {
  const replay = trigger.replayName;
  const by = rolledOut.lost !== undefined ? rolledOut.lost.trigger.replayName : state.env.lastSucceeded?.replayName;
  return replay !== undefined && by === replay;
}

/**
 * A migration whose lock expired with no result while the service shows its rollout (`rolledOutUnrecorded`): a
 * takeover would record it as succeeded, so what it rolled out counts as rolled out.
 */
function lostRollout(state: ControllerState, ctx: DecideContext): Launching | Running | undefined {
  const active = state.env.active !== undefined ? state.deployments[state.env.active.deploymentId] : undefined;
  if ((active?.status !== 'launching' && active?.status !== 'running') || lockHolder(state, ctx.now) !== undefined) return undefined;
  return rolledOutUnrecorded(active, state.service, ctx.config.CONTAINER, taskOfState(active, state)) ? active : undefined;
}

/**
 * The image rolled out last, when `work` is an image pushed before it: the last success recorded, or the `lost`
 * migration's (`lostRollout`: the work must not then roll out over it).
 */
function olderThanRolledOut(
  work: Work,
  lost: Launching | Running | undefined,
  state: ControllerState,
): { what: string; lost?: Launching | Running } | undefined {
  if (work.type !== 'image') return undefined;
  const last = state.env.lastSucceeded;
  if (last !== undefined && pushedBefore(work.pushedAt, last.pushedAt))
    return { what: `${last.image ?? last.deploymentId} (pushed ${last.pushedAt})` };
  if (lost === undefined || !pushedBefore(work.pushedAt, pushedAtOf(lost))) return undefined;
  return { what: `${imageOf(lost) ?? lost.id} (pushed ${pushedAtOf(lost)}; the service runs its revision)`, lost };
}

/**
 * A refusal that also records what the expired lock's migration did, as a takeover would: the service runs its
 * revision, so it ended succeeded (one gated service; with several, the next takeover ends it, saying which moved).
 */
function withLostRolloutRecorded(refused: Decision, lost: Launching | Running, state: ControllerState, ctx: DecideContext): Decision {
  const service = state.service;
  if (service === undefined || ctx.config.SERVICES.length > 1) return refused;
  const why = shownSucceeded(state, service);
  const own = withItsTask(lost, service, ctx.config.CONTAINER, ctx.now);
  const ending = { outcome: 'succeeded' as const, reason: why, rollout: 'continued' as const, ...followedOn(service) };
  // The lock expired: the deployment's own checks came already.
  const recorded = settle(state, noCheckLeft(ctx), own.deployment, ending, { prior: own.events, before: stopTaskOf(lost, ctx, why) });
  return { ...refused, reason: `${refused.reason}; ${why}`, actions: [...recorded, ...refused.actions] };
}

/** The service runs `work` and its migration with `command` succeeded: a different command (`--command`) is new work. */
function alreadyDeployed(work: Work, command: readonly string[], state: ControllerState, ctx: DecideContext): boolean {
  const last = state.env.lastSucceeded;
  if (last === undefined || state.service === undefined) return false;
  if ((last.command ?? ctx.config.MIGRATION_COMMAND).join('\0') !== command.join('\0')) return false;
  if (work.type === 'image') return state.service.image === work.image && last.image === work.image;
  return work.taskDefinitionArn === state.service.taskDefinitionArn && last.taskDefinitionArn === work.taskDefinitionArn;
}

function describePlan(plan: Plan, work: Work): string {
  const how = plan.kind === 'command' ? `command "${plan.command.join(' ')}"` : `migration "${plan.command.join(' ')}"`;
  const why =
    plan.trigger.replayName !== undefined ? ` (replay ${plan.trigger.replayName})` : plan.trigger.rerun === true ? ' (rerun)' : '';
  return `${how} with ${describeWork(work)}${why}`;
}
