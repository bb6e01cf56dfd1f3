import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { readJson, setSharedEntry } from '../adapters/local/json-file.js';
import { appFiles } from './app-files.js';
import { localImage } from './task-event.js';

/**
 * Local mode's container registry: an "image" is an app directory, and its digest is the hash of every file a
 * container image built from it would hold (see `appFiles()`), so any changed file is a new image and an
 * unchanged app has an unchanged digest.
 */
export class LocalImages {
  constructor(private readonly file: string) {}

  /** Hashes the app and records where its image lives. Returns the image pinned by digest. */
  async build(appDir: string, repository: string, excludeDirs: string[] = []): Promise<{ image: string; digest: string }> {
    const dir = resolve(appDir);
    const digest = await appDigest(dir, excludeDirs);
    const image = localImage(repository, `@${digest}`);
    // Every environment of the state directory records its images here; a dropped one would fail its launch.
    await setSharedEntry(this.file, image, dir);
    return { image, digest };
  }

  /** The app directory of an image, or undefined if it was never built here. */
  async resolve(image: string): Promise<string | undefined> {
    const known = (await readJson<Record<string, string>>(this.file)) ?? {};
    return known[image];
  }
}

/** The digest of an image of the app as it is now: a hash of every file it would hold (`appFiles`). */
export async function appDigest(appDir: string, excludeDirs: string[] = []): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await appFiles(resolve(appDir), excludeDirs)) {
    hash.update(file.path).update(file.executable ? '\0x\0' : '\0-\0');
    hash.update(file.content).update('\0');
  }
  return `sha256:${hash.digest('hex')}`;
}

/**
 * A repository/family name from an app directory name: lower-cased, each run of other characters than letters,
 * digits, `_` and `-` made one `-`. It must also be a repository path component (PATH_COMPONENT in
 * src/core/image-ref.ts), or every request naming the app's image is rejected as malformed: a separator only between
 * letters or digits, and only `_`, `__` or a run of `-` there. So a run of separators other than those (`_-`, `___`)
 * is made one `-`, and separators at either end are dropped (`_My App_-v2_` is `my-app-v2`).
 */
export function appName(appDir: string): string {
  const name = basename(resolve(appDir))
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/[_-]+/g, (run) => (/^(?:-+|__?)$/.test(run) ? run : '-'))
    .replace(/^[_-]+|[_-]+$/g, '');
  return name === '' ? 'app' : name;
}
