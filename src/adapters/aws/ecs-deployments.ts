import {
  type ContainerDefinition,
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type Service,
  type ServiceDeployment,
  type ServiceRevision,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { isImageOfRepository, registryOf } from '../../core/image-ref.js';
import type {
  HookAnswer,
  HookAnswerOutcome,
  ResolvedImageRollout,
  ServiceDeploymentInfo,
  ServiceRevisionInfo,
  ServiceRolloutResult,
} from '../../core/service-deployment.js';
import { AccessDeniedError, EcsMigrateError, PermanentAwsError } from '../../errors.js';
import { awsErrorInfo, awsFailure, classifyAwsError, describeAwsError } from './aws-error.js';
import type { ServiceDeploymentReads } from './ecs.js';
import { launchSettingsOf } from './launch-settings.js';
import { registrationOf, revisionTags } from './tagged-revision.js';

/**
 * ECS service deployments, service revisions and PAUSE hooks (pause-hook mode), and the several-service
 * rollout of update-service mode. Plain functions over an `ECSClient`; `AwsEcs` exposes them as the `Ecs` port.
 */

/** DescribeServices takes 10 services per call. */
const SERVICES_PER_CALL = 10;

/**
 * The service's PRIMARY deployment while ECS rolls it out (`rolloutState` IN_PROGRESS), with the revision it rolls
 * out: what a service found on a revision already is followed by (ServiceInfo.rolloutInProgress).
 */
export function rolloutInProgressOf(service: Service): { ecsDeploymentId: string; taskDefinitionArn: string } | undefined {
  const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
  if (primary?.id === undefined || primary.taskDefinition === undefined || primary.rolloutState !== 'IN_PROGRESS') return undefined;
  return { ecsDeploymentId: primary.id, taskDefinitionArn: primary.taskDefinition };
}

/** The reads of service deployments and revisions the launcher gives its `AwsEcs` (pause-hook mode's hook events). */
export function serviceDeploymentReads(client: ECSClient): ServiceDeploymentReads {
  return {
    describeServiceDeployment: (arn) => describeServiceDeployment(client, arn),
    describeServiceRevision: (arn) => describeServiceRevision(client, arn),
  };
}

/** DescribeServiceDeployments of one deployment; undefined when ECS reports it MISSING. */
export async function describeServiceDeployment(client: ECSClient, arn: string): Promise<ServiceDeploymentInfo | undefined> {
  let found: ServiceDeployment | undefined;
  try {
    const response = await client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
    found = response.serviceDeployments?.find((d) => d.serviceDeploymentArn === arn) ?? response.serviceDeployments?.[0];
  } catch (error) {
    throw awsFailure(
      error,
      'ecs:DescribeServiceDeployments',
      `check ${arn}`,
      "the function's role ecs:DescribeServiceDeployments on both the service and service-deployment/<cluster>/<service>/*",
    );
  }
  if (found === undefined) return undefined;
  const { serviceArn, clusterArn, status } = found;
  if (serviceArn === undefined || clusterArn === undefined || status === undefined) {
    throw new EcsMigrateError(`ecs:DescribeServiceDeployments returned ${arn} without serviceArn, clusterArn or status`);
  }
  const info: ServiceDeploymentInfo = {
    serviceDeploymentArn: found.serviceDeploymentArn ?? arn,
    serviceArn,
    clusterArn,
    status,
    sourceServiceRevisionArns: (found.sourceServiceRevisions ?? []).flatMap((r) => (r.arn !== undefined ? [r.arn] : [])),
    hooks: (found.lifecycleHookDetails ?? []).flatMap((h) =>
      h.hookId !== undefined && h.status !== undefined
        ? [
            {
              hookId: h.hookId,
              status: h.status,
              ...(h.targetType !== undefined ? { targetType: h.targetType } : {}),
              ...(h.expiresAt !== undefined ? { expiresAt: h.expiresAt.toISOString() } : {}),
              ...(h.timeoutAction !== undefined ? { timeoutAction: h.timeoutAction } : {}),
            },
          ]
        : [],
    ),
  };
  if (found.statusReason !== undefined) info.statusReason = found.statusReason;
  if (found.lifecycleStage !== undefined) info.lifecycleStage = found.lifecycleStage;
  if (found.targetServiceRevision?.arn !== undefined) info.targetServiceRevisionArn = found.targetServiceRevision.arn;
  if (found.rollback !== undefined) {
    info.rollback = {
      ...(found.rollback.reason !== undefined ? { reason: found.rollback.reason } : {}),
      ...(found.rollback.serviceRevisionArn !== undefined ? { serviceRevisionArn: found.rollback.serviceRevisionArn } : {}),
    };
  }
  return info;
}

/** DescribeServiceRevisions of one revision; undefined when ECS reports it MISSING. */
export async function describeServiceRevision(client: ECSClient, arn: string): Promise<ServiceRevisionInfo | undefined> {
  let found: ServiceRevision | undefined;
  try {
    const response = await client.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [arn] }));
    found = response.serviceRevisions?.find((r) => r.serviceRevisionArn === arn) ?? response.serviceRevisions?.[0];
  } catch (error) {
    throw awsFailure(
      error,
      'ecs:DescribeServiceRevisions',
      `check ${arn}; the role needs ecs:DescribeServiceRevisions on both the service and service-revision/<cluster>/<service>/*`,
    );
  }
  if (found === undefined) return undefined;
  const { serviceArn, clusterArn, taskDefinition } = found;
  if (serviceArn === undefined || clusterArn === undefined || taskDefinition === undefined) {
    throw new EcsMigrateError(`ecs:DescribeServiceRevisions returned ${arn} without serviceArn, clusterArn or taskDefinition`);
  }
  const info: ServiceRevisionInfo = {
    serviceRevisionArn: found.serviceRevisionArn ?? arn,
    serviceArn,
    clusterArn,
    taskDefinitionArn: taskDefinition,
    containerImages: (found.containerImages ?? []).map((c) => ({
      containerName: c.containerName ?? '',
      image: c.image ?? '',
      ...(c.imageDigest !== undefined ? { imageDigest: c.imageDigest } : {}),
    })),
  };
  Object.assign(info, launchSettingsOf(found));
  return info;
}

