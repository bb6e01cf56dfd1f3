import { quote } from '../core/bounds.js';
import type { Config } from '../core/config.js';
import { checkImage, imageByDigest } from '../core/image-ref.js';
import type { DeployRequestInput, Input, RunCommandInput } from '../core/inputs.js';
import { ImageNotFoundError } from '../errors.js';
import type { Registry } from '../ports.js';

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
    const { digest, pushedAt } = await registry.describeImage(
      config.REPOSITORY,
      given !== undefined ? { digest: given } : { tag: tag ?? '' },
    );
    return {
      ...input,
      // Its push time is its age: it orders the queue and says whether it is older than what is rolled out.
      work: {
        type: 'image',
        image: imageByDigest(config.REGISTRY, config.REPOSITORY, digest),
        ...(pushedAt !== undefined ? { pushedAt } : {}),
      },
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
