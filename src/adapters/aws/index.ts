import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { AwsConfig, Config } from '../../core/config.js';
import type { Logs, Ports, Registry } from '../../ports.js';
import { EventBridgeBus } from './bus.js';
import { AwsEcs, type ServiceDeploymentReads } from './ecs.js';
import { EventBridgeScheduler } from './scheduler.js';
import { DynamoDbStore } from './store.js';

/** The SDK clients the adapters use, built by the caller (once per Lambda cold start). */
export interface AwsClients {
  ecs: ECSClient;
  dynamodb: DynamoDBClient;
  eventbridge: EventBridgeClient;
  scheduler: SchedulerClient;
  /** ECR, for resolving a requested tag to its digest; made on first use when absent (only requests need it). */
  ecr?: ECRClient;
}

/** What only one of the two functions uses, built by that function's handler (see `createAwsPorts`). */
export interface FunctionAdapters {
  logs: Logs;
  registry: Registry;
  /** The launcher's reads of paused deployments (`serviceDeploymentReads` in ./ecs-deployments.ts). */
  serviceDeployments?: ServiceDeploymentReads;
}

/**
 * Every port on AWS, for one environment. The log tail, the registry and the service-deployment reads are given,
 * not built here: only the watcher reads task logs, only the launcher resolves tags and hears hook events, so each
 * bundle carries only its own client and SDK shapes (CloudWatch Logs: `cloudWatchLogTail` in ./logs.ts; ECR:
 * `ecrRegistry` in ./registry.ts; DescribeServiceRevisions and the hook reads: `serviceDeploymentReads`). The watcher
 * reads a service deployment only to tell its own earlier answer from a refusal (`answerHook`).
 */
export function createAwsPorts(config: Config, awsConfig: AwsConfig, clients: AwsClients, own: FunctionAdapters): Ports {
  const { logs, registry, serviceDeployments } = own;
  return {
    ecs: new AwsEcs(clients.ecs, {
      cluster: config.CLUSTER,
      environment: config.ENVIRONMENT,
      service: config.SERVICE,
      container: config.CONTAINER,
      repository: config.REPOSITORY,
      registry: config.REGISTRY,
      ...(serviceDeployments !== undefined ? { serviceDeployments } : {}),
    }),
    bus: new EventBridgeBus(clients.eventbridge, { bus: awsConfig.EVENT_BUS, source: config.EVENT_SOURCE }),
    store: new DynamoDbStore(clients.dynamodb, { table: awsConfig.DEPLOYMENTS_TABLE, environment: config.ENVIRONMENT }),
    logs,
    scheduler: new EventBridgeScheduler(clients.scheduler, {
      group: awsConfig.SCHEDULER_GROUP,
      targetArn: awsConfig.WATCH_FUNCTION_ARN,
      roleArn: awsConfig.SCHEDULER_ROLE_ARN,
      ...(awsConfig.SCHEDULER_DLQ_ARN !== undefined ? { deadLetterArn: awsConfig.SCHEDULER_DLQ_ARN } : {}),
    }),
    registry,
  };
}
