import type { Deployment, LaunchSettings, PendingEvent } from './deployment.js';
import type { ServiceDeploymentInfo, ServiceRevisionInfo } from './service-deployment.js';

/** What the controller knows of the service it gates: its task definition and where its tasks run. */
export interface ServiceInfo extends LaunchSettings {
  clusterArn?: string;
  serviceName: string;
  taskDefinitionArn: string;
  /** The migration container's image in that task definition. */
  image?: string;
  /**
   * The deployment whose migration revision that task definition is (its `ecs-migrate:deployment` tag), read with
   * the image: only the watcher moves a service to such a revision, after its migration exited 0.
   */
  migratedBy?: string;
  /**
   * The service's PRIMARY deployment while ECS rolls it out (`rolloutState` IN_PROGRESS): a deployment that finds the
   * service on its revision already (an update whose answer was never recorded) still follows that rollout to
   * ECS's verdict. Absent when no rollout is in progress, or ECS does not say (no `rolloutState`).
   */
  rolloutInProgress?: { ecsDeploymentId: string; taskDefinitionArn: string };
}

export type NetworkConfig = NonNullable<LaunchSettings['network']>;

/** pause-hook mode: the owner's paused deployment a hook event is about, and the revision it deploys. */
export interface HookContext {
  deployment: ServiceDeploymentInfo;
  revision?: ServiceRevisionInfo;
}

/** A request, and the deployment it created, ended or released. */
export interface RequestSeen {
  requestId: string;
  deploymentId: string;
  /** The archive replay that delivered it: a replay is new work once, however many copies of the request it holds. */
  replayName?: string;
}

/**
 * One record per environment, written only with a compare-and-set on `version`:
 * `active` is the environment lock (one migration at a time), `queued` the next one.
 */
export interface EnvironmentState {
  environment: string;
  version: number;
  active?: { deploymentId: string; lockExpiresAt: string };
  queued?: string;
  /** The migration that succeeded last; `command` absent (records written before it was kept): MIGRATION_COMMAND. */
  lastSucceeded?: {
    deploymentId: string;
    image?: string;
    taskDefinitionArn?: string;
    command?: string[];
    at: string;
    pushedAt?: string;
    /** The archive replay that ran it: the older pushes the same replay delivers after it are not rolled out over it. */
    replayName?: string;
  };
  /**
   * The last cancel-request that ended a deployment. A retried delivery of a request that named no deployment
   * finds its target here, instead of cancelling whichever deployment holds the environment by then.
   */
  lastCancel?: { requestId: string; deploymentId: string; at: string };
  /** Events a commit of this record implies and that are not yet known to be published (see `OutboxRef`). */
  outbox?: PendingEvent[];
  /** The last operator unlock: who, when and why. */
  lastUnlock?: { by: string; at: string; reason: string; deploymentId?: string; requestId?: string };
  /**
   * The last `SEEN_REQUESTS_KEPT` operator requests (cancel, unlock) that ended or released a deployment: a retried
   * delivery of one finds what it did here and resumes the launch it handed the environment to, instead of acting on
   * whichever deployment holds the environment by then (`lastCancel` alone remembered only the last cancel).
   */
  operatorRequests?: RequestSeen[];
  /**
   * The images (pinned by digest) of the last `SEEN_IMAGES_KEPT` deployments admitted, with their push time when first
   * seen: ECR sends a push event when a tag is added to an image it has, and that event's time is the tag's, not the
   * image's, so an old image tagged again keeps its age (it is never taken for a newer one).
   */
  seenImages?: { image: string; pushedAt: string }[];
  /**
   * The requests of the last `SEEN_REQUESTS_KEPT` request deployments admitted, and the deployment each created: a
   * request put on the bus again (a PutEvents retried after its answer was lost) is a new event with a new time, so
   * a new deployment id; this catches it as the duplicate it is.
   */
  seenRequests?: RequestSeen[];
  /**
   * The last `ROLLOUTS_INDEXED` rollouts deployments recorded (`ServiceRollout.ecsDeploymentId`), and whose each is:
   * an `ECS Deployment State Change` finds its deployment here, also once a later deployment has succeeded (the
   * records read with the environment are only the active, queued and last succeeded ones).
   */
  rollouts?: RolloutSeen[];
}

/** A rollout a deployment started or followed, and that deployment. */
export interface RolloutSeen {
  ecsDeploymentId: string;
  deploymentId: string;
}

/**
 * How many rollouts `EnvironmentState.rollouts` keeps: only rollouts still waiting for ECS's verdict are kept (one is
 * dropped once its COMPLETED or FAILED is recorded), so this bounds the record, far above what is in flight at once.
 */
export const ROLLOUTS_INDEXED = 100;

/**
 * Whether two spellings name one ECS service deployment: the event names the `ecs-svc/…` deployment; a pause-hook
 * waiter recorded the service deployment ARN, which ends with the same id (an assumption not verified against AWS:
 * both spellings are matched).
 */
export function sameEcsDeployment(a: string, b: string): boolean {
  return a === b || a.split('/').pop() === b.split('/').pop();
}

/** The deployments that recorded rollout `ecsDeploymentId` (a rerun may follow the rollout another started), by the index. */
export function rolloutOwners(env: EnvironmentState, ecsDeploymentId: string): string[] {
  return (env.rollouts ?? []).filter((r) => sameEcsDeployment(r.ecsDeploymentId, ecsDeploymentId)).map((r) => r.deploymentId);
}

