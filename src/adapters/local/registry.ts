import { ImageNotFoundError } from '../../errors.js';
import { withFileLock } from '../../local/env-lock.js';
import type { Registry, ResolvedImage } from '../../ports.js';
import { readJson, writeJson } from './json-file.js';

type Tags = Record<string, ResolvedImage>;

/**
 * Local mode's tags: `<repository>:<tag>` → digest and push time, in one JSON file next to the images. Local mode
 * builds images by digest; `tag` records a tag for one, as a push of a tagged image to ECR would.
 */
export class LocalRegistry implements Registry {
  constructor(private readonly file: string) {}

  async tag(repository: string, tag: string, image: ResolvedImage): Promise<void> {
    // Shared by every environment of the state directory: changed under a lock, so no run drops another's tag.
    await withFileLock(this.file, async () => {
      const tags = (await readJson<Tags>(this.file)) ?? {};
      tags[`${repository}:${tag}`] = image;
      await writeJson(this.file, tags);
    });
  }

  async resolveDigest(repository: string, tag: string): Promise<ResolvedImage> {
    const found = (await readJson<Tags>(this.file))?.[`${repository}:${tag}`];
    if (found === undefined) throw new ImageNotFoundError(`${repository}:${tag} is not a tag of a local image: build and tag it first`);
    return found;
  }
}
