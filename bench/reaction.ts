/**
 * Reaction latency in local mode, with the example app `npm start` runs (its `--app`, from package.json):
 * from the migration's last output line to the rollout decision recorded. The span includes everything the
 * migration process does after its last line (closing its database, exiting), the controller noticing the
 * exit, the STOPPED task event, the decision and its actions (deployment and environment written, service
 * updated, outcome events published). A fresh state directory per migration, as a first `npm start`.
 *
 * The span starts in the migration process itself, at its last output line: a preload given to it through
 * NODE_OPTIONS (it does not change the app or its output) wraps `process.stdout.write` and `process.stderr.write`,
 * keeps the time its last write returned, and on the process's `exit` event appends that time and the exit's to a
 * file. Not when the controller reads the line: the controller also serves the app's database on its event loop, and
 * can read the last line after the process has already exited, which would leave that part of the teardown out.
 *
 * The clock: both processes take `performance.timeOrigin + performance.now()` (bench/lib/stats.ts wallClock), the
 * wall clock at each process's start plus a monotonic clock since, with sub-millisecond precision; Date.now() would
 * round each end to a whole millisecond.
 *
 * Three moments are taken, each from that last write:
 * - exited: the migration process's `exit` event (in the process, same clock), so the span splits into its
 *   teardown and ours;
 * - decided: `onDecision` returned `continue` for the STOPPED event (before its actions ran);
 * - recorded: the runner finished the event.
 *
 * The reference (the floor of this measure): the same migration command of the same app, with the same preload,
 * spawned directly as the local ECS adapter spawns it (cwd the app, its bin/ first on PATH, a fresh database), from
 * its last write to its process closing as its parent sees it: what the app itself takes to end, with no controller.
 *
 * Run: npx tsx bench/reaction.ts <work dir> [migrations]. Prints one JSON line (milliseconds).
 */

import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { localDefaults, validConfig } from '../cli/local-config.js';
import { appName } from '../src/local/images.js';
import { startPostgres } from '../src/local/postgres.js';
import { runToEnd } from '../src/local/run-to-end.js';
import { openLocalSession } from '../src/local/session.js';
import { localPushEvent } from '../src/local/trigger-events.js';
import { silentLog } from '../src/shell/logger.js';
import { wallClock } from './lib/stats.js';

const root = join(import.meta.dirname, '..');

/** The app `npm start` runs: the `--app` of package.json's start script. */
export async function startApp(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const app = /--app[= ](\S+)/.exec(pkg.scripts?.start ?? '')?.[1];
  if (app === undefined) throw new Error(`package.json's start script names no --app: ${pkg.scripts?.start}`);
  return app;
}

/** Where each sample's spans start (ReactionResult.spanStart): the migration process's own last write. */
export const SPAN_START = 'last-write';

export interface ReactionSample {
  /** The app's own teardown: its last output line (its last write) → its process's `exit` event. */
  exitedMs: number;
  /** The reference: the migration process run alone, its last write → its process closed (as its parent sees it). */
  aloneClosedMs: number;
  decidedMs: number;
  recordedMs: number;
  outputLines: number;
}

/** What the preload appends to $BENCH_EXIT_FILE on the process's `exit` event: one JSON line per process. */
interface ExitRecord {
  pid: number;
  /** When its last write to stdout or stderr returned (undefined: it wrote nothing). */
  lastWriteAt?: number;
  exitAt: number;
}

/**
 * A preload for the migration process: keeps the time each write to stdout or stderr returns, and on `exit` appends
 * the last one and the exit's time to $BENCH_EXIT_FILE (an ExitRecord line), both on the clock of wallClock
 * (bench/lib/stats.ts). The local ECS adapter passes the controller's environment to the task, NODE_OPTIONS included.
 */
async function exitHook(workDir: string): Promise<string> {
  const file = join(workDir, 'exit-hook.mjs');
  await mkdir(workDir, { recursive: true });
  await writeFile(
    file,
    [
      "import { appendFileSync } from 'node:fs';",
      'const now = () => performance.timeOrigin + performance.now();',
      'let lastWriteAt;',
      'for (const stream of [process.stdout, process.stderr]) {',
      '  const write = stream.write;',
      '  stream.write = function (...args) {',
      '    const written = write.apply(this, args);',
      '    lastWriteAt = now();',
      '    return written;',
      '  };',
      '}',
      "process.on('exit', () => appendFileSync(process.env.BENCH_EXIT_FILE, JSON.stringify({ pid: process.pid, lastWriteAt, exitAt: now() }) + '\\n'));",
      '',
    ].join('\n'),
  );
  return file;
}

/** The last record in an exit file of a process that wrote something (the migration's), if any. */
async function lastExit(file: string): Promise<Required<ExitRecord> | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const records = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExitRecord);
  return records.filter((r): r is Required<ExitRecord> => typeof r.lastWriteAt === 'number').at(-1);
}