/**
 * The index once `written` are committed over `before` (the records as read): a rollout a deployment records for the
 * first time, awaiting ECS's verdict (`continued` or `unchanged`), is added; one whose COMPLETED or FAILED it records is
 * dropped (an `unconfirmed` one stays: ECS's verdict still replaces it); the newest `ROLLOUTS_INDEXED` kept.
 * Undefined when the commit changes nothing in it (a rollout dropped by the bound is never added again).
 */
export function rolloutIndexAfter(
  env: EnvironmentState,
  before: Record<string, Deployment>,
  written: Deployment[],
): RolloutSeen[] | undefined {
  let index = env.rollouts ?? [];
  let changed = false;
  for (const d of written) {
    if (d.status !== 'ended') continue;
    const earlier = before[d.id];
    const known = earlier?.status === 'ended' ? (earlier.services ?? []) : [];
    for (const { ecsDeploymentId, completion, result } of d.services ?? []) {
      if (ecsDeploymentId === undefined) continue;
      const entry = (r: RolloutSeen) => r.deploymentId === d.id && r.ecsDeploymentId === ecsDeploymentId;
      if (completion === 'completed' || completion === 'failed') {
        if (!index.some(entry)) continue;
        index = index.filter((r) => !entry(r));
        changed = true;
      } else if (
        // Only a rollout of the deployment's revision awaits a verdict: not a ROLLBACK answered, nor one moved on from.
        (result === 'continued' || result === 'unchanged') &&
        completion === undefined &&
        !known.some((k) => k.ecsDeploymentId === ecsDeploymentId) &&
        !index.some(entry)
      ) {
        index = [...index, { ecsDeploymentId, deploymentId: d.id }];
        changed = true;
      }
    }
  }
  return changed ? index.slice(-ROLLOUTS_INDEXED) : undefined;
}

/** How many images `EnvironmentState.seenImages`, and requests `seenRequests`, keep. */
export const SEEN_IMAGES_KEPT = 20;
export const SEEN_REQUESTS_KEPT = 20;

/** The deployment an earlier delivery of operator request `requestId` ended or released, if it did. */
export function operatedBefore(env: EnvironmentState, requestId: string): string | undefined {
  const found = env.operatorRequests?.find((r) => r.requestId === requestId)?.deploymentId;
  return found ?? (env.lastCancel?.requestId === requestId ? env.lastCancel.deploymentId : undefined);
}

/** `list` (requests and what each did) with `requestId` having done it to `deploymentId`, as its newest; the last few kept. */
function rememberRequest(list: RequestSeen[] | undefined, requestId: string, deploymentId: string, replayName?: string): RequestSeen[] {
  const seen: RequestSeen = replayName !== undefined ? { requestId, deploymentId, replayName } : { requestId, deploymentId };
  return [...(list ?? []).filter((r) => !sameRequest(r, requestId, replayName)), seen].slice(-SEEN_REQUESTS_KEPT);
}

/** Whether `r` is the request `requestId` as delivered by `replayName` (none: put on the bus, not replayed). */
export function sameRequest(r: RequestSeen, requestId: string, replayName: string | undefined): boolean {
  return r.requestId === requestId && r.replayName === replayName;
}

/** The `operatorRequests` of `env` with `requestId` having ended or released `deploymentId`. */
export function withOperatorRequest(env: EnvironmentState, requestId: string, deploymentId: string): EnvironmentState['operatorRequests'] {
  return rememberRequest(env.operatorRequests, requestId, deploymentId);
}

/** `env` knowing a deployment it admits: its image and push time as first seen, the request that created it. */
export function withAdmitted(env: EnvironmentState, d: Pick<Deployment, 'id' | 'work' | 'trigger'>): EnvironmentState {
  const { work, trigger } = d;
  let out = env;
  if (work.type === 'image' && work.pushedAt !== undefined && !(env.seenImages ?? []).some((s) => s.image === work.image)) {
    out = { ...out, seenImages: [...(env.seenImages ?? []), { image: work.image, pushedAt: work.pushedAt }].slice(-SEEN_IMAGES_KEPT) };
  }
  if (trigger.requestId !== undefined) {
    out = { ...out, seenRequests: rememberRequest(env.seenRequests, trigger.requestId, d.id, trigger.replayName) };
  }
  return out;
}

/** Everything `decide` may look at, loaded by the shell before each decision. */
export interface ControllerState {
  env: EnvironmentState;
  /** The deployments the input refers to, plus the active and queued ones. */
  deployments: Record<string, Deployment>;
  /** Absent when the input does not need it (e.g. a RUNNING task event) or when it could not be read. */
  service?: ServiceInfo;
  /** Why the service could not be read (not found, access denied), with what to fix. */
  serviceProblem?: string;
  /** Read for a hook event (pause-hook mode); absent when ECS does not know the deployment. */
  hook?: HookContext;
  /**
   * The task of the running deployment an operator request or a lock takeover would end (`LoadPlan.openTask`), as
   * ECS describes it now: its stop and its containers' exit codes, to tell a migration that exited 0
   * (`rolledOutUnrecorded`). Never stored or emitted.
   */
  task?: {
    taskArn: string;
    startedAt?: string;
    stopCode?: string;
    stoppedReason?: string;
    containers: { name: string; exitCode?: number }[];
  };
  /**
   * The task a launch waits for (`Launching.waitsFor`) as DescribeTasks read it: `MISSING` when ECS no longer has it,
   * `UNKNOWN` when it could not be read; absent when not read for this decision.
   */
  waitedTask?: { taskArn: string; lastStatus: string };
}

export function emptyEnvironment(environment: string): EnvironmentState {
  return { environment, version: 0 };
}
