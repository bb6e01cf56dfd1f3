import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isJsonObject, jsonKind } from '../../core/json-value.js';
import { InvalidRecordError } from '../../errors.js';
import { withFileLock } from '../../local/env-lock.js';

/**
 * Reads a JSON file, or returns undefined when it does not exist. Every file local mode keeps holds a JSON object:
 * one that is not JSON, or holds something else (a truncated write, a stray edit), is an InvalidRecordError naming
 * the file, never a bare parse error or a `null` read as a record.
 */
export async function readJson<T extends object>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidRecordError(path, `not JSON: ${(error as Error).message.replace(/\s+/g, ' ')}`);
  }
  if (!isJsonObject(value)) throw new InvalidRecordError(path, `expected a JSON object, got ${jsonKind(value)}`);
  return value as T;
}

/**
 * Writes through a temporary file, flushed to disk, and a rename, so a reader never sees half a file and a crash
 * leaves the old file or the new one. The rename is flushed too (the directory), so a file written before another
 * is on disk before it. When it throws, the file is unchanged unless the rename happened (the directory's flush failed).
 */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(`${JSON.stringify(value, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Removes a file if it is there, and flushes the removal to disk. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Flushes a directory's entries (renames, removals). Where directories cannot be opened or flushed (Windows) it does nothing. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    if (UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

const UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP']);

/**
 * Sets `key` of the JSON object in `file` (a file every environment of a state directory shares: images.json,
 * tags.json) under its file lock, so two runs changing it at once never write back what they read and drop the
 * other's entry. An entry already set to `value` is not written again.
 */
export async function setSharedEntry(file: string, key: string, value: unknown, options: { keepFirst?: boolean } = {}): Promise<void> {
  await withFileLock(file, async () => {
    const entries = (await readJson<Record<string, unknown>>(file)) ?? {};
    if (JSON.stringify(entries[key]) === JSON.stringify(value)) return;
    // keepFirst: an entry already there stays (a first-seen time).
    if (options.keepFirst === true && Object.hasOwn(entries, key)) return;
    entries[key] = value;
    await writeJson(file, entries);
  });
}
