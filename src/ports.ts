import type { LaunchRequest, OutboxRef, ServiceUpdateTarget } from './core/actions.js';
import type { Deployment, LogLocation } from './core/deployment.js';
import type { TaskSnapshot } from './core/inputs.js';
import type { LaunchFailure } from './core/launch-failure.js';
import type {
  HookAnswer,
  HookAnswerOutcome,
  ImageRollout,
  ServiceDeploymentInfo,
  ServiceRevisionInfo,
  ServiceRolloutResult,
} from './core/service-deployment.js';
import type { EnvironmentState, ServiceInfo } from './core/state.js';

/** The small interfaces the shell drives. One AWS and one local implementation each; our own types in and out. */

export type LaunchOutcome =
  | { ok: true; taskArn: string; taskDefinitionArn: string; log?: LogLocation; essentialSidecars?: string[] }
  /** `failure` absent: `refused` (see `LaunchFailure`). */
  | { ok: false; reason: string; failure?: LaunchFailure };

export interface Ecs {
  /**
   * The service, its task definition, the migration container's image in it, network and launch settings.
   * `{ image: false }` skips reading the image (the task definition), which only a launch request needs.
   * Throws `ServiceNotFoundError`, `ContainerNotFoundError` or `PermanentAwsError` (see `isServiceProblem`) when the
   * service cannot be used as configured; `TransientAwsError` when reading it may succeed later.
   */
  describeService(options?: { image?: boolean }): Promise<ServiceInfo>;
  /**
   * Registers the revision if asked, then RunTask. A refusal that retrying cannot fix (RunTask `failures[]`,
   * AccessDenied, invalid parameters) comes back as `{ ok: false }`; errors worth retrying are thrown. No capacity
   * comes back as `failure: 'capacity'`, a ConflictException on the clientToken as `failure: 'token-conflict'`.
   * A `resumed` launch reuses the revision an earlier attempt registered (found by the deployment tag), so RunTask
   * gets the same parameters under the same clientToken.
   */
  launch(request: LaunchRequest): Promise<LaunchOutcome>;
  stopTask(cluster: string, taskArn: string, reason: string): Promise<void>;
  /** Stops every running task of the cluster started with `startedBy` (ListTasks, then StopTask each). Idempotent. */
  stopTasksStartedBy(cluster: string, startedBy: string, reason: string): Promise<void>;
  /** UpdateService; returns the deployment it started (`ecs-svc/…`) when ECS says which, to follow it to its end. */
  updateService(target: ServiceUpdateTarget, taskDefinitionArn: string): Promise<{ ecsDeploymentId?: string }>;
  /**
   * The image `container` runs in a task definition, as the definition names it (by tag or by digest): a deploy-request
   * of a task definition is dated by it. Undefined when ECS has no such task definition, or it no such container.
   * Throws `PermanentAwsError` when it may not be read, `TransientAwsError` when reading it may succeed later.
   */
  containerImage(taskDefinitionArn: string, container: string): Promise<string | undefined>;
  /** A task as ECS describes it now (an event without the exit code, a timeout check). Undefined once ECS has forgotten it. */
  describeTask(cluster: string, taskArn: string): Promise<TaskSnapshot | undefined>;
  /** A service deployment: status, target revision, lifecycle hooks. Undefined when ECS does not know it. */
  describeServiceDeployment(serviceDeploymentArn: string): Promise<ServiceDeploymentInfo | undefined>;
  /** What a service revision runs: task definition, network, capacity, images with digests. Undefined when unknown. */
  describeServiceRevision(serviceRevisionArn: string): Promise<ServiceRevisionInfo | undefined>;
  /** ContinueServiceDeployment CONTINUE | ROLLBACK. A refusal (the hook moved on) is `{ ok: false }`, not an error. */
  answerHook(answer: HookAnswer): Promise<HookAnswerOutcome>;
  /** update-service mode, several services: every container whose image is in the repository gets the image. */
  rollOutImage(request: ImageRollout): Promise<ServiceRolloutResult[]>;
}

