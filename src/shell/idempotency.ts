import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Role } from '../core/route.js';
import type { LambdaHandler, LambdaRuntime } from './lambda.js';

/**
 * A handler behind Powertools Idempotency on IDEMPOTENCY_TABLE: a repeated event (same `key`, a JMESPath into
 * the event) returns the first result for `expiresAfterSeconds`. Records are prefixed with the role and
 * environment, so they survive a renamed function and never mix between functions.
 */
export function withIdempotency(
  runtime: LambdaRuntime,
  role: Role,
  handler: LambdaHandler,
  idempotency: { key: string; expiresAfterSeconds: number },
): LambdaHandler {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: runtime.aws.IDEMPOTENCY_TABLE,
    awsSdkV3Client: runtime.clients.dynamodb,
  });
  const config = new IdempotencyConfig({ eventKeyJmesPath: idempotency.key, expiresAfterSeconds: idempotency.expiresAfterSeconds });
  return makeIdempotent(handler, { persistenceStore, config, keyPrefix: `ecs-migrate.${role}.${runtime.config.ENVIRONMENT}` });
}
