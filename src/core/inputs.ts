import type { RolloutCompletion } from './actions.js';
import type { LogLocation, ServiceRollout, Trigger, Work } from './deployment.js';
import type { LaunchFailure } from './launch-failure.js';

/** An ECR `ECR Image Action` event, validated but not yet judged against the configuration. */
export interface EcrImageActionInput {
  kind: 'ecr-image-action';
  trigger: Trigger;
  actionType: string;
  result: string;
  repository: string;
  digest: string;
  tag?: string;
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>@<digest>`: pinned by digest. */
  image: string;
  /**
   * When ECR says the image was pushed (`imagePushedAt`), read by the launcher for an image the environment has not
   * seen (`pushToDate`): the event's time is the tag's, and ECR sends a push when a tag is added to an old image.
   */
  pushedAt?: string;
}

export interface DeployRequestInput {
  kind: 'deploy-request';
  trigger: Trigger;
  environment: string;
  work: Work;
  command?: string[];
}

export interface RunCommandInput {
  kind: 'run-command';
  trigger: Trigger;
  environment: string;
  command: string[];
  /** Absent: the task definition the service runs now, as it is. */
  work?: Work;
}

export interface ContainerState {
  name: string;
  exitCode?: number;
  reason?: string;
  lastStatus?: string;
}

/** What ECS says of a task now (DescribeTasks), as against what an event said of it then. */
export interface TaskSnapshot {
  lastStatus: string;
  stopCode?: string;
  stoppedReason?: string;
  startedAt?: string;
  stoppedAt?: string;
  /** The task's version counter, when ECS gives it. */
  version?: number;
  containers: ContainerState[];
}

/** An ECS `Task State Change` event. */
export interface TaskStateInput {
  kind: 'task-state';
  eventId: string;
  clusterArn: string;
  taskArn: string;
  taskDefinitionArn: string;
  startedBy?: string;
  lastStatus: string;
  desiredStatus: string;
  stopCode?: string;
  stoppedReason?: string;
  version: number;
  createdAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  containers: ContainerState[];
  /**
   * Added by the shell before deciding, for a failed verdict of a known deployment (a STOPPED task, or a running one
   * whose migration container exited): the migration container's last log lines.
   */
  logTail?: string[];
}

/** The one-shot schedule the launcher sets for each task. */
export interface TimeoutCheckInput {
  kind: 'timeout-check';
  eventId: string;
  environment: string;
  deploymentId: string;
  /** The launch attempt it checks (absent: the first). */
  attempt?: number;
  /** `retry`: a scheduled retry of the launch (`attempt`) is due; `timeout` (absent): past TIMEOUT_MINUTES. */
  purpose?: 'timeout' | 'retry' | 'deadline' | 'rollout-watch';
  /** Added by the shell: the task's last log lines. */
  logTail?: string[];
  /**
   * Added by the shell for a running deployment: its task as ECS describes it now. A task that stopped is judged as
   * its own STOPPED event would have been (that event was lost, or its handling died before its commit).
   */
  task?: TaskSnapshot;
}

/** An operator's request to stop a deployment (the active one when no id is given). */
export interface CancelRequestInput {
  kind: 'cancel-request';
  eventId: string;
  environment: string;
  requestId: string;
  requestedBy: string;
  deploymentId?: string;
  reason?: string;
}

/** An operator's request to release a lock whose deployment is lost. */
export interface UnlockRequestInput {
  kind: 'unlock-request';
  eventId: string;
  environment: string;
  requestId: string;
  requestedBy: string;
  reason: string;
}

/** Input that failed validation; deciding on it yields `reject`. */
export interface InvalidInput {
  kind: 'invalid';
  reason: string;
  eventId?: string;
  source?: string;
  detailType?: string;
}

/** The result of a `launchTask` action, fed back to the core. */
/**
 * RunTask's answer. `clientToken` names the attempt it answers: a concurrent invocation of the same deployment may have
 * moved it to another attempt meanwhile (a duplicate retry check), and an answer for another attempt is not this one's.
 */
export type LaunchResultInput = { kind: 'launch-result'; deploymentId: string; clientToken?: string } & (
  | { ok: true; taskArn: string; taskDefinitionArn: string; log?: LogLocation; essentialSidecars?: string[] }
  | { ok: false; reason: string; failure?: LaunchFailure }
);

export type TriggerInput = EcrImageActionInput | DeployRequestInput | RunCommandInput;

/** What continuing or halting a rollout did to each service (UpdateService, or the answer to a paused deployment), fed back to the core. */
export interface RolloutResultInput {
  kind: 'rollout-result';
  deploymentId: string;
  services: ServiceRollout[];
  /** How the deployment ends now that its rollout went on (the `continueRollout` action's `completion`). */
  completion?: RolloutCompletion;
}

export type OperatorInput = CancelRequestInput | UnlockRequestInput;

/** The inputs only the launcher takes (route.ts): what starts, stops or pauses a deployment. */
export type LaunchInput = TriggerInput | OperatorInput | HookStateInput;

/** The inputs only the watcher takes (route.ts): what a task or a rollout did, and the checks the launcher scheduled. */
export type WatchInput = TaskStateInput | TimeoutCheckInput | DeploymentStateInput;

/** What either function may see: the feedback it feeds itself, input that does not validate, and the other's events. */
export type CommonInput = LaunchResultInput | RolloutResultInput | InvalidInput | MisroutedInput;

export type Input = LaunchInput | WatchInput | CommonInput;

/**
 * An event of the other function, recognised by its source and detail-type alone. A function's parser builds only its
 * own detail schemas (launcher.ts, watcher.ts), so it cannot read the other's events; it keeps what they are instead,
 * and deciding on this refuses it exactly as the parsed event is refused (route.ts `misrouted`): same decision, same
 * reason, same `Event Rejected` detail.
 */
export type MisroutedInput =
  | { kind: 'misrouted'; eventId: string; event: WatchInput['kind']; owner: 'watch'; receiver: 'launch' }
  | { kind: 'misrouted'; eventId: string; event: LaunchInput['kind']; owner: 'launch'; receiver: 'watch' };

/** An ECS `Hook State Change` event (lifecycle hooks; pause-hook mode acts on PAUSE hooks). */
export interface HookStateInput {
  kind: 'hook-state';
  eventId: string;
  /** The event's time. */
  at: string;
  replayName?: string;
  eventName: 'HOOK_IN_PROGRESS' | 'HOOK_AWAITING_ACTION' | 'HOOK_SUCCEEDED' | 'HOOK_FAILED' | 'HOOK_TIMED_OUT';
  hookId: string;
  /** `PAUSE` (or `AWS_LAMBDA` for a Lambda hook). */
  hookType: string;
  lifecycleStage: string;
  clusterArn: string;
  serviceArn: string;
  serviceDeploymentArn: string;
  /** When ECS applies the hook's timeout action by itself. */
  expiresAt?: string;
  updatedAt?: string;
}

/** An ECS `Deployment State Change` event: how a service rollout ended (or is going). */
export interface DeploymentStateInput {
  kind: 'deployment-state';
  eventId: string;
  at: string;
  eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS' | 'SERVICE_DEPLOYMENT_COMPLETED' | 'SERVICE_DEPLOYMENT_FAILED';
  /** INFO, WARN or ERROR. */
  eventType: string;
  /** The event's `resources[0]`. */
  serviceArn: string;
  /** The `ecs-svc/…` deployment of the service. */
  deploymentId: string;
  updatedAt: string;
  reason?: string;
  /**
   * ECS reports a circuit-breaker rollback as SERVICE_DEPLOYMENT_IN_PROGRESS whose reason says it is rolling back
   * ("ECS deployment circuit breaker: rolling back to deploymentId …"); true for those.
   */
  rollingBack: boolean;
}

export type EcsDeploymentInput = HookStateInput | DeploymentStateInput;
