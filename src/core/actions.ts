import { boundDetail, clip, LIMITS } from './bounds.js';
import type { Deployment, PendingEvent, Running, ServiceRollout, Waiter } from './deployment.js';
import { type Redactor, redactStrings } from './redact.js';
import type { EnvironmentState, NetworkConfig, ServiceInfo } from './state.js';
import type { Ending } from './transitions.js';

/** Everything ECS needs to start the task; pure data, so `explain` can show it. */
export interface LaunchRequest {
  cluster: string;
  /** The migration container's name in the task definition. */
  container: string;
  /** Register a revision of `baseTaskDefinitionArn` with this image on `container`… */
  image?: string;
  baseTaskDefinitionArn?: string;
  /** …or run this task definition as it is. */
  taskDefinitionArn?: string;
  command: string[];
  startedBy: string;
  clientToken: string;
  /** Set when a retried invocation resumes this launch: the revision may have been registered already. */
  resumed?: boolean;
  tags: Record<string, string>;
  network?: NetworkConfig;
  launchType?: string;
  capacityProviderStrategy?: ServiceInfo['capacityProviderStrategy'];
  platformVersion?: string;
}

/**
 * Where a rollout goes on or stops — the one seam between the decisions and the rollout modes.
 * `update-service`: continue = UpdateService to the migrated revision (and, with several services, every container
 * of REPOSITORY in each of them moves to the migrated image); halt = the services are left alone.
 * `pause-hook`: continue = CONTINUE to every paused deployment waiting for the migration; halt = ROLLBACK.
 */
export type RolloutTarget =
  | { mode: 'update-service'; cluster: string; service: string; services?: string[] }
  | { mode: 'pause-hook'; waiters: Waiter[] };

/** The end a rollout's result completes: the migration's verdict, the events already implied, the service's revision after. */
export interface RolloutCompletion {
  /** The deployment as the verdict saw it (its task observed; not committed yet when RunTask's answer came last). */
  deployment: Running;
  ending: Ending;
  prior: PendingEvent[];
  serviceTaskDefinitionArn?: string;
  /** Decided with no check of the deployment still to come (`DecideContext.lastCheck`): the end schedules one. */
  noCheckLeft?: true;
}

/**
 * Where a commit stored the events it implies: the environment record when the commit writes it (every invocation
 * reads that record first, so they are published even if no later event concerns the deployment), else the record
 * of the deployment. Cleared only at the version or revision written, so a newer write's events are never lost.
 */
export type OutboxRef =
  | { record: 'environment'; environment: string; version: number }
  | { record: 'deployment'; deploymentId: string; revision: number };

export type ServiceUpdateTarget = Extract<RolloutTarget, { mode: 'update-service' }>;

export const EMITTED_TYPES = [
  'Migration Started',
  'Migration Succeeded',
  'Migration Failed',
  'Migration Timed Out',
  'Migration Superseded',
  'Migration Cancelled',
  'Rollout Continued',
  'Rollout Halted',
  'Command Started',
  'Command Succeeded',
  'Command Failed',
  'Rollout Completed',
  'Rollout Failed',
  'Environment Unlocked',
  'Event Rejected',
  'Launch Retry Scheduled',
] as const;
export type EmittedType = (typeof EMITTED_TYPES)[number];

