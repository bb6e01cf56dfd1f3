import { lstat, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import type { Ignore as DockerIgnore } from '@balena/dockerignore';
import gitignore from 'ignore';

/** Docker's own .dockerignore rules (CommonJS whose `module.exports` is the factory its types call `default`). */
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as () => DockerIgnore;

/** Never part of an app's image: version control, installed dependencies (the image installs its own). */
const ALWAYS_EXCLUDED = ['.git', 'node_modules'];

export interface AppFile {
  /** Relative to the app directory, with `/` separators. */
  path: string;
  /** The file's bytes, or a symbolic link's target. */
  content: Buffer;
  executable: boolean;
}

/**
 * The files an image of the app would hold, as `docker build` would send them: every regular file and symbolic link
 * of the directory (no FIFO, socket or device), less what its `.dockerignore` excludes (Docker's own rules), or,
 * without one, what its top-level `.gitignore` excludes; `.git/`, `node_modules/` and `excludeDirs` (local mode's
 * state directory) are always left out. Sorted by path, so the same app lists the same way everywhere.
 */
export async function appFiles(appDir: string, excludeDirs: string[] = []): Promise<AppFile[]> {
  // Physical paths: an app reached through a symbolic link (macOS's /tmp) still finds the state directory inside it.
  const root = await physical(appDir);
  const excluded = new Set(await Promise.all(excludeDirs.map(physical)));
  const ignored = await ignoreRules(root);
  const files: AppFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      const path = relative(root, full).split(sep).join('/');
      if (entry.isDirectory()) {
        if (ALWAYS_EXCLUDED.includes(entry.name) || excluded.has(full) || ignored(`${path}/`, true)) continue;
        await walk(full);
      } else if (!ignored(path, false)) {
        const info = await lstat(full);
        // Only what an image holds as bytes: a FIFO would block the read forever (and a socket or device fails
        // it), so anything but a regular file or a link is left out. A link is its target's path, never opened.
        if (!info.isFile() && !info.isSymbolicLink()) continue;
        const content = info.isSymbolicLink() ? Buffer.from(await readlink(full)) : await readFile(full);
        files.push({ path, content, executable: (info.mode & 0o111) !== 0 });
      }
    }
  };
  await walk(root);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Whether a path (a directory's with a trailing `/`) is ignored. */
type IgnoreTest = (path: string, isDirectory: boolean) => boolean;

async function ignoreRules(root: string): Promise<IgnoreTest> {
  const docker = await readFile(join(root, '.dockerignore'), 'utf8').catch(() => undefined);
  if (docker !== undefined) {
    const rules = dockerignore().add(docker);
    // A directory may hold a file an exception (`!pattern`) brings back: then only its files are tested.
    const hasExceptions = docker.split('\n').some((line) => line.trim().startsWith('!'));
    return (path, isDirectory) => (isDirectory ? !hasExceptions && rules.ignores(path.slice(0, -1)) : rules.ignores(path));
  }
  const git = await readFile(join(root, '.gitignore'), 'utf8').catch(() => undefined);
  if (git !== undefined) {
    const rules = gitignore().add(git);
    return (path) => rules.ignores(path);
  }
  return () => false;
}

/** `path` with its symbolic links resolved; as given (absolute) when it does not exist. */
async function physical(path: string): Promise<string> {
  return realpath(resolve(path)).catch(() => resolve(path));
}