/** The app's migration command run directly against a fresh local database: from its last write to its process closing (ms). */
async function alone(appDir: string, command: string[], stateDir: string): Promise<number> {
  const database = await startPostgres({ dataDir: join(stateDir, 'alone-db'), templateCacheDir: join(stateDir, 'template-cache') });
  try {
    const exitFile = join(stateDir, 'alone-exit-times');
    const closedAt = await aloneOn(appDir, command, database.url, exitFile);
    const exit = await lastExit(exitFile);
    if (exit === undefined) throw new Error(`${command.join(' ')} in ${appDir} wrote no output (or the preload recorded none)`);
    return closedAt - exit.lastWriteAt;
  } finally {
    await database.close();
  }
}

/** Runs the command with the preload recording to `exitFile`; resolves with the time its process closed. */
function aloneOn(appDir: string, command: string[], databaseUrl: string, exitFile: string): Promise<number> {
  const [file = 'db-migrate', ...args] = command;
  return new Promise((done, fail) => {
    const child = spawn(file, args, {
      cwd: appDir,
      env: {
        ...process.env,
        PATH: [join(appDir, 'bin'), process.env.PATH ?? ''].join(delimiter),
        DATABASE_URL: databaseUrl,
        BENCH_EXIT_FILE: exitFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.resume();
    child.stderr.resume();
    child.once('error', fail);
    child.once('close', (code) => {
      const closedAt = wallClock();
      if (code !== 0) fail(new Error(`${command.join(' ')} in ${appDir} exited with ${code}`));
      else done(closedAt);
    });
  });
}

async function oneMigration(app: string, stateDir: string): Promise<Omit<ReactionSample, 'aloneClosedMs'>> {
  const exitFile = join(stateDir, 'exit-times');
  process.env.BENCH_EXIT_FILE = exitFile;
  const config = validConfig(localDefaults(appName(app)));
  let outputLines = 0;
  let decidedAt: number | undefined;
  let recordedAt: number | undefined;
  // The session `npm start` opens: the environment lock, the app's image and its database endpoint (DATABASE_URL).
  const session = await openLocalSession({
    root: stateDir,
    appDir: app,
    config,
    host: { PATH: process.env.PATH ?? '', ...(process.env.HOME !== undefined ? { HOME: process.env.HOME } : {}) },
    templateCacheDir: join(stateDir, 'template-cache'),
    // The exit hook (a preload through NODE_OPTIONS) and its file, as a task definition would declare them.
    declaredEnv: { NODE_OPTIONS: process.env.NODE_OPTIONS ?? '', BENCH_EXIT_FILE: exitFile },
    stopTimeoutMs: 30_000,
    wait: false,
    log: silentLog,
    onOutput: () => {
      outputLines++;
    },
    onDecision: (input, decision) => {
      if (input.kind === 'task-state' && input.lastStatus === 'STOPPED' && decision.decision === 'continue') decidedAt = wallClock();
    },
  });
  const { controller } = session;
  controller.onSteps((event, steps) => {
    const detail = event.detail as { lastStatus?: string } | undefined;
    if (event.source === 'aws.ecs' && detail?.lastStatus === 'STOPPED' && steps.some((s) => s.decision.decision === 'continue'))
      recordedAt = wallClock();
  });
  try {
    await session.databaseReady;
    const run = await runToEnd(controller, localPushEvent({ repository: config.REPOSITORY, digest: session.digest, tag: 'latest' }));
    await controller.idle();
    // The migration process's own record: its last write (the span's start) and its exit, on wallClock's clock.
    const exit = await lastExit(exitFile);
    if (outputLines === 0 || decidedAt === undefined || recordedAt === undefined || exit === undefined)
      throw new Error(
        `the migration of ${app} did not end in a recorded continue after some output (${run.deployment?.reason ?? run.decision.reason})`,
      );
    const start = exit.lastWriteAt;
    return { exitedMs: exit.exitAt - start, decidedMs: decidedAt - start, recordedMs: recordedAt - start, outputLines };
  } finally {
    await session.close();
  }
}

if (process.argv[1] !== undefined && import.meta.filename === resolve(process.argv[1])) {
  const workDir = resolve(process.argv[2] ?? join(import.meta.dirname, '.work'));
  const migrations = Number(process.argv[3] ?? 5);
  const app = await startApp();
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${await exitHook(workDir)}`.trim();
  const samples: ReactionSample[] = [];
  for (let i = 0; i < migrations; i++) {
    const stateDir = join(workDir, `reaction-${process.pid}-${i}`);
    await rm(stateDir, { recursive: true, force: true });
    const appDir = join(root, app);
    const measured = await oneMigration(appDir, stateDir);
    const command = validConfig(localDefaults(appName(appDir))).MIGRATION_COMMAND;
    samples.push({ ...measured, aloneClosedMs: await alone(appDir, command, stateDir) });
    await rm(stateDir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify({ app, spanStart: SPAN_START, samples })}\n`);
}
