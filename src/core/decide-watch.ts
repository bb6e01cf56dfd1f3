import { type Action, type Decision, ignore } from './actions.js';
import { classifyStop, verdictDue } from './classify-stop.js';
import { commitActions } from './commit.js';
import { addMinutes, type DecideContext } from './context.js';
import { deadlineCheck, HOOK_MARGIN_MINUTES, migrationDeadline, queuedCheck, timeoutFrom, waitersAllExpired } from './deadline.js';
import { definedFields } from './defined-fields.js';
import {
  attemptOf,
  awaitingRetry,
  clientTokenFor,
  type Deployment,
  deploymentIdFromStartedBy,
  type Ended,
  imageOf,
  type Launching,
  type PendingEvent,
  pushedAtOf,
  pushedBefore,
  type Queued,
  type RolloutOutcome,
  type Running,
  type ServiceRollout,
  type TaskObservation,
  taskOf,
} from './deployment.js';
import type { LaunchResultInput, TaskStateInput, TimeoutCheckInput } from './inputs.js';
import { rolloutTarget, stopReason, stopTaskNamed, stopTaskOf, stopTasksOf } from './launch-request.js';
import { attemptField, earlierAttemptTask, onLaunchRefused, onScheduledCheck, onStartFailure } from './launch-retry.js';
import { resumeHandover } from './resume.js';
import {
  followedOn,
  foundOnRevision,
  hookContinuedUnrecorded,
  keptExitZero,
  LEFTOVER_STOP,
  rolledOutUnrecorded,
  withItsTask,
} from './rolled-out.js';
import { awaitingVerdict, noCheckLeft, rolloutDueAt, rolloutWatchCheck } from './rollout-watch.js';
import { lastSucceededOf, settle } from './settle.js';
import type { ControllerState, ServiceInfo } from './state.js';
import { compareRevisions } from './task-definition.js';
import { EARLY_TASKS_KEPT, type Ending, keepEarlyTaskEvent, observeTask, recordTask, shortTask, taskStarted } from './transitions.js';

/**
 * ECS `Task State Change`. An event counts only for the task the deployment recorded as its own (RunTask's
 * answer): before that answer it is kept and judged later; for a queued deployment it is never acted on. The
 * migration is judged when the task stops, or as soon as an event shows the migration container exited while the
 * rest of the task runs on (`verdictDue`).
 */
export function decideTaskState(input: TaskStateInput, state: ControllerState, ctx: DecideContext): Decision {
  const id = deploymentIdFromStartedBy(input.startedBy);
  if (id === undefined) return ignore(`task ${input.taskArn} was not started by ecs-migrate (startedBy "${input.startedBy ?? ''}")`);
  const d = state.deployments[id];
  if (d === undefined)
    return ignore(`no deployment ${id} in environment ${ctx.config.ENVIRONMENT} (another environment's task, or purged)`, id);
  switch (d.status) {
    case 'ended':
      return (
        strayTask(d, input, state, ctx, resumeHandover(state, ctx, d.id)) ??
        movedAfterEnd(d, input, state, ctx) ??
        ignore(`deployment ${id} has already ended (${d.outcome}): duplicate or late event`, id)
      );
    case 'queued':
      return ignore(`deployment ${id} is queued and has launched no task: task ${input.taskArn} is not its own`, id);
    case 'launching':
      return earlierAttemptTask(d, input.taskArn) ?? keepEarly(d, earlyObservationOf(input), state);
    case 'running':
      return onOwnTask(d, input, state, ctx);
  }
}

/**
 * A task of a deployment that has ended, not stopped, and not one the deployment recorded (its own task, or an
 * earlier attempt's, was stopped or judged stopped by the end: a late or repeated event of it is stale): started
 * after the end (RunTask was in flight when a cancel, a timeout or a takeover ended the deployment, and the answer,
 * which would have stopped it, was lost with its invocation). No task of an ended deployment may run on: it is
 * stopped by the deployment's startedBy, with `decided` (a handover resumed by the same event) if any. One that
 * stopped is noted in the deployment's history (`lateTaskNote`).
 */
function strayTask(
  d: Ended,
  input: TaskStateInput,
  state: ControllerState,
  ctx: DecideContext,
  decided: Decision | undefined,
): Decision | undefined {
  if (taskOf(d) === input.taskArn || d.attempts?.some((a) => a.taskArn === input.taskArn) === true) return decided;
  if (input.lastStatus === 'STOPPED') return decided ?? lateTaskNote(d, input, state, ctx);
  if (input.desiredStatus === 'STOPPED') return decided;
  const reason = `deployment ${d.id} has ended (${d.outcome}); task ${shortTask(input.taskArn)} is ${input.lastStatus}`;
  const stop = stopTasksOf(d, ctx, `${reason}: no task of it may run`);
  if (decided !== undefined) return { ...decided, actions: [stop, ...decided.actions] };
  return { decision: 'halt', reason: `${reason}: its tasks still running are stopped`, deploymentId: d.id, actions: [stop] };
}

