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
 * rollout): ECS's `ECS Deployment State Change` events of the deployment the rollout started, SERVICE_DEPLOYMENT_IN_PROGRESS
 * then SERVICE_DEPLOYMENT_COMPLETED (the DeploymentStateChange rule routes every one of the service to the watcher),
 * and the one-shot timeout check when it fires.
 *
 * Requests sent while a bundle is imported are kept and listed (phases INIT_PHASES). A request that arrives while the
 * bench itself works between two handlers (a handler's request it did not await, sent after it returned) is kept
 * apart (`strays`) and counted in the total: no request that reaches the proxy is dropped.
 *
 * Run: npx tsx bench/aws-calls.ts <launch bundle> <watch bundle>. Prints one JSON line.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  clients,
  createStack,
  deploymentCompletedEvent,
  deploymentInProgressEvent,
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

/** The phases (and `AwsCall.role`s) of the imports of the launcher's bundle and the watcher's, in that order. */
export const INIT_PHASES = ['launcher-init', 'watcher-init'] as const;

/**
 * The phases (and `AwsCall.role`s) after the rollout, apart from the success path: the rollout's IN_PROGRESS and
 * completed events, then the timeout check, each through the watcher.
 */
export const LATER_PHASES = ['in-progress', 'completed', 'timeout-check'] as const;

/**
 * Every phase in which a handler runs. The others are the bench's own steps (`setup`, `after-launcher`,
 * `after-rollout`: its clients talk to moto directly, not through the proxy), so a request tagged with one of them
 * came from a handler that had already returned.
 */
export const HANDLER_PHASES: readonly string[] = [...INIT_PHASES, ...SUCCESS_PATH, ...LATER_PHASES];

/** One event after the rollout through the watcher: the decisions it returned and the requests it sent. */
export interface LaterEvent {
  decisions: string[];
  calls: AwsCall[];
}

export interface AwsCallsResult {
  rolledOut: boolean;
  /**
   * After the rollout, apart from the success path: the `ECS Deployment State Change` events of the deployment the
   * rollout started (IN_PROGRESS, then completed) and the one-shot timeout check when it fires, each through the
   * watcher. `inProgress` is absent in results written before that event was sent.
   */
  later?: { inProgress?: LaterEvent; completed: LaterEvent; timeoutCheck: LaterEvent };
  /**
   * The decisions each handler returned, when its result lists them: the launcher's for the push, the watcher's for
   * the task's STOPPED event and (`watcherRunning`) for its RUNNING event; absent in results written before the
   * RUNNING event was sent.
   */
  decisions: { launcher: string[]; watcher: string[]; watcherRunning?: string[] };
  /** Requests sent while the bundles were imported (module scope): none expected; counted in the total. */
  initRequests: number;
  /**
   * Those requests, in order; `role` is the phase (INIT_PHASES). Absent in results written before they were kept (only
   * their number was).
   */
  initCalls?: AwsCall[];
  /** The success path's requests, in order; `role` is the phase (SUCCESS_PATH). */
  calls: AwsCall[];
  /**
   * Requests tagged with a phase outside HANDLER_PHASES, in order: sent by a handler after it had returned (the
   * proxy cannot tell which); `role` is the bench's step they arrived in. Counted in the total. Absent in results
   * written before they were kept (they were dropped then).
   */
  strays?: AwsCall[];
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
    proxy.phase('launcher-init');
    const launch = await handlerOf(launchBundle);
    proxy.phase('watcher-init');
    const watch = await handlerOf(watchBundle);

    proxy.phase('launcher');
    const push = pushEvent('b3a1c2d4-1111-4000-8000-000000000001', await pushImage(direct, 'v1.4.0'), 'v1.4.0');
    const launched = await launch(push, lambdaContext('ecs-migrate-staging-launch'));

    proxy.phase('after-launcher');
    const task = await startedTask(direct);
    await writeTaskLog(direct, task, ['applying 0003_add_orders_status_index.sql', 'migrations: 1 applied, 0 pending']);

    // ECS reports the task RUNNING (lower `version`) before it reports it STOPPED: both reach the watcher.
    proxy.phase('watcher-running');
    const running = await watch(taskRunningEvent(task), lambdaContext('ecs-migrate-staging-watch'));

    proxy.phase('watcher');
    const watched = await watch(taskStoppedEvent(task), lambdaContext('ecs-migrate-staging-watch'));

    proxy.phase('after-rollout');
    const rolledOut = (await serviceTaskDefinition(direct)) === task.taskDefinitionArn;
    const rollout = await primaryDeployment(direct);
    const checks = await scheduledEvents(direct);

    // Later, off the success path, in the order they come: ECS says the deployment the rollout started is in
    // progress (at once), then that it completed (minutes), then the timeout check fires (TIMEOUT_MINUTES after the
    // launch) and deletes its schedule itself.
    proxy.phase('in-progress');
    const inProgress =
      rollout !== undefined ? await watch(deploymentInProgressEvent(rollout), lambdaContext('ecs-migrate-staging-watch')) : undefined;
    proxy.phase('completed');
    const completed =
      rollout !== undefined ? await watch(deploymentCompletedEvent(rollout), lambdaContext('ecs-migrate-staging-watch')) : undefined;
    proxy.phase('timeout-check');
    const checked = [];
    for (const event of checks) checked.push(...decisionsOf(await watch(event, lambdaContext('ecs-migrate-staging-watch'))));

    const calls = proxy.requests.map((r) => identify(r, TABLES));
    const inPhases = (phases: readonly string[]) => calls.filter((c) => phases.includes(c.role));
    const initCalls = inPhases(INIT_PHASES);
    return {
      rolledOut,
      decisions: { launcher: decisionsOf(launched), watcher: decisionsOf(watched), watcherRunning: decisionsOf(running) },
      initRequests: initCalls.length,
      initCalls,
      calls: inPhases(SUCCESS_PATH),
      strays: calls.filter((c) => !HANDLER_PHASES.includes(c.role)),
      later: {
        inProgress: { decisions: decisionsOf(inProgress), calls: calls.filter((c) => c.role === 'in-progress') },
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
