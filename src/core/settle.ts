import type { Action } from './actions.js';
import { commitActions } from './commit.js';
import { addMinutes, type DecideContext, lockExpiresAt } from './context.js';
import { HOOK_MARGIN_MINUTES, waitersAllExpired } from './deadline.js';
import { definedFields } from './defined-fields.js';
import {
  attemptOf,
  type Deployment,
  gatedPausedRevision,
  imageOf,
  type Launching,
  type OpenDeployment,
  type PendingEvent,
  pushedAtOf,
  runsServiceRevision,
  taskDefinitionOf,
  taskOf,
} from './deployment.js';
import { haltOf, launchRequest } from './launch-request.js';
import { watchWhenNoCheckLeft } from './rollout-watch.js';
import type { ControllerState, EnvironmentState } from './state.js';
import { type Ending, end, startLaunch, type Transition, taskStarted } from './transitions.js';

export interface SettleOptions {
  /** Actions that must come before the commit (a rollout update, stopping the task). */
  before?: Action[];
  /** Events of an earlier transition in the same decision (the task was recorded and ended at once). */
  prior?: PendingEvent[];
  /** The task definition the service runs once this deployment has ended: the base of the next one. */
  serviceTaskDefinitionArn?: string;
  /** Other changes to the environment record made with this end (an operator's unlock). */
  env?: Partial<EnvironmentState>;
  /** The end's events report a rollout already carried out: published before the commit (`commit.reportFirst`). */
  reportFirst?: boolean;
}

/**
 * The one way a deployment ends. A migration that did not succeed halts its rollout first; then one commit
 * records the end, frees the environment and hands it to the queued deployment; then the outcome events are
 * published; then the next deployment launches (after its scheduled check, when the end stopped a migration still
 * running: `waitForStop`).
 */
export function settle(
  state: ControllerState,
  ctx: DecideContext,
  d: OpenDeployment,
  ending: Ending,
  options: SettleOptions = {},
): Action[] {
  const ended = end(withStartRead(d, state, ctx.now), ending, ctx.now);
  const change: Transition = { deployment: ended.deployment, events: [...(options.prior ?? []), ...ended.events] };
  const before = [
    ...(options.before ?? []),
    ...(ending.outcome !== 'succeeded' ? haltOf(d, ctx, ending.reason) : []),
    ...watchWhenNoCheckLeft(d, ended.deployment, ctx),
  ];
  const succeeded = ending.outcome === 'succeeded' && d.kind === 'migration';
  const holds = state.env.active?.deploymentId === d.id || state.env.queued === d.id;
  const commitOptions = { reportFirst: options.reportFirst === true };
  if (!holds && !succeeded && options.env === undefined) return [...before, ...commitActions(state, undefined, [change], commitOptions)];

  const env: EnvironmentState = { ...state.env, ...options.env };
  if (env.active?.deploymentId === d.id) delete env.active;
  if (env.queued === d.id) delete env.queued;
  if (succeeded) env.lastSucceeded = lastSucceededOf(d, ended.deployment, ctx, state.env.lastSucceeded);
  // A launch that ends while it waits for a stopped task hands that wait on: the task may still run.
  const waited = d.status === 'launching' && d.waitsFor !== undefined;
  // pause-hook: a migration that did not succeed answers its paused deployments ROLLBACK: their target revisions,
  // which the services name while paused, are not what they will run.
  const rolledBack = ending.outcome !== 'succeeded' && gatedPausedRevision(d) !== undefined;
  const next = handOver(
    state,
    env,
    ctx,
    d.id,
    options.serviceTaskDefinitionArn,
    stopsMigration(before, d, ending) || waited ? d : undefined,
    rolledBack,
  );
  return [...before, ...next.before, ...commitActions(state, env, [change, ...next.changes], commitOptions), ...next.after];
}

/**
 * `d` with its task's start, when this decision read the task (`state.task`: an operator's request, a takeover) and
 * the record lacks it: a RUNNING event commits nothing, and the STOPPED event of a deployment ended otherwise finds
 * it ended.
 */
export function withStartRead<D extends OpenDeployment>(d: D, state: ControllerState, now: string): D {
  if (d.status !== 'running' || state.task?.taskArn !== d.taskArn) return d;
  return taskStarted(d, state.task.startedAt, now) as D;
}

/**
 * Whether the end stops a task of `d` whose migration may still run (a cancel, an unlock, a timeout, a takeover): not
 * one whose migration container exited already (the rest of its task stopped after a verdict).
 */
export function stopsMigration(before: Action[], d: Deployment, ending: Pick<Ending, 'stop'>): boolean {
  if (ending.stop?.exitCode !== undefined) return false;
  return before.some((a) => (a.type === 'stopTask' || a.type === 'stopTasksStartedBy') && a.deploymentId === d.id);
}

/**
 * How long a launch handed over by an end that stops a migration waits before its RunTask: StopTask sends SIGTERM,
 * and ECS kills the container only after its stop timeout (30 s by default, 120 s at most on Fargate). Launching at
 * once would run two migrations against the database meanwhile.
 */
export const STOP_WAIT_MINUTES = 3;

/**
 * The environment record's `lastSucceeded` for a migration that ended succeeded now (or whose rollout is found after
 * its end: `movedAfterEnd`). Its `pushedAt` is the age of what is rolled out: the image's, or for a task definition
 * run as it is the one its migration container runs (`runs`, dated when the request came); a deployment whose work has
 * none keeps the one before (`before`), so an image pushed before the one rolled out still runs only as a deliberate
 * rerun. It keeps that age's `replayName` with it: the replay that pushed what is rolled out still keeps its older
 * pushes from rolling out over it.
 */
