import { quote } from '../core/bounds.js';
import type { Config } from '../core/config.js';
import { checkImage, checkTaskDefinition, type ImageRef, imageByDigest } from '../core/image-ref.js';
import type { DeployRequestInput, Input, RunCommandInput } from '../core/inputs.js';
import { ImageNotFoundError, PermanentAwsError } from '../errors.js';
import type { Ports, Registry } from '../ports.js';
import type { Log } from './logger.js';

/**
 * A request that names an image of REGISTRY/REPOSITORY gets, before anything is decided, the digest a tag points to
 * now and the image's push time from the registry: the deployment records, migrates and rolls out that digest, byte
 * for byte, even when the tag moves meanwhile, and its push time is its age, by tag or pinned by digest (so a request
 * pinned by the digest of an old image is not taken for a newer one). An image the core will refuse is left as it is
 * for the core to reject (no registry call for an image of another repository); one pinned by digest is written as
 * `REGISTRY/REPOSITORY@digest`. A tag or digest the registry does not have makes the request invalid.
 */
export async function resolveRequestImage(input: DeployRequestInput | RunCommandInput, registry: Registry, config: Config): Promise<Input> {
  if (input.work?.type !== 'image') return input;
  const requested = input.work.image;
  const checked = checkImage(requested, { registry: config.REGISTRY, repository: config.REPOSITORY });
  if (!checked.ok) return input;
  const { tag, digest: given } = checked.value;
  if (given === undefined && tag === undefined) return input;
  try {
    // Its push time is its age: it orders the queue and says whether it is older than what is rolled out.
    const found = await pinned(checked.value, registry, config);
    return {
      ...input,
      work: { type: 'image', ...found },
      // A tag given with a digest is kept as information; the digest is what runs.
      trigger: { ...input.trigger, ...(tag !== undefined ? { imageTag: tag } : {}) },
    };
  } catch (error) {
    if (!(error instanceof ImageNotFoundError)) throw error;
    return {
      kind: 'invalid',
      reason: `image ${quote(requested)} cannot be resolved${given !== undefined ? '' : ' to a digest'}: ${error.message}`,
      eventId: input.trigger.eventId,
      source: config.EVENT_SOURCE,
      detailType: input.kind,
    };
  }
}

/**
 * A deploy-request that names a task definition rolls out the image its migration container (CONTAINER) runs: when
 * that is an image of REGISTRY/REPOSITORY, it is resolved and dated as a requested image is, and kept in the work
 * (`runs`), so the request's success records the age of what it rolled out, not of the image rolled out before it.
 * Two reads on this path only (DescribeTaskDefinition, DescribeImages); a request the core will refuse (pause-hook
 * mode, a revision of another family) reads nothing. A definition or image that cannot be read leaves it undated,
 * logged: its success then keeps the age of what was rolled out before. A failure that can pass is thrown (retried).
 */
export async function dateRequestedRevision(
  input: DeployRequestInput,
  serviceTaskDefinitionArn: string | undefined,
  ports: Pick<Ports, 'ecs' | 'registry'>,
  config: Config,
  log: Log,
): Promise<DeployRequestInput> {
  const work = input.work;
  if (work.type !== 'task-definition' || config.ROLLOUT_MODE === 'pause-hook') return input;
  if (!checkTaskDefinition(work.taskDefinitionArn, serviceTaskDefinitionArn).ok) return input;
  try {
    const image = await ports.ecs.containerImage(work.taskDefinitionArn, config.CONTAINER);
    const checked = image !== undefined ? checkImage(image, { registry: config.REGISTRY, repository: config.REPOSITORY }) : undefined;
    if (checked?.ok !== true || (checked.value.tag === undefined && checked.value.digest === undefined)) return input;
    return { ...input, work: { ...work, runs: await pinned(checked.value, ports.registry, config) } };
  } catch (error) {
    if (!(error instanceof PermanentAwsError) && !(error instanceof ImageNotFoundError)) throw error;
    log.warn('the image the requested task definition runs could not be dated: its success keeps the age rolled out before', {
      taskDefinitionArn: work.taskDefinitionArn,
      reason: error.message,
    });
    return input;
  }
}

/** An image of REPOSITORY as the registry has it now: pinned by its digest, with its push time when the registry says. */
async function pinned(
  ref: Pick<ImageRef, 'tag' | 'digest'>,
  registry: Registry,
  config: Config,
): Promise<{ image: string; pushedAt?: string }> {
  const { digest, pushedAt } = await registry.describeImage(
    config.REPOSITORY,
    ref.digest !== undefined ? { digest: ref.digest } : { tag: ref.tag ?? '' },
  );
  return { image: imageByDigest(config.REGISTRY, config.REPOSITORY, digest), ...(pushedAt !== undefined ? { pushedAt } : {}) };
}