export interface OutgoingEvent {
  detailType: string;
  detail: Record<string, unknown>;
}

export interface Bus {
  /** Throws `EventPublishError` when any entry was not accepted. */
  put(events: OutgoingEvent[]): Promise<void>;
}

export interface CommitRequest {
  env?: { state: EnvironmentState; expectedVersion: number };
  deployments: { deployment: Deployment; expectedRevision: number }[];
}

export interface Store {
  loadEnvironment(environment: string): Promise<EnvironmentState>;
  loadDeployments(ids: string[]): Promise<Record<string, Deployment>>;
  /** The environment record and these deployments, in one read where the store can (missing ones are left out). */
  loadEnvironmentWith(environment: string, ids: string[]): Promise<{ env: EnvironmentState; deployments: Record<string, Deployment> }>;
  /** All or nothing. Throws `CommitConflictError` when a record changed since it was read. */
  commit(request: CommitRequest): Promise<void>;
  /**
   * Empties an outbox (the environment record's or a deployment's) once its events are published, if the record is
   * still at the version or revision written (a newer write carries its own outbox). Idempotent.
   */
  clearOutbox(ref: OutboxRef): Promise<void>;
}

/**
 * The CLI's store (status, history, `--wait`): the controller's store plus the history listing. The Lambda
 * functions never list history, so `Ports` holds a `Store` and their bundles carry neither the method nor the
 * DynamoDB Query command's shapes.
 */
export interface DeploymentHistory extends Store {
  /** Newest first, at most `limit`. */
  listDeployments(environment: string, limit: number): Promise<Deployment[]>;
}

export interface LogRef {
  taskArn: string;
  taskDefinitionArn: string;
  container: string;
  /** Where the log is, when the deployment recorded it: no task definition read. */
  log?: LogLocation;
}

export interface Logs {
  /** The last lines of the container's log, bounded by count and bytes. */
  tail(ref: LogRef, limits: { lines: number; bytes: number }): Promise<string[]>;
}

export interface Scheduler {
  /**
   * Idempotent: scheduling the same deployment twice keeps one schedule. The schedule runs once and deletes
   * itself; a check that comes after the deployment ended is ignored, so nothing cancels it.
   */
  scheduleTimeout(deploymentId: string, environment: string, at: string, check?: ScheduledCheck): Promise<void>;
}

/**
 * Which check a schedule delivers, when it is not the first attempt's timeout: the timeout of a later launch attempt,
 * (`retry`) the moment a retried launch attempt is due, (`deadline`) a timeout check brought forward by a paused
 * deployment that joined and expires first, or (`rollout-watch`) the follow-up of the rollouts after the end. Each
 * has its own schedule (a `deadline` one per time), so none hides another.
 */
export interface ScheduledCheck {
  attempt: number;
  purpose: 'timeout' | 'retry' | 'deadline' | 'rollout-watch';
}

/** An image as the registry has it now. */
export interface ResolvedImage {
  /** `sha256:…` */
  digest: string;
  /**
   * ISO-8601 time the image was pushed (ECR `imagePushedAt`); absent when the registry cannot say (local mode: an
   * image built here but never tagged).
   */
  pushedAt?: string;
}

/** An image of a repository, named by tag or by digest. */
export type ImageId = { tag: string } | { digest: string };

export interface Registry {
  /**
   * The image `id` names in `repository` of the configured registry: its digest, and when it was pushed (a request
   * pinned by digest gets its age from here too, so it is never taken for a newer image). Read-only, so safe to
   * repeat. Throws `ImageNotFoundError` when there is no such tag, digest or repository, `TransientAwsError` when
   * retrying may help.
   */
  describeImage(repository: string, id: ImageId): Promise<ResolvedImage>;
}

export interface Ports {
  ecs: Ecs;
  bus: Bus;
  store: Store;
  logs: Logs;
  scheduler: Scheduler;
  registry: Registry;
}
