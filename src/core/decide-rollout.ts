import { type Action, type Decision, ignore, type RolloutCompletion } from './actions.js';
import { enqueue, launchNow, lockHolder } from './admission.js';
import { commitActions } from './commit.js';
import { addMinutes, type DecideContext } from './context.js';
import { deadlineCheck, HOOK_MARGIN_MINUTES, migrationDeadline, queuedCheck, timeoutFrom } from './deadline.js';
import { definedFields } from './defined-fields.js';
import {
  type Deployment,
  deploymentIdFor,
  type Ended,
  imageOf,
  type OpenDeployment,
  type Queued,
  type Running,
  type ServiceRollout,
  type Waiter,
  type Work,
} from './deployment.js';
import { eventDetail } from './event-detail.js';
import type { DeploymentStateInput, HookStateInput, RolloutResultInput } from './inputs.js';
import { haltOf } from './launch-request.js';
import { revisit } from './resume.js';
import { awaitingVerdict, noCheckLeft, rolloutWatchCheck } from './rollout-watch.js';
import { repositoryImageOf } from './service-deployment.js';
import { settle } from './settle.js';
import { type ControllerState, rolloutIndexAfter, sameEcsDeployment } from './state.js';
import { create, end, type NewDeployment } from './transitions.js';

/** The deployment id of a paused deployment's hook: every delivery of one hook event finds the same one. */
export function hookDeploymentId(input: HookStateInput, environment: string): string {
  return deploymentIdFor(`${environment}|pause-hook|${input.hookId}|${input.replayName ?? ''}`, input.at);
}

/**
 * pause-hook mode: a gated service's deployment paused at HOOK_STAGE. It waits for the migration of the REPOSITORY
 * image its target revision runs (by digest): CONTINUE at once when that image was migrated already, a waiter of the
 * open migration of that image (never of a command that runs it), or a new deployment that runs the target
 * revision's task definition as it is.
 */
export function decideHookState(input: HookStateInput, state: ControllerState, ctx: DecideContext): Decision {
  const { config } = ctx;
  if (config.ROLLOUT_MODE !== 'pause-hook') return ignore(`ROLLOUT_MODE is ${config.ROLLOUT_MODE}: hook events are not acted on`);
  const service = input.serviceArn.split('/').pop() ?? input.serviceArn;
  // A service of the same name in another cluster is not ours (the stack's rule filters on the cluster too).
  const cluster = input.clusterArn.split('/').pop();
  if (cluster !== config.CLUSTER.split('/').pop()) return ignore(`cluster ${cluster} is not this stack's (CLUSTER: ${config.CLUSTER})`);
  if (!config.SERVICES.includes(service)) return ignore(`service ${service} is not gated here (SERVICES: ${config.SERVICES.join(', ')})`);
  if (input.eventName !== 'HOOK_AWAITING_ACTION') return recordHookEvent(input, state, ctx);
  if (input.hookType !== 'PAUSE' || input.lifecycleStage !== config.HOOK_STAGE) {
    return ignore(`a ${input.hookType} hook at ${input.lifecycleStage}; this stack answers PAUSE hooks at HOOK_STAGE ${config.HOOK_STAGE}`);
  }
  const id = hookDeploymentId(input, config.ENVIRONMENT);
  // A retried delivery of the hook event that created it: its launch resumes (the invocation may have died between its
  // commit and RunTask's answer), even once ECS no longer waits; any other delivery is a duplicate.
  const existing = state.deployments[id];
  if (existing !== undefined) return revisit(existing, state, ctx);
  const why = stillWaiting(input, state);
  if (why !== undefined)
    return passedUnrecorded(input, service, state, ctx) ?? refusedUnrecorded(id, service, input, state, ctx) ?? ignore(why);
  const revision = state.hook?.revision;
  if (revision === undefined) return ignore(`the target revision of ${input.serviceDeploymentArn} could not be read`);
  const waiter = waiterOf(input, service);
  const image = repositoryImageOf(revision, config.REPOSITORY, config.REGISTRY);
  if (!image.ok) {
    const paused = { id, waiter, input, taskDefinitionArn: revision.taskDefinitionArn };
    return refuse(paused, `${image.reason}: ROLLBACK of ${service}'s paused deployment`, 'answer', state, ctx);
  }
  return joinOrCreate({ id, waiter, image: image.image, revision, input }, state, ctx);
}

