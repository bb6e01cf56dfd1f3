import { withIdempotency } from '../src/shell/idempotency.js';
import { controllerFor, createLambdaRuntime, invoke, type LambdaHandler, type LambdaRuntime } from '../src/shell/lambda.js';
import { LAUNCH_FUNCTION } from '../src/shell/launch-function.js';

/**
 * The launcher: ECR pushes, deploy-requests, run-commands and operator requests (and their EventBridge replays).
 *
 * Idempotency, deliberately:
 * - Key: the event `id` plus `replay-name`. A duplicate delivery of one event repeats both, so it returns the
 *   first result without running again; an archive replay keeps the `id` but adds `replay-name`, and a rerun
 *   request is a new event, so both are new deployments (the core derives the same distinction for its ids).
 *   An event without an `id` (not EventBridge's: it is rejected) has no key, so Powertools skips it: all such events
 *   would otherwise share one record, and each after the first get the first one's rejection.
 * - Expiry: 48 h. ECS honours RunTask's `clientToken` for about 24 h and EventBridge retries an event for up
 *   to 24 h; the record outlives both, so a late duplicate never relies on a token ECS has forgotten.
 * - In progress: until this invocation's own deadline (Powertools reads the remaining time from the Lambda
 *   context). A concurrent duplicate fails with IdempotencyAlreadyInProgressError and is retried later.
 * - If the function throws, Powertools deletes the record and the retry runs again: the deterministic
 *   deployment id and RunTask `clientToken` are what keep that to one task.
 */
const IDEMPOTENCY = { key: 'id && [id, "replay-name"]', expiresAfterSeconds: 48 * 60 * 60 };

export function createLaunchHandler(runtime: LambdaRuntime): LambdaHandler {
  return withIdempotency(runtime, 'launch', invoke(runtime, controllerFor(runtime, LAUNCH_FUNCTION)), IDEMPOTENCY);
}

/** Configuration → ports → idempotency → controller, built once per cold start (a bad configuration fails the init naming every key). */
export const handler = createLaunchHandler(createLambdaRuntime());