/**
 * ContinueServiceDeployment. ECS refusing the answer (the hook is not AWAITING_ACTION or the deployment not
 * IN_PROGRESS any more: assumed to be InvalidParameterException, which AWS does not document) and an unknown
 * deployment come back as `{ ok: false }`, unless the hook shows this very answer taken (`answerTaken`); throttling
 * and 5xx are thrown as `TransientAwsError`, access denied as an `EcsMigrateError` naming the permission.
 */
export async function answerHook(client: ECSClient, answer: HookAnswer): Promise<HookAnswerOutcome> {
  const { serviceDeploymentArn, hookId, action } = answer;
  try {
    await client.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn, hookId, action }));
  } catch (error) {
    const name = awsErrorInfo(error).name;
    if (name === 'InvalidParameterException') {
      const reason = `ECS refused ${action} for hook ${hookId}: ${describeAwsError(error)}`;
      const taken = await answerTaken(client, answer);
      if (taken === true) return tookAnswer(client, answer);
      return { ok: false, cause: 'refused', reason: typeof taken === 'string' ? `${reason} (${taken})` : reason };
    }
    if (name === 'ServiceDeploymentNotFoundException') {
      return { ok: false, cause: 'not-found', reason: `service deployment ${serviceDeploymentArn} not found: ${describeAwsError(error)}` };
    }
    throw awsFailure(
      error,
      'ecs:ContinueServiceDeployment',
      `answer hook ${hookId} by hand (aws ecs continue-service-deployment --service-deployment-arn ${serviceDeploymentArn} --hook-id ${hookId} --action ${action}); the role needs ecs:ContinueServiceDeployment on both the service and service-deployment/<cluster>/<service>/*`,
    );
  }
  return tookAnswer(client, answer);
}

