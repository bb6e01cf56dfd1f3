import { createHash } from 'node:crypto';

/** What a deployment runs: a migration gates the rollout; a command (run-command) never touches the service. */
export type DeploymentKind = 'migration' | 'command';

export type DeploymentStatus =
  | 'queued' // waiting for the environment to be free
  | 'launching' // recorded and holding the environment; the task is being started
  | 'running' // the task exists in ECS
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'superseded'; // replaced in the queue by a newer request before it ran

export const FINAL_STATUSES: readonly DeploymentStatus[] = ['succeeded', 'failed', 'timed_out', 'superseded'];

export type TriggerType = 'ecr-push' | 'deploy-request' | 'run-command';

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

/** What the migration container reported when the task stopped. */
export interface StopReport {
  exitCode?: number;
  stopCode?: string;
  stoppedReason?: string;
  containerReason?: string;
}

export type RolloutOutcome =
  | 'continued' // the service was moved to the deployment's task definition
  | 'already-current' // the service already ran it
  | 'moved-on' // the service runs a newer revision: left alone
  | 'halted' // migration did not succeed: service left on its revision
  | 'not-applicable'; // a run-command

export interface Deployment {
  id: string;
  /** Incremented by every write; writes are conditional on it. */
  revision: number;
  environment: string;
  kind: DeploymentKind;
  status: DeploymentStatus;
  trigger: Trigger;
  /** Image pinned by digest when known; the container image to run. */
  image?: string;
  /** The task definition the service ran when the deployment was created (the base for the new revision). */
  baseTaskDefinitionArn?: string;
  /** Given by a deploy-request, or registered by the launcher. */
  taskDefinitionArn?: string;
  command: string[];
  taskArn?: string;
  /** Highest ECS task event `version` seen, to drop stale, out-of-order events. */
  taskVersion?: number;
  createdAt: string;
  launchedAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  finishedAt?: string;
  stop?: StopReport;
  /** One line saying why the deployment ended as it did. */
  reason?: string;
  logTail?: string[];
  rollout?: RolloutOutcome;
  supersededBy?: string;
  history: HistoryEntry[];
}

export interface HistoryEntry {
  at: string;
  status: DeploymentStatus;
  note: string;
}

export function isFinal(status: DeploymentStatus): boolean {
  return FINAL_STATUSES.includes(status);
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

/** RunTask's clientToken (≤ 64 characters, ASCII 33–126). ECS honours it for about 24 hours. */
export function clientTokenFor(deploymentId: string): string {
  return `ecs-migrate-${deploymentId}`;
}

export function withStatus(d: Deployment, status: DeploymentStatus, at: string, note: string): Deployment {
  return { ...d, status, history: [...d.history, { at, status, note }] };
}
