import { createHash } from 'node:crypto';

/** What a deployment runs: a migration gates the rollout; a command (run-command) never touches the service. */
export type DeploymentKind = 'migration' | 'command';

/** `pause-hook`: a service owner's deployment paused at HOOK_STAGE (ECS Hook State Change). */
export type TriggerType = 'ecr-push' | 'deploy-request' | 'run-command' | 'pause-hook';

export interface Trigger {
  type: TriggerType;
  eventId: string;
  /** The event's own `time`: part of the deployment id, so a retried delivery computes the same id. */
  at: string;
  /** EventBridge archive replay that delivered the event: a deliberate rerun. */
  replayName?: string;
  /** Set on a deploy-request that asks to run again what already ran. */
  rerun?: boolean;
  requestId?: string;
  requestedBy?: string;
  imageTag?: string;
}

/**
 * What the task runs: an image on a new revision of the service's task definition (the base is known once the
 * deployment launches), or a task definition as it is.
 */
export type Work =
  | {
      type: 'image';
      image: string;
      baseTaskDefinitionArn?: string;
      /** When the image was pushed (the push event's time, or ECR's `imagePushedAt`): its age, which orders the queue. */
      pushedAt?: string;
    }
  | {
      type: 'task-definition';
      taskDefinitionArn: string;
      /**
       * A command that named neither image nor task definition: it runs the task definition the service runs when
       * it launches, so one queued behind a migration runs the code that migration rolled out.
       */
      ofService?: true;
      /**
       * Set on such a command whose launch a takeover deferred while the service named the paused revision it answered
       * ROLLBACK (this one): the launch takes what the service names then, unless that is still this revision or one
       * queued for its migration (`resume.ts`, `onServiceRevision`).
       */
      afterRollbackOf?: string;
      /**
       * A deploy-request's: the image of REPOSITORY its migration container (CONTAINER) runs, pinned by digest, with its
       * push time, read when the request arrived (`src/shell/resolve-image.ts`). Its success records them as what is
       * rolled out (`lastSucceededOf`), so an image pushed before it is not taken for a newer one.
       */
      runs?: { image: string; pushedAt?: string };
    }
  /**
   * pause-hook mode: the target revision of the owner's paused deployment, run as it is (its images are the ones
   * ECS will deploy); keyed by `image`, the REPOSITORY image pinned by digest, which every waiting hook shares.
   */
  | { type: 'revision'; taskDefinitionArn: string; image: string; launch: LaunchSettings };

/** The work of a deployment recorded as failed before it knew what it would run (the service could not be read). */
export const UNKNOWN_WORK: Work = { type: 'task-definition', taskDefinitionArn: "(the service's task definition: unreadable)" };

/** Where a task runs: the service's (or its new revision's) own network, launch type or capacity, and platform. */
export interface LaunchSettings {
  network?: { subnets: string[]; securityGroups: string[]; assignPublicIp: 'ENABLED' | 'DISABLED' };
  launchType?: string;
  capacityProviderStrategy?: { capacityProvider: string; weight?: number; base?: number }[];
  platformVersion?: string;
}

/** A paused ECS deployment (pause-hook mode) waiting for this deployment's migration: answered when it ends. */
export interface Waiter {
  service: string;
  serviceDeploymentArn: string;
  hookId: string;
  /** When ECS applies the hook's timeout action by itself. */
  expiresAt?: string;
}

/** What happened to one gated service when the deployment ended, and, once ECS says so, how its rollout ended. */
export interface ServiceRollout {
  service: string;
  result: 'continued' | 'unchanged' | 'rolled-back' | 'moved-on' | 'failed';
  reason?: string;
  /** The service deployment the answer or update started (`ecs-svc/…`, or the paused deployment's ARN). */
  ecsDeploymentId?: string;
  /** pause-hook: the paused deployment answered, when `ecsDeploymentId` is its `ecs-svc/…` id instead. */
  serviceDeploymentArn?: string;
  /**
   * From `ECS Deployment State Change`: the rollout followed to its end. `unconfirmed`: no verdict from ECS within
   * ROLLOUT_WATCH_MINUTES of the end (FAILED comes only with the circuit breaker).
   */
  completion?: 'completed' | 'failed' | 'unconfirmed';
  completionReason?: string;
  /**
   * Recorded after the end (a paused deployment answered CONTINUE for an image migrated already): followed for a
   * verdict from then, not from the end.
   */
  since?: string;
}

/** What the migration container reported when the task stopped. */
export interface StopReport {
  exitCode?: number;
  stopCode?: string;
  stoppedReason?: string;
  containerReason?: string;
}

/** How an ended deployment ended; also the spelling stored and emitted as its `status`. */
export type Outcome = 'succeeded' | 'failed' | 'timed_out' | 'superseded' | 'cancelled';

export type RolloutOutcome =
  | 'continued' // the service was moved to the deployment's task definition
  | 'already-current' // the service already ran it
  | 'moved-on' // the service runs a newer revision: left alone
  | 'halted' // migration did not succeed: service left on its revision
  | 'not-applicable'; // a run-command, or a deployment superseded before it ran