function waiterOf(input: HookStateInput, service: string): Waiter {
  return {
    service,
    serviceDeploymentArn: input.serviceDeploymentArn,
    hookId: input.hookId,
    ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
  };
}

/**
 * A paused deployment no migration can gate (its target revision runs no single REPOSITORY image, or it cannot start
 * one: `noContainer`): answered ROLLBACK (`answer`), and recorded as a deployment that failed before it ran, with
 * `Migration Failed` and `Rollout Halted` saying why, as a service an update cannot move is in update-service mode.
 * `record` only: a retried delivery that finds the hook answered already (`refusedUnrecorded`).
 */
function refuse(
  paused: { id: string; waiter: Waiter; input: HookStateInput; taskDefinitionArn: string },
  reason: string,
  how: 'answer' | 'record',
  state: ControllerState,
  ctx: DecideContext,
): Decision {
  const { id, waiter, input, taskDefinitionArn } = paused;
  const refused = {
    ...create(hookSpec(id, input, { type: 'task-definition', taskDefinitionArn }, ctx), ctx.now, 'requested'),
    waiters: [waiter],
  };
  const record = commitActions(state, undefined, [end(refused, { outcome: 'failed', reason }, ctx.now)]);
  return how === 'answer'
    ? { decision: 'halt', reason, deploymentId: id, actions: [...haltOf(refused, ctx, reason), ...record] }
    : { decision: 'record', reason, deploymentId: id, actions: record };
}

/**
 * A retried delivery of a hook event whose first one answered ROLLBACK for its revision and died before the commit
 * that records it (the answer goes first, so a failed commit never leaves the owner's deployment unanswered): ECS
 * shows the hook FAILED. The refusal is recorded as that commit would have (ECS does not say who failed the hook; the
 * refusal holds had its own timeout done it). Once recorded, later deliveries find the deployment.
 */
function refusedUnrecorded(
  id: string,
  service: string,
  input: HookStateInput,
  state: ControllerState,
  ctx: DecideContext,
): Decision | undefined {
  const hook = state.hook?.deployment.hooks.find((h) => h.hookId === input.hookId);
  const revision = state.hook?.revision;
  if (hook?.status !== 'FAILED' || revision === undefined) return undefined;
  if (Object.values(state.deployments).some((x) => x.waiters?.some((w) => w.hookId === input.hookId))) return undefined;
  // Only the refusal that comes before any join: one for a revision with no CONTAINER depends on whether a migration
  // was open to wait for then, and a hook that joined one which then failed is FAILED too (recorded there).
  const image = repositoryImageOf(revision, ctx.config.REPOSITORY, ctx.config.REGISTRY);
  if (image.ok) return undefined;
  const why = image.reason;
  const reason = `${why}: hook ${input.hookId} of ${service}'s paused deployment had FAILED when this delivery of its event came (answered ROLLBACK by an earlier delivery that died before recording it, or failed by ECS)`;
  return refuse(
    { id, waiter: waiterOf(input, service), input, taskDefinitionArn: revision.taskDefinitionArn },
    reason,
    'record',
    state,
    ctx,
  );
}

/** A deployment for a paused deployment's hook: its migration, triggered by the hook event. */
function hookSpec(id: string, input: HookStateInput, work: Work, ctx: DecideContext): NewDeployment {
  const trigger = definedFields({ type: 'pause-hook' as const, eventId: input.eventId, at: input.at, replayName: input.replayName });
  return { id, environment: ctx.config.ENVIRONMENT, kind: 'migration', trigger, work, command: ctx.config.MIGRATION_COMMAND };
}

