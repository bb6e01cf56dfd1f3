import { isImageOfRepository, parseImageRef } from './image-ref.js';
import type { NetworkConfig, ServiceInfo } from './state.js';

/**
 * ECS service deployments and service revisions as the controller sees them (pause-hook mode, and rollouts
 * followed to completion). Read through the `Ecs` port; the values are the ECS API's own (SDK 3.1164).
 */

/** ServiceDeployment.status. */
export type ServiceDeploymentStatus =
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'ROLLBACK_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

/** DeploymentLifecycleHookDetail.status. */
export type HookStatus = 'AWAITING_ACTION' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

/** The answer to a PAUSE hook (ContinueServiceDeployment `action`), also a hook's timeout action. */
export type HookAction = 'CONTINUE' | 'ROLLBACK';

/** One lifecycle hook of a deployment. ECS gives no stage per hook: the deployment's `lifecycleStage` is where it is. */
export interface LifecycleHookInfo {
  hookId: string;
  targetType?: 'PAUSE' | 'AWS_LAMBDA';
  status: HookStatus;
  /** ISO time after which ECS applies `timeoutAction` itself. */
  expiresAt?: string;
  timeoutAction?: HookAction;
}

export interface ServiceDeploymentInfo {
  serviceDeploymentArn: string;
  serviceArn: string;
  clusterArn: string;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  lifecycleStage?: string;
  /** The revision the deployment moves the service to (what DescribeServiceRevisions reads). */
  targetServiceRevisionArn?: string;
  sourceServiceRevisionArns: string[];
  hooks: LifecycleHookInfo[];
  rollback?: { reason?: string; serviceRevisionArn?: string };
}

export interface ContainerImageInfo {
  containerName: string;
  image: string;
  /** The digest ECS resolved the image to: what the new tasks will run. */
  imageDigest?: string;
}

/** What a service deployment will run: the settings a migration task of that revision runs with. */
export interface ServiceRevisionInfo {
  serviceRevisionArn: string;
  serviceArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  network?: NetworkConfig;
  launchType?: string;
  capacityProviderStrategy?: ServiceInfo['capacityProviderStrategy'];
  platformVersion?: string;
  containerImages: ContainerImageInfo[];
}

export interface HookAnswer {
  serviceDeploymentArn: string;
  hookId: string;
  action: HookAction;
}

/**
 * `refused`: ECS would not take the answer, presumably because the hook is no longer AWAITING_ACTION or the
 * deployment no longer IN_PROGRESS (timed out, answered by a person, superseded). AWS does not document the
 * error for that case; InvalidParameterException is assumed. `not-found`: ECS does not know the deployment.
 */
/** A CONTINUE answered: `ecsDeploymentId` is the service's PRIMARY `ecs-svc/…` deployment, when it could be read. */
export type HookAnswerOutcome = { ok: true; ecsDeploymentId?: string } | { ok: false; cause: 'refused' | 'not-found'; reason: string };

/**
 * update-service mode with several services: every container whose image is in `repository` moves to `image`. A
 * deployment that ran a task definition as it is names no image: `imageOf` is that task definition instead, and the
 * image is the one its migration container (CONTAINER) runs, when that is an image of REPOSITORY (`migrationImageOf`).
 */
export type ImageRollout = ImageRolloutScope & ({ repository: string; image: string } | { imageOf: string });

/** An `ImageRollout` whose image is known. */
export type ResolvedImageRollout = ImageRolloutScope & {
  repository: string;
  /** `<registry>/<repository>@sha256:…` (or by tag, as the task definition named it) */
  image: string;
};

interface ImageRolloutScope {
  cluster: string;
  services: string[];
  /** Tags on the registered revisions (the deployment tag). */
  tags: Record<string, string>;
}

export type ServiceRolloutResult =
  | {
      service: string;
      ok: true;
      taskDefinitionArn: string;
      /** The containers moved to the image (all of them already ran it when `unchanged`). */
      containers: string[];
      /** Already on the image: no revision registered, no UpdateService. */
      unchanged: boolean;
      /**
       * The PRIMARY deployment UpdateService started (`ecs-svc/…`), to follow the rollout to completion; for a service
       * `unchanged`, the one rolling its revision out when it is still in progress.
       */
      ecsDeploymentId?: string;
    }
  | { service: string; ok: false; reason: string };

