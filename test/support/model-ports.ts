import type { LaunchRequest, OutboxRef, ServiceUpdateTarget } from '../../src/core/actions.js';
import { type Deployment, deploymentIdFromStartedBy, type PendingEvent } from '../../src/core/deployment.js';
import type { ContainerState, TaskSnapshot } from '../../src/core/inputs.js';
import { decodeDeployment, decodeEnvironment, encodeDeployment, encodeEnvironment } from '../../src/core/records.js';
import { type EnvironmentState, emptyEnvironment, type ServiceInfo } from '../../src/core/state.js';
import { CommitConflictError, ImageNotFoundError, TransientAwsError } from '../../src/errors.js';
import type {
  CommitRequest,
  Ecs,
  ImageId,
  LaunchOutcome,
  OutgoingEvent,
  Ports,
  Registry,
  ResolvedImage,
  ScheduledCheck,
} from '../../src/ports.js';
import { ACCOUNT, CLUSTER_ARN, OLD_IMAGE, REGION, service as sampleService } from './fixtures.js';

/**
 * In-memory models of the ports for the property tests: the controller runs against them as it runs against AWS.
 * They record what the invariants need (every commit's outbox, every published event, every task ECS started)
 * and let a test inject a transient failure before or after any call, which is what a crashed, retried
 * Lambda invocation looks like from the outside.
 */

/** Where the next injected failure goes: the `call`-th port call of the invocation, before or after its effect. */
export interface Fault {
  call: number;
  after: boolean;
}

/** Counts port calls and throws `TransientAwsError` at the planned one. */
export class FaultPlan {
  private calls = 0;
  private faults: Fault[] = [];

  arm(faults: Fault[]): void {
    this.calls = 0;
    this.faults = faults;
  }

  disarm(): void {
    this.faults = [];
  }

  async around<T>(name: string, effect: () => Promise<T>): Promise<T> {
    this.calls += 1;
    const fault = this.faults.find((f) => f.call === this.calls);
    if (fault !== undefined && !fault.after) {
      throw new TransientAwsError(`injected: ${name} failed before its effect`);
    }
    const result = await effect();
    if (fault?.after === true) throw new TransientAwsError(`injected: ${name} took effect, then the invocation died`);
    return result;
  }
}

/** One committed outbox: the events a commit stored with the environment record or a deployment's record. */
export interface StoredOutbox {
  record: string;
  revision: number;
  events: PendingEvent[];
}

/**
 * The store's contract from src/ports.ts in memory: all-or-nothing commits, compare-and-set on the environment's
 * `version` and each deployment's `revision`, `clearOutbox` only at the given revision. Records go through the
 * real codec, as they do in DynamoDB.
 */
export class ModelStore {
  private env: Record<string, unknown> | undefined;
  private readonly records = new Map<string, Record<string, unknown>>();
  readonly outboxes: StoredOutbox[] = [];

  async loadEnvironment(environment: string): Promise<EnvironmentState> {
    if (this.env === undefined) return emptyEnvironment(environment);
    const read = decodeEnvironment(structuredClone(this.env));
    if (!read.ok) throw new Error(read.problem);
    return read.value;
  }

  async loadDeployments(ids: string[]): Promise<Record<string, Deployment>> {
    const found: Record<string, Deployment> = {};
    for (const id of ids) {
      const item = this.records.get(id);
      if (item === undefined) continue;
      const read = decodeDeployment(structuredClone(item));
      if (!read.ok) throw new Error(`${id}: ${read.problem}`);
      found[id] = read.value;
    }
    return found;
  }

  async loadEnvironmentWith(environment: string, ids: string[]) {
    return { env: await this.loadEnvironment(environment), deployments: await this.loadDeployments(ids) };
  }