/** Whether ECS still waits for an answer: the deployment IN_PROGRESS and this hook AWAITING_ACTION (else why not). */
function stillWaiting(input: HookStateInput, state: ControllerState): string | undefined {
  const deployment = state.hook?.deployment;
  if (deployment === undefined) return `ECS does not know service deployment ${input.serviceDeploymentArn}`;
  if (deployment.status !== 'IN_PROGRESS')
    return `service deployment ${input.serviceDeploymentArn} is ${deployment.status}, not IN_PROGRESS`;
  const hook = deployment.hooks.find((h) => h.hookId === input.hookId);
  if (hook?.status !== 'AWAITING_ACTION') return `hook ${input.hookId} is ${hook?.status ?? 'unknown'}, not AWAITING_ACTION`;
  return undefined;
}

/**
 * A retried delivery of a hook event whose first one answered CONTINUE at once (its image was migrated already) and
 * died before recording the answer: ECS shows the hook SUCCEEDED, no deployment here waits on it, and its image is
 * still the one migrated last, whose deployment does not name this paused deployment. Recorded there as the answer
 * would have been, as `moved-on` (ECS does not say who answered), so every rollout of the image is on record.
 */
function passedUnrecorded(input: HookStateInput, service: string, state: ControllerState, ctx: DecideContext): Decision | undefined {
  const hook = state.hook?.deployment.hooks.find((h) => h.hookId === input.hookId);
  const revision = state.hook?.revision;
  const last = state.env.lastSucceeded;
  const d = last !== undefined ? state.deployments[last.deploymentId] : undefined;
  if (hook?.status !== 'SUCCEEDED' || revision === undefined || d?.status !== 'ended') return undefined;
  const image = repositoryImageOf(revision, ctx.config.REPOSITORY, ctx.config.REGISTRY);
  if (!image.ok || image.image !== last?.image) return undefined;
  if (Object.values(state.deployments).some((x) => x.waiters?.some((w) => w.hookId === input.hookId))) return undefined;
  const arn = input.serviceDeploymentArn;
  if ((d.services ?? []).some((s) => s.service === service && (s.ecsDeploymentId === arn || s.serviceDeploymentArn === arn)))
    return undefined;
  const entry: ServiceRollout = {
    service,
    result: 'moved-on',
    ecsDeploymentId: input.serviceDeploymentArn,
    reason: `hook ${input.hookId} had SUCCEEDED when this delivery of its event came: answered CONTINUE (by an earlier delivery that died before recording it, or by someone else)`,
  };
  return decideRolloutResult({ kind: 'rollout-result', deploymentId: d.id, services: [entry] }, state, ctx);
}

/** A paused deployment waiting for the migration of `image` (the REPOSITORY image of its target `revision`). */
interface Paused {
  id: string;
  waiter: Waiter;
  image: string;
  revision: NonNullable<NonNullable<ControllerState['hook']>['revision']>;
  input: HookStateInput;
}