/**
 * A migration that an operator's cancel or unlock ended while the watcher, its task exited 0, was between reading the
 * service and UpdateService: the update went through after the end, and the watcher died before recording it. The
 * end's outcome stands (a deployment ends once), but the first event of its task that finds the service on the
 * deployment's own revision (registered for it: only the watcher moves a service there, after exit 0) records that
 * rollout in it (`services`, a history note), so the record says what the service runs. What the service runs is
 * what is rolled out: the environment record's `lastSucceeded` names it too (conditional on the record's version, as
 * every commit), unless it names an image pushed after it, so an image pushed before it is not taken for a newer one.
 */
function movedAfterEnd(d: Ended, input: TaskStateInput, state: ControllerState, ctx: DecideContext): Decision | undefined {
  const service = state.service;
  if (d.kind !== 'migration' || d.outcome === 'succeeded' || d.work.type !== 'image' || taskOf(d) !== input.taskArn) return undefined;
  if (service === undefined || d.taskDefinitionArn === undefined || service.taskDefinitionArn !== d.taskDefinitionArn) return undefined;
  if ((d.services ?? []).some((s) => s.service === service.serviceName && s.result === 'continued')) return undefined;
  // A migration that did not exit 0 was never rolled out by the watcher (its revision may run by a later deploy-request):
  // as the event says, or as the end recorded (a RUNNING event carries no exit code).
  const exitCode = input.containers.find((c) => c.name === ctx.config.CONTAINER)?.exitCode ?? d.stop?.exitCode;
  if (exitCode !== undefined && exitCode !== 0) return undefined;
  const note = `service ${service.serviceName} runs this deployment's revision ${d.taskDefinitionArn}: updated by the watcher before the end (${d.outcome}) was known`;
  const recorded: Ended = {
    ...d,
    services: [...(d.services ?? []), { service: service.serviceName, result: 'continued', reason: 'updated before the end was known' }],
    history: [...d.history, { at: ctx.now, status: d.outcome, note }],
  };
  const last = state.env.lastSucceeded;
  const env =
    last === undefined || !pushedBefore(pushedAtOf(d), last.pushedAt)
      ? { ...state.env, lastSucceeded: lastSucceededOf(recorded, recorded, ctx, last) }
      : undefined;
  return { decision: 'record', reason: note, deploymentId: d.id, actions: commitActions(state, env, [recorded]) };
}

/** How many tasks started after its end a deployment's history notes: one is RunTask's lost answer; more are forged. */
const LATE_TASKS_NOTED = 4;

/**
 * A task started after the deployment ended that stopped, perhaps before any of its events was handled (so never
 * stopped by `strayTask`): it may have run the migration command, so the deployment's history says how it ended, once
 * per task, for at most `LATE_TASKS_NOTED` tasks.
 */
function lateTaskNote(d: Ended, input: TaskStateInput, state: ControllerState, ctx: DecideContext): Decision | undefined {
  const marker = `task ${shortTask(input.taskArn)} started after the end`;
  const noted = d.history.filter((h) => h.note.includes('started after the end'));
  if (noted.some((h) => h.note.startsWith(marker)) || noted.length >= LATE_TASKS_NOTED) return undefined;
  const verdict = classifyStop(observationOf(input), ctx.config.CONTAINER, d.essentialSidecars);
  const note = `${marker} stopped: ${verdict.reason}; it may have changed the database`;
  const recorded: Ended = { ...d, history: [...d.history, { at: ctx.now, status: d.outcome, note }] };
  return { decision: 'record', reason: note, deploymentId: d.id, actions: commitActions(state, undefined, [recorded]) };
}

/** A task event before RunTask's answer: kept, and judged once the answer names the same task. */
function keepEarly(d: Launching, observation: TaskObservation, state: ControllerState): Decision {
  const kept = keepEarlyTaskEvent(d, observation);
  if (kept === d) {
    const known = d.earlyTaskEvents?.some((e) => e.taskArn === observation.taskArn) === true;
    return ignore(
      known
        ? `stale event: task version ${observation.version} is not newer than the one kept for ${d.id}`
        : `task ${shortTask(observation.taskArn)} is not kept: ${d.id} keeps early events of ${EARLY_TASKS_KEPT} tasks already`,
      d.id,
    );
  }
  return {
    decision: 'record',
    reason: `task ${shortTask(observation.taskArn)} is ${observation.lastStatus} before RunTask's answer was recorded: kept until it is`,
    deploymentId: d.id,
    actions: commitActions(state, undefined, [kept]),
  };
}