export function lastSucceededOf(
  d: Deployment,
  ended: Deployment,
  ctx: DecideContext,
  before?: EnvironmentState['lastSucceeded'],
): NonNullable<EnvironmentState['lastSucceeded']> {
  const runs = d.work.type === 'task-definition' ? d.work.runs : undefined;
  const pushedAt = pushedAtOf(d) ?? runs?.pushedAt;
  const age = pushedAt !== undefined ? { pushedAt, replayName: d.trigger.replayName } : before;
  return definedFields({
    deploymentId: d.id,
    at: ctx.now,
    image: imageOf(d) ?? runs?.image,
    taskDefinitionArn: taskDefinitionOf(ended),
    command: d.command,
    pushedAt: age?.pushedAt,
    replayName: age?.replayName,
  });
}

/**
 * Gives a freed environment (`env`, changed in place) to the queued deployment: it starts launching on the
 * revision the service runs now. Returns the record to write, what comes before the commit and the launch that
 * follows it. A queued pause-hook migration whose paused deployments are all past their deadline is not launched:
 * it ends timed out (their hooks answered ROLLBACK, which ECS may refuse once it applied its own timeout action),
 * and the environment stays free.
 */
export function handOver(
  state: ControllerState,
  env: EnvironmentState,
  ctx: DecideContext,
  fromId: string | undefined,
  serviceTaskDefinitionArn?: string,
  stopped?: Deployment,
  rolledBack?: boolean,
): { changes: (Transition | Deployment)[]; before: Action[]; after: Action[] } {
  const next = env.active === undefined && env.queued !== undefined ? state.deployments[env.queued] : undefined;
  if (next === undefined || next.status !== 'queued') return { changes: [], before: [], after: [] };
  delete env.queued;
  if (waitersAllExpired(next, ctx.now)) {
    const reason = `every paused deployment waiting for it was past its hook's expiry (less ${HOOK_MARGIN_MINUTES} minutes) when the environment was free: the migration was not run, rollout halted`;
    const ended = end(next, { outcome: 'timed_out', reason }, ctx.now);
    return { changes: [{ ...ended, unreported: true }], before: haltOf(next, ctx, reason), after: [] };
  }
  const base = serviceTaskDefinitionArn ?? state.service?.taskDefinitionArn;
  // A command of "the task definition the service runs" after an end that answered paused deployments ROLLBACK: the
  // service names the paused revision until ECS rolls it back (to a revision not known here), and the new code must not
  // run against the schema its migration failed on. With several services, the first one's paused revision may be
  // another waiter's than the migration's own: whatever it names, the command is not run.
  if (rolledBack === true && runsServiceRevision(next.work)) {
    const reason = `not run: ${fromId ?? 'the end'} answered ROLLBACK to the paused deployments (its migration did not succeed), and the task definition the service runs, ${base ?? next.work.taskDefinitionArn}, may be one they roll back; send the command again once the service has rolled back`;
    return { changes: [end(next, { outcome: 'failed', reason }, ctx.now)], before: [], after: [] };
  }
  env.active = { deploymentId: next.id, lockExpiresAt: lockExpiresAt(ctx) };
  const launching = startLaunch(
    next,
    ctx.now,
    fromId !== undefined ? `environment freed by ${fromId}` : 'environment unlocked',
    base,
    fromId,
  );
  if (stopped !== undefined) return waitForStop(launching, ctx, stopped);
  const service = state.service !== undefined && base !== undefined ? { ...state.service, taskDefinitionArn: base } : state.service;
  return {
    changes: [launching],
    before: [],
    after: [{ type: 'launchTask', deploymentId: next.id, request: launchRequest(launching, service, ctx) }],
  };
}

/**
 * A launch that waits `STOP_WAIT_MINUTES` for the task the end stopped: committed launching with `retryAt` (and the
 * task, when the stopped deployment recorded one: `waitsFor`), and launched by its scheduled check (`onScheduledCheck`,
 * set before the commit) with the service as it is then, once ECS says that task stopped (`launchWaiting`).
 */
export function waitForStop(
  launching: Launching,
  ctx: DecideContext,
  stopped: Deployment,
): { changes: [Launching]; before: Action[]; after: Action[] } {
  const retryAt = addMinutes(ctx.now, STOP_WAIT_MINUTES);
  const taskArn = taskOf(stopped);
  // A launch that was itself waiting passes on the task it waited for.
  const waitsFor =
    taskArn !== undefined ? { deploymentId: stopped.id, taskArn } : stopped.status === 'launching' ? stopped.waitsFor : undefined;
  const note = `launches at ${retryAt} once ${waitsFor?.deploymentId ?? stopped.id}'s task has stopped: StopTask gives it its stop timeout`;
  const waiting: Launching = {
    ...launching,
    retryAt,
    ...(waitsFor !== undefined ? { waitsFor } : {}),
    history: [...launching.history, { at: ctx.now, status: 'launching', note }],
  };
  const check = { type: 'scheduleTimeout' as const, deploymentId: waiting.id, environment: waiting.environment, at: retryAt };
  return { changes: [waiting], before: [{ ...check, attempt: attemptOf(waiting), purpose: 'retry' }], after: [] };
}