/** A task event seen before RunTask's answer was recorded: judged once the task ARN is known to be ours. */
export interface TaskObservation {
  taskArn: string;
  version: number;
  lastStatus: string;
  stopCode?: string;
  stoppedReason?: string;
  startedAt?: string;
  stoppedAt?: string;
  containers: { name: string; exitCode?: number; reason?: string }[];
  /** The migration's log tail, read when a failed task's event is kept before RunTask's answer (judged later). */
  logTail?: string[];
  /** For an event kept before RunTask's answer: the task definition the task runs. */
  taskDefinitionArn?: string;
}

/** An event a committed transition implies, kept in the record until it is known to be published (the outbox). */
export interface PendingEvent {
  detailType: string;
  detail: Record<string, unknown>;
}

export interface HistoryEntry {
  at: string;
  /** The deployment's status after this step (`statusOf`). */
  status: string;
  note: string;
}

interface Common {
  id: string;
  /** Incremented by every write; writes are conditional on it. */
  revision: number;
  environment: string;
  kind: DeploymentKind;
  trigger: Trigger;
  work: Work;
  command: string[];
  createdAt: string;
  history: HistoryEntry[];
  /** Events of committed transitions not yet known to be on the bus; published (again) by whoever reads them. */
  outbox?: PendingEvent[];
  /** pause-hook mode: the paused deployments of the gated services that wait for this migration. */
  waiters?: Waiter[];
  /** The launch attempt (absent: 1). A launch whose task never started for a reason that can pass is retried (LAUNCH_RETRIES). */
  attempt?: number;
  /** The earlier attempts, oldest first: each with its own task (if it got one) and why it failed. */
  attempts?: LaunchAttempt[];
}

/** A launch attempt that started no migration: its task never started, or RunTask had no capacity. */
export interface LaunchAttempt {
  attempt: number;
  failedAt: string;
  reason: string;
  taskArn?: string;
  taskDefinitionArn?: string;
  /** When its task was recorded: its timeout check is due a TIMEOUT_MINUTES later (`migrationDeadline`). */
  launchedAt?: string;
  stop?: StopReport;
}

/** Waiting for the environment to be free. */
export interface Queued extends Common {
  status: 'queued';
}

/** Holding the environment; the task is being started. */
export interface Launching extends Common {
  status: 'launching';
  launchStartedAt: string;
  /**
   * The deployment whose end handed the environment to this one: its retried events resume this launch. Kept once
   * the task runs and at the end, so a retried event of the deployment before it finds a launch handed on again
   * (`resumeHandover`).
   */
  handedOverBy?: string;
  /**
   * Task events that came before RunTask's answer was recorded: the newest of each task, for at most
   * `EARLY_TASKS_KEPT` tasks. Per task, because a task someone else started with our `startedBy` must not hide ours.
   */
  earlyTaskEvents?: TaskObservation[];
  /**
   * Set while waiting to launch `attempt`: a retry, or a launch that waits for the task its hand-over stopped
   * (`waitsFor`). No RunTask has been sent for it yet.
   */
  retryAt?: string;
  /**
   * The task of the migration whose end handed it the environment and stopped that task (`waitForStop`): launched once
   * ECS describes it stopped (or no longer), not before.
   */
  waitsFor?: { deploymentId: string; taskArn: string };
}

/** The task exists in ECS. */
export interface Running extends Common {
  status: 'running';
  /** Kept from its launch (`Launching.handedOverBy`). */
  handedOverBy?: string;
  taskArn: string;
  /** The task definition the task runs (a registered revision, or the one given): the rollout target. */
  taskDefinitionArn: string;
  launchedAt: string;
  startedAt?: string;
  /** Highest ECS task event `version` seen, to drop stale, out-of-order events. */
  taskVersion?: number;
  /** Where the task's log goes, when the task definition says so (for `logs` and `deploy --wait`). */
  log?: LogLocation;
  /**
   * The task definition's essential containers that run beside the migration container (`essentialSidecars`), when
   * the launch knew the definition: one that fails stops the task, and the migration's exit 0 then proves nothing.
   */
  essentialSidecars?: string[];
}

export interface LogLocation {
  group: string;
  stream: string;
  region?: string;
}

export interface Ended extends Common {
  status: 'ended';
  /** Kept from its launch (`Launching.handedOverBy`). */
  handedOverBy?: string;
  outcome: Outcome;
  /** One line saying why the deployment ended as it did. */
  reason: string;
  finishedAt: string;
  rollout: RolloutOutcome;
  taskArn?: string;
  taskDefinitionArn?: string;
  launchedAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  log?: LogLocation;
  /** Kept from its task (`Running.essentialSidecars`). */
  essentialSidecars?: string[];
  /** The migration container's report, when there was a task. */
  stop?: StopReport;
  logTail?: string[];
  supersededBy?: string;
  /** Who asked to cancel it (a cancel-request). */
  cancelledBy?: string;
  /** Each gated service: what the end did to it, and how its rollout ended. */
  services?: ServiceRollout[];
}

export type Deployment = Queued | Launching | Running | Ended;
export type OpenDeployment = Queued | Launching | Running;
export type DeploymentStatus = Deployment['status'];