function onOwnTask(d: Running, input: TaskStateInput, state: ControllerState, ctx: DecideContext): Decision {
  if (input.taskArn !== d.taskArn) return ignore(`task ${input.taskArn} is not the deployment's task ${d.taskArn}`, d.id);
  if (d.taskVersion !== undefined && input.version <= d.taskVersion) {
    return ignore(`stale event: task version ${input.version} is not newer than ${d.taskVersion} already seen`, d.id);
  }
  const observation = observationOf(input);
  if (verdictDue(observation, ctx.config.CONTAINER) !== undefined) return judge(d, observation, input.logTail, [], state, ctx);
  // Progress only: nothing to commit. The STOPPED event carries the task's start too, recorded with the end (a
  // commit here cost every migration one DynamoDB write, issue 14).
  const reason = `task ${shortTask(input.taskArn)} is ${input.lastStatus}: nothing to record until its end`;
  return { decision: 'progress', reason, deploymentId: d.id, actions: [] };
}

/**
 * The task stopped, or its migration container exited: exit 0 of the migration container continues the rollout to
 * the deployment's own revision; anything else halts it. A task that still runs (an essential container that depended
 * on the migration serves on) is stopped before the commit, so no stray copy of the app runs on; its STOPPED event
 * then finds the deployment ended. A task the deployment's own timeout stopped ends it timed out (`timedOutReason`).
 */
function judge(
  d: Running,
  task: TaskObservation,
  logTail: string[] | undefined,
  prior: PendingEvent[],
  state: ControllerState,
  ctx: DecideContext,
): Decision {
  const verdict = classifyStop(task, ctx.config.CONTAINER, d.essentialSidecars);
  const stopped: Stopped = {
    stop: verdict.report,
    ...(task.stoppedAt !== undefined ? { stoppedAt: task.stoppedAt } : {}),
    ...(logTail !== undefined ? { logTail } : {}),
  };
  const seen = observeTask(d, task, ctx.now);
  const reason = timedOutReason(d, task, ctx);
  if (reason !== undefined) {
    // As the timeout check ends it, with what ECS says of the stop; the task is stopping already: not stopped again.
    return {
      decision: 'halt',
      reason,
      deploymentId: d.id,
      actions: settle(state, ctx, seen, { outcome: 'timed_out', reason, ...stopped }, { prior }),
    };
  }
  const retry = verdict.ok ? undefined : onStartFailure(d, task, { reason: verdict.reason, stop: verdict.report }, prior, state, ctx);
  if (retry !== undefined) return retry;
  const leftover = verdictDue(task, ctx.config.CONTAINER) === 'container-exited' ? stopTaskOf(seen, ctx, LEFTOVER_STOP) : [];
  const halt = (reason: string): Decision => ({
    decision: 'halt',
    reason,
    deploymentId: d.id,
    actions: settle(state, ctx, seen, { outcome: 'failed', reason, ...stopped }, { prior, before: leftover }),
  });
  // Exit 0, then stopped by us (the rest of the task) before the end was recorded: the service shows the rollout.
  if (!verdict.ok && rolledOutUnrecorded(d, state.service, ctx.config.CONTAINER, task)) {
    const why = `${verdict.reason}, after its migration container exited 0 and service ${state.service?.serviceName} was moved to its revision`;
    return continueRollout(seen, why, stopped, { prior, leftover }, state, ctx);
  }
  // pause-hook: the hooks were answered CONTINUE before that stop; answered again (ECS refuses a second answer).
  if (!verdict.ok && hookContinuedUnrecorded(d, ctx.config.CONTAINER, task)) {
    const why = `container "${ctx.config.CONTAINER}" exited with code 0, then its paused deployments were answered CONTINUE and ecs-migrate stopped the rest of the task, before the end was recorded`;
    return continueRollout(seen, why, stopped, { prior, leftover }, state, ctx);
  }
  if (!verdict.ok)
    return halt(
      d.kind === 'migration'
        ? `${verdict.reason}: rollout halted, service left on its current revision`
        : `${verdict.reason}: command failed`,
    );
  if (d.kind === 'command') {
    const reason = `${verdict.reason}: command succeeded`;
    return {
      decision: 'continue',
      reason,
      deploymentId: d.id,
      actions: settle(state, ctx, seen, { outcome: 'succeeded', reason, ...stopped }, { prior, before: leftover }),
    };
  }
  // With several services the others are rolled out all the same, the first recorded failed (`severalServices`).
  if (state.service === undefined && d.waiters === undefined && ctx.config.SERVICES.length <= 1) {
    return halt(`${verdict.reason}, but the service could not be read (${state.serviceProblem ?? 'unknown error'}): rollout halted`);
  }
  return continueRollout(seen, `${verdict.reason}`, stopped, { prior, leftover }, state, ctx);
}