function joinOrCreate(paused: Paused, state: ControllerState, ctx: DecideContext): Decision {
  const { waiter, image, revision } = paused;
  const last = state.env.lastSucceeded;
  if (last?.image === image) {
    const reason = `${image} was migrated already (${last.deploymentId}): CONTINUE to ${waiter.service}'s paused deployment, no second task`;
    return {
      decision: 'continue',
      reason,
      deploymentId: last.deploymentId,
      actions: [continueWaiters(last.deploymentId, [waiter], revision.taskDefinitionArn)],
    };
  }
  // Only a migration answers its waiters: a command (run-command) of the same image ends without touching a rollout.
  // The active one only while its lock holds: one whose lock expired is lost (its timeout check never came), and
  // joining it would leave this hook to ECS's own timeout; a new deployment takes the lock over instead.
  const active = lockHolder(state, ctx.now)?.id;
  const open = [active, state.env.queued]
    .map((d) => (d !== undefined ? state.deployments[d] : undefined))
    .find((d): d is Deployment => d !== undefined && d.kind === 'migration' && d.status !== 'ended' && imageOf(d) === image);
  if (open !== undefined) {
    if (open.waiters?.some((w) => w.hookId === waiter.hookId)) return ignore(`hook ${waiter.hookId} waits on ${open.id} already`, open.id);
    const waiters = [...(open.waiters ?? []), waiter];
    if (open.status === 'queued' && active === undefined) {
      // Queued behind a lock that expired: nothing would launch it before its waiters' deadlines. The hook takes the
      // lock over for it, as a new deployment would (`launchNow` ends the lost one).
      const note = `${waiter.service}'s paused deployment waits for it too; the lock it waited for expired`;
      const joined: Queued = { ...open, waiters, history: [...open.history, { at: ctx.now, status: 'queued', note }] };
      const { queued: _queued, ...env } = state.env;
      return launchNow(joined, false, { ...state, env }, ctx, `${open.id}, queued, for ${waiter.service}'s paused deployment too`);
    }
    const check = open.status === 'queued' ? queuedCheckEarlier(open, waiters, ctx) : earlierCheck(open, { waiters }, ctx);
    const timeout =
      check !== undefined
        ? `; its timeout check comes forward to ${check.at}: the hook expires at ${waiter.expiresAt} (less a margin of ${HOOK_MARGIN_MINUTES} minutes)`
        : '';
    const note = `${waiter.service}'s paused deployment waits for it too${timeout}`;
    const joined = {
      ...open,
      waiters,
      history: [...open.history, { at: ctx.now, status: open.status, note }],
    };
    return {
      decision: 'record',
      reason: `${waiter.service}'s paused deployment waits for ${open.id}, which migrates ${image}${timeout}`,
      deploymentId: open.id,
      // The schedule comes first: should this invocation die after it, the retried hook event finds the waiter
      // committed and ignores it, so a schedule after the commit could be lost.
      actions: [...(check !== undefined ? [check] : []), ...commitActions(state, undefined, [joined])],
    };
  }
  const why = noContainer(revision, ctx);
  if (why !== undefined) {
    const reason = `${why}, and no migration of ${image} is open to wait for: ROLLBACK of ${waiter.service}'s paused deployment`;
    return refuse({ ...paused, taskDefinitionArn: revision.taskDefinitionArn }, reason, 'answer', state, ctx);
  }
  return createHookDeployment(paused, state, ctx);
}

/**
 * Why a migration cannot run in `revision`: it has no container CONTAINER to run the command in (several gated
 * services, one of whose task definitions names its container otherwise). Such a paused deployment may wait for a
 * migration of its image that is open, or be answered CONTINUE once one succeeded, but cannot start one: RunTask would
 * refuse the command override.
 */
function noContainer(revision: Paused['revision'], ctx: DecideContext): string | undefined {
  const container = ctx.config.CONTAINER;
  if (revision.containerImages.some((c) => c.containerName === container)) return undefined;
  const names = revision.containerImages.map((c) => c.containerName).join(', ') || 'none';
  return `service revision ${revision.serviceRevisionArn} has no container "${container}" (CONTAINER) to run the migration in (its containers: ${names}); give that task definition a container "${container}"`;
}

/**
 * A joining hook that expires before the open migration would time out brings its timeout check forward: the answer
 * must be ours (ROLLBACK to every waiter), not the hook's own timeout action while the others are CONTINUEd later. A
 * queued deployment has checks of its own (`queuedCheckEarlier`); its launch schedules one from all its waiters. The
 * check recomputes when it is due from all the waiters, so one that comes early changes nothing.
 *
 * The check set at launch keeps its schedule's name, and a scheduler keeps the first schedule of a name (a second
 * with that name is taken for a retried one), so this one is a `deadline` check: a schedule of its own per time,
 * which the watcher takes as the attempt's timeout check.
 */
