import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { readJson, writeJson } from '../adapters/local/json-file.js';
import { localImage } from './task-event.js';

/**
 * Local mode's container registry: an "image" is an app directory, and its digest is the hash of the
 * files a container image would hold (bin/ and migrations/), so an unchanged app has an unchanged digest.
 */
export class LocalImages {
  constructor(private readonly file: string) {}

  /** Hashes the app and records where its image lives. Returns the image pinned by digest. */
  async build(appDir: string, repository: string): Promise<{ image: string; digest: string }> {
    const dir = resolve(appDir);
    const hash = createHash('sha256');
    for (const file of await listFiles(dir, ['bin', 'migrations'])) {
      hash.update(relative(dir, file)).update('\0');
      hash.update(await readFile(file)).update('\0');
    }
    const digest = `sha256:${hash.digest('hex')}`;
    const image = localImage(repository, `@${digest}`);
    const known = (await readJson<Record<string, string>>(this.file)) ?? {};
    known[image] = dir;
    await writeJson(this.file, known);
    return { image, digest };
  }

  /** The app directory of an image, or undefined if it was never built here. */
  async resolve(image: string): Promise<string | undefined> {
    const known = (await readJson<Record<string, string>>(this.file)) ?? {};
    return known[image];
  }
}

async function listFiles(root: string, subdirs: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: string[];
    try {
      entries = (await readdir(dir)).sort();
    } catch {
      return;
    }
    for (const name of entries) {
      const path = join(dir, name);
      const info = await stat(path);
      if (info.isDirectory()) await walk(path);
      else out.push(path);
    }
  };
  for (const sub of subdirs) await walk(join(root, sub));
  return out;
}

/** A repository/family name from an app directory name. */
export function appName(appDir: string): string {
  const name = basename(resolve(appDir))
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return name === '' ? 'app' : name;
}
