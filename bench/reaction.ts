/**
 * Reaction latency in local mode, with the example app `npm start` runs (its `--app`, from package.json):
 * from the migration's last output line to the rollout decision recorded. The span includes everything the
 * migration process does after its last line (closing its database, exiting), the controller noticing the
 * exit, the STOPPED task event, the decision and its actions (deployment and environment written, service
 * updated, outcome events published). A fresh state directory per migration, as a first `npm start`.
 *
 * Three moments are taken, each from the last output line:
 * - exited: the migration process's `exit` event (a preload given to it through NODE_OPTIONS writes the time
 *   to a file; it does not change the app or its output), so the span splits into its teardown and ours;
 * - decided: `onDecision` returned `continue` for the STOPPED event (before its actions ran);
 * - recorded: the runner finished the event.
 *
 * The reference (the floor of this measure): the same migration command of the same app, spawned directly as
 * the local ECS adapter spawns it (cwd the app, its bin/ first on PATH, a fresh PGLITE_DATA_DIR), from its last
 * output line to its process closing: what the app itself takes to end, with no controller at all.
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

export interface ReactionSample {
  /** The app's own teardown: its last output line → its process's `exit` event. */
  exitedMs: number;
  /** The reference: the migration process run alone, last output line → its process closed. */
  aloneClosedMs: number;
  decidedMs: number;
  recordedMs: number;
  outputLines: number;
}

/**
 * A preload for the migration process: on `exit`, appends the wall-clock time to $BENCH_EXIT_FILE. The local
 * ECS adapter passes the controller's environment to the task, NODE_OPTIONS included.
 */
async function exitHook(workDir: string): Promise<string> {
  const file = join(workDir, 'exit-hook.mjs');
  await mkdir(workDir, { recursive: true });
  await writeFile(
    file,
    [
      "import { appendFileSync } from 'node:fs';",
      "process.on('exit', () => appendFileSync(process.env.BENCH_EXIT_FILE, String(performance.timeOrigin + performance.now()) + '\\n'));",
      '',
    ].join('\n'),
  );
  return file;
}

/** The app's migration command run directly against a fresh local database: from its last output line to its process closing (ms). */
async function alone(appDir: string, command: string[], stateDir: string): Promise<number> {
  const database = await startPostgres({ dataDir: join(stateDir, 'alone-db'), templateCacheDir: join(stateDir, 'template-cache') });
  try {
    return await aloneOn(appDir, command, database.url);
  } finally {
    await database.close();
  }
}

function aloneOn(appDir: string, command: string[], databaseUrl: string): Promise<number> {
  const [file = 'db-migrate', ...args] = command;
  return new Promise((done, fail) => {
    const child = spawn(file, args, {
      cwd: appDir,
      env: { ...process.env, PATH: [join(appDir, 'bin'), process.env.PATH ?? ''].join(delimiter), DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lastLineAt: number | undefined;
    child.stdout.on('data', () => {
      lastLineAt = wallClock();
    });
    child.stderr.resume();
    child.once('error', fail);
    child.once('close', (code) => {
      if (code !== 0 || lastLineAt === undefined) fail(new Error(`${command.join(' ')} in ${appDir} exited with ${code}`));
      else done(wallClock() - lastLineAt);
    });
  });
}

async function oneMigration(app: string, stateDir: string): Promise<Omit<ReactionSample, 'aloneClosedMs'>> {
  const exitFile = join(stateDir, 'exit-times');
  process.env.BENCH_EXIT_FILE = exitFile;
  const config = validConfig(localDefaults(appName(app)));
  let lastLineAt: number | undefined;
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
      lastLineAt = wallClock();
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
    const exits = (await readFile(exitFile, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map(Number);
    const exitedAt = exits.at(-1);
    if (lastLineAt === undefined || decidedAt === undefined || recordedAt === undefined || exitedAt === undefined)
      throw new Error(
        `the migration of ${app} did not end in a recorded continue after some output (${run.deployment?.reason ?? run.decision.reason})`,
      );
    return { exitedMs: exitedAt - lastLineAt, decidedMs: decidedAt - lastLineAt, recordedMs: recordedAt - lastLineAt, outputLines };
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
  process.stdout.write(`${JSON.stringify({ app, samples })}\n`);
}
