/**
 * Reaction latency in local mode, with the example app `npm start` runs (its `--app`, from package.json):
 * from the migration's last output line to the rollout decision recorded. The span includes everything the
 * migration process does after its last line (closing its database, exiting), the controller noticing the
 * exit, the STOPPED task event, the decision and its actions (deployment and environment written, service
 * updated, outcome events published). A fresh state directory per migration, as a first `npm start`.
 *
 * Two moments are taken for the STOPPED event, both from the last output line:
 * - decided: `onDecision` returned `continue` (before its actions ran);
 * - recorded: the runner finished the event.
 *
 * Run: npx tsx bench/reaction.ts <work dir> [migrations]. Prints one JSON line (milliseconds).
 */
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { localDefaults, validConfig } from '../cli/local-config.js';
import { appName } from '../src/adapters/local/images.js';
import { createLocalController } from '../src/local/controller.js';
import { runToEnd } from '../src/local/run-to-end.js';
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
  decidedMs: number;
  recordedMs: number;
  outputLines: number;
}

async function oneMigration(app: string, stateDir: string): Promise<ReactionSample> {
  const config = validConfig(localDefaults(appName(app)));
  let lastLineAt: number | undefined;
  let outputLines = 0;
  let decidedAt: number | undefined;
  let recordedAt: number | undefined;
  const controller = createLocalController({
    root: stateDir,
    config,
    log: silentLog,
    onOutput: () => {
      lastLineAt = wallClock();
      outputLines++;
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
    const run = await runToEnd(controller, localPushEvent({ repository: config.REPOSITORY, digest, tag: 'latest' }));
    await controller.idle();
    if (lastLineAt === undefined || decidedAt === undefined || recordedAt === undefined)
      throw new Error(
        `the migration of ${app} did not end in a recorded continue after some output (${run.deployment?.reason ?? run.decision.reason})`,
      );
    return { decidedMs: decidedAt - lastLineAt, recordedMs: recordedAt - lastLineAt, outputLines };
  } finally {
    controller.dispose();
  }
}

if (process.argv[1] !== undefined && import.meta.filename === resolve(process.argv[1])) {
  const workDir = resolve(process.argv[2] ?? join(import.meta.dirname, '.work'));
  const migrations = Number(process.argv[3] ?? 5);
  const app = await startApp();
  const samples: ReactionSample[] = [];
  for (let i = 0; i < migrations; i++) {
    const stateDir = join(workDir, `reaction-${process.pid}-${i}`);
    await rm(stateDir, { recursive: true, force: true });
    samples.push(await oneMigration(join(root, app), stateDir));
    await rm(stateDir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify({ app, samples })}\n`);
}
