/**
 * The launcher's floor: what any Lambda handler doing the launcher's job pays before it does anything. It imports the
 * SDK clients and Powertools utilities dist/launch imports, and only those (ECS, EventBridge, DynamoDB and Scheduler
 * clients, made at import; the ECR client, made on first use as the registry makes it; Logger; Idempotency with the
 * DynamoDB persistence layer), and does nothing. Bundled with the same esbuild settings as dist/launch
 * (bench/bundle.ts); test/bench/floor-fairness.test.ts checks it carries nothing the handler lacks.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { clients, logger } from './clients.js';

/** Made on first use, as src/adapters/aws/registry.ts makes it. */
let ecr: ECRClient | undefined;
const persistenceStore = new DynamoDBPersistenceLayer({
  tableName: process.env.IDEMPOTENCY_TABLE ?? 'floor-idempotency',
  awsSdkV3Client: clients.dynamodb,
});
const config = new IdempotencyConfig({ eventKeyJmesPath: 'id', expiresAfterSeconds: 3600 });

async function nothing(event: unknown): Promise<{ clients: number }> {
  logger.debug('floor handler: nothing to do');
  if (event === 'first use') ecr ??= new ECRClient({});
  return { clients: Object.keys(clients).length + (ecr !== undefined ? 1 : 0) };
}

export const handler = makeIdempotent(nothing, { persistenceStore, config });
