import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { AwsConfig, Config } from '../../core/config.js';
import type { Logs, Ports, Registry } from '../../ports.js';
import { EventBridgeBus } from './bus.js';
import { AwsEcs } from './ecs.js';
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

/**
 * Every port on AWS, for one environment. The log tail and the registry are given, not built here: only the
 * watcher reads task logs and only the launcher resolves tags, so each bundle carries only its own client
 * (CloudWatch Logs: `cloudWatchLogTail` in ./logs.ts; ECR: `ecrRegistry` in ./registry.ts).
 */
export function createAwsPorts(config: Config, awsConfig: AwsConfig, clients: AwsClients, logs: Logs, registry: Registry): Ports {
  return {
    ecs: new AwsEcs(clients.ecs, {
      cluster: config.CLUSTER,
      service: config.SERVICE,
      container: config.CONTAINER,
      repository: config.REPOSITORY,
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
