import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Context } from 'aws-lambda';
import type { ServiceDeploymentReads } from '../adapters/aws/ecs.js';
import { serviceDeploymentReads } from '../adapters/aws/ecs-deployments.js';
import { type AwsClients, createAwsPorts } from '../adapters/aws/index.js';
import { ecrRegistry } from '../adapters/aws/registry.js';
import type { AwsConfig, Config } from '../core/config.js';
import { deploymentOf } from '../errors.js';
import type { Logs, Ports, Registry } from '../ports.js';
import { type EnvSource, lambdaConfigFromEnv, processEnv } from './config.js';
import { type Controller, createRoleController, type LambdaFunction } from './controller.js';
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
 * The watcher's `Registry` port: tags are resolved by the launcher (requests are its inputs), so the watcher's
 * bundle carries no ECR client. Asked anyway, it says why.
 */
export const NO_REGISTRY: Registry = {
  describeImage: () => Promise.reject(new Error('this function resolves no images: requests belong to the launcher')),
};

/** The ports that differ between the two functions, each built from the clients (so each bundle carries only its own SDK clients). */
export interface RuntimeAdapters {
  logs: (clients: AwsClients) => Logs;
  registry: (config: Config, clients: AwsClients) => Registry;
  /** The launcher's reads of paused deployments (pause-hook mode); the watcher has none. */
  serviceDeployments?: (clients: AwsClients) => ServiceDeploymentReads;
}

/**
 * Validates the configuration (throwing `ConfigError` naming every bad key) and builds clients, ports and logger,
 * with the log tail and the registry given (the watcher: `cloudWatchLogTail` and `NO_REGISTRY`).
 */
export function buildLambdaRuntime(env: EnvSource, clients: AwsClients, adapters: RuntimeAdapters): LambdaRuntime {
  const { config, aws } = lambdaConfigFromEnv(env);
  return {
    config,
    aws,
    clients,
    ports: createAwsPorts(config, aws, clients, {
      logs: adapters.logs(clients),
      registry: adapters.registry(config, clients),
      ...(adapters.serviceDeployments !== undefined ? { serviceDeployments: adapters.serviceDeployments(clients) } : {}),
    }),
    logger: createLogger({ environment: config.ENVIRONMENT }),
  };
}

/**
 * The launcher's runtime by default: the ECR registry, the service-deployment reads and no log tail (`logs` may give one, as tests do).
 * The watcher calls `buildLambdaRuntime` instead, so this function, and the ECR client it names, stay out of its bundle.
 */
export function createLambdaRuntime(
  env: EnvSource = processEnv(),
  clients: AwsClients = createClients(),
  logs: (clients: AwsClients) => Logs = () => NO_LOG_TAIL,
): LambdaRuntime {
  return buildLambdaRuntime(env, clients, { logs, registry: ecrRegistry, serviceDeployments: (c) => serviceDeploymentReads(c.ecs) });
}

/** What an invocation returns (and the idempotency record keeps): one line per decision taken. */
export interface InvocationResult {
  decisions: { input: string; decision: string; reason: string; deploymentId?: string }[];
}

export type LambdaHandler = (event: unknown, context: Context) => Promise<InvocationResult>;

/**
 * The controller of one function, with its own code only (`LAUNCH_FUNCTION` or `WATCH_FUNCTION`): it refuses the
 * other function's inputs, and its bundle holds none of their schemas and deciders.
 */
export function controllerFor(runtime: LambdaRuntime, fn: LambdaFunction): Controller {
  const { config, ports, logger } = runtime;
  return createRoleController({ config, ports, log: logger, now: () => new Date() }, fn);
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
      const deploymentId = deploymentOf(error);
      logger.error('invocation failed: the event will be retried', {
        ...(deploymentId !== undefined ? { deploymentId } : {}),
        error: error instanceof Error ? error : String(error),
      });
      throw error;
    }
  };
}