type Stopped = Pick<Ending, 'stop' | 'stoppedAt' | 'logTail'>;

/**
 * A migration succeeded: the rollout goes on first, and its result comes back and is committed with the end
 * (decideRolloutResult). If this invocation dies in between, the retry finds the deployment still open and goes
 * on again (idempotent) instead of finding it ended and skipping the rollout. A task still running (`leftover`) is
 * stopped after the rollout and before that commit: should the invocation die before the stop, the retried event
 * judges again. Its STOPPED event (`UserInitiated`, our `LEFTOVER_STOP` reason) that finds the deployment still open
 * is judged a success once the service runs the revision (`rolledOutUnrecorded`), a failure before; in pause-hook
 * mode, where the service shows no answer, by that reason and the migration container's exit 0
 * (`hookContinuedUnrecorded`), and the hooks are answered again.
 */
function continueRollout(
  seen: Running,
  verdict: string,
  stopped: Stopped,
  { prior, leftover }: { prior: PendingEvent[]; leftover: Action[] },
  state: ControllerState,
  ctx: DecideContext,
): Decision {
  const rollout = rolloutOf(seen, state.service, ctx, state.serviceProblem);
  const reason = `${verdict}: ${rollout.how}`;
  const services = rollout.services !== undefined ? { services: rollout.services } : {};
  const ending = { outcome: 'succeeded' as const, reason, rollout: rollout.outcome, ...stopped, ...services };
  const serviceAfter = rollout.serviceAfter !== undefined ? { serviceTaskDefinitionArn: rollout.serviceAfter } : {};
  const actions: Action[] =
    rollout.update === undefined
      ? settle(state, ctx, seen, ending, { prior, before: leftover, ...serviceAfter })
      : [
          {
            ...rollout.update,
            completion: { deployment: seen, ending, prior, ...serviceAfter, ...(ctx.lastCheck ? { noCheckLeft: true as const } : {}) },
          },
          ...leftover,
        ];
  return { decision: 'continue', reason, deploymentId: seen.id, actions };
}

/**
 * How the rollout goes on. pause-hook: CONTINUE to every paused deployment waiting. update-service: to the
 * deployment's recorded revision, unless the service runs that or a newer one already.
 */
interface RolloutPlan {
  outcome: RolloutOutcome;
  how: string;
  /** The update or answer to make; none when the service runs this revision, or a newer one, already. */
  update?: Extract<Action, { type: 'continueRollout' }>;
  serviceAfter?: string;
  /** With no update: the service found on the revision, and the rollout of it ECS has in progress (followed). */
  services?: ServiceRollout[];
}

function rolloutOf(d: Running, info: ServiceInfo | undefined, ctx: DecideContext, problem?: string): RolloutPlan {
  const current = info?.taskDefinitionArn;
  const target = rolloutTarget(d, ctx);
  const wanted = d.taskDefinitionArn;
  const image = imageOf(d);
  const update: Extract<Action, { type: 'continueRollout' }> = {
    type: 'continueRollout',
    deploymentId: d.id,
    target,
    taskDefinitionArn: wanted,
    ...(image !== undefined ? { image } : {}),
  };
  if (target.mode === 'pause-hook') {
    const services = target.waiters.map((w) => w.service).join(', ');
    return {
      outcome: 'continued',
      how: `CONTINUE to the paused deployments of ${services}`,
      update,
      ...(current !== undefined ? { serviceAfter: current } : {}),
    };
  }
  const order = current === undefined ? 'older' : compareRevisions(current, wanted);
  const others = (target.services ?? []).filter((s) => s !== target.service);
  if (others.length > 0) return severalServices(target.service, others, order, info, update, ctx, problem);
  const service = target.service;
  if (order === 'same' && info !== undefined) {
    // As after an update whose answer was never recorded (this event retried): the rollout ECS has in progress to the
    // revision is followed, as the update's would have been.
    const found = foundOnRevision(info, wanted, { service, result: 'unchanged', reason: `already ran ${wanted}` });
    const followed = found.ecsDeploymentId !== undefined ? `; its rollout ${found.ecsDeploymentId} is in progress: followed` : '';
    const services = followed !== '' ? { services: [found] } : {};
    return { outcome: 'already-current', how: `service ${service} already runs ${wanted}${followed}`, serviceAfter: wanted, ...services };
  }
  if (order === 'newer' && current !== undefined) {
    return {
      outcome: 'moved-on',
      how: `service ${service} has moved on to ${current} meanwhile; not moved back to ${wanted}`,
      serviceAfter: current,
    };
  }
  return { outcome: 'continued', how: `service ${service} updated to ${wanted}`, update, serviceAfter: wanted };
}