function earlierCheck(
  open: Deployment,
  joined: Pick<Deployment, 'waiters'>,
  ctx: DecideContext,
): Extract<Action, { type: 'scheduleTimeout' }> | undefined {
  if (open.status !== 'launching' && open.status !== 'running') return undefined;
  const from = timeoutFrom(open);
  const before = migrationDeadline(from, open, ctx);
  const after = migrationDeadline(from, joined, ctx);
  if (Date.parse(after) >= Date.parse(before)) return undefined;
  // A hook about to expire: the check comes at once.
  const at = Date.parse(after) > Date.parse(ctx.now) ? after : ctx.now;
  return deadlineCheck(open, at);
}

/**
 * A hook joining a queued migration that expires before the next check of its waiters: a check of its own (a queued
 * migration's checks are `deadline` schedules, one per time).
 */
function queuedCheckEarlier(
  open: Deployment,
  waiters: Waiter[],
  ctx: DecideContext,
): Extract<Action, { type: 'scheduleTimeout' }> | undefined {
  const after = queuedCheck({ ...open, waiters }, ctx.now);
  const before = queuedCheck(open, ctx.now);
  return after !== undefined && (before === undefined || Date.parse(after.at) < Date.parse(before.at)) ? after : undefined;
}

/** A new deployment for a paused deployment's image: the target revision run as it is, where that revision runs. */
function createHookDeployment({ id, waiter, image, revision, input }: Paused, state: ControllerState, ctx: DecideContext): Decision {
  const { network, launchType, capacityProviderStrategy, platformVersion } = revision;
  const launch = definedFields({ network, launchType, capacityProviderStrategy, platformVersion });
  const spec = hookSpec(id, input, { type: 'revision', taskDefinitionArn: revision.taskDefinitionArn, image, launch }, ctx);
  const what = `migration of ${image} for ${waiter.service}'s paused deployment`;
  const holder = lockHolder(state, ctx.now);
  const created = { ...create(spec, ctx.now, holder !== undefined ? `waiting for ${holder.id}` : 'requested'), waiters: [waiter] };
  if (holder === undefined) return launchNow(created, false, state, ctx, what);
  const queued = enqueue(created, false, holder, state, ctx, what);
  // Queued: its paused deployment is answered by a check of its own should its hook be about to expire before the
  // migration runs. The schedule comes first (a retried hook event finds the deployment and schedules nothing).
  const check = queued.decision === 'queue' && queued.deploymentId === created.id ? queuedCheck(created, ctx.now) : undefined;
  return check !== undefined ? { ...queued, actions: [check, ...queued.actions] } : queued;
}

/** CONTINUE to paused deployments waiting for the migration `deploymentId` (of `taskDefinitionArn`). */
function continueWaiters(deploymentId: string, waiters: Waiter[], taskDefinitionArn: string): Extract<Action, { type: 'continueRollout' }> {
  return { type: 'continueRollout', deploymentId, target: { mode: 'pause-hook', waiters }, taskDefinitionArn };
}

/**
 * HOOK_SUCCEEDED, HOOK_FAILED, HOOK_TIMED_OUT, HOOK_IN_PROGRESS: recorded in the history of the deployment the hook
 * waits on, or of the ended one that answered it at once (its image migrated already: the answer is among its
 * `services`, never its waiters).
 */
