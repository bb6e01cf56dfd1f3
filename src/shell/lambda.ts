import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Context } from 'aws-lambda';
import { type AwsClients, createAwsPorts } from '../adapters/aws/index.js';
import type { AwsConfig, Config } from '../core/config.js';
import type { Logs, Ports } from '../ports.js';
import { type EnvSource, lambdaConfigFromEnv, processEnv } from './config.js';
import { createLogger } from './logger.js';
import { handleEvent } from './run.js';

/** What a Lambda handler builds once, at cold start, and reuses for every event. */
export interface LambdaRuntime {
  config: Config;
  aws: AwsConfig;
  clients: AwsClients;
  ports: Ports;
  logger: Logger;
}

/**
 * SDK clients with the SDK's own defaults: region, credentials, endpoint (`AWS_ENDPOINT_URL`) and retries
 * (`AWS_MAX_ATTEMPTS`, standard mode with backoff) all come from the Lambda environment.
 */
export function createClients(): AwsClients {
  return {
    ecs: new ECSClient({}),
    dynamodb: new DynamoDBClient({}),
    eventbridge: new EventBridgeClient({}),
    scheduler: new SchedulerClient({}),
  };
}

/**
 * The launcher's `Logs` port: it starts tasks and never reads their logs (the watcher does, with
 * `cloudWatchLogTail`), so its bundle carries no CloudWatch Logs client. Asked anyway, the tail says why it is empty.
 */
export const NO_LOG_TAIL: Logs = {
  tail: () => Promise.reject(new Error('this function reads no task logs: task events belong to the watcher')),
};

/**
 * Validates the configuration (throwing `ConfigError` naming every bad key) and builds clients, ports and logger.
 * `logs` builds the log tail (the watcher passes `cloudWatchLogTail`; the launcher reads no logs).
 */
export function createLambdaRuntime(
  env: EnvSource = processEnv(),
  clients: AwsClients = createClients(),
  logs: (clients: AwsClients) => Logs = () => NO_LOG_TAIL,
): LambdaRuntime {
  const { config, aws } = lambdaConfigFromEnv(env);
  return {
    config,
    aws,
    clients,
    ports: createAwsPorts(config, aws, clients, logs(clients)),
    logger: createLogger({ environment: config.ENVIRONMENT }),
  };
}

/** What an invocation returns (and the idempotency record keeps): one line per decision taken. */
export interface InvocationResult {
  decisions: { input: string; decision: string; reason: string; deploymentId?: string }[];
}

/**
 * Runs one event through the controller. Bad input is a `reject` decision and returns normally; errors that
 * may pass (throttling, 5xx, lost races) are logged and re-thrown, so Lambda retries and the DLQ keeps the event.
 */
export async function runLambdaEvent(runtime: LambdaRuntime, event: unknown, context: Context): Promise<InvocationResult> {
  const { config, ports, logger } = runtime;
  logger.addContext(context);
  try {
    const steps = await handleEvent(event, { config, ports, log: logger, now: () => new Date() });
    return {
      decisions: steps.map(({ input, decision }) => ({
        input,
        decision: decision.decision,
        reason: decision.reason,
        ...(decision.deploymentId !== undefined ? { deploymentId: decision.deploymentId } : {}),
      })),
    };
  } catch (error) {
    logger.error('invocation failed: the event will be retried', error instanceof Error ? error : String(error));
    throw error;
  }
}

export type LambdaHandler = (event: unknown, context: Context) => Promise<InvocationResult>;

/**
 * `runLambdaEvent` behind Powertools Idempotency on IDEMPOTENCY_TABLE: a repeated event (same `key`, a JMESPath
 * into the event) returns the first result for `expiresAfterSeconds`. Records are prefixed with the role and
 * environment, so they survive a renamed function and the launcher's never mix with the watcher's.
 */
export function idempotentHandler(
  runtime: LambdaRuntime,
  role: 'launch' | 'watch',
  idempotency: { key: string; expiresAfterSeconds: number },
): LambdaHandler {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: runtime.aws.IDEMPOTENCY_TABLE,
    awsSdkV3Client: runtime.clients.dynamodb,
  });
  const config = new IdempotencyConfig({ eventKeyJmesPath: idempotency.key, expiresAfterSeconds: idempotency.expiresAfterSeconds });
  const run: LambdaHandler = (event, context) => runLambdaEvent(runtime, event, context);
  return makeIdempotent(run, { persistenceStore, config, keyPrefix: `ecs-migrate.${role}.${runtime.config.ENVIRONMENT}` });
}
