/**
 * The floor: what any Lambda handler doing this job pays before it does anything. It imports and constructs
 * the same SDK clients and Powertools utilities as the real handlers, the union of both (ECS, EventBridge, DynamoDB,
 * CloudWatch Logs, Scheduler and ECR clients, Logger, Idempotency with the DynamoDB persistence layer), and does
 * nothing. ECR joined when the launcher began resolving requested tags with it (issue 10); without it the floor
 * would no longer be what it says it is, the cost of the clients the handlers use.
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
  logs: new CloudWatchLogsClient({}),
  scheduler: new SchedulerClient({}),
  ecr: new ECRClient({}),
};
const logger = new Logger({ serviceName: 'ecs-migrate-floor' });
const persistenceStore = new DynamoDBPersistenceLayer({
  tableName: process.env.IDEMPOTENCY_TABLE ?? 'floor-idempotency',
  awsSdkV3Client: clients.dynamodb,
});
const config = new IdempotencyConfig({ eventKeyJmesPath: 'id', expiresAfterSeconds: 3600 });

async function nothing(_event: unknown): Promise<{ clients: number }> {
  logger.debug('floor handler: nothing to do');
  return { clients: Object.keys(clients).length };
}

export const handler = makeIdempotent(nothing, { persistenceStore, config });