/**
 * update-service, several services: the first service's re-read decides only for it (never moved back; not
 * updated again when it runs the revision already, as after a retried event whose first try moved it and was
 * throttled on the others); the others are always rolled out, each one left alone when it runs the image already.
 * A task definition run as it is names no image: the others move to the one its migration container runs.
 */
function severalServices(
  first: string,
  others: string[],
  order: ReturnType<typeof compareRevisions>,
  info: ServiceInfo | undefined,
  update: NonNullable<RolloutPlan['update']>,
  ctx: DecideContext,
  problem?: string,
): RolloutPlan {
  const wanted = update.taskDefinitionArn;
  const image = update.image ?? `the image container "${ctx.config.CONTAINER}" runs in ${wanted}`;
  const rest = `${others.join(', ')} updated to ${image}`;
  if (info === undefined) {
    // Unreadable (deleted, INACTIVE, refused): recorded failed, as an update refused for good is; the others move.
    const reason = `could not be read (${problem ?? 'unknown error'}): not updated`;
    return {
      outcome: 'continued',
      how: `service ${first} ${reason}; ${rest}`,
      update: { ...update, firstService: { service: first, result: 'failed', reason } },
    };
  }
  const current = info.taskDefinitionArn;
  if (order === 'same') {
    return {
      outcome: 'continued',
      how: `service ${first} already runs ${wanted}; ${rest}`,
      update: { ...update, firstService: foundOnRevision(info, wanted, { service: first, result: 'unchanged' }) },
      serviceAfter: wanted,
    };
  }
  if (order === 'newer') {
    const reason = `has moved on to ${current} meanwhile; not moved back to ${wanted}`;
    return {
      outcome: 'continued',
      how: `service ${first} ${reason}; ${rest}`,
      update: { ...update, firstService: { service: first, result: 'moved-on', reason } },
      serviceAfter: current,
    };
  }
  const how = update.image !== undefined ? `service ${first}, ${rest}` : `service ${first} updated to ${wanted}, ${rest}`;
  return { outcome: 'continued', how, update, serviceAfter: wanted };
}

/**
 * The one-shot schedule set at launch: a task found stopped is judged (`stoppedUnseen`); one still running past
 * TIMEOUT_MINUTES is stopped and the rollout halted.
 */
export function decideTimeoutCheck(input: TimeoutCheckInput, state: ControllerState, ctx: DecideContext): Decision {
  if (input.environment !== ctx.config.ENVIRONMENT)
    return ignore(`timeout check for environment "${input.environment}", this is "${ctx.config.ENVIRONMENT}"`);
  const scheduled = onScheduledCheck(input, state, ctx);
  if (scheduled !== undefined) return scheduled;
  const d = state.deployments[input.deploymentId];
  if (d === undefined) return ignore(`no deployment ${input.deploymentId}`, input.deploymentId);
  if (d.status === 'ended')
    return (
      resumeHandover(state, ctx, d.id) ??
      watchRollouts(d, state, ctx) ??
      ignore(`deployment ${d.id} has already ended (${d.outcome})`, d.id)
    );
  if (d.status === 'queued') return queuedDeadline(d, state, ctx);
  const stopped = d.status === 'running' ? stoppedUnseen(d, input, state, ctx) : undefined;
  if (stopped !== undefined) return stopped;
  const shown = d.status === 'launching' ? rolledOutLaunching(d, state, ctx) : undefined;
  if (shown !== undefined) return shown;
  const { due, reason } = timeoutOf(d, ctx);
  if (Date.parse(ctx.now) < Date.parse(due)) return notDueYet(d, due);

  const before = stopTaskOf(d, ctx, timeoutStop(ctx));
  const ending = { outcome: 'timed_out' as const, reason, ...(input.logTail !== undefined ? { logTail: input.logTail } : {}) };
  // Whether the task ever started (a hung migration, or a task stuck provisioning) is what the check read says.
  const timedOut = d.status === 'running' ? taskStarted(d, input.task?.startedAt, ctx.now) : d;
  return { decision: 'halt', reason, deploymentId: d.id, actions: settle(state, ctx, timedOut, ending, { before }) };
}