  async commit(request: CommitRequest): Promise<void> {
    if (request.env !== undefined) {
      const version = (this.env?.version as number | undefined) ?? 0;
      if (version !== request.env.expectedVersion)
        throw new CommitConflictError(`environment at version ${version}, expected ${request.env.expectedVersion}`);
    }
    for (const { deployment, expectedRevision } of request.deployments) {
      const revision = (this.records.get(deployment.id)?.revision as number | undefined) ?? 0;
      if (revision !== expectedRevision)
        throw new CommitConflictError(`deployment ${deployment.id} at revision ${revision}, expected ${expectedRevision}`);
    }
    for (const { deployment } of request.deployments) {
      this.records.set(deployment.id, structuredClone(encodeDeployment(deployment)));
      if (deployment.outbox !== undefined)
        this.outboxes.push({ record: deployment.id, revision: deployment.revision, events: structuredClone(deployment.outbox) });
    }
    if (request.env !== undefined) {
      this.env = structuredClone(encodeEnvironment(request.env.state));
      const { outbox, version } = request.env.state;
      if (outbox !== undefined) this.outboxes.push({ record: 'environment', revision: version, events: structuredClone(outbox) });
    }
  }

  async clearOutbox(ref: OutboxRef): Promise<void> {
    const [item, at] =
      ref.record === 'environment'
        ? [this.env, { version: ref.version }]
        : [this.records.get(ref.deploymentId), { revision: ref.revision }];
    if (item === undefined || Object.entries(at).some(([k, v]) => item[k] !== v)) return;
    delete item.outbox;
  }

  /** Every stored deployment, for the invariants. */
  all(): Deployment[] {
    return [...this.records.values()].map((item) => {
      const read = decodeDeployment(structuredClone(item));
      if (!read.ok) throw new Error(read.problem);
      return read.value;
    });
  }

  environment(): EnvironmentState | undefined {
    return this.env === undefined ? undefined : (structuredClone(this.env) as unknown as EnvironmentState);
  }
}

export interface ModelTask {
  taskArn: string;
  deploymentId: string | undefined;
  taskDefinitionArn: string;
  startedBy: string;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  version: number;
  stopCode?: string;
  exitCode?: number;
  /** Started by someone else with RunTask rights, claiming to be a deployment's task (`startedBy`). */
  spoofed?: true;
}

export interface RegisteredRevision {
  taskDefinitionArn: string;
  image: string;
  deploymentId: string;
}

/**
 * ECS as the controller sees it. RunTask honours `clientToken` as ECS does (for about 24 h): the same token with
 * the same parameters answers the first task; the same token with other parameters is refused with
 * ConflictException (as `{ ok: false }`, which is how the adapter reports a refusal). A launch of an image
 * registers a revision, unless a resumed launch finds the one registered for its deployment (the adapter's
 * "find the revision by the deployment's tag"). Every state change of a task emits a task event.
 */
export class ModelEcs implements Ecs {
  readonly tasks: ModelTask[] = [];
  readonly revisions: RegisteredRevision[] = [];
  /** What the service was moved to, in order. */
  readonly rollouts: string[] = [];
  /** Raw ECS task events, in the order ECS emitted them. */
  readonly emitted: Record<string, unknown>[] = [];
  /** ConflictException refusals (a retried launch whose parameters changed). */
  readonly conflicts: string[] = [];
  private readonly tokens = new Map<string, { parameters: string; outcome: LaunchOutcome }>();
  private nextRevision = 43;
  private serviceTaskDefinitionArn = sampleService.taskDefinitionArn;
  private serviceImage = OLD_IMAGE;
  /** Called before each effect of the service (rollout), so invariants can look at the world as it is then. */
  onRollout: (taskDefinitionArn: string) => void = () => {};

  /** As the adapter: the image and the revision's deployment tag (`migratedBy`) only when asked for the image. */
  async describeService(options: { image?: boolean } = {}): Promise<ServiceInfo> {
    const { image: _sample, ...service } = sampleService;
    if (options.image === false) return { ...service, taskDefinitionArn: this.serviceTaskDefinitionArn };
    const migratedBy = this.revisions.find((r) => r.taskDefinitionArn === this.serviceTaskDefinitionArn)?.deploymentId;
    return {
      ...service,
      taskDefinitionArn: this.serviceTaskDefinitionArn,
      image: this.serviceImage,
      ...(migratedBy !== undefined && migratedBy !== '' ? { migratedBy } : {}),
    };
  }

