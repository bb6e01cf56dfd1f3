import { ImageNotFoundError } from '../../errors.js';
import type { Registry, ResolvedImage } from '../../ports.js';
import { readJson, setSharedEntry } from './json-file.js';

type Tags = Record<string, ResolvedImage>;

/**
 * Local mode's tags: `<repository>:<tag>` → digest and push time, in one JSON file next to the images. Local mode
 * builds images by digest; `tag` records a tag for one, as a push of a tagged image to ECR would.
 */
export class LocalRegistry implements Registry {
  constructor(private readonly file: string) {}

  async tag(repository: string, tag: string, image: ResolvedImage): Promise<void> {
    // Shared by every environment of the state directory.
    await setSharedEntry(this.file, `${repository}:${tag}`, image);
  }

  async resolveDigest(repository: string, tag: string): Promise<ResolvedImage> {
    const found = (await readJson<Tags>(this.file))?.[`${repository}:${tag}`];
    if (found === undefined) throw new ImageNotFoundError(`${repository}:${tag} is not a tag of a local image: build and tag it first`);
    return found;
  }
}
