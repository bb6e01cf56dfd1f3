/**
 * AWS requests per successful migration, counted at the HTTP level: the built handler bundles (what Lambda
 * runs: dist/launch/index.mjs, dist/watch/index.mjs, module-scope init included) talk to moto through a
 * counting proxy (bench/lib/counting-proxy.ts), so every request any SDK client sends is counted: the
 * controller's own, Powertools idempotency's, the log tail's, and retries.
 *
 * One push that succeeds, with every event the stack routes for it (template.yaml): the ECR push event through the
 * launcher, then the RUNNING event of the task it started through the watcher (the MigrationTaskStateChange rule
 * sends a migration task's RUNNING and STOPPED events, and ECS emits a RUNNING event for every task that runs), then
 * its STOPPED exit-0 event through the watcher, in `update-service` mode with one service (bench/fixtures/world.ts).
 * The watcher's path (task exit → rollout) is the STOPPED event alone. Then, counted apart (they come after the
 * rollout): ECS's rollout-completed event and the one-shot timeout check when it fires.
 *
 * Run: npx tsx bench/aws-calls.ts <launch bundle> <watch bundle>. Prints one JSON line.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  clients,
  createStack,
  deploymentCompletedEvent,
  HANDLER_ENV,
  lambdaContext,
  primaryDeployment,
  pushEvent,
  pushImage,
  scheduledEvents,
  serviceTaskDefinition,
  startedTask,
  TABLES,
  taskRunningEvent,
  taskStoppedEvent,
  writeTaskLog,
} from './fixtures/world.js';
import { type AwsCall, identify } from './lib/aws-requests.js';
import { startCountingProxy } from './lib/counting-proxy.js';
import { startMoto } from './lib/moto.js';

/**
 * The phases (and `AwsCall.role`s) of the success path, in order: the push through the launcher, the task's RUNNING
 * event through the watcher, its STOPPED event through the watcher (the watcher's path, task exit → rollout).
 */
export const SUCCESS_PATH = ['launcher', 'watcher-running', 'watcher'] as const;

export interface AwsCallsResult {
  rolledOut: boolean;
  /**
   * After the rollout, apart from the success path: the rollout's `ECS Deployment State Change` (completed) and the
   * one-shot timeout check when it fires, each through the watcher, with its decisions and requests.
   */
  later?: { completed: { decisions: string[]; calls: AwsCall[] }; timeoutCheck: { decisions: string[]; calls: AwsCall[] } };
  /**
   * The decisions each handler returned, when its result lists them: the launcher's for the push, the watcher's for
   * the task's STOPPED event and (`watcherRunning`) for its RUNNING event; absent in results written before the
   * RUNNING event was sent.
   */
  decisions: { launcher: string[]; watcher: string[]; watcherRunning?: string[] };
  /** Requests sent while the bundles were imported (module scope): none expected; counted in the total. */
  initRequests: number;
  /** The success path's requests, in order; `role` is the phase (SUCCESS_PATH). */
  calls: AwsCall[];
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

async function handlerOf(bundle: string): Promise<Handler> {
  const module = (await import(pathToFileURL(resolve(bundle)).href)) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new Error(`${bundle} exports no handler`);
  return module.handler as Handler;
}

/** The `decision` of each step, if the handler's result is `{ decisions: [{ decision }] }`. */
function decisionsOf(result: unknown): string[] {
  const list = (result as { decisions?: unknown } | undefined)?.decisions;
  return Array.isArray(list) ? list.map((d) => String((d as { decision?: unknown }).decision)) : [];
}

export async function countAwsCalls(launchBundle: string, watchBundle: string): Promise<AwsCallsResult> {
  const moto = await startMoto();
  const proxy = await startCountingProxy(moto.endpoint);
  try {
    const direct = clients(moto.endpoint);
    await createStack(direct, moto.endpoint);

    // The handlers read their configuration and build their clients at import, as in Lambda.
    Object.assign(process.env, HANDLER_ENV, { AWS_ENDPOINT_URL: proxy.endpoint });
    proxy.phase('init');
    const launch = await handlerOf(launchBundle);
    const watch = await handlerOf(watchBundle);

    proxy.phase('launcher');
    const push = pushEvent('b3a1c2d4-1111-4000-8000-000000000001', await pushImage(direct, 'v1.4.0'), 'v1.4.0');
    const launched = await launch(push, lambdaContext('ecs-migrate-staging-launch'));

    proxy.phase('check');
    const task = await startedTask(direct);
    await writeTaskLog(direct, task, ['applying 0003_add_orders_status_index.sql', 'migrations: 1 applied, 0 pending']);

    // ECS reports the task RUNNING (lower `version`) before it reports it STOPPED: both reach the watcher.
    proxy.phase('watcher-running');
    const running = await watch(taskRunningEvent(task), lambdaContext('ecs-migrate-staging-watch'));

    proxy.phase('watcher');
    const watched = await watch(taskStoppedEvent(task), lambdaContext('ecs-migrate-staging-watch'));

    proxy.phase('check');
    const rolledOut = (await serviceTaskDefinition(direct)) === task.taskDefinitionArn;
    const rollout = await primaryDeployment(direct);
    const checks = await scheduledEvents(direct);

    // Later, off the success path, in the order they come: ECS says the rollout completed (minutes), then the
    // timeout check fires (TIMEOUT_MINUTES after the launch) and deletes its schedule itself.
    proxy.phase('completed');
    const completed =
      rollout !== undefined ? await watch(deploymentCompletedEvent(rollout), lambdaContext('ecs-migrate-staging-watch')) : undefined;
    proxy.phase('timeout-check');
    const checked = [];
    for (const event of checks) checked.push(...decisionsOf(await watch(event, lambdaContext('ecs-migrate-staging-watch'))));

    const calls = proxy.requests.map((r) => identify(r, TABLES));
    return {
      rolledOut,
      decisions: { launcher: decisionsOf(launched), watcher: decisionsOf(watched), watcherRunning: decisionsOf(running) },
      initRequests: calls.filter((c) => c.role === 'init').length,
      calls: calls.filter((c) => (SUCCESS_PATH as readonly string[]).includes(c.role)),
      later: {
        completed: { decisions: decisionsOf(completed), calls: calls.filter((c) => c.role === 'completed') },
        timeoutCheck: { decisions: checked, calls: calls.filter((c) => c.role === 'timeout-check') },
      },
    };
  } finally {
    await proxy.close();
    await moto.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.filename === resolve(process.argv[1])) {
  const [launch, watch] = process.argv.slice(2);
  if (launch === undefined || watch === undefined) throw new Error('usage: bench/aws-calls.ts <launch bundle> <watch bundle>');
  process.stdout.write(`${JSON.stringify(await countAwsCalls(launch, watch))}\n`);
}