  async launch(request: LaunchRequest): Promise<LaunchOutcome> {
    const deploymentId = deploymentIdFromStartedBy(request.startedBy);
    let taskDefinitionArn = request.taskDefinitionArn;
    if (request.image !== undefined) {
      // As the adapter does (findTaggedRevision): the newest revision tagged with the deployment.
      const kept = request.resumed === true ? this.revisions.findLast((r) => r.deploymentId === deploymentId) : undefined;
      if (kept !== undefined) taskDefinitionArn = kept.taskDefinitionArn;
      else {
        taskDefinitionArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/shop-api:${this.nextRevision++}`;
        this.revisions.push({ taskDefinitionArn, image: request.image, deploymentId: deploymentId ?? '' });
      }
    }
    if (taskDefinitionArn === undefined) return { ok: false, reason: 'neither an image nor a task definition' };
    const { resumed: _r, image: _i, baseTaskDefinitionArn: _b, taskDefinitionArn: _t, clientToken, ...rest } = request;
    const parameters = JSON.stringify({ ...rest, taskDefinitionArn });
    const earlier = this.tokens.get(clientToken);
    if (earlier !== undefined) {
      if (earlier.parameters === parameters) return earlier.outcome;
      // As the adapter does on a ConflictException for an image: the deployment's other revisions, newest first.
      if (request.image !== undefined) {
        const others = this.revisions.filter((r) => r.deploymentId === deploymentId && r.taskDefinitionArn !== taskDefinitionArn);
        const matching = others
          .reverse()
          .find((r) => JSON.stringify({ ...rest, taskDefinitionArn: r.taskDefinitionArn }) === earlier.parameters);
        if (matching !== undefined) return earlier.outcome;
      }
      this.conflicts.push(clientToken);
      // As the adapter reports a ConflictException on the clientToken (src/adapters/aws/ecs.ts).
      return {
        ok: false,
        reason: `ConflictException: clientToken ${clientToken} was used with other parameters`,
        failure: 'token-conflict',
      };
    }
    const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/shop-staging/${(this.tasks.length + 1).toString(16).padStart(32, '0')}`;
    const task: ModelTask = { taskArn, deploymentId, taskDefinitionArn, startedBy: request.startedBy, lastStatus: 'PENDING', version: 0 };
    this.tasks.push(task);
    this.emit(task);
    const outcome: LaunchOutcome = { ok: true, taskArn, taskDefinitionArn };
    this.tokens.set(clientToken, { parameters, outcome });
    return outcome;
  }

  async stopTask(_cluster: string, taskArn: string): Promise<void> {
    const task = this.tasks.find((t) => t.taskArn === taskArn);
    if (task === undefined || task.lastStatus === 'STOPPED') return;
    this.stop(task, task.lastStatus === 'RUNNING' ? 143 : undefined, 'UserInitiated');
  }

  /** Only the controller's own tasks: a spoofed one is not tagged, and the controller's role may stop only tagged tasks. */
  async stopTasksStartedBy(cluster: string, startedBy: string): Promise<void> {
    for (const task of this.tasks.filter((t) => t.startedBy === startedBy && !t.spoofed)) await this.stopTask(cluster, task.taskArn);
  }

  async updateService(_target: ServiceUpdateTarget, taskDefinitionArn: string): Promise<{ ecsDeploymentId?: string }> {
    this.onRollout(taskDefinitionArn);
    this.rollouts.push(taskDefinitionArn);
    this.serviceTaskDefinitionArn = taskDefinitionArn;
    this.serviceImage = this.revisions.find((r) => r.taskDefinitionArn === taskDefinitionArn)?.image ?? this.serviceImage;
    return {};
  }

  /** The migration image of a revision registered here (the model has one container); the service's first one unknown. */
  async containerImage(taskDefinitionArn: string): Promise<string | undefined> {
    return this.revisions.find((r) => r.taskDefinitionArn === taskDefinitionArn)?.image;
  }

  async describeTask(_cluster: string, taskArn: string): Promise<TaskSnapshot | undefined> {
    const task = this.tasks.find((t) => t.taskArn === taskArn);
    if (task === undefined) return undefined;
    return {
      lastStatus: task.lastStatus,
      version: task.version,
      ...(task.stopCode !== undefined ? { stopCode: task.stopCode } : {}),
      containers: containersOf(task),
    };
  }

  // pause-hook mode and several services are not part of this model (update-service, one service).
  async describeServiceDeployment(): Promise<undefined> {
    return undefined;
  }

  async describeServiceRevision(): Promise<undefined> {
    return undefined;
  }

  async answerHook(): Promise<{ ok: false; cause: 'not-found'; reason: string }> {
    return { ok: false, cause: 'not-found', reason: 'not modelled' };
  }

  async rollOutImage(): Promise<[]> {
    return [];
  }

  /** The task's migration container starts running. */
  start(task: ModelTask): void {
    if (task.lastStatus !== 'PENDING') return;
    task.lastStatus = 'RUNNING';
    this.emit(task);
  }

  /** The task stops; its migration container exits with `exitCode` (undefined: ECS never learned it). */
  stop(task: ModelTask, exitCode: number | undefined, stopCode = 'EssentialContainerExited'): void {
    if (task.lastStatus === 'STOPPED') return;
    task.lastStatus = 'STOPPED';
    task.stopCode = stopCode;
    if (exitCode !== undefined) task.exitCode = exitCode;
    this.emit(task);
  }

  /** ecs-migrate's own tasks that have not stopped. */
  running(): ModelTask[] {
    return this.tasks.filter((t) => t.lastStatus !== 'STOPPED' && t.spoofed !== true);
  }

  /**
   * A task someone else started with `startedBy` of a deployment, on a task definition of their own (another
   * family), which runs and exits 0: its events must never move the service.
   */
  spoof(deploymentId: string): ModelTask {
    const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/shop-staging/${(this.tasks.length + 1).toString(16).padStart(32, 'e')}`;
    const task: ModelTask = {
      taskArn,
      deploymentId,
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/backdoor:${this.tasks.length + 1}`,
      startedBy: `ecs-migrate/${deploymentId}`,
      lastStatus: 'PENDING',
      // Its own state changes, more of them than ours had: higher versions than our task's events.
      version: 3,
      spoofed: true,
    };
    this.tasks.push(task);
    this.emit(task);
    this.start(task);
    this.stop(task, 0);
    return task;
  }

  serviceRevision(): string {
    return this.serviceTaskDefinitionArn;
  }

  /** The service moves to a revision someone else deployed (pause-hook mode: its owner's deployment, CONTINUEd). */
  moveService(taskDefinitionArn: string, image: string): void {
    this.serviceTaskDefinitionArn = taskDefinitionArn;
    this.serviceImage = image;
  }

  private emit(task: ModelTask): void {
    task.version += 1;
    this.emitted.push(taskEvent(task));
  }
}

function containersOf(task: ModelTask): ContainerState[] {
  return [
    { name: 'app', lastStatus: task.lastStatus, ...(task.exitCode !== undefined ? { exitCode: task.exitCode } : {}) },
    { name: 'log-router', lastStatus: task.lastStatus, ...(task.lastStatus === 'STOPPED' ? { exitCode: 0 } : {}) },
  ];
}

/** A raw `ECS Task State Change` event of the task as it is now. */
export function taskEvent(task: ModelTask): Record<string, unknown> {
  const stopped = task.lastStatus === 'STOPPED';
  return {
    version: '0',
    id: `${task.taskArn}#${task.version}`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: ACCOUNT,
    time: '2026-11-25T09:15:00Z',
    region: REGION,
    resources: [task.taskArn],
    detail: {
      clusterArn: CLUSTER_ARN,
      taskArn: task.taskArn,
      taskDefinitionArn: task.taskDefinitionArn,
      startedBy: task.startedBy,
      lastStatus: task.lastStatus,
      desiredStatus: task.lastStatus === 'PENDING' ? 'RUNNING' : task.lastStatus,
      version: task.version,
      ...(task.lastStatus !== 'PENDING' ? { startedAt: '2026-11-25T09:15:10.000Z' } : {}),
      ...(stopped
        ? { stoppedAt: '2026-11-25T09:16:00.000Z', stopCode: task.stopCode, stoppedReason: 'Essential container in task exited' }
        : {}),
      containers: containersOf(task),
    },
  };
}

/** Records every event put on the bus. */
export class ModelBus {
  readonly published: OutgoingEvent[] = [];
  async put(events: OutgoingEvent[]): Promise<void> {
    this.published.push(...structuredClone(events));
  }
}

/** Keeps the timeout checks the controller scheduled, for the test to fire. */
export class ModelScheduler {
  /** The last check scheduled per deployment, with its attempt and purpose (a retry's, a deadline's) to fire it with. */
  readonly schedules = new Map<string, { environment: string; at: string; check?: ScheduledCheck }>();
  async scheduleTimeout(deploymentId: string, environment: string, at: string, check?: ScheduledCheck): Promise<void> {
    this.schedules.set(deploymentId, { environment, at, ...(check !== undefined ? { check } : {}) });
  }
}

/** The model ports, each call going through `faults`. */
/** The digest every tag resolves to in the model registry, pushed at 09:00:00 (before the sample push, 09:14:58). */
export const TAGGED_DIGEST = `sha256:${'c'.repeat(64)}`;

/**
 * The model's ECR: every tag resolves to `TAGGED_DIGEST`; a digest is known only once a test says when it was pushed
 * (`pushed`), else it is not found (a push is then dated by its event, as the launcher does for a deleted image).
 */
export class ModelRegistry implements Registry {
  readonly pushed = new Map<string, string>([[TAGGED_DIGEST, '2026-11-25T09:00:00.000Z']]);

