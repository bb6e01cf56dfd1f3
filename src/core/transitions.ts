import { assertNever, type EmittedType } from './actions.js';
import { definedFields } from './defined-fields.js';
import {
  type Deployment,
  type DeploymentKind,
  type Ended,
  type Launching,
  type LogLocation,
  type OpenDeployment,
  type Outcome,
  type PendingEvent,
  type Queued,
  type RolloutOutcome,
  type Running,
  runsServiceRevision,
  type ServiceRollout,
  type StopReport,
  statusOf,
  type TaskObservation,
  type Trigger,
  type Work,
} from './deployment.js';
import { eventDetail } from './event-detail.js';

/**
 * Every change of a deployment's state, and the events each implies. Nothing else in the core builds a
 * deployment record: the decide functions only choose which transition an input calls for.
 */
export interface Transition<D extends Deployment = Deployment> {
  deployment: D;
  /** Stored in the record's outbox with the commit, then published. */
  events: PendingEvent[];
  /**
   * Its events are a decision, not a report of what AWS did: a commit that reports its events before it is written
   * (`reportFirst`) stores these and publishes them after it (`commit.unreported`).
   */
  unreported?: true;
}

export interface NewDeployment {
  id: string;
  environment: string;
  kind: DeploymentKind;
  trigger: Trigger;
  work: Work;
  command: string[];
}

/** A new deployment, waiting for the environment. */
export function create(spec: NewDeployment, now: string, note: string): Queued {
  return { ...spec, revision: 0, status: 'queued', createdAt: now, history: [{ at: now, status: 'queued', note }] };
}

/** The deployment takes the environment; its task is being started. An image runs on a revision of `base`. */
export function startLaunch(d: Queued, now: string, note: string, base: string | undefined, handedOverBy?: string): Launching {
  const work: Work =
    base === undefined
      ? d.work
      : d.work.type === 'image'
        ? { ...d.work, baseTaskDefinitionArn: base }
        : runsServiceRevision(d.work)
          ? { ...d.work, taskDefinitionArn: base }
          : d.work;
  const { status: _status, ...rest } = d;
  return step(
    { ...rest, work, status: 'launching', launchStartedAt: now, ...(handedOverBy !== undefined ? { handedOverBy } : {}) },
    now,
    note,
  );
}

/** RunTask answered: the task is the deployment's own from now on. */
export function recordTask(
  d: Launching,
  task: { taskArn: string; taskDefinitionArn: string; log?: LogLocation; essentialSidecars?: string[] },
  now: string,
): Transition<Running> {
  const { status: _s, launchStartedAt: _l, earlyTaskEvents: _e, ...rest } = d;
  const running = step<Running>(
    {
      ...rest,
      status: 'running',
      taskArn: task.taskArn,
      taskDefinitionArn: task.taskDefinitionArn,
      launchedAt: now,
      ...(task.log !== undefined ? { log: task.log } : {}),
      ...(task.essentialSidecars !== undefined ? { essentialSidecars: task.essentialSidecars } : {}),
    },
    now,
    `task ${shortTask(task.taskArn)} started`,
  );
  return { deployment: running, events: [event(d.kind === 'migration' ? 'Migration Started' : 'Command Started', running)] };
}

/** How many tasks' early events a launching deployment keeps: RunTask starts one; the others are forged or stray. */
export const EARLY_TASKS_KEPT = 4;

/**
 * Keeps a task event that came before RunTask's answer, to judge it once the task is known to be ours: the newest
 * event of each task, versions compared within a task only. Returns `d` itself when nothing is kept (a stale event,
 * or a further task once `EARLY_TASKS_KEPT` are kept).
 */
export function keepEarlyTaskEvent(d: Launching, observation: TaskObservation): Launching {
  if (!keepsEarlyTaskEvent(d, observation)) return d;
  const kept = d.earlyTaskEvents ?? [];
  const same = kept.findIndex((e) => e.taskArn === observation.taskArn);
  if (same === -1) return { ...d, earlyTaskEvents: [...kept, observation] };
  return { ...d, earlyTaskEvents: kept.map((e, i) => (i === same ? observation : e)) };
}

/** Whether `keepEarlyTaskEvent` keeps an event of this task and version (the shell reads what a kept one needs). */
export function keepsEarlyTaskEvent(d: Launching, event: { taskArn: string; version: number }): boolean {
  const kept = d.earlyTaskEvents ?? [];
  const same = kept.find((e) => e.taskArn === event.taskArn);
  return same === undefined ? kept.length < EARLY_TASKS_KEPT : same.version < event.version;
}

/** A newer event of the running task, judged (or kept early and now its own): its version, and its start once known. */
export function observeTask(d: Running, observation: TaskObservation, now: string): Running {
  return taskStarted({ ...d, taskVersion: observation.version }, observation.startedAt, now);
}

/**
 * The task's start, once ECS says it (an event of the task, or a read of it by an end that does not come from its
 * event: a timeout, a cancel, an unlock, a takeover), with a history step. A RUNNING event alone commits nothing.
 */
export function taskStarted(d: Running, startedAt: string | undefined, now: string): Running {
  if (d.startedAt !== undefined || startedAt === undefined) return d;
  return step({ ...d, startedAt }, now, `task started at ${startedAt}`);
}

