import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { localDefaults, validConfig } from '../../cli/local-config.js';
import { type LocalSession, type LocalSessionOptions, openLocalSession } from '../../src/local/session.js';
import { localPushEvent } from '../../src/local/trigger-events.js';
import { silentLog } from '../../src/shell/logger.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const EXAMPLES = join(ROOT, 'examples');
/** The CLI's default template cache, so the suite builds the database template at most once per machine. */
export const TEMPLATE_CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ecs-migrate');

/** A copy of an example app elsewhere, with its dependencies "installed" (the repository's, linked). */
export async function copyExample(name: string, to: string): Promise<string> {
  await cp(join(EXAMPLES, name), to, { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(to, 'node_modules'));
  return to;
}

/** An app whose bin/<command> is this shell script. */
export async function scriptApp(dir: string, script: string, command = 'db-migrate'): Promise<string> {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await writeFile(join(dir, 'bin', command), `#!/bin/sh\n${script}\n`);
  await chmod(join(dir, 'bin', command), 0o755);
  return dir;
}

export async function openSession(
  root: string,
  appDir: string,
  options: { overrides?: Record<string, string>; declaredEnv?: Record<string, string> } & Partial<LocalSessionOptions> = {},
): Promise<LocalSession & { push: (id: string, extra?: Record<string, unknown>) => Record<string, unknown> }> {
  const { overrides = {}, declaredEnv = {}, ...rest } = options;
  const config = validConfig({ ...localDefaults(appDir), ...overrides });
  const session = await openLocalSession({
    root: join(root, '.ecs-migrate'),
    appDir,
    config,
    host: { PATH: process.env.PATH ?? '', HOME: homedir() },
    templateCacheDir: TEMPLATE_CACHE,
    declaredEnv,
    stopTimeoutMs: 1000,
    wait: true,
    log: silentLog,
    ...rest,
  });
  const push = (id: string, extra: Record<string, unknown> = {}) => ({
    ...localPushEvent({ repository: config.REPOSITORY, digest: session.digest, tag: 'v1', id }),
    ...extra,
  });
  return Object.assign(session, { push });
}

/** tsx's loader by absolute URL, so the CLI also runs from another working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

/** The real CLI from source as a child process (not detached: signals reach the CLI alone, as from a shell's kill). */
export function startCli(args: string[], cwd: string) {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'cli', 'main.ts'), ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('close', (code, signal) => done({ code, signal })),
  );
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Resolves with the first match of `pattern` in stdout. */
    waitFor: async (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(stdout);
        if (match !== null) return match;
        if (Date.now() > until || child.exitCode !== null) throw new Error(`no ${pattern} in the CLI's output:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

export function cli(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', TSX, join(ROOT, 'cli', 'main.ts'), ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1', ...env } },
      (error, stdout, stderr) => done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

/**
 * The real CLI with a file size limit of `kib` KiB (`ulimit -f`; SIGXFSZ ignored, so a write beyond it fails with
 * EFBIG, as one on a full disk fails with ENOSPC). Its stdout and stderr are pipes, so only its files are limited.
 */
export function cliWithFileLimit(args: string[], cwd: string, kib: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'sh',
      [
        '-c',
        `trap '' XFSZ; ulimit -f ${kib * 2}; exec "$@"`,
        'sh',
        process.execPath,
        '--import',
        TSX,
        join(ROOT, 'cli', 'main.ts'),
        ...args,
      ],
      { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

/**
 * The real CLI from source, its stdout and stderr into one file, so the lines are in the order it wrote them
 * (two pipes would lose the order between the streams).
 */
export async function cliInterleaved(args: string[], cwd: string, outputFile: string): Promise<{ code: number | null; output: string }> {
  const fd = openSync(outputFile, 'w');
  try {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'cli', 'main.ts'), ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', fd, fd],
    });
    const code = await new Promise<number | null>((done) => child.once('close', done));
    return { code, output: readFileSync(outputFile, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

/** Whether a process still runs (a zombie, dead but not yet reaped by whoever adopted it, does not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
