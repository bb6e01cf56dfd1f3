import { ImageNotFoundError } from '../../errors.js';
import type { ImageId, Registry, ResolvedImage } from '../../ports.js';
import { readJson, setSharedEntry } from './json-file.js';

type Tags = Record<string, ResolvedImage>;

/**
 * Local mode's registry: `<repository>:<tag>` → digest and push time, and `<repository>@<digest>` → the time the image
 * was first built (its push: `pushed`), in one JSON file next to the images. Local mode builds images by digest; `tag`
 * records a tag for one, as a push of a tagged image to ECR would.
 */
export class LocalRegistry implements Registry {
  constructor(private readonly file: string) {}

  async tag(repository: string, tag: string, image: ResolvedImage): Promise<void> {
    // Shared by every environment of the state directory.
    await setSharedEntry(this.file, `${repository}:${tag}`, image);
  }

  /** Records that `digest` was built (pushed) at `at`, unless it was before: an image keeps its first push time. */
  async pushed(repository: string, digest: string, at: string): Promise<void> {
    await setSharedEntry(this.file, `${repository}@${digest}`, { digest, pushedAt: at }, { keepFirst: true });
  }

  async describeImage(repository: string, id: ImageId): Promise<ResolvedImage> {
    const tags = (await readJson<Tags>(this.file)) ?? {};
    if ('digest' in id) {
      // When it was first built here, else the push time of a tag of it; an image never built nor tagged here has
      // none (its age is unknown). Local mode's task fails to start an image never built.
      const built = Object.hasOwn(tags, `${repository}@${id.digest}`) ? tags[`${repository}@${id.digest}`] : undefined;
      const tagged = Object.entries(tags).find(([key, image]) => key.startsWith(`${repository}:`) && image.digest === id.digest);
      return built ?? tagged?.[1] ?? { digest: id.digest };
    }
    const found = Object.hasOwn(tags, `${repository}:${id.tag}`) ? tags[`${repository}:${id.tag}`] : undefined;
    if (found === undefined) throw new ImageNotFoundError(`${repository}:${id.tag} is not a tag of a local image: build and tag it first`);
    return found;
  }
}