export interface Ending {
  outcome: Exclude<Outcome, 'superseded'>;
  reason: string;
  /** How the rollout went on, for a migration that succeeded; every other ending derives it. */
  rollout?: RolloutOutcome;
  stop?: StopReport;
  logTail?: string[];
  stoppedAt?: string;
  cancelledBy?: string;
  /** What the rollout did to each gated service (recorded with the end when it is known by then). */
  services?: ServiceRollout[];
}

/** The deployment ends, with the outcome events it implies. */
export function end(d: OpenDeployment, ending: Ending, now: string): Transition<Ended> {
  const ended = step<Ended>(
    definedFields({
      ...openFields(d),
      status: 'ended',
      outcome: ending.outcome,
      reason: ending.reason,
      finishedAt: now,
      rollout: rolloutOf(d.kind, ending.outcome, ending.rollout),
      stop: ending.stop,
      logTail: ending.logTail !== undefined && ending.logTail.length > 0 ? ending.logTail : undefined,
      stoppedAt: ending.stoppedAt,
      cancelledBy: ending.cancelledBy,
      services: ending.services ?? (ending.outcome !== 'succeeded' ? rolledBack(d) : undefined),
    }),
    now,
    ending.reason,
  );
  return { deployment: ended, events: outcomeEvents(ended) };
}

/**
 * The paused deployments waiting for a migration that ends without success: every such end answers them ROLLBACK
 * before its commit (`haltOf`), so the commit records it. What ECS said comes back after (`rollout-result`) and
 * replaces an entry only when it differs (the hook had moved on): an invocation that dies in between leaves the
 * answer recorded all the same.
 */
function rolledBack(d: OpenDeployment): ServiceRollout[] | undefined {
  if (d.kind !== 'migration' || d.waiters === undefined || d.waiters.length === 0) return undefined;
  return d.waiters.map((w): ServiceRollout => ({ service: w.service, result: 'rolled-back', ecsDeploymentId: w.serviceDeploymentArn }));
}

/** A queued deployment replaced by a newer one before it ran. */
export function supersede(d: Queued, by: string, now: string, note = `superseded by ${by} before it ran`): Transition<Ended> {
  const services = rolledBack(d);
  const ended = step<Ended>(
    {
      ...openFields(d),
      status: 'ended',
      outcome: 'superseded',
      reason: note,
      finishedAt: now,
      rollout: 'not-applicable',
      supersededBy: by,
      ...(services !== undefined ? { services } : {}),
    },
    now,
    note,
  );
  return { deployment: ended, events: outcomeEvents(ended) };
}

/** The events that say how a deployment ended: exhaustive over the outcome. */
export function outcomeEvents(d: Ended): PendingEvent[] {
  const types = (migration: EmittedType[], command: EmittedType[]) => (d.kind === 'migration' ? migration : command);
  let emitted: EmittedType[];
  switch (d.outcome) {
    case 'succeeded':
      // A rollout that moved no service (every update refused) did not continue: its services say why (Rollout Failed).
      emitted = types(d.rollout === 'halted' ? ['Migration Succeeded'] : ['Migration Succeeded', 'Rollout Continued'], [
        'Command Succeeded',
      ]);
      break;
    case 'failed':
      emitted = types(['Migration Failed', 'Rollout Halted'], ['Command Failed']);
      break;
    case 'timed_out':
      emitted = types(['Migration Timed Out', 'Rollout Halted'], ['Command Failed']);
      break;
    case 'cancelled':
      emitted = types(['Migration Cancelled', 'Rollout Halted'], ['Command Failed']);
      break;
    case 'superseded':
      // A command that gave way never ran: its requester hears it as a failure (and the notification topic says so).
      emitted = types(['Migration Superseded'], ['Command Failed']);
      break;
    default:
      return assertNever(d.outcome);
  }
  return emitted.map((type) => event(type, d));
}

/** How an ending leaves the rollout: only a succeeded migration moves it; a failed one halts it; a command never touches it. */
function rolloutOf(kind: DeploymentKind, outcome: Ending['outcome'], given: RolloutOutcome | undefined): RolloutOutcome {
  if (kind === 'command') return 'not-applicable';
  return outcome === 'succeeded' ? (given ?? 'continued') : 'halted';
}

/** The fields an open deployment carries into its end (its task, timings and log, when it had them). */
function openFields(d: OpenDeployment) {
  const { status: _status, ...common } = d;
  switch (d.status) {
    case 'queued':
      return common;
    case 'launching': {
      const { launchStartedAt: _l, earlyTaskEvents: _e, ...rest } = common as Omit<Launching, 'status'>;
      return rest;
    }
    case 'running': {
      const { taskVersion: _v, ...rest } = common as Omit<Running, 'status'>;
      return rest;
    }
    default:
      return assertNever(d);
  }
}

function event(detailType: EmittedType, d: Deployment): PendingEvent {
  return { detailType, detail: eventDetail(d) };
}

function step<D extends Deployment>(d: D, at: string, note: string): D {
  return { ...d, history: [...d.history, { at, status: statusOf(d), note }] };
}

export function shortTask(taskArn: string): string {
  return taskArn.split('/').pop() ?? taskArn;
}