/** ECS took `answer`: after CONTINUE, with the `ecs-svc/…` id of the rollout it started. */
async function tookAnswer(client: ECSClient, { serviceDeploymentArn, action }: HookAnswer): Promise<HookAnswerOutcome> {
  if (action !== 'CONTINUE') return { ok: true };
  const primary = await primaryDeploymentOf(client, serviceDeploymentArn);
  return primary !== undefined ? { ok: true, ecsDeploymentId: primary } : { ok: true };
}

/**
 * Whether ECS refused `answer` because it took the same answer already: the hook SUCCEEDED after a CONTINUE, FAILED
 * after a ROLLBACK. A retried event answers every hook again (an invocation remembers its answers for itself only),
 * and the hooks it answered on its first try refuse the second answer: recorded as a refusal, the answer taken would
 * read as `moved-on` (someone else's, or ECS's timeout) and lose its `ecs-svc/…` id. A person's answer of the same
 * kind reads the same, and had the same effect. Any other hook status is a refusal; a failed read is best effort
 * (the refusal stands, as before this check), returned as the text to add to its reason.
 */
async function answerTaken(client: ECSClient, { serviceDeploymentArn, hookId, action }: HookAnswer): Promise<boolean | string> {
  let hook: { status: string } | undefined;
  try {
    hook = (await describeServiceDeployment(client, serviceDeploymentArn))?.hooks.find((h) => h.hookId === hookId);
  } catch (error) {
    return `whether ECS took this answer already could not be read: ${error instanceof Error ? error.message : String(error)}`;
  }
  return hook?.status === (action === 'CONTINUE' ? 'SUCCEEDED' : 'FAILED');
}

/**
 * The `ecs-svc/…` id of the service's PRIMARY deployment, which `ECS Deployment State Change` names: the service
 * deployment ARN ends with another id, so without it the rollout's end would match no deployment. Read right after
 * CONTINUE, while the paused deployment is still the PRIMARY one. Best effort: the hook is answered already, so a
 * failure here (denied, throttled) only loses the `Rollout Completed`/`Failed` event and must not retry the answer.
 */
async function primaryDeploymentOf(client: ECSClient, serviceDeploymentArn: string): Promise<string | undefined> {
  // arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>
  const match = /:service-deployment\/([^/]+)\/([^/]+)\/[^/]+$/.exec(serviceDeploymentArn);
  if (match === null) return undefined;
  const [, cluster, service] = match;
  try {
    const { services } = await client.send(new DescribeServicesCommand({ cluster, services: [service ?? ''] }));
    return services?.[0]?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
  } catch {
    return undefined;
  }
}

/**
 * For every service: a revision of its current task definition in which every container whose image is in
 * `repository` runs `image`, then UpdateService with it. Services sharing a task definition share the revision.
 * A service already on the image is left alone (`unchanged`). What retrying cannot fix is reported per service
 * (`ok: false`, with what to fix); throttling and 5xx are thrown, so the whole event is retried.
 */
