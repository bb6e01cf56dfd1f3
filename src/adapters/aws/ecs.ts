import {
  type ContainerDefinition,
  DescribeServicesCommand,
  type DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type DescribeTasksCommandOutput,
  type ECSClient,
  type Failure,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  type RunTaskCommandOutput,
  StopTaskCommand,
  type Tag,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { LaunchRequest, ServiceUpdateTarget } from '../../core/actions.js';
import { definedFields } from '../../core/defined-fields.js';
import { STARTED_BY_PREFIX } from '../../core/deployment.js';
import { essentialSidecars } from '../../core/essential-sidecars.js';
import { isImageOfRepository, registryOf } from '../../core/image-ref.js';
import type { TaskSnapshot } from '../../core/inputs.js';
import { isCapacityReason } from '../../core/launch-failure.js';
import {
  type HookAnswer,
  type HookAnswerOutcome,
  type ImageRollout,
  migrationImageOf,
  type ServiceDeploymentInfo,
  type ServiceRevisionInfo,
  type ServiceRolloutResult,
} from '../../core/service-deployment.js';
import type { ServiceInfo } from '../../core/state.js';
import { ContainerNotFoundError, PermanentAwsError, ServiceNotFoundError } from '../../errors.js';
import type { Ecs, LaunchOutcome } from '../../ports.js';
import { awsErrorInfo, awsFailure, classifyAwsError, describeAwsError } from './aws-error.js';
import { awslogsLocation } from './awslogs.js';
import { answerHook, rollOutImage, rolloutInProgressOf } from './ecs-deployments.js';
import { launchSettingsOf } from './launch-settings.js';
import { ENVIRONMENT_TAG, familyOf, findTaggedRevision, registrationOf, revisionTags, type TaggedRevision } from './tagged-revision.js';

export interface AwsEcsOptions {
  cluster: string;
  /** ENVIRONMENT: the `ecs-migrate:environment` tag of the tasks this environment starts, which alone it may stop. */
  environment?: string;
  service: string;
  /** The migration container's name in the task definition (CONTAINER). */
  container: string;
  /**
   * The app's ECR repository (REPOSITORY): the migration's revision gives the new image to every container whose
   * image is in it (web server and jobs from one image), not only CONTAINER. Without it, only CONTAINER moves.
   */
  repository?: string;
  /**
   * The registry of REPOSITORY (REGISTRY): the image a task definition run as it is rolls out to the other services
   * must be of REGISTRY/REPOSITORY, as a request's image must, never a repository of that name in another registry.
   */
  registry?: string;
  /**
   * Reads of a paused ECS deployment and its target revision (pause-hook mode): only the launcher hears hook
   * events, so only it is given them (`serviceDeploymentReads`); without them those reads say whose they are.
   * Kept out of the watcher's bundle: the watcher reads a deployment only inside `answerHook`, after ECS refuses an
   * answer (whether it took that answer already), and never a revision.
   */
  serviceDeployments?: ServiceDeploymentReads;
}

/** The `Ecs` port's reads of service deployments and revisions. */
export type ServiceDeploymentReads = Pick<Ecs, 'describeServiceDeployment' | 'describeServiceRevision'>;

/** For a function that hears no hook events (the watcher): asked anyway, the reads say why they fail. */
const NO_SERVICE_DEPLOYMENT_READS: ServiceDeploymentReads = {
  describeServiceDeployment: () =>
    Promise.reject(new Error('this function reads no service deployments: hook events belong to the launcher')),
  describeServiceRevision: () => Promise.reject(new Error('this function reads no service revisions: hook events belong to the launcher')),
};

/** Tag on every task definition revision ecs-migrate registers, naming the deployment that made it. */
export const DEPLOYMENT_TAG = 'ecs-migrate:deployment';

/** ECS caps the StopTask reason at 255 characters. */
const STOP_REASON_MAX = 255;

/** What to do about a RunTask `failures[]` reason, by its prefix. */
const FAILURE_HINTS: [prefix: string, hint: string][] = [
  ['RESOURCE', 'the cluster has no capacity for the task (cpu, memory or ports): add capacity, or lower the task size'],
  ['AGENT', 'the ECS agent on the container instance is disconnected: replace or reconnect the instance'],
  ['ATTRIBUTE', 'no container instance has the attributes the task definition requires: check its placement constraints'],
  ['MISSING', 'the referenced resource (cluster, task definition or instance) does not exist: check CLUSTER and the task definition'],
  ['INACTIVE', 'the task definition or cluster is INACTIVE: deploy an active revision'],
];

/** Fixes for permanent RunTask / RegisterTaskDefinition errors, by error name. */
const ERROR_HINTS: Record<string, string> = {
  ClusterNotFoundException: 'the cluster does not exist: check CLUSTER',
  InvalidParameterException: "ECS rejected a parameter: check the service's network configuration, the task definition and CONTAINER",
  ClientException: 'ECS rejected the request: check the task definition, its roles and the image reference',
  PlatformUnknownException: "the service's platform version is unknown to ECS: check the service's platformVersion",
  PlatformTaskDefinitionIncompatibilityException:
    "the task definition does not fit the service's platform version: check cpu, memory and features",
  UnsupportedFeatureException: 'ECS does not support this feature in this region',
  BlockedException: 'the account is blocked from running tasks: contact AWS Support',
  ConflictException:
    'ECS holds a RunTask request with the same clientToken and other parameters: an earlier attempt of this launch may have started its task',
};

/**
 * The `Ecs` port on the real ECS API. Reads the service once per decision, registers the migration's task
 * definition revision and runs the task in the service's own network.
 */
export class AwsEcs implements Ecs {
  /**
   * Task definitions by ARN with revision: a revision never changes, so a warm function reads each once, and
   * the service's definition read by `describeService` is the base `launch` registers from (one call, not two).
   */
  private readonly definitions = new Map<string, { taskDefinition: TaskDefinition; tags: Tag[] }>();

  constructor(
    private readonly client: ECSClient,
    private readonly options: AwsEcsOptions,
  ) {}

  async describeService(options: { image?: boolean } = {}): Promise<ServiceInfo> {
    const { cluster, service, container } = this.options;
    let described: DescribeServicesCommandOutput;
    try {
      described = await this.client.send(new DescribeServicesCommand({ cluster, services: [service] }));
    } catch (error) {
      throw this.readFailure(error, 'ecs:DescribeServices');
    }
    const found = described.services?.[0];
    if (found === undefined || found.status === 'INACTIVE') {
      throw new ServiceNotFoundError(
        `service "${service}" not found in cluster "${cluster}"${found?.status === 'INACTIVE' ? ' (it is INACTIVE)' : ''}: check SERVICE and CLUSTER`,
      );
    }
    const taskDefinitionArn = found.taskDefinition;
    if (taskDefinitionArn === undefined) {
      throw new ServiceNotFoundError(`service "${service}" in cluster "${cluster}" has no task definition: deploy the service once first`);
    }
    const info: ServiceInfo = { serviceName: found.serviceName ?? service, taskDefinitionArn };
    if (options.image !== false) {
      const { taskDefinition: definition, tags } = await this.readTaskDefinition(taskDefinitionArn);
      const migratedBy = tags.find((t) => t.key === DEPLOYMENT_TAG)?.value;
      if (migratedBy !== undefined) info.migratedBy = migratedBy;
      const containerDefinition = definition.containerDefinitions?.find((c) => c.name === container);
      if (containerDefinition === undefined) {
        throw new ContainerNotFoundError(
          `task definition ${taskDefinitionArn} of service "${service}" has no container named "${container}" (it has ${containerNames(definition)}): set CONTAINER to the migration container's name`,
        );
      }
      if (containerDefinition.image !== undefined) info.image = containerDefinition.image;
    }
    if (found.clusterArn !== undefined) info.clusterArn = found.clusterArn;
    const inProgress = rolloutInProgressOf(found);
    if (inProgress !== undefined) info.rolloutInProgress = inProgress;
    Object.assign(info, launchSettingsOf(found));
    return info;
  }

  /**
   * Registers the revision when asked, then runs the task. A refusal that retrying cannot fix comes back as
   * `{ ok: false, reason }` saying what to fix; throttling, 5xx and network failures (after the SDK's retries) are
   * thrown as `TransientAwsError`, so the event is retried; the deterministic `clientToken` keeps that to one task.
   * An error the SDK did not produce (a bug) is thrown as it is.
   */
  async launch(request: LaunchRequest): Promise<LaunchOutcome> {
    let taskDefinitionArn = request.taskDefinitionArn;
    if (taskDefinitionArn === undefined) {
      const registered = await this.registerRevision(request);
      if (!registered.ok) return registered;
      taskDefinitionArn = registered.taskDefinitionArn;
    }

    const input: RunTaskCommandInput = {
      cluster: request.cluster,
      taskDefinition: taskDefinitionArn,
      count: 1,
      startedBy: request.startedBy,
      clientToken: request.clientToken,
      tags: toTags(request.tags),
      propagateTags: 'TASK_DEFINITION',
      overrides: { containerOverrides: [{ name: request.container, command: request.command }] },
    };
    if (request.network !== undefined) input.networkConfiguration = { awsvpcConfiguration: request.network };
    // ECS takes one or the other: a strategy (also the cluster default when neither is given) or a launch type.
    if (request.capacityProviderStrategy !== undefined && request.capacityProviderStrategy.length > 0) {
      input.capacityProviderStrategy = request.capacityProviderStrategy;
    } else if (request.launchType !== undefined) {
      input.launchType = request.launchType as RunTaskCommandInput['launchType'];
    }
    if (request.platformVersion !== undefined) input.platformVersion = request.platformVersion;
    const outcome = await this.runTask(input, request.container);
    if (outcome.ok || outcome.failure !== 'token-conflict' || request.taskDefinitionArn !== undefined) return outcome;
    return this.runOnOtherRevisions(request, input, outcome);
  }

  /**
   * A launch of an image that ECS refused for its clientToken: two launches of the deployment overlapped (a
   * duplicate event resumed it while the first was between its commit and RunTask), each registered a revision, and
   * the task runs on the other one. Each other revision tagged with the deployment is tried under the same token,
   * newest first: ECS answers the one whose parameters match with the task it started. None matching (the service's
   * network changed in between), or the search refused (denied, a revision deleted meanwhile): the first refusal, a
   * token conflict, so the deployment waits as before and is never ended while that task may run. Transient
   * failures are thrown, as everywhere.
   */
  private async runOnOtherRevisions(request: LaunchRequest, input: RunTaskCommandInput, refused: LaunchOutcome): Promise<LaunchOutcome> {
    const family = familyOf(input.taskDefinition ?? '');
    const deploymentId = request.tags[DEPLOYMENT_TAG];
    if (family === undefined || deploymentId === undefined || request.image === undefined) return refused;
    const tried = new Set([input.taskDefinition ?? '']);
    for (;;) {
      let other: TaggedRevision | undefined;
      try {
        const tag = { key: DEPLOYMENT_TAG, value: deploymentId };
        other = await findTaggedRevision(this.client, family, tag, request.container, request.image, tried);
      } catch (error) {
        // Thrown when it can pass; a refusal leaves the conflict as it was.
        this.refusal(error, 'ecs:ListTaskDefinitions', `finding the other revisions of deployment ${deploymentId}`);
        return refused;
      }
      if (other === undefined) return refused;
      tried.add(other.taskDefinitionArn);
      this.remember(other.taskDefinitionArn, other);
      const outcome = await this.runTask({ ...input, taskDefinition: other.taskDefinitionArn }, request.container);
      if (outcome.ok) return outcome;
    }
  }

  /** RunTask, its answer as a launch outcome (a refusal says what to fix; a transient failure is thrown). */
  private async runTask(input: RunTaskCommandInput, container: string): Promise<LaunchOutcome> {
    const taskDefinitionArn = input.taskDefinition ?? '';
    let response: RunTaskCommandOutput;
    try {
      response = await this.client.send(new RunTaskCommand(input));
    } catch (error) {
      const refused = this.refusal(error, 'ecs:RunTask', `RunTask of ${taskDefinitionArn}`);
      // Our clientToken with other parameters: an earlier attempt of this launch got through, its task may run.
      if (awsErrorInfo(error).name === 'ConflictException') return { ...refused, failure: 'token-conflict' };
      return isCapacityReason(awsErrorInfo(error).message) ? { ...refused, failure: 'capacity' } : refused;
    }
    const failures = response.failures ?? [];
    if (failures.length > 0) {
      const reason = `RunTask of ${taskDefinitionArn} refused: ${failures.map(describeFailure).join('; ')}`;
      const capacity = failures.every((f) => isCapacityReason(`${f.reason ?? ''} ${f.detail ?? ''}`.trim()));
      return capacity ? { ok: false, reason, failure: 'capacity' } : { ok: false, reason };
    }
    const taskArn = response.tasks?.[0]?.taskArn;
    if (taskArn === undefined) return { ok: false, reason: `RunTask of ${taskDefinitionArn} returned neither a task nor a failure` };
    // Where the task's log goes, when the definition is known already (registered or read here): no extra call.
    const definition = this.definitions.get(taskDefinitionArn)?.taskDefinition;
    const found = definition?.containerDefinitions?.find((c) => c.name === container);
    const log = definition !== undefined ? awslogsLocation(found, container, taskArn) : undefined;
    return {
      ok: true,
      taskArn,
      taskDefinitionArn,
      ...(log !== undefined && !('none' in log) ? { log } : {}),
      ...(definition !== undefined ? { essentialSidecars: essentialSidecars(definition.containerDefinitions ?? [], container) } : {}),
    };
  }

  async stopTask(cluster: string, taskArn: string, reason: string): Promise<void> {
    try {
      await this.client.send(new StopTaskCommand({ cluster, task: taskArn, reason: reason.slice(0, STOP_REASON_MAX) }));
    } catch (error) {
      // The task is gone already (stopped and forgotten): that is what we wanted.
      if (awsErrorInfo(error).name === 'InvalidParameterException' && /not found/i.test(awsErrorInfo(error).message)) return;
      throw awsFailure(error, 'ecs:StopTask', `stop task ${taskArn} by hand (aws ecs stop-task --cluster ${cluster} --task ${taskArn})`);
    }
  }

  /**
   * Stops the running tasks RunTask started for a deployment: those with its `startedBy` that carry its tags. Anyone
   * allowed ecs:RunTask can start a task with our `startedBy`; such a task is not ours to stop (the role may stop only
   * tasks tagged with this environment), and refusing to end the deployment over it would block the environment.
   */
  async stopTasksStartedBy(cluster: string, startedBy: string, reason: string): Promise<void> {
    let taskArns: string[];
    try {
      // startedBy alone: "When you specify startedBy as the filter, it must be the only filter that you use" (ECS
      // API reference, ListTasks). desiredStatus defaults to RUNNING anyway.
      const listed = await this.client.send(new ListTasksCommand({ cluster, startedBy }));
      taskArns = listed.taskArns ?? [];
    } catch (error) {
      throw awsFailure(error, 'ecs:ListTasks', `check CLUSTER ("${cluster}")`);
    }
    if (taskArns.length === 0) return;
    let described: DescribeTasksCommandOutput;
    try {
      described = await this.client.send(new DescribeTasksCommand({ cluster, tasks: taskArns, include: ['TAGS'] }));
    } catch (error) {
      throw awsFailure(error, 'ecs:DescribeTasks', `check CLUSTER ("${cluster}")`);
    }
    const deploymentId = startedBy.slice(STARTED_BY_PREFIX.length);
    const tagged = (tags: Tag[] | undefined, key: string, value: string | undefined) =>
      value === undefined || (tags ?? []).some((t) => t.key === key && t.value === value);
    for (const task of described.tasks ?? []) {
      const ours = tagged(task.tags, DEPLOYMENT_TAG, deploymentId) && tagged(task.tags, ENVIRONMENT_TAG, this.options.environment);
      if (ours && task.taskArn !== undefined) await this.stopTask(cluster, task.taskArn, reason);
    }
  }

  async updateService(target: ServiceUpdateTarget, taskDefinitionArn: string): Promise<{ ecsDeploymentId?: string }> {
    try {
      const { service } = await this.client.send(
        new UpdateServiceCommand({ cluster: target.cluster, service: target.service, taskDefinition: taskDefinitionArn }),
      );
      // The PRIMARY deployment is the one this update started: its `ECS Deployment State Change` events say how it ends.
      const primary = service?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
      return primary !== undefined ? { ecsDeploymentId: primary } : {};
    } catch (error) {
      throw awsFailure(
        error,
        'ecs:UpdateService',
        `check that service "${target.service}" exists in cluster "${target.cluster}", and that the role may pass the task definition's roles (iam:PassRole)`,
      );
    }
  }

  async describeTask(cluster: string, taskArn: string): Promise<TaskSnapshot | undefined> {
    let response: DescribeTasksCommandOutput;
    try {
      response = await this.client.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
    } catch (error) {
      throw awsFailure(error, 'ecs:DescribeTasks', `check CLUSTER ("${cluster}")`);
    }
    const task = response.tasks?.[0];
    // Stopped tasks vanish from DescribeTasks after about an hour: the caller keeps what it knew.
    if (task === undefined) return undefined;
    return definedFields({
      lastStatus: task.lastStatus ?? 'UNKNOWN',
      stopCode: task.stopCode,
      stoppedReason: task.stoppedReason,
      startedAt: task.startedAt?.toISOString(),
      stoppedAt: task.stoppedAt?.toISOString(),
      version: task.version,
      containers: (task.containers ?? []).map((c) =>
        definedFields({ name: c.name ?? '', exitCode: c.exitCode, reason: c.reason, lastStatus: c.lastStatus }),
      ),
    });
  }

  /** DescribeTaskDefinition, kept (`describeTaskDefinition`): RunTask of that revision then needs no second read. */
  async containerImage(taskDefinitionArn: string, container: string): Promise<string | undefined> {
    let described: { taskDefinition: TaskDefinition } | undefined;
    try {
      described = await this.describeTaskDefinition(taskDefinitionArn);
    } catch (error) {
      throw awsFailure(error, 'ecs:DescribeTaskDefinition', `check task definition ${taskDefinitionArn}`);
    }
    return described?.taskDefinition.containerDefinitions?.find((c) => c.name === container)?.image;
  }

  describeServiceDeployment(serviceDeploymentArn: string): Promise<ServiceDeploymentInfo | undefined> {
    return (this.options.serviceDeployments ?? NO_SERVICE_DEPLOYMENT_READS).describeServiceDeployment(serviceDeploymentArn);
  }

  describeServiceRevision(serviceRevisionArn: string): Promise<ServiceRevisionInfo | undefined> {
    return (this.options.serviceDeployments ?? NO_SERVICE_DEPLOYMENT_READS).describeServiceRevision(serviceRevisionArn);
  }

  answerHook(answer: HookAnswer): Promise<HookAnswerOutcome> {
    return answerHook(this.client, answer);
  }

  /**
   * A deployment that ran a task definition as it is names no image (`imageOf`): the services move to the image its
   * migration container runs, when that is an image of REPOSITORY; otherwise each is reported as not moved, saying why.
   */
  async rollOutImage(request: ImageRollout): Promise<ServiceRolloutResult[]> {
    if ('image' in request) return rollOutImage(this.client, request);
    const { imageOf: arn, ...scope } = request;
    const notMoved = (reason: string) => request.services.map((service): ServiceRolloutResult => ({ service, ok: false, reason }));
    let definition: TaskDefinition | undefined;
    try {
      definition = (await this.describeTaskDefinition(arn))?.taskDefinition;
    } catch (error) {
      const failure = awsFailure(error, 'ecs:DescribeTaskDefinition', `check task definition ${arn}`);
      if (!(failure instanceof PermanentAwsError)) throw failure;
      return notMoved(`reading task definition ${arn} (the image to roll out) failed: ${describeAwsError(error)}; ${failure.fix}`);
    }
    if (definition === undefined) return notMoved(`task definition ${arn} not found: no image to roll out to this service`);
    const { container, repository, registry } = this.options;
    const found = migrationImageOf(arn, definition.containerDefinitions ?? [], container, repository, registry);
    if (!found.ok) return notMoved(found.reason);
    return rollOutImage(this.client, { ...scope, image: found.image, repository: found.repository });
  }

  /**
   * The base definition with the image replaced in the migration container and in every other container whose image
   * is in `repository` (the service moves to this revision: an app container left on the old image would run code
   * the migrated schema was not made for), tagged with the deployment.
   * A retried launch first looks at the family's latest revision: if this deployment registered it already,
   * it is reused, so RunTask sees the same parameters as before under the same clientToken.
   */
  private async registerRevision(request: LaunchRequest): Promise<{ ok: true; taskDefinitionArn: string } | { ok: false; reason: string }> {
    const { baseTaskDefinitionArn: base, image, container } = request;
    if (base === undefined || image === undefined) {
      return {
        ok: false,
        reason: 'no task definition to run: the request has neither a taskDefinitionArn nor a base revision and an image',
      };
    }
    const deploymentId = request.tags[DEPLOYMENT_TAG];
    let definition: TaskDefinition;
    let baseTags: Tag[];
    try {
      const described = await this.describeTaskDefinition(base);
      if (described === undefined) return { ok: false, reason: `task definition ${base} not found` };
      definition = described.taskDefinition;
      baseTags = described.tags;
      // Only a resumed launch can have registered its revision already (the invocation died after it): it is found
      // by the deployment's tag among the family's newest revisions, so RunTask gets the same parameters again.
      if (request.resumed === true && deploymentId !== undefined && definition.family !== undefined) {
        const tag = { key: DEPLOYMENT_TAG, value: deploymentId };
        const mine = await findTaggedRevision(this.client, definition.family, tag, container, image);
        if (mine !== undefined) {
          this.remember(mine.taskDefinitionArn, mine);
          return { ok: true, taskDefinitionArn: mine.taskDefinitionArn };
        }
      }
    } catch (error) {
      return this.refusal(error, 'ecs:DescribeTaskDefinition', `reading task definition ${base} (or finding this deployment's revision)`);
    }

    const containers = definition.containerDefinitions ?? [];
    if (!containers.some((c) => c.name === container)) {
      return {
        ok: false,
        reason: `task definition ${base} has no container named "${container}" (it has ${containerNames(definition)}): set CONTAINER to the migration container's name`,
      };
    }
    const registry = registryOf(image);
    const input = registrationOf(
      definition,
      containers.map((c): ContainerDefinition => (this.moves(c, container, registry) ? { ...c, image } : c)),
      revisionTags(baseTags, request.tags),
    );
    try {
      const registered = await this.client.send(new RegisterTaskDefinitionCommand(input));
      const arn = registered.taskDefinition?.taskDefinitionArn;
      if (arn === undefined || registered.taskDefinition === undefined) {
        return { ok: false, reason: `RegisterTaskDefinition for ${definition.family} returned no ARN` };
      }
      this.remember(arn, { taskDefinition: registered.taskDefinition, tags: registered.tags ?? [] });
      return { ok: true, taskDefinitionArn: arn };
    } catch (error) {
      return this.refusal(error, 'ecs:RegisterTaskDefinition', `registering a revision of ${base} with image ${image}`);
    }
  }

  /**
   * Whether a container of the base definition gets the new image: the migration container, and every app container
   * (an image of REPOSITORY in `registry`, the new image's).
   */
  private moves(definition: ContainerDefinition, container: string, registry: string | undefined): boolean {
    if (definition.name === container) return true;
    const { repository } = this.options;
    return (
      repository !== undefined &&
      registry !== undefined &&
      definition.image !== undefined &&
      isImageOfRepository(definition.image, repository, registry)
    );
  }

  private async readTaskDefinition(arn: string): Promise<{ taskDefinition: TaskDefinition; tags: Tag[] }> {
    let described: { taskDefinition: TaskDefinition; tags: Tag[] } | undefined;
    try {
      described = await this.describeTaskDefinition(arn);
    } catch (error) {
      throw this.readFailure(error, 'ecs:DescribeTaskDefinition');
    }
    if (described !== undefined) return described;
    throw new ServiceNotFoundError(`task definition ${arn} of service "${this.options.service}" not found`);
  }

  /** DescribeTaskDefinition with tags, cached when `arn` names a revision (which never changes). */
  private async describeTaskDefinition(arn: string): Promise<{ taskDefinition: TaskDefinition; tags: Tag[] } | undefined> {
    const cached = this.definitions.get(arn);
    if (cached !== undefined) return cached;
    const described = await this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    if (described.taskDefinition === undefined) return undefined;
    const found = { taskDefinition: described.taskDefinition, tags: described.tags ?? [] };
    if (/:\d+$/.test(arn)) this.remember(arn, found);
    return found;
  }

  /** Bounded: a long-lived function sees a few revisions per migration. */
  private remember(arn: string, found: { taskDefinition: TaskDefinition; tags: Tag[] }): void {
    if (this.definitions.size >= 64) this.definitions.clear();
    this.definitions.set(arn, found);
  }

  /**
   * Reading the service: transient → retry the event; a missing cluster → `ServiceNotFoundError`; denied →
   * `AccessDeniedError`; any other refusal → `PermanentAwsError`; not an AWS error → itself.
   */
  private readFailure(error: unknown, operation: string): unknown {
    const { cluster, service } = this.options;
    if (classifyAwsError(error) === 'permanent' && awsErrorInfo(error).name === 'ClusterNotFoundException') {
      return new ServiceNotFoundError(`cluster "${cluster}" does not exist: check CLUSTER (${operation}: ${describeAwsError(error)})`, {
        cause: error,
      });
    }
    return awsFailure(
      error,
      operation,
      'check CLUSTER and SERVICE',
      `the function's role ${operation} on service "${service}" in cluster "${cluster}"`,
    );
  }

  /** Launching: a refusal (denied, invalid) → a reason with what to fix; anything else (transient, a bug) is thrown. */
  private refusal(error: unknown, operation: string, what: string): { ok: false; reason: string } {
    const failure = awsFailure(
      error,
      operation,
      ERROR_HINTS[awsErrorInfo(error).name] ?? 'see the message above',
      `the launcher's role ${operation} (and iam:PassRole on the task definition's task and execution roles)`,
    );
    if (!(failure instanceof PermanentAwsError)) throw failure;
    return { ok: false, reason: `${what} failed: ${describeAwsError(error)}; ${failure.fix}` };
  }
}

function toTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

function containerNames(definition: TaskDefinition): string {
  const names = (definition.containerDefinitions ?? []).map((c) => `"${c.name}"`);
  return names.length > 0 ? names.join(', ') : 'no containers';
}

/** `RESOURCE:MEMORY (arn:…): the cluster has no capacity …` */
function describeFailure(failure: Failure): string {
  const reason = failure.reason ?? 'unknown reason';
  const hint = FAILURE_HINTS.find(([prefix]) => reason.startsWith(prefix))?.[1];
  const parts = [
    reason,
    failure.detail,
    failure.arn !== undefined ? `(${failure.arn})` : undefined,
    hint !== undefined ? `: ${hint}` : undefined,
  ];
  return parts.filter((p) => p !== undefined && p !== '').join(' ');
}