function recordHookEvent(input: HookStateInput, state: ControllerState, ctx: DecideContext): Decision {
  const arn = input.serviceDeploymentArn;
  const answered = (s: ServiceRollout) => s.serviceDeploymentArn === arn || s.ecsDeploymentId === arn;
  const deployments = Object.values(state.deployments);
  const d =
    deployments.find((x) => x.waiters?.some((w) => w.hookId === input.hookId)) ??
    deployments.find((x) => x.status === 'ended' && (x.services ?? []).some(answered));
  if (d === undefined) return ignore(`${input.eventName}: no deployment here waits on hook ${input.hookId}`);
  const note = `${input.eventName} for ${input.serviceArn.split('/').pop()}'s paused deployment (hook ${input.hookId})`;
  if (d.history.some((h) => h.note === note)) return ignore(`duplicate: ${note} is recorded already`, d.id);
  const recorded = { ...d, history: [...d.history, { at: ctx.now, status: d.status === 'ended' ? d.outcome : d.status, note }] };
  return { decision: 'record', reason: note, deploymentId: d.id, actions: commitActions(state, undefined, [recorded]) };
}

/**
 * What the rollout did to each service. Right after a migration succeeded (`completion`), it ends the deployment with
 * it in one commit; otherwise (an answer to a paused deployment after the end) it is recorded in the ended
 * deployment. A service that could not be moved is announced with `Rollout Failed`.
 *
 * The end is written from the deployment as committed now, not as the verdict saw it: when the commit lost a race and
 * this is decided again, a paused deployment may have joined meanwhile. Its hook is answered CONTINUE first (a further
 * rollout, whose result comes back here with the answers so far in its completion), then the end records every
 * answer. Each further rollout answers only waiters no earlier one did, so this ends once no more join.
 */
export function decideRolloutResult(input: RolloutResultInput, state: ControllerState, ctx: DecideContext): Decision {
  const d = state.deployments[input.deploymentId];
  // The answers of earlier rollouts of this end (to waiters that joined while one was in flight), then this one's.
  const services = [...(input.completion?.ending.services ?? []), ...input.services];
  const summary = summaryOf(services);
  const failedEvents = (record: Deployment) =>
    services.some((s) => s.result === 'failed')
      ? [{ detailType: 'Rollout Failed', detail: { ...eventDetail(record), reason: `rollout: ${summary}` } }]
      : [];
  const allMovedOn = services.length > 0 && services.every((s) => s.result === 'moved-on');
  if (input.completion !== undefined && d !== undefined && d.status !== 'ended') {
    const { ending, prior, serviceTaskDefinitionArn } = input.completion;
    const deployment = upToDate(input.completion.deployment, d);
    const answered = input.completion.deployment.waiters ?? [];
    const joined = (deployment.waiters ?? []).filter((w) => !answered.some((a) => a.hookId === w.hookId));
    if (joined.length > 0) return continueJoined({ ...input.completion, deployment, ending: { ...ending, services } }, joined);
    const reason = `${ending.reason}; rollout: ${summary}`;
    // No service moved (an update refused for good): the migration succeeded, its rollout did not continue.
    const noneMoved = services.length > 0 && services.every((s) => s.result === 'failed');
    const rollout = allMovedOn ? { rollout: 'moved-on' as const } : noneMoved ? { rollout: 'halted' as const } : {};
    const end = { ...ending, reason, services, ...rollout };
    // The next deployment starts from the revision the first service runs: not the wanted one if its update was refused.
    const moved = services[0]?.result !== 'failed';
    const options = {
      prior: [...prior, ...failedEvents(d)],
      ...(serviceTaskDefinitionArn !== undefined && moved ? { serviceTaskDefinitionArn } : {}),
      // The verdict and what the rollout did are facts by now: they go out before the commit records them.
      reportFirst: true,
    };
    // Decided with no check of the deployment still to come (the completion says so): the end schedules one.
    const endCtx = input.completion.noCheckLeft === true ? noCheckLeft(ctx) : ctx;
    return { decision: 'record', reason, deploymentId: d.id, actions: settle(state, endCtx, deployment, end, options) };
  }
  if (d === undefined || d.status !== 'ended')
    return ignore(`no ended deployment ${input.deploymentId} to record the rollout in`, input.deploymentId);
  if (services.length > 0 && services.every((s) => recordedAlready(d, s)))
    return ignore(`duplicate: rollout ${summary} is recorded in ${d.id} already`, d.id);
  // Followed from now (`since`): the deployment's own checks came long ago, so it gets a rollout-watch check of its own.
  const followed = services.map((s) => (awaitingVerdict([s]).length > 0 ? { ...s, since: ctx.now } : s));
  const merged = mergeServices(d.services ?? [], followed);
  const watch = followed.some((s) => s.since !== undefined)
    ? [rolloutWatchCheck(d, ctx, addMinutes(ctx.now, ctx.config.ROLLOUT_WATCH_MINUTES))]
    : [];
  // The deployment's rollout is `moved-on` only when every service of it moved on, counting those recorded before.
  const allMergedMovedOn = merged.length > 0 && merged.every((s) => s.result === 'moved-on');
  const recorded: Ended = {
    ...d,
    services: merged,
    ...(allMergedMovedOn && d.outcome === 'succeeded' ? { rollout: 'moved-on' as const } : {}),
    history: [...d.history, { at: ctx.now, status: d.outcome, note: `rollout: ${summary}` }],
  };
  // A rollout recorded after the end (a paused deployment answered for an image migrated already) is indexed too.
  const env = indexes(state, recorded);
  return {
    decision: 'record',
    reason: `rollout: ${summary}`,
    deploymentId: d.id,
    actions: [...watch, ...commitActions(state, env, [{ deployment: recorded, events: failedEvents(recorded) }])],
  };
}