export async function rollOutImage(client: ECSClient, request: ResolvedImageRollout): Promise<ServiceRolloutResult[]> {
  const { cluster, services, repository, image } = request;
  const found = new Map<string, Service>();
  // Services whose DescribeServices was refused for good (access denied, a cluster not found): each recorded failed
  // with the reason, as an UpdateService refused is, instead of failing the event on every delivery.
  const unreadable = new Map<string, string>();
  for (let i = 0; i < services.length; i += SERVICES_PER_CALL) {
    const batch = services.slice(i, i + SERVICES_PER_CALL);
    try {
      const described = await client.send(new DescribeServicesCommand({ cluster, services: batch }));
      for (const s of described.services ?? []) if (s.serviceName !== undefined && s.status !== 'INACTIVE') found.set(s.serviceName, s);
    } catch (error) {
      const failure = awsFailure(error, 'ecs:DescribeServices', `check CLUSTER ("${cluster}") and SERVICES (${batch.join(', ')})`);
      if (!(failure instanceof PermanentAwsError || failure instanceof AccessDeniedError)) throw failure;
      for (const service of batch) unreadable.set(service, `service "${service}" could not be read: ${failure.message}`);
    }
  }
  const registered = new Map<string, { taskDefinitionArn: string; containers: string[]; unchanged: boolean }>();
  const results: ServiceRolloutResult[] = [];
  for (const service of services) {
    const refused = unreadable.get(service);
    if (refused !== undefined) {
      results.push({ service, ok: false, reason: refused });
      continue;
    }
    const described = found.get(service);
    const current = described?.taskDefinition;
    if (described === undefined || current === undefined) {
      results.push({ service, ok: false, reason: `service "${service}" not found in cluster "${cluster}" (or INACTIVE): check SERVICES` });
      continue;
    }
    try {
      let revision = registered.get(current);
      if (revision === undefined) {
        revision = await registerWithImage(client, current, repository, image, request.tags);
        registered.set(current, revision);
      }
      if (revision.unchanged) {
        // Already on the image (e.g. a retried event whose first try moved it): its rollout in progress is followed.
        const inProgress = rolloutInProgressOf(described);
        const followed = inProgress?.taskDefinitionArn === current ? { ecsDeploymentId: inProgress.ecsDeploymentId } : {};
        results.push({ service, ok: true, taskDefinitionArn: current, containers: revision.containers, unchanged: true, ...followed });
        continue;
      }
      const updated = await client.send(new UpdateServiceCommand({ cluster, service, taskDefinition: revision.taskDefinitionArn }));
      const primary = updated.service?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
      results.push({
        service,
        ok: true,
        taskDefinitionArn: revision.taskDefinitionArn,
        containers: revision.containers,
        unchanged: false,
        ...(primary !== undefined ? { ecsDeploymentId: primary } : {}),
      });
    } catch (error) {
      if (error instanceof RolloutRefusal) {
        results.push({ service, ok: false, reason: error.message });
        continue;
      }
      // Transient errors are retried with the event; a bug (not an AWS error) fails loudly.
      const kind = classifyAwsError(error);
      if (kind === 'transient') throw awsFailure(error, 'ecs:UpdateService', '');
      if (kind === 'unknown') throw error;
      results.push({
        service,
        ok: false,
        reason: `rolling out ${image} to service "${service}" failed: ${describeAwsError(error)}; check that the role may call ecs:RegisterTaskDefinition, ecs:UpdateService on the service and iam:PassRole on its task definition's roles`,
      });
    }
  }
  return results;
}

class RolloutRefusal extends EcsMigrateError {
  override name = 'RolloutRefusal';
}

async function registerWithImage(
  client: ECSClient,
  base: string,
  repository: string,
  image: string,
  extraTags: Record<string, string>,
): Promise<{ taskDefinitionArn: string; containers: string[]; unchanged: boolean }> {
  const described = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: base, include: ['TAGS'] }));
  const definition = described.taskDefinition;
  if (definition === undefined) throw new RolloutRefusal(`task definition ${base} not found`);
  // The containers of REPOSITORY in the new image's registry: another registry's repository of that name keeps its image.
  const registry = registryOf(image);
  const moves = (c: ContainerDefinition): boolean =>
    c.image !== undefined && registry !== undefined && isImageOfRepository(c.image, repository, registry);
  const containers = (definition.containerDefinitions ?? []).filter(moves);
  const names = containers.map((c) => c.name ?? '');
  if (containers.length === 0) {
    const all = (definition.containerDefinitions ?? []).map((c) => `${c.name}=${c.image}`).join(', ');
    throw new RolloutRefusal(
      `task definition ${base} has no container with an image in repository "${repository}" of ${registry ?? image} (it has ${all || 'no containers'}): check REPOSITORY`,
    );
  }
  if (containers.every((c) => c.image === image)) return { taskDefinitionArn: base, containers: names, unchanged: true };
  const input = registrationOf(
    definition,
    (definition.containerDefinitions ?? []).map((c): ContainerDefinition => (moves(c) ? { ...c, image } : c)),
    revisionTags(described.tags ?? [], extraTags),
  );
  const registered = await client.send(new RegisterTaskDefinitionCommand(input));
  const arn = registered.taskDefinition?.taskDefinitionArn;
  if (arn === undefined) throw new RolloutRefusal(`RegisterTaskDefinition for ${definition.family} returned no ARN`);
  return { taskDefinitionArn: arn, containers: names, unchanged: false };
}