export function isEnded(d: Deployment): d is Ended {
  return d.status === 'ended';
}

/** The status people and events see: the outcome once ended (`succeeded`, `failed`, …), the state before. */
export function statusOf(d: Deployment): string {
  return d.status === 'ended' ? d.outcome : d.status;
}

/** The image a deployment runs, when it names one. */
export function imageOf(d: Pick<Deployment, 'work'>): string | undefined {
  return d.work.type === 'task-definition' ? undefined : d.work.image;
}

/** The work of a command of "the task definition the service runs" (it named neither image nor task definition). */
export type ServiceRevisionWork = Extract<Work, { type: 'task-definition' }> & { ofService: true };

export function runsServiceRevision(work: Work): work is ServiceRevisionWork {
  return work.type === 'task-definition' && work.ofService === true;
}

/**
 * pause-hook mode: the paused revision whose deployments `d` gates (they wait on it), which an end that is not a
 * success answers ROLLBACK; undefined for any other deployment.
 */
export function gatedPausedRevision(d: Pick<Deployment, 'work' | 'waiters'>): string | undefined {
  return d.work.type === 'revision' && (d.waiters?.length ?? 0) > 0 ? d.work.taskDefinitionArn : undefined;
}

/** When a deployment's image was pushed, if known. */
export function pushedAtOf(d: Pick<Deployment, 'work'>): string | undefined {
  return d.work.type === 'image' ? d.work.pushedAt : undefined;
}

/** Whether push time `a` is before `b` (false when either is unknown). */
export function pushedBefore(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && Date.parse(a) < Date.parse(b);
}

/** The task definition a deployment runs or ran, once known. */
export function taskDefinitionOf(d: Deployment): string | undefined {
  if (d.status === 'running' || (d.status === 'ended' && d.taskDefinitionArn !== undefined)) return d.taskDefinitionArn;
  return d.work.type === 'image' ? undefined : d.work.taskDefinitionArn;
}

/** The task a deployment recorded as its own (RunTask's answer), if any. */
export function taskOf(d: Deployment): string | undefined {
  return d.status === 'running' || d.status === 'ended' ? d.taskArn : undefined;
}

/** The `startedBy` prefix of every ECS task ecs-migrate starts. ECS allows only letters, digits, `-`, `/` and `_` there. */
export const STARTED_BY_PREFIX = 'ecs-migrate/';

export function startedByFor(deploymentId: string): string {
  return `${STARTED_BY_PREFIX}${deploymentId}`;
}

export function deploymentIdFromStartedBy(startedBy: string | undefined): string | undefined {
  if (startedBy === undefined || !startedBy.startsWith(STARTED_BY_PREFIX)) return undefined;
  const id = startedBy.slice(STARTED_BY_PREFIX.length);
  return DEPLOYMENT_ID.test(id) ? id : undefined;
}

/** `YYYYMMDD-HHMMSS-xxxxxxxx`: sortable by time, 24 characters so `startedBy` stays within ECS's 36. */
export const DEPLOYMENT_ID = /^\d{8}-\d{6}-[0-9a-f]{8}$/;

/**
 * The deployment id is derived from what triggered it, never random: a retried Lambda invocation for the
 * same trigger computes the same id, and so the same RunTask `clientToken`, which stops ECS from starting
 * a second task. A replay or a rerun request has a different trigger key, hence a new deployment.
 */
export function deploymentIdFor(triggerKey: string, at: string): string {
  const stamp = at.replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const hash = createHash('sha256').update(triggerKey).digest('hex').slice(0, 8);
  return `${stamp}-${hash}`;
}

/** The id of the deployment a trigger asks for, in an environment: the same for every delivery of that trigger. */
export function deploymentIdOfTrigger(trigger: Trigger, environment: string): string {
  return deploymentIdFor(triggerKey(trigger, environment), trigger.at);
}

/** Idempotency key of a trigger: duplicates of one delivery share it; replays and new requests do not. */
export function triggerKey(trigger: Trigger, environment: string): string {
  const base = trigger.requestId !== undefined ? `request:${trigger.requestId}` : `event:${trigger.eventId}`;
  return [environment, trigger.type, base, trigger.replayName ? `replay:${trigger.replayName}` : ''].join('|');
}

/**
 * RunTask's clientToken (≤ 64 characters, ASCII 33–126). ECS honours it for about 24 hours and answers a reused
 * token with the first result, so each launch attempt has its own: `ecs-migrate-<id>`, then `ecs-migrate-<id>-<attempt>`.
 */
export function clientTokenFor(deploymentId: string, attempt = 1): string {
  return attempt > 1 ? `ecs-migrate-${deploymentId}-${attempt}` : `ecs-migrate-${deploymentId}`;
}

/** The launch attempt a deployment is at. */
export function attemptOf(d: Pick<Deployment, 'attempt'>): number {
  return d.attempt ?? 1;
}

/** Waiting for a scheduled retry: a retried trigger must not launch it early. */
export function awaitingRetry(d: Deployment): boolean {
  return d.status === 'launching' && d.retryAt !== undefined;
}