export type Action =
  /**
   * One atomic, conditional write of the environment record (lock and queue) and deployment records.
   * It fails as a whole when any record changed since it was read: the shell then reloads and decides again.
   * `reportFirst`: its events report what AWS already did (RunTask answered; the rollout was carried out). They are
   * published before the commit, which then stores no outbox; only if publishing fails are they stored with it and
   * published after it, as other events are. `unreported`: that many events at the end of the environment record's
   * outbox are a decision taken with the report (a queued deployment ended as the environment was handed over): they
   * are always stored, and published after the commit.
   */
  | { type: 'commit'; env?: EnvironmentCommit; deployments: DeploymentCommit[]; reportFirst?: true; unreported?: number }
  /**
   * Publishes the events a commit stored in a deployment's outbox, then clears the outbox (if the record is still at
   * `revision`). Published at least once: a failure leaves them in the outbox for the next invocation that reads it.
   */
  | { type: 'publish'; outbox: OutboxRef; events: PendingEvent[] }
  /** Feeds a `launch-result` input back to the core. */
  | { type: 'launchTask'; deploymentId: string; request: LaunchRequest }
  | { type: 'stopTask'; deploymentId: string; cluster: string; taskArn: string; reason: string }
  /**
   * A launch whose RunTask answer was never recorded may still have started its task: stop every running task
   * started for the deployment (`startedBy`) before it ends. Stopping is all this trusts `startedBy` for.
   */
  | { type: 'stopTasksStartedBy'; deploymentId: string; cluster: string; startedBy: string; reason: string }
  /**
   * Feeds a `rollout-result` input back to the core (what each service's update or answer did), with `completion`: how
   * the deployment ends once the rollout went on, committed with the result (one write, after the rollout).
   */
  | {
      type: 'continueRollout';
      deploymentId: string;
      target: RolloutTarget;
      taskDefinitionArn: string;
      /** update-service, several services: the image the others move to; absent (a task definition run as it is): the one its migration container runs. */
      image?: string;
      /**
       * update-service, several services: the first service runs `taskDefinitionArn` or a newer revision already (a
       * retried event after a partial rollout, or it moved on): no UpdateService for it, this is what it did; the
       * others are rolled out still.
       */
      firstService?: ServiceRollout;
      completion?: RolloutCompletion;
    }
  /** In pause-hook mode answers ROLLBACK and feeds a `rollout-result` back; in update-service mode only logs. */
  | { type: 'haltRollout'; deploymentId: string; target: RolloutTarget; reason: string }
  /**
   * A one-shot schedule that deletes itself once it has run; a check that comes after the end is ignored. One per
   * deployment, attempt (absent: 1) and purpose (`retry`: launch the attempt then; absent: its timeout).
   */
  | {
      type: 'scheduleTimeout';
      deploymentId: string;
      environment: string;
      at: string;
      attempt?: number;
      purpose?: 'retry' | 'deadline' | 'rollout-watch';
    }
  /** An event no commit implies (`Event Rejected`). */
  | { type: 'putEvent'; detailType: EmittedType; detail: Record<string, unknown> };

export interface EnvironmentCommit {
  state: EnvironmentState;
  /** 0: the record must not exist yet. */
  expectedVersion: number;
}

export interface DeploymentCommit {
  deployment: Deployment;
  /** 0: the record must not exist yet. */
  expectedRevision: number;
}

/** `progress`: an event of the deployment's own task that changes nothing to record (a RUNNING event); `ignore`: one that is not acted on. */
export type DecisionKind = 'launch' | 'queue' | 'continue' | 'halt' | 'record' | 'progress' | 'ignore' | 'reject';

export interface Decision {
  decision: DecisionKind;
  /** One sentence, for the log line and for people. */
  reason: string;
  deploymentId?: string;
  actions: Action[];
}

export function ignore(reason: string, deploymentId?: string): Decision {
  return deploymentId === undefined
    ? { decision: 'ignore', reason, actions: [] }
    : { decision: 'ignore', reason, deploymentId, actions: [] };
}

/**
 * Refuses an input, and says so on the bus (`Event Rejected`) with `detail`; both redacted and bounded: they echo
 * input, which may carry a secret anywhere (an event id, a field that does not validate).
 */
export function reject(reason: string, detail: Record<string, unknown>, redact: Redactor): Decision {
  return {
    decision: 'reject',
    reason: clip(redact(reason), LIMITS.reasonChars),
    actions: [
      { type: 'putEvent', detailType: 'Event Rejected', detail: boundDetail(redactStrings(detail, redact) as Record<string, unknown>) },
    ],
  };
}

/** Exhaustiveness check for `switch` statements over unions. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
