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
 * The same holds after the rollout: the stack's DeploymentStateChange rule routes every `ECS Deployment State Change` of
 * the service to the watcher, and ECS sends SERVICE_DEPLOYMENT_IN_PROGRESS when the deployment the watcher's
 * UpdateService started begins ("Service deployment in progress events are delivered when both an initial and a
 * rollback deployment is started", AWS ECS developer guide, ecs_service_deployment_events).
 *
 * Was: the bench sent only the completed event of that deployment, so the watcher's requests for the IN_PROGRESS one
 * were in no count and no row of BENCHMARKS.md (the replay's 26 requests against the bench's 24).
 *
 * Checked against a replay of its own: the same world and bundles, with a RUNNING event derived here from the STOPPED
 * one and an IN_PROGRESS event from the completed one (not the bench's fixtures), so the bench is not checked against
 * itself.
 *
 * And nothing that reaches the proxy is dropped or left unlisted: with the bundles wrapped to send one request at
 * import and one after the launcher returned, both are listed and counted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsCallsResult, SUCCESS_PATH } from '../../bench/aws-calls.js';
import {
  taskRunningEvent as benchRunningEvent,
  clients,
  createStack,
  deploymentCompletedEvent,
  HANDLER_ENV,
  lambdaContext,
  primaryDeployment,
  pushEvent,
  pushImage,
  scheduledEvents,
  startedTask,
  TABLES,
  type Task,
  taskStoppedEvent,
  writeTaskLog,
} from '../../bench/fixtures/world.js';
import { type AwsCall, identify } from '../../bench/lib/aws-requests.js';
import { startCountingProxy } from '../../bench/lib/counting-proxy.js';
import { startMoto } from '../../bench/lib/moto.js';
import { renderMarkdown } from '../../bench/lib/report.js';
import { lambdaFunctions, lambdaOptions } from '../../infra/esbuild-settings.mjs';
import { machine } from './results-fixtures.js';

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

/** The ECS Deployment State Change ECS sends when the deployment UpdateService started begins (before it completes). */
function deploymentInProgressEvent(completed: Record<string, unknown>, deploymentId: string): Record<string, unknown> {
  return {
    ...completed,
    id: `in-progress-${deploymentId.split('/').pop()}`,
    detail: {
      ...(completed.detail as Record<string, unknown>),
      eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
      reason: `ECS deployment ${deploymentId} in progress.`,
    },
  };
}

/** What the bench reports: bench/aws-calls.ts on these bundles, as bench/run.ts runs it. */
function runBench(launch: string, watch: string): AwsCallsResult {
  const child = spawnSync(process.execPath, ['--no-warnings', '--import', 'tsx', join(root, 'bench', 'aws-calls.ts'), launch, watch], {
    cwd: root,
    encoding: 'utf8',
    timeout: 150_000,
  });
  const line = child.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (child.status !== 0 || line === undefined) throw new Error(`bench/aws-calls.ts failed: ${child.stderr}`);
  return JSON.parse(line) as AwsCallsResult;
}

let bench: AwsCallsResult;
/** The same migration with every event the stack routes: the push, the task's RUNNING event, its STOPPED event. */
let full: AwsCall[];
/** The rollout's IN_PROGRESS event in the replay: the watcher's requests and its result. */
let inProgress: { calls: AwsCall[]; result: unknown };
/** Every request of the replay's handlers: the success path, the rollout's IN_PROGRESS and completed events, the timeout check. */
let replayed: AwsCall[];

beforeAll(async () => {
  const benchBundles = await buildHandlers(join(work, 'bench'));
  bench = runBench(benchBundles.launch, benchBundles.watch);

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
    proxy.phase('check');
    const rollout = await primaryDeployment(direct);
    const checks = await scheduledEvents(direct);
    if (rollout === undefined) throw new Error('no PRIMARY deployment after the rollout');
    // ECS: the deployment UpdateService started begins (IN_PROGRESS), then completes.
    const completed = deploymentCompletedEvent(rollout);
    proxy.phase('in-progress');
    const result = await watch(deploymentInProgressEvent(completed, rollout), lambdaContext('w'));
    proxy.phase('completed');
    await watch(completed, lambdaContext('w'));
    proxy.phase('timeout-check');
    for (const event of checks) await watch(event, lambdaContext('w'));
    replayed = proxy.requests.filter((r) => r.phase !== 'check').map((r) => identify(r, TABLES));
    full = replayed.filter((c) => (SUCCESS_PATH as readonly string[]).includes(c.role));
    inProgress = { calls: replayed.filter((c) => c.role === 'in-progress'), result };
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

describe('bench: the rollout-started event the stack routes to the watcher is counted, after the rollout', () => {
  it('the stack routes every ECS Deployment State Change of the service to the watcher (precondition)', () => {
    const template = readFileSync(join(root, 'template.yaml'), 'utf8');
    const rule = /DeploymentStateChange:[\s\S]*?Pattern:([\s\S]*?)RetryPolicy/.exec(template)?.[1] ?? '';
    expect(rule).toContain('detail-type: [ECS Deployment State Change]');
    expect(rule).not.toMatch(/eventName/);
  });

  it("the watcher handles the rollout's SERVICE_DEPLOYMENT_IN_PROGRESS event, reading nothing for it (it needs no record)", () => {
    expect(JSON.stringify(inProgress.result)).toMatch(/still in progress/);
    expect(inProgress.calls).toEqual([]);
  });

  it('counts as many requests as the replay of every event the stack routes, the IN_PROGRESS ones after the rollout', () => {
    const later = bench.later;
    const counted =
      bench.calls.length +
      (later?.inProgress?.calls.length ?? 0) +
      (later?.completed.calls.length ?? 0) +
      (later?.timeoutCheck.calls.length ?? 0);
    // Was: 24, the replay's 26 less the IN_PROGRESS event's 2 reads (no phase of bench/aws-calls.ts sent that event).
    expect(counted, `replay: ${replayed.map((c) => `${c.role} ${c.api}`).join(', ')}`).toBe(replayed.length);
    expect(later?.inProgress?.calls.map((c) => c.api)).toEqual(inProgress.calls.map((c) => c.api));
    // After the rollout, apart from the success path's total (issue 14 counts it up to the rollout).
    expect(bench.calls.some((c) => c.role === 'in-progress')).toBe(false);
    expect(renderMarkdown({ machine, awsCalls: bench })).toMatch(/SERVICE_DEPLOYMENT_IN_PROGRESS \(ignore\)/);
  });
});

/** One DynamoDB request as an SDK client sends it (SigV4 scope, X-Amz-Target), to the endpoint the bench sets. */
const request = (operation: string) => `fetch(process.env.AWS_ENDPOINT_URL, {
  method: 'POST',
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': 'DynamoDB_20120810.${operation}',
    authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
  },
  body: '{}',
}).then((r) => r.text())`;

/** The rows of the success path's per-request tables (`| # | handler | event | API |`). */
const listed = (md: string) => md.split('\n').filter((l) => /^\| \d+ \| [^|]+ \| [^|]+ \| [a-z]+:\w+ \|/.test(l));

// Was: a request sent at import was counted (`initRequests`) but listed in no row; a request a handler sent after its
// promise resolved reached the proxy in the bench's own 'check' phase and countAwsCalls dropped it: no count, no row.
describe('bench/aws-calls.ts: every request the proxy saw from the handlers is counted and listed', () => {
  let result: AwsCallsResult;
  let markdown: string;

  // The real bundles, the launcher's wrapped to send one DynamoDB request at import (DescribeLimits) and one just after
  // its handler returned (ListTables).
  beforeAll(async () => {
    const built = await buildHandlers(join(work, 'wrapped'));
    const launch = join(work, 'launch-wrapped.mjs');
    writeFileSync(
      launch,
      [
        `import { handler as real } from ${JSON.stringify(pathToFileURL(built.launch).href)};`,
        `await ${request('DescribeLimits')};`,
        'export async function handler(event, context) {',
        '  const out = await real(event, context);',
        `  setTimeout(() => void ${request('ListTables')}, 0);`,
        '  return out;',
        '}',
        '',
      ].join('\n'),
    );
    result = runBench(launch, built.watch);
    markdown = renderMarkdown({ machine, awsCalls: result });
  }, 180_000);

  it('the wrapped migration still rolls out (precondition)', () => {
    expect(result.rolledOut).toBe(true);
    expect(result.initRequests).toBe(1);
  });

  it('lists the request sent at import with its API and handler, as it counts it in the total', () => {
    const total = Number(/^\| AWS requests per successful migration[^|]*\| (\d+) /m.exec(markdown)?.[1]);
    // Was: the total counted it (at import 1 + …) and the table had one row fewer, DescribeLimits in none.
    expect(listed(markdown)).toHaveLength(total);
    expect(markdown).toMatch(/^\| 1 \| launcher \| import of its bundle \(module scope\) \| dynamodb:DescribeLimits \|/m);
  });

  it('counts and lists the request the launcher sent after it returned, as sent while no handler ran', () => {
    // Was: tagged 'check' by the proxy, then dropped by countAwsCalls: in no total and no row.
    expect(result.strays?.map((c) => [c.role, c.api])).toEqual([['after-launcher', 'dynamodb:ListTables']]);
    expect(markdown).toMatch(/^\| 1 \| not known \| none: arrived after the launcher returned[^|]*\| dynamodb:ListTables \|/m);
    expect(markdown).toMatch(/^\| AWS requests per successful migration[^|]*\| \d+ \([^)]*\+ after a handler returned 1 \+ watcher /m);
  });
});
