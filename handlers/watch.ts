import { cloudWatchLogTail } from '../src/adapters/aws/logs.js';
import { processEnv } from '../src/shell/config.js';
import {
  buildLambdaRuntime,
  controllerFor,
  createClients,
  invoke,
  type LambdaHandler,
  type LambdaRuntime,
  NO_REGISTRY,
} from '../src/shell/lambda.js';
import { WATCH_FUNCTION } from '../src/shell/watch-function.js';

/**
 * The watcher: ECS `Task State Change` events of tasks ecs-migrate started, and the one-shot timeout checks.
 *
 * No idempotency records: its decisions drop duplicates themselves (an ended deployment ignores every later
 * event; a task event counts only for the recorded task and only when its `version` is newer), so a record per
 * event would add two DynamoDB writes between the task's exit and the rollout and guard nothing
 * (test/aws/controller.test.ts delivers every watcher event twice and checks one rollout).
 */
export function createWatchHandler(runtime: LambdaRuntime): LambdaHandler {
  return invoke(runtime, controllerFor(runtime, WATCH_FUNCTION));
}

/** Configuration → ports → controller, built once per cold start (a bad configuration fails the init naming every key). */
export const handler = createWatchHandler(
  buildLambdaRuntime(processEnv(), createClients(), { logs: cloudWatchLogTail, registry: () => NO_REGISTRY }),
);