  async describeImage(repository: string, id: ImageId): Promise<ResolvedImage> {
    if ('tag' in id) return { digest: TAGGED_DIGEST, pushedAt: this.pushed.get(TAGGED_DIGEST) ?? '' };
    const pushedAt = this.pushed.get(id.digest);
    if (pushedAt === undefined) throw new ImageNotFoundError(`${repository}@${id.digest} does not exist`);
    return { digest: id.digest, pushedAt };
  }
}

export function modelPorts(faults: FaultPlan) {
  const store = new ModelStore();
  const ecs = new ModelEcs();
  const bus = new ModelBus();
  const scheduler = new ModelScheduler();
  const registry = new ModelRegistry();
  const f = <T>(name: string, effect: () => Promise<T>) => faults.around(name, effect);
  const ports: Ports = {
    store: {
      loadEnvironment: (e) => f('loadEnvironment', () => store.loadEnvironment(e)),
      loadDeployments: (ids) => f('loadDeployments', () => store.loadDeployments(ids)),
      loadEnvironmentWith: (e, ids) => f('loadEnvironmentWith', () => store.loadEnvironmentWith(e, ids)),
      commit: (r) => f('commit', () => store.commit(r)),
      clearOutbox: (ref) => f('clearOutbox', () => store.clearOutbox(ref)),
    },
    ecs: {
      describeService: (o) => f('describeService', () => ecs.describeService(o)),
      launch: (r) => f('launch', () => ecs.launch(r)),
      stopTask: (c, t) => f('stopTask', () => ecs.stopTask(c, t)),
      stopTasksStartedBy: (c, sb) => f('stopTasksStartedBy', () => ecs.stopTasksStartedBy(c, sb)),
      updateService: (t, td) => f('updateService', () => ecs.updateService(t, td)),
      describeTask: (c, t) => f('describeTask', () => ecs.describeTask(c, t)),
      containerImage: (td) => ecs.containerImage(td),
      describeServiceDeployment: () => ecs.describeServiceDeployment(),
      describeServiceRevision: () => ecs.describeServiceRevision(),
      answerHook: () => ecs.answerHook(),
      rollOutImage: () => ecs.rollOutImage(),
    },
    registry,
    bus: { put: (events) => f('putEvents', () => bus.put(events)) },
    logs: { tail: (ref) => f('tail', async () => [`last line of ${ref.taskArn}`]) },
    scheduler: { scheduleTimeout: (id, e, at, check) => f('scheduleTimeout', () => scheduler.scheduleTimeout(id, e, at, check)) },
  };
  return { ports, store, ecs, bus, scheduler, registry };
}
