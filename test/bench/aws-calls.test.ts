/**
 * bench/aws-calls.ts counts every request the SDK sends for one successful migration (issue 14: "AWS requests per
 * successful migration, counted at the HTTP level (every request the SDK sends …)"), so it sends every event the stack
 * routes for that migration. The stack routes every ECS Task State Change of a migration task with lastStatus RUNNING
 * *or* STOPPED to the watcher (template.yaml, WatchFunction MigrationTaskStateChange: `lastStatus: [RUNNING, STOPPED]`),
 * and ECS emits a RUNNING event for every task that runs.
 *
 * Was: the bench sent the push and the STOPPED event only, so the requests the watcher sends for the RUNNING event of
 * the same migration (read the records, read the service, commit the task's version) were in no row of BENCHMARKS.md,
 * and "AWS requests per successful migration" was short by that many (17, launcher 12 + watcher 5, where the
 * migration sent 20).
 *
 * Checked against a replay of its own: the same world and bundles, with a RUNNING event derived here from the STOPPED
 * one (not the bench's fixture), so the bench is not checked against itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsCallsResult } from '../../bench/aws-calls.js';
import {
  taskRunningEvent as benchRunningEvent,
  clients,
  createStack,
  HANDLER_ENV,
  lambdaContext,
  pushEvent,
  pushImage,
  startedTask,
  TABLES,
  type Task,
  taskStoppedEvent,
  writeTaskLog,
} from '../../bench/fixtures/world.js';
import { identify } from '../../bench/lib/aws-requests.js';
import { startCountingProxy } from '../../bench/lib/counting-proxy.js';
import { startMoto } from '../../bench/lib/moto.js';
import { lambdaFunctions, lambdaOptions } from '../../infra/esbuild-settings.mjs';

const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'bench-aws-calls-'));

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** The handler bundles as the bench builds them (lambdaOptions), into `dir`. */
async function buildHandlers(dir: string): Promise<{ launch: string; watch: string }> {
  const out = { launch: '', watch: '' };
  for (const name of ['launch', 'watch'] as const) {
    const fn = lambdaFunctions.find((f) => f.outfile === `dist/${name}/index.mjs`);
    const outfile = join(dir, name, 'index.mjs');
    await esbuild.build({
      ...lambdaOptions,
      absWorkingDir: root,
      entryPoints: [join(root, fn?.entryPoint ?? '')],
      outfile,
      logLevel: 'warning',
    });
    out[name] = outfile;
  }
  return out;
}

/** The RUNNING event ECS sends for the migration task before its STOPPED one (same task, lower version). */
function taskRunningEvent(stopped: Record<string, unknown>): Record<string, unknown> {
  const detail = { ...(stopped.detail as Record<string, unknown>) };
  for (const key of ['stopCode', 'stoppedReason', 'stoppingAt', 'stoppedAt']) delete detail[key];
  const containers = (detail.containers as { name: string; taskArn: string }[]).map((c) => ({
    name: c.name,
    taskArn: c.taskArn,
    lastStatus: 'RUNNING',
  }));
  return {
    ...stopped,
    id: `running-${String(stopped.id)}`,
    detail: { ...detail, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', version: 3, containers },
  };
}

let bench: AwsCallsResult;
/** The same migration with every event the stack routes: the push, the task's RUNNING event, its STOPPED event. */
let full: { role: string; api: string }[];

beforeAll(async () => {
  // What the bench reports: bench/aws-calls.ts on the built bundles, as bench/run.ts runs it.
  const benchBundles = await buildHandlers(join(work, 'bench'));
  const child = spawnSync(
    process.execPath,
    ['--no-warnings', '--import', 'tsx', join(root, 'bench', 'aws-calls.ts'), benchBundles.launch, benchBundles.watch],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const line = child.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (child.status !== 0 || line === undefined) throw new Error(`bench/aws-calls.ts failed: ${child.stderr}`);
  bench = JSON.parse(line) as AwsCallsResult;

  // The same world, the same bundles (a fresh copy: a module imported once keeps its clients), with the RUNNING event.
  const bundles = await buildHandlers(join(work, 'full'));
  const moto = await startMoto();
  const proxy = await startCountingProxy(moto.endpoint);
  const saved = { ...process.env };
  try {
    const direct = clients(moto.endpoint);
    await createStack(direct, moto.endpoint);
    Object.assign(process.env, HANDLER_ENV, { AWS_ENDPOINT_URL: proxy.endpoint });
    const load = async (file: string) => ((await import(pathToFileURL(resolve(file)).href)) as { handler: Handler }).handler;
    const launch = await load(bundles.launch);
    const watch = await load(bundles.watch);
    proxy.phase('launcher');
    await launch(pushEvent('b3a1c2d4-1111-4000-8000-000000000001', await pushImage(direct, 'v1.4.0'), 'v1.4.0'), lambdaContext('l'));
    proxy.phase('check');
    const task = await startedTask(direct);
    await writeTaskLog(direct, task, ['applying 0003_add_orders_status_index.sql', 'migrations: 1 applied, 0 pending']);
    const stopped = taskStoppedEvent(task);
    proxy.phase('watcher-running');
    await watch(taskRunningEvent(stopped), lambdaContext('w'));
    proxy.phase('watcher');
    await watch(stopped, lambdaContext('w'));
    full = proxy.requests.filter((r) => r.phase !== 'check').map((r) => identify(r, TABLES));
  } finally {
    process.env = saved;
    await proxy.close();
    await moto.stop();
  }
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bench: AWS requests per successful migration include every event the stack routes for it', () => {
  it('the stack routes the migration task RUNNING events to the watcher (precondition)', () => {
    const template = readFileSync(join(root, 'template.yaml'), 'utf8');
    expect(template).toMatch(/startedBy: \[\{ prefix: ecs-migrate\/ \}\]\s*\n\s*lastStatus: \[RUNNING, STOPPED\]/);
  });

  it("the bench's RUNNING event is the STOPPED event's task, RUNNING, at a lower version", () => {
    const task: Task = { taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/t1', taskDefinitionArn: 'td:2', startedBy: 'ecs-migrate/x' };
    const [running, stopped] = [benchRunningEvent(task), taskStoppedEvent(task)].map((e) => e.detail as Record<string, unknown>);
    expect(running).toMatchObject({ taskArn: task.taskArn, startedBy: task.startedBy, lastStatus: 'RUNNING' });
    expect(Number(running?.version)).toBeLessThan(Number(stopped?.version));
  });

  it('counts the requests of the RUNNING event too, apart from the watcher path (the STOPPED event)', () => {
    const running = full.filter((c) => c.role === 'watcher-running');
    // The watcher answers the RUNNING event with requests (records read, service read, the task version committed).
    expect(running.length).toBeGreaterThan(0);
    // Was: 17 (launcher 12 + watcher 5) where the migration sent 20.
    expect(bench.calls.length).toBe(full.length);
    const apis = (calls: { role: string; api: string }[], role: string) => calls.filter((c) => c.role === role).map((c) => c.api);
    expect(apis(bench.calls, 'watcher-running')).toEqual(apis(full, 'watcher-running'));
    expect(apis(bench.calls, 'watcher')).toEqual(apis(full, 'watcher'));
    expect(bench.decisions.watcherRunning).toBeDefined();
  });
});