/**
 * The deployment as the verdict saw it (its task observed), brought up to what was committed since: waiters that
 * joined and notes written meanwhile. The same object when nothing was.
 */
function upToDate(seen: Running, now: OpenDeployment): Running {
  if (now.revision === seen.revision) return seen;
  const known = seen.waiters ?? [];
  const waiters = [...known, ...(now.waiters ?? []).filter((w) => !known.some((k) => k.hookId === w.hookId))];
  const added = now.history.filter((h) => !seen.history.some((s) => s.at === h.at && s.status === h.status && s.note === h.note));
  return { ...seen, revision: now.revision, ...(waiters.length > 0 ? { waiters } : {}), history: [...seen.history, ...added] };
}

/** The migration succeeded and these paused deployments joined it after its rollout went out: CONTINUE to them too. */
function continueJoined(completion: RolloutCompletion, joined: Waiter[]): Decision {
  const d = completion.deployment;
  const image = imageOf(d);
  const names = joined.map((w) => `${w.service}'s paused deployment`).join(', ');
  const reason = `${names} joined ${d.id} while its rollout was in flight: CONTINUE to ${joined.length > 1 ? 'them' : 'it'} too`;
  const action: Action = { ...continueWaiters(d.id, joined, d.taskDefinitionArn), ...(image !== undefined ? { image } : {}), completion };
  return { decision: 'continue', reason, deploymentId: d.id, actions: [action] };
}

/** Whether the ended deployment records this result already (a duplicate of the same result). */
function recordedAlready(d: Ended, s: ServiceRollout): boolean {
  return (d.services ?? []).some(
    (r) => r.service === s.service && r.result === s.result && r.ecsDeploymentId === s.ecsDeploymentId && r.reason === s.reason,
  );
}

/**
 * ECS Deployment State Change of a gated service: how the rollout a deployment started ended. Completed → `Rollout
 * Completed`; failed, or rolling back (circuit breaker) → `Rollout Failed`. Recorded in every deployment that follows
 * that rollout (a rerun that found the service on its revision follows the rollout the deployment before it started).
 */