/**
 * The check found the deployment's task stopped (or its migration container exited) with no event of it handled:
 * the event was lost, or the invocation handling it died before its commit and its retries ran out. The task is
 * judged on what ECS says of it now, as its event would have been, whether or not the timeout is due: a migration
 * that succeeded rolls out, one that failed halts with its exit code, never "still running".
 */
function stoppedUnseen(d: Running, input: TimeoutCheckInput, state: ControllerState, ctx: DecideContext): Decision | undefined {
  const task = input.task;
  if (task === undefined || verdictDue(task, ctx.config.CONTAINER) === undefined) return undefined;
  const { lastStatus, stopCode, stoppedReason, startedAt, stoppedAt } = task;
  const version = task.version ?? d.taskVersion ?? 0;
  const containers = task.containers.map(({ name, exitCode, reason }) => definedFields({ name, exitCode, reason }));
  const observation = definedFields({ taskArn: d.taskArn, version, lastStatus, stopCode, stoppedReason, startedAt, stoppedAt, containers });
  // This check is the deployment's last: a success it finds follows its rollouts with a check of its own.
  const judged = judge(d, observation, input.logTail, [], state, noCheckLeft(ctx));
  return { ...judged, reason: `${judged.reason} (task ${shortTask(d.taskArn)} found ${lastStatus} by the timeout check)` };
}

/**
 * A launching deployment whose rollout the service shows (`rolledOutUnrecorded`: a kept task event exited 0, and the
 * service runs the revision tagged with its id): RunTask's answer judged that event and moved the service, then its
 * invocation died before recording it, and the retried event never came. With one gated service, it ended as the
 * success it is, not timed out; with several, the others may not have been moved.
 */
function rolledOutLaunching(d: Launching, state: ControllerState, ctx: DecideContext): Decision | undefined {
  const service = state.service;
  if (service === undefined || ctx.config.SERVICES.length > 1) return undefined;
  const kept = keptExitZero(d, service, ctx.config.CONTAINER);
  if (kept === undefined) return undefined;
  const recorded = withItsTask(d, service, ctx.config.CONTAINER, ctx.now);
  const verdict = classifyStop(kept, ctx.config.CONTAINER);
  const reason = `${verdict.reason}, and service ${service.serviceName} runs its revision ${service.taskDefinitionArn}: its migration succeeded (found by the timeout check; RunTask's answer was never recorded)`;
  const ending = { outcome: 'succeeded' as const, reason, rollout: 'continued' as const, stop: verdict.report, ...followedOn(service) };
  const options = {
    prior: recorded.events,
    before: stopTaskOf(d, ctx, reason),
    serviceTaskDefinitionArn: service.taskDefinitionArn,
  };
  // Found by the timeout check, the deployment's last: its rollouts get a check of their own.
  return {
    decision: 'continue',
    reason,
    deploymentId: d.id,
    actions: settle(state, noCheckLeft(ctx), recorded.deployment, ending, options),
  };
}

/** When `d` is due to time out, and the reason its end then gives. */
function timeoutOf(d: Launching | Running, ctx: DecideContext): { due: string; reason: string } {
  const minutes = ctx.config.TIMEOUT_MINUTES;
  const from = timeoutFrom(d);
  const due = migrationDeadline(from, d, ctx);
  const limit =
    due === addMinutes(from, minutes)
      ? `${minutes} minutes (TIMEOUT_MINUTES)`
      : `the paused deployment's timeout less ${HOOK_MARGIN_MINUTES} minutes`;
  const what = d.status === 'running' ? `still running after ${limit}` : `no task started within ${limit}`;
  const reason =
    d.kind === 'migration' ? `${what}: task stopped, rollout halted, service left on its current revision` : `${what}: task stopped`;
  return { due, reason };
}

/** The StopTask reason of a timeout; ECS reports it (`stopReason`) as the task's `stoppedReason`. */
const TIMEOUT_STOP = 'timed out after';

function timeoutStop(ctx: DecideContext): string {
  return `${TIMEOUT_STOP} ${ctx.config.TIMEOUT_MINUTES} minutes`;
}

/**
 * The reason the timeout check ends `d` with, when the task was stopped by the deployment's own timeout
 * (`UserInitiated`, our reason, the deadline passed); undefined otherwise. The check
 * stops it before its commit, so a decision that judges it before that end is recorded (the check decided again after
 * its commit lost a race, or after its invocation died; the task's STOPPED event first) keeps the timeout, not "stopped
 * by someone". By any TIMEOUT_MINUTES: it may have changed since.
 */
