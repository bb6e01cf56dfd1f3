import { open, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, relative } from 'node:path';

/**
 * Why a command that exists could not be exec'd: its `#!` interpreter is missing. The kernel then fails the exec with
 * ENOENT, as for a command that is not there at all, so "not found in $PATH" would send the user looking for a file
 * they can see. Finds `command` as the exec would (a path with "/" from `cwd`, else along `PATH`), and returns its
 * path (relative to `cwd` when inside it) and the interpreter its first line names; undefined when it is not found
 * or has no `#!` line.
 */
export async function shebangOf(
  command: string,
  path: string | undefined,
  cwd: string,
): Promise<{ file: string; interpreter: string } | undefined> {
  const dirs = command.includes('/') ? [''] : (path ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    const file = isAbsolute(join(dir, command)) ? join(dir, command) : join(cwd, dir, command);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() !== true) continue;
    const interpreter = await firstLineInterpreter(file);
    if (interpreter === undefined) return undefined;
    const shown = relative(cwd, file);
    return { file: shown.startsWith('..') || isAbsolute(shown) ? file : shown, interpreter };
  }
  return undefined;
}

/** The interpreter of a `#!` first line (its first word), read from the file's first 256 bytes. */
async function firstLineInterpreter(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return undefined;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(256), 0, 256, 0);
    const line = buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
    return line.startsWith('#!') ? line.slice(2).trim().split(/\s+/)[0] || undefined : undefined;
  } finally {
    await handle.close();
  }
}
