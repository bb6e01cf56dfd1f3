import { quote } from '../core/bounds.js';
import type { Config } from '../core/config.js';
import { checkImage, imageByDigest } from '../core/image-ref.js';
import type { DeployRequestInput, Input, RunCommandInput } from '../core/inputs.js';
import { ImageNotFoundError } from '../errors.js';
import type { Registry } from '../ports.js';

/**
 * A request that names an image of REGISTRY/REPOSITORY by tag gets the digest the tag points to now, before
 * anything is decided: the deployment records, migrates and rolls out that digest, byte for byte, even when the
 * tag moves meanwhile. An image the core will refuse, or one already pinned by digest, is left as it is (no
 * registry call for an image of another repository). A tag the registry does not have makes the request invalid.
 */
export async function resolveRequestImage(input: DeployRequestInput | RunCommandInput, registry: Registry, config: Config): Promise<Input> {
  if (input.image === undefined) return input;
  const checked = checkImage(input.image, { registry: config.REGISTRY, repository: config.REPOSITORY });
  if (!checked.ok || checked.value.digest !== undefined || checked.value.tag === undefined) return input;
  const tag = checked.value.tag;
  try {
    const { digest, pushedAt } = await registry.resolveDigest(config.REPOSITORY, tag);
    return {
      ...input,
      image: imageByDigest(config.REGISTRY, config.REPOSITORY, digest),
      imagePushedAt: pushedAt,
      trigger: { ...input.trigger, imageTag: tag },
    };
  } catch (error) {
    if (!(error instanceof ImageNotFoundError)) throw error;
    return {
      kind: 'invalid',
      reason: `image ${quote(input.image)} cannot be resolved to a digest: ${error.message}`,
      eventId: input.trigger.eventId,
      source: config.EVENT_SOURCE,
      detailType: input.kind,
    };
  }
}
