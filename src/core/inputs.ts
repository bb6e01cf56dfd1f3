import type { Trigger } from './deployment.js';

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
}

export interface DeployRequestInput {
  kind: 'deploy-request';
  trigger: Trigger;
  environment: string;
  image?: string;
  /** Added by the shell when it resolved the image's tag to its digest: when that image was pushed (its age). */
  imagePushedAt?: string;
  taskDefinitionArn?: string;
  command?: string[];
}

export interface RunCommandInput {
  kind: 'run-command';
  trigger: Trigger;
  environment: string;
  command: string[];
  image?: string;
  /** Added by the shell when it resolved the image's tag to its digest. */
  imagePushedAt?: string;
  taskDefinitionArn?: string;
}

export interface ContainerState {
  name: string;
  exitCode?: number;
  reason?: string;
  lastStatus?: string;
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
  /** Added by the shell before deciding, for a STOPPED task of a known deployment: the migration container's last log lines. */
  logTail?: string[];
}

/** The one-shot schedule the launcher sets for each task. */
export interface TimeoutCheckInput {
  kind: 'timeout-check';
  eventId: string;
  environment: string;
  deploymentId: string;
  /** Added by the shell: the task's last log lines. */
  logTail?: string[];
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
export type LaunchResultInput =
  | { kind: 'launch-result'; deploymentId: string; ok: true; taskArn: string; taskDefinitionArn: string }
  | { kind: 'launch-result'; deploymentId: string; ok: false; reason: string };

export type TriggerInput = EcrImageActionInput | DeployRequestInput | RunCommandInput;

export type Input = TriggerInput | TaskStateInput | TimeoutCheckInput | InvalidInput | LaunchResultInput;
