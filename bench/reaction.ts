/**
 * Reaction latency in local mode: from the migration process exiting to the rollout decision.
 *
 * A tiny app whose bin/db-migrate prints the wall-clock time and exits 0 at once is pushed through the real
 * local controller (src/local/controller.ts, run to its end with src/local/run-to-end.ts), on a fresh state
 * directory per migration. Two moments are taken for the STOPPED task event that follows the exit:
 * - decided: `onDecision` (the core has decided `continue`; the log tail was read before it);
 * - recorded: the runner finished that event (deployment and environment written, service updated, outcome
 *   events published).
 *
 * Run: node --import tsx bench/reaction.ts <work dir> [migrations]. Prints one JSON line (milliseconds).
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { localDefaults, validConfig } from '../cli/local-config.js';
import { createLocalController } from '../src/local/controller.js';
import { appName } from '../src/local/images.js';
import { runToEnd } from '../src/local/run-to-end.js';
import { taskEnvironment } from '../src/local/task-env.js';
import { localPushEvent } from '../src/local/trigger-events.js';
import { silentLog } from '../src/shell/logger.js';

const workDir = resolve(process.argv[2] ?? join(import.meta.dirname, '.work'));
const migrations = Number(process.argv[3] ?? 5);
const wallClock = () => performance.timeOrigin + performance.now();

/** The app: its migration prints when it is about to exit, then exits 0. */
async function tinyApp(): Promise<string> {
  const dir = join(workDir, 'tiny-app');
  await mkdir(join(dir, 'bin'), { recursive: true });
  await mkdir(join(dir, 'migrations'), { recursive: true });
  const script = join(dir, 'bin', 'db-migrate');
  await writeFile(
    script,
    [
      '#!/usr/bin/env node',
      "process.stdout.write('EXIT_AT ' + (performance.timeOrigin + performance.now()) + '\\n', () => process.exit(0));",
      '',
    ].join('\n'),
  );
  await chmod(script, 0o755);
  await writeFile(join(dir, 'migrations', '0001_noop.sql'), 'select 1;\n');
  return dir;
}

async function oneMigration(app: string, stateDir: string): Promise<{ decidedMs: number; recordedMs: number; outcome: string }> {
  const config = validConfig(localDefaults(appName(app)));
  let exitAt: number | undefined;
  let decidedAt: number | undefined;
  let recordedAt: number | undefined;
  const controller = createLocalController({
    root: stateDir,
    config,
    log: silentLog,
    taskEnvironment: (appDir, task) =>
      taskEnvironment(
        { host: { PATH: process.env.PATH ?? '' }, environment: config.ENVIRONMENT, database: {}, declared: {} },
        appDir,
        task,
      ),
    onOutput: (_task, line) => {
      const match = /^EXIT_AT (\d+(\.\d+)?)$/.exec(line);
      if (match !== null) exitAt = Number(match[1]);
    },
    onDecision: (input, decision) => {
      if (input.kind === 'task-state' && input.lastStatus === 'STOPPED' && decision.decision === 'continue') decidedAt = wallClock();
    },
    onSteps: (event, steps) => {
      const detail = event.detail as { lastStatus?: string } | undefined;
      if (event.source === 'aws.ecs' && detail?.lastStatus === 'STOPPED' && steps.some((s) => s.decision.decision === 'continue'))
        recordedAt = wallClock();
    },
  });
  try {
    const { digest } = await controller.prepare(app);
    const push = localPushEvent({ repository: config.REPOSITORY, digest, tag: 'latest' });
    const run = await runToEnd(controller, push);
    await controller.idle();
    const outcome = run.deployment?.rollout ?? run.decision.decision;
    if (exitAt === undefined || decidedAt === undefined || recordedAt === undefined)
      throw new Error(
        `migration did not end in a recorded continue (outcome ${outcome}, reason: ${run.deployment?.reason ?? run.decision.reason})`,
      );
    return { decidedMs: decidedAt - exitAt, recordedMs: recordedAt - exitAt, outcome };
  } finally {
    controller.dispose();
  }
}

const app = await tinyApp();
const samples = [];
for (let i = 0; i < migrations; i++) {
  const stateDir = join(workDir, `reaction-${process.pid}-${i}`);
  await rm(stateDir, { recursive: true, force: true });
  samples.push(await oneMigration(app, stateDir));
  await rm(stateDir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify({ samples })}\n`);