function timedOutReason(d: Running, task: TaskObservation, ctx: DecideContext): string | undefined {
  if (task.stopCode !== 'UserInitiated' || task.stoppedReason?.startsWith(stopReason(TIMEOUT_STOP)) !== true) return undefined;
  const { due, reason } = timeoutOf(d, ctx);
  return Date.parse(ctx.now) >= Date.parse(due) ? reason : undefined;
}

/**
 * A timeout check that came before the deployment is due: a retried launch counts its timeout from its own answer,
 * but its first try's schedule (same name) is the one kept. Checked again when due, on a schedule of its own per time.
 */
function notDueYet(d: Launching | Running, due: string): Decision {
  const check = deadlineCheck(d, due);
  return {
    decision: 'record',
    reason: `deployment ${d.id} is not due to time out until ${due}: checked again then`,
    deploymentId: d.id,
    actions: [check],
  };
}

/**
 * The check of a queued migration's paused deployments (pause-hook mode, `queuedCheck`): once every one is past its
 * deadline (its hook's expiry less the margin), the migration will gate nothing: it ends timed out, answering them
 * ROLLBACK before ECS applies their hooks' timeout action, and leaves the queue. Before that, nothing is due.
 */
function queuedDeadline(d: Queued, state: ControllerState, ctx: DecideContext): Decision {
  if (!waitersAllExpired(d, ctx.now)) {
    // Checked again at the next deadline: with several paused deployments, the first one's check finds the others
    // not due, and only a check of their own answers them in time.
    const next = queuedCheck(d, ctx.now);
    if (next === undefined) return ignore(`deployment ${d.id} is queued: no paused deployment waiting for it is due yet`, d.id);
    const reason = `deployment ${d.id} is queued: not every paused deployment waiting for it is due; checked again at ${next.at}`;
    return { decision: 'record', reason, deploymentId: d.id, actions: [next] };
  }
  const reason = `every paused deployment waiting for it reached its hook's expiry (less ${HOOK_MARGIN_MINUTES} minutes) while it was queued: the migration was not run, rollout halted`;
  return { decision: 'halt', reason, deploymentId: d.id, actions: settle(state, ctx, d, { outcome: 'timed_out', reason }) };
}

/** What RunTask said: record the task as the deployment's own and start its timeout clock, or end the deployment. */
export function decideLaunchResult(input: LaunchResultInput, state: ControllerState, ctx: DecideContext): Decision {
  const d = state.deployments[input.deploymentId];
  if (d === undefined) return ignore(`no deployment ${input.deploymentId}`, input.deploymentId);
  if (d.status !== 'launching') return lateLaunchResult(d, input, ctx);
  const stale = otherAttemptResult(d, input, ctx);
  if (stale !== undefined) return stale;
  if (!input.ok) {
    const retried = onLaunchRefused(d, input, state, ctx);
    if (retried !== undefined) return retried;
    const reason =
      d.kind === 'migration'
        ? `the task could not be started: ${input.reason}; rollout halted`
        : `the task could not be started: ${input.reason}`;
    return { decision: 'halt', reason, deploymentId: d.id, actions: settle(state, ctx, d, { outcome: 'failed', reason }) };
  }
  const recorded = recordTask(d, input, ctx.now);
  const early = d.earlyTaskEvents?.find((e) => e.taskArn === input.taskArn);
  if (early !== undefined && verdictDue(early, ctx.config.CONTAINER) !== undefined) {
    // Judged at once: no timeout check is scheduled for this attempt. An earlier attempt's check not yet due is still
    // to come, and follows the rollouts once it finds the end; one due already came (and was taken as stale).
    const checkPending = (d.attempts ?? []).some(
      (a) => a.launchedAt !== undefined && Date.parse(ctx.now) < Date.parse(migrationDeadline(a.launchedAt, d, ctx)),
    );
    return judge(recorded.deployment, early, early.logTail, recorded.events, state, checkPending ? ctx : noCheckLeft(ctx));
  }
  const running = early !== undefined ? observeTask(recorded.deployment, early, ctx.now) : recorded.deployment;
  return {
    decision: 'record',
    reason: `task ${shortTask(input.taskArn)} started with ${input.taskDefinitionArn}`,
    deploymentId: d.id,
    actions: [
      // The schedule comes first: should this invocation die after it, the retry sets it again (same name).
      {
        type: 'scheduleTimeout',
        deploymentId: d.id,
        environment: d.environment,
        at: migrationDeadline(ctx.now, d, ctx),
        ...attemptField(d),
      },
      // `Migration Started` reports RunTask's answer: it goes out before the commit records the task.
      ...commitActions(state, undefined, [{ deployment: running, events: recorded.events }], { reportFirst: true }),
    ],
  };
}

