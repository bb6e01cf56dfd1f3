import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Context } from 'aws-lambda';
import { type AwsClients, createAwsPorts } from '../adapters/aws/index.js';
import type { AwsConfig, Config } from '../core/config.js';
import type { Role } from '../core/route.js';
import type { Logs, Ports } from '../ports.js';
import { type EnvSource, lambdaConfigFromEnv, processEnv } from './config.js';
import { type Controller, createController } from './controller.js';
import { createLogger } from './logger.js';

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

export type LambdaHandler = (event: unknown, context: Context) => Promise<InvocationResult>;

/** The controller of one function: it refuses the other function's inputs. */
export function controllerFor(runtime: LambdaRuntime, role: Role): Controller {
  const { config, ports, logger } = runtime;
  return createController({ config, ports, log: logger, now: () => new Date(), role });
}

/**
 * Runs each event through the controller. Bad input is a `reject` decision and returns normally; errors that
 * may pass (throttling, 5xx, lost races) are logged and re-thrown, so Lambda retries and the DLQ keeps the event.
 */
export function invoke(runtime: LambdaRuntime, controller: Controller): LambdaHandler {
  const { logger } = runtime;
  return async (event, context) => {
    logger.addContext(context);
    try {
      const steps = await controller.handle(event);
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
  };
}
