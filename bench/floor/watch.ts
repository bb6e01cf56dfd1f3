/**
 * The watcher's floor: what any Lambda handler doing the watcher's job pays before it does anything. It imports the
 * SDK clients and Powertools utilities dist/watch imports, and only those (ECS, EventBridge, DynamoDB and Scheduler
 * clients, made at import; the CloudWatch Logs client, made on first use as the log tail makes it; Logger; no
 * Idempotency, which the watcher does not use), and does nothing. Bundled with the same esbuild settings as
 * dist/watch (bench/bundle.ts); test/bench/floor-fairness.test.ts checks it carries nothing the handler lacks.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { clients, logger } from './clients.js';

/** Made on first use, as src/adapters/aws/logs.ts makes it. */
let logs: CloudWatchLogsClient | undefined;

export async function handler(event: unknown): Promise<{ clients: number }> {
  logger.debug('floor handler: nothing to do');
  if (event === 'first use') logs ??= new CloudWatchLogsClient({});
  return { clients: Object.keys(clients).length + (logs !== undefined ? 1 : 0) };
}
