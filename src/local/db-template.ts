import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

/**
 * A new local database starts as a copy of an initialised PGlite data directory (the template), not with
 * initdb: copying measured about a fifth of initdb's time. The template is built once per PGlite version into
 * `cacheDir` (at `npm install`, or by the first run that needs it) and shared by every state directory.
 */
export async function ensureDataDir(
  dataDir: string,
  cacheDir: string,
  onProgress: (line: string) => void = () => {},
): Promise<'existing' | 'copied' | 'initdb'> {
  if (await exists(join(dataDir, 'PG_VERSION'))) return 'existing';
  let template: string;
  try {
    template = await ensureTemplate(cacheDir, onProgress);
  } catch (error) {
    // No usable cache (read-only, full): PGlite initialises the data directory itself when it opens it.
    onProgress(`no database template (${(error as Error).message}); initialising the database (initdb)`);
    return 'initdb';
  }
  onProgress('creating the local database from the template');
  const tmp = `${dataDir}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await copyTree(template, tmp);
  await rm(dataDir, { recursive: true, force: true });
  await rename(tmp, dataDir);
  return 'copied';
}

/** The template's directory for this PGlite version, built now if it is not there yet. */
export async function ensureTemplate(cacheDir: string, onProgress: (line: string) => void = () => {}): Promise<string> {
  const dir = join(cacheDir, `pglite-${await pgliteVersion()}-template`);
  if (await exists(join(dir, 'PG_VERSION'))) return dir;
  onProgress(`initialising a database template once (initdb) in ${dir}`);
  const { PGlite } = await import('@electric-sql/pglite');
  const tmp = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await mkdir(dirname(dir), { recursive: true });
  const db = await PGlite.create(tmp);
  await db.close();
  try {
    await rename(tmp, dir);
  } catch {
    // Another process built it meanwhile: keep theirs.
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Copies a directory tree, every file at once (the copy is bound by writes, which the thread pool overlaps).
 * A file system that can clone files (APFS, btrfs, XFS) clones them; elsewhere a file's trailing zeros (most
 * of the preallocated WAL segment) are left as a hole, which reads as the same zeros, instead of written.
 */
async function copyTree(from: string, to: string): Promise<void> {
  const entries = await readdir(from, { recursive: true, withFileTypes: true });
  await mkdir(to, { recursive: true });
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => relative(from, join(e.parentPath, e.name)));
  for (const dir of dirs.sort()) await mkdir(join(to, dir), { recursive: true });
  const files = entries.filter((e) => e.isFile()).map((e) => relative(from, join(e.parentPath, e.name)));
  const [first, ...rest] = files;
  if (first === undefined) return;
  const cloned = await copyFile(join(from, first), join(to, first), constants.COPYFILE_FICLONE_FORCE).then(
    () => true,
    () => false,
  );
  const copy = cloned
    ? (file: string) => copyFile(join(from, file), join(to, file), constants.COPYFILE_FICLONE_FORCE)
    : (file: string) => copySparse(join(from, file), join(to, file));
  await Promise.all((cloned ? rest : files).map(copy));
}

async function copySparse(from: string, to: string): Promise<void> {
  const bytes = await readFile(from);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  await writeFile(to, bytes.subarray(0, end));
  if (end < bytes.length) await truncate(to, bytes.length);
}

let version: Promise<string> | undefined;
/** The installed PGlite's version (its package.json is not exported, so it is found from the module's path). */
function pgliteVersion(): Promise<string> {
  version ??= (async () => {
    let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    while (dirname(dir) !== dir) {
      const pkg = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
      if (pkg !== undefined) {
        const parsed = JSON.parse(pkg) as { name?: string; version?: string };
        if (parsed.name === '@electric-sql/pglite' && parsed.version !== undefined) return parsed.version;
      }
      dir = dirname(dir);
    }
    return 'unknown';
  })();
  return version;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