export type RepositoryImage =
  | {
      ok: true;
      /** The digest ECS resolved the REPOSITORY image to: what a pause-hook deployment is keyed by. */
      digest: string;
      /** `<registry>/<repository>@<digest>`: the image pinned by that digest. */
      image: string;
      /** The revision's containers that run it. */
      containers: string[];
    }
  | { ok: false; reason: string };

/**
 * The `repository` image of a service revision, by the digest ECS resolved it to. Refused when no container
 * runs an image of `repository`, when ECS gave no digest, or when containers run different digests of it. With
 * `registry` (REGISTRY), only that registry's `repository` counts, as only it gets the new image in update-service
 * mode: a container of a repository of that name in another registry is not the app's image.
 */
export function repositoryImageOf(revision: ServiceRevisionInfo, repository: string, registry?: string): RepositoryImage {
  const matching = revision.containerImages.filter((c) => isImageOfRepository(c.image, repository, registry));
  if (matching.length === 0) {
    const all = revision.containerImages.map((c) => `${c.containerName}=${c.image}`).join(', ') || 'no container images';
    const of = `repository "${repository}"${registry !== undefined ? ` of registry ${registry}` : ''}`;
    return {
      ok: false,
      reason: `service revision ${revision.serviceRevisionArn} runs no image of ${of} (${all}): check ${registry !== undefined ? 'REGISTRY and ' : ''}REPOSITORY`,
    };
  }
  const undigested = matching.filter((c) => c.imageDigest === undefined).map((c) => c.containerName);
  if (undigested.length > 0) {
    return {
      ok: false,
      reason: `service revision ${revision.serviceRevisionArn} has no image digest for container ${undigested.join(', ')}`,
    };
  }
  const digests = [...new Set(matching.map((c) => c.imageDigest as string))];
  if (digests.length > 1) {
    return {
      ok: false,
      reason: `service revision ${revision.serviceRevisionArn} runs ${digests.length} different digests of repository "${repository}" (${matching.map((c) => `${c.containerName}=${c.imageDigest}`).join(', ')}): one migration cannot cover them`,
    };
  }
  const digest = digests[0] as string;
  const parsed = parseImageRef(matching[0]?.image ?? '');
  const host = parsed.ok ? parsed.value.registry : undefined;
  return {
    ok: true,
    digest,
    image: `${host !== undefined ? `${host}/` : ''}${repository}@${digest}`,
    containers: matching.map((c) => c.containerName),
  };
}

/**
 * update-service mode, several services, a deployment that ran a task definition as it is (it names no image): the
 * other services move to the image its migration container (`container`) runs, when that is an image of
 * `repository` (REPOSITORY; without one, the image's own repository) in `registry` (REGISTRY, when given). Refused,
 * saying why, otherwise: the other services are then reported as not moved.
 */
export function migrationImageOf(
  taskDefinitionArn: string,
  containers: { name?: string | undefined; image?: string | undefined }[],
  container: string,
  repository: string | undefined,
  registry?: string,
): { ok: true; image: string; repository: string } | { ok: false; reason: string } {
  const image = containers.find((c) => c.name === container)?.image;
  if (image === undefined) {
    return {
      ok: false,
      reason: `task definition ${taskDefinitionArn} has no image for container "${container}" (CONTAINER): no image to roll out to this service`,
    };
  }
  const parsed = parseImageRef(image);
  const own = parsed.ok ? parsed.value.repository : undefined;
  const elsewhere = parsed.ok && registry !== undefined && parsed.value.registry !== registry.toLowerCase();
  if (own === undefined || (repository !== undefined && own !== repository) || elsewhere) {
    const of = registry !== undefined ? `${registry}/${repository ?? 'REPOSITORY'}` : `repository "${repository ?? 'REPOSITORY'}"`;
    return {
      ok: false,
      reason: `container "${container}" of task definition ${taskDefinitionArn} runs ${image}, not an image of ${of}: no image to roll out to this service; move it by hand`,
    };
  }
  return { ok: true, image, repository: own };
}