/**
 * RunTask answered after its deployment moved on: a cancel, unlock or timeout ended it while the call was in flight,
 * when no task could be found by its `startedBy` yet. RunTask's answer proves the task is ours, and no deployment
 * watches it, so it is stopped; a repeated answer naming the task the deployment recorded changes nothing.
 */
function lateLaunchResult(d: Exclude<Deployment, Launching>, input: LaunchResultInput, ctx: DecideContext): Decision {
  const already = `deployment ${d.id} is ${d.status === 'ended' ? d.outcome : d.status} already`;
  if (!input.ok || d.status === 'queued' || input.taskArn === taskOf(d)) return ignore(already, d.id);
  const reason = `${already}: its task ${shortTask(input.taskArn)}, started meanwhile, is stopped`;
  const stop = stopTaskNamed(d, input.taskArn, ctx, `deployment ${d.id} ended before RunTask answered`);
  return { decision: 'record', reason, deploymentId: d.id, actions: [stop] };
}

/**
 * RunTask's answer for another attempt than the one the deployment is at (or waits for): a duplicate of an attempt's
 * retry check, whose race the other delivery won and recorded. A refusal is that attempt's, already counted, never the
 * next one's; a task it names is of no attempt the deployment follows, so it is stopped before it migrates unwatched.
 */
function otherAttemptResult(d: Launching, input: LaunchResultInput, ctx: DecideContext): Decision | undefined {
  if (input.clientToken === undefined || (input.clientToken === clientTokenFor(d.id, d.attempt) && !awaitingRetry(d))) return undefined;
  const why = `RunTask's answer under ${input.clientToken} is not for attempt ${attemptOf(d)} of ${d.id}${awaitingRetry(d) ? `, due at ${d.retryAt}` : ''}`;
  if (!input.ok) return ignore(`${why}: its refusal was counted by the invocation that recorded it`, d.id);
  const reason = `${why}: its task ${shortTask(input.taskArn)} is stopped`;
  return { decision: 'record', reason, deploymentId: d.id, actions: [stopTaskNamed(d, input.taskArn, ctx, reason)] };
}

/** An event kept before RunTask's answer, with what the shell read for it (the log tail of a failure). */
function earlyObservationOf(input: TaskStateInput): TaskObservation {
  const observation = { ...observationOf(input), taskDefinitionArn: input.taskDefinitionArn };
  return input.logTail !== undefined ? { ...observation, logTail: input.logTail } : observation;
}

function observationOf(input: TaskStateInput): TaskObservation {
  const { taskArn, version, lastStatus, stopCode, stoppedReason, startedAt, stoppedAt } = input;
  const containers = input.containers.map(({ name, exitCode, reason }) => definedFields({ name, exitCode, reason }));
  return definedFields({ taskArn, version, lastStatus, stopCode, stoppedReason, startedAt, stoppedAt, containers });
}

/**
 * The deployment's own scheduled check after its end follows its rollouts: a service ECS gave no verdict for
 * within ROLLOUT_WATCH_MINUTES of the end is recorded as `unconfirmed` (ECS sends FAILED only with the circuit
 * breaker on). Checked again at that time when the check comes earlier (a migration that ran long).
 */
function watchRollouts(d: Ended, state: ControllerState, ctx: DecideContext): Decision | undefined {
  const open = awaitingVerdict(d.services);
  if (open.length === 0) return undefined;
  const dueAt = (s: ServiceRollout) => rolloutDueAt(s, d.finishedAt, ctx);
  const due = open.filter((s) => Date.parse(dueAt(s)) <= Date.parse(ctx.now));
  // The rollouts not yet due (one followed after the end, `since`) are checked again when the first of them is.
  const next = open
    .filter((s) => !due.includes(s))
    .map(dueAt)
    .sort()
    .at(0);
  const again = next !== undefined ? [rolloutWatchCheck(d, ctx, next)] : [];
  if (due.length === 0)
    return { decision: 'record', reason: `rollouts of ${d.id} followed until ${next}`, deploymentId: d.id, actions: again };
  const names = due.map((s) => s.service).join(', ');
  const note = `no rollout verdict from ECS for ${names} within ROLLOUT_WATCH_MINUTES (${ctx.config.ROLLOUT_WATCH_MINUTES}): unconfirmed`;
  const services = (d.services ?? []).map((s) => (due.includes(s) ? { ...s, completion: 'unconfirmed' as const } : s));
  const recorded: Ended = { ...d, services, history: [...d.history, { at: ctx.now, status: d.outcome, note }] };
  return { decision: 'record', reason: note, deploymentId: d.id, actions: [...again, ...commitActions(state, undefined, [recorded])] };
}
