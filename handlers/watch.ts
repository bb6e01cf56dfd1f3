import { cloudWatchLogTail } from '../src/adapters/aws/logs.js';
import { processEnv } from '../src/shell/config.js';
import { createClients, createLambdaRuntime, idempotentHandler, type LambdaHandler, type LambdaRuntime } from '../src/shell/lambda.js';

/**
 * The watcher: ECS `Task State Change` events of tasks ecs-migrate started, and the one-shot timeout checks.
 *
 * The core already tolerates repeated and out-of-order task events (it keeps the highest task `version` and
 * ignores events for ended deployments), so idempotency per event `id` is a cheap first filter: a duplicate
 * delivery of an event already handled returns the first result without reading the table, the task or its
 * log again. 24 h covers EventBridge's longest retry window; in progress lasts until this invocation's
 * deadline, as in the launcher. A failed invocation leaves no record, so its retry runs in full.
 */
const WATCH_IDEMPOTENCY_KEY = 'id';
const WATCH_IDEMPOTENCY_EXPIRY_SECONDS = 24 * 60 * 60;

export function createWatchHandler(runtime: LambdaRuntime): LambdaHandler {
  return idempotentHandler(runtime, 'watch', { key: WATCH_IDEMPOTENCY_KEY, expiresAfterSeconds: WATCH_IDEMPOTENCY_EXPIRY_SECONDS });
}

/** Built once per cold start: a bad configuration fails the init with a `ConfigError` naming every key. */
export const handler = createWatchHandler(createLambdaRuntime(processEnv(), createClients(), cloudWatchLogTail));