export function decideDeploymentState(input: DeploymentStateInput, state: ControllerState, ctx: DecideContext): Decision {
  const completion: ServiceRollout['completion'] =
    input.eventName === 'SERVICE_DEPLOYMENT_COMPLETED'
      ? 'completed'
      : input.eventName === 'SERVICE_DEPLOYMENT_FAILED' || input.rollingBack
        ? 'failed'
        : undefined;
  if (completion === undefined) return ignore(`${input.eventName} of ${input.deploymentId}: still in progress`);
  const followed = (s: ServiceRollout) => s.ecsDeploymentId !== undefined && sameEcsDeployment(s.ecsDeploymentId, input.deploymentId);
  const found = Object.values(state.deployments).filter((d): d is Ended => d.status === 'ended' && (d.services ?? []).some(followed));
  const first = found[0];
  if (first === undefined) return ignore(`${input.eventName}: ${input.deploymentId} is not a rollout a deployment here started`);
  // ECS's own verdict replaces `unconfirmed` (the rollout-watch check's, which published nothing): a COMPLETED that
  // lost a commit race to the check, or came late, is still recorded and announced, once.
  const open = (s: ServiceRollout) => followed(s) && (s.completion === undefined || s.completion === 'unconfirmed');
  const toRecord = found.filter((d) => (d.services ?? []).some(open));
  if (toRecord.length === 0) {
    const s = (first.services ?? []).find(followed);
    return ignore(`the rollout of ${s?.service} by ${first.id} is recorded as ${s?.completion} already`, first.id);
  }
  const because = input.reason !== undefined ? `: ${input.reason}` : '';
  const changes = toRecord.map((d) => {
    const s = (d.services ?? []).find(open);
    const note = `rollout of ${s?.service} by ${d.id} ${completion}${because}`;
    const services = (d.services ?? []).map((r) =>
      open(r) ? { ...r, completion, ...(input.reason !== undefined ? { completionReason: input.reason } : {}) } : r,
    );
    const recorded: Ended = { ...d, services, history: [...d.history, { at: ctx.now, status: d.outcome, note }] };
    const event = {
      detailType: completion === 'completed' ? 'Rollout Completed' : 'Rollout Failed',
      detail: { ...eventDetail(recorded), service: s?.service, reason: note },
    };
    return { deployment: recorded, events: [event] };
  });
  const reason = changes.map((c) => c.events[0]?.detail.reason).join('; ');
  // The index drops the rollout once its verdict is recorded: the environment record is written with it.
  const env = indexes(state, ...changes.map((c) => c.deployment));
  return { decision: 'record', reason, deploymentId: toRecord[0]?.id ?? first.id, actions: commitActions(state, env, changes) };
}

/** The environment record to write with `recorded` when the rollout index changes with them, else undefined. */
function indexes(state: ControllerState, ...recorded: Ended[]): ControllerState['env'] | undefined {
  return rolloutIndexAfter(state.env, state.deployments, recorded) !== undefined ? state.env : undefined;
}

/**
 * How many rollouts a deployment records: each paused deployment answered CONTINUE at once for its image (an owner
 * redeploying a migrated image) adds one to the deployment that migrated it; the oldest go first.
 */
const ROLLOUTS_KEPT = 20;

/**
 * What a rollout did, merged into what the deployment recorded: a service's entry is replaced by its newer one (a
 * retried update), unless both name different service deployments (two paused deployments of one service, each
 * answered): each is kept, so the state change of either finds its own; the last `ROLLOUTS_KEPT` of them.
 */
function mergeServices(before: ServiceRollout[], now: ServiceRollout[]): ServiceRollout[] {
  const merged = [...before];
  for (const s of now) {
    const other = (r: ServiceRollout) =>
      r.ecsDeploymentId !== undefined && s.ecsDeploymentId !== undefined && r.ecsDeploymentId !== s.ecsDeploymentId;
    const same = merged.findIndex((r) => r.service === s.service && !other(r));
    if (same === -1) merged.push(s);
    else merged[same] = s;
  }
  return merged.slice(-ROLLOUTS_KEPT);
}

function summaryOf(services: ServiceRollout[]): string {
  return services.map((s) => `${s.service} ${s.result}${s.reason !== undefined ? ` (${s.reason})` : ''}`).join('; ');
}
