/**
 * The floor: what any Lambda handler doing this job pays before it does anything. It imports the same SDK clients and
 * Powertools utilities as the real handlers, the union of both (ECS, EventBridge, DynamoDB, Scheduler, CloudWatch Logs
 * and ECR clients, Logger, Idempotency with the DynamoDB persistence layer), constructs at import what the handlers
 * construct at import (src/shell/lambda.ts createClients: ECS, DynamoDB, EventBridge, Scheduler; the log tail's and the
 * registry's clients are made on first use, here as there), and does nothing.
 * Bundled with the same esbuild settings as dist/launch and dist/watch (see bench/bundle.ts).
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';

const clients = {
  ecs: new ECSClient({}),
  dynamodb: new DynamoDBClient({}),
  eventbridge: new EventBridgeClient({}),
  scheduler: new SchedulerClient({}),
};
/** Made on first use, as the handlers make theirs (src/adapters/aws/logs.ts, registry.ts). */
let onFirstUse: { logs: CloudWatchLogsClient; ecr: ECRClient } | undefined;
const logger = new Logger({ serviceName: 'ecs-migrate-floor' });
const persistenceStore = new DynamoDBPersistenceLayer({
  tableName: process.env.IDEMPOTENCY_TABLE ?? 'floor-idempotency',
  awsSdkV3Client: clients.dynamodb,
});
const config = new IdempotencyConfig({ eventKeyJmesPath: 'id', expiresAfterSeconds: 3600 });

async function nothing(event: unknown): Promise<{ clients: number }> {
  logger.debug('floor handler: nothing to do');
  if (event === 'first use') onFirstUse ??= { logs: new CloudWatchLogsClient({}), ecr: new ECRClient({}) };
  return { clients: Object.keys(clients).length + (onFirstUse !== undefined ? 2 : 0) };
}

export const handler = makeIdempotent(nothing, { persistenceStore, config });
