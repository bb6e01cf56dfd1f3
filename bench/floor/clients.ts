/**
 * What both floors construct at import, as both handlers do (src/shell/lambda.ts createClients: the ECS, DynamoDB,
 * EventBridge and Scheduler clients) and a Logger.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';

export const clients = {
  ecs: new ECSClient({}),
  dynamodb: new DynamoDBClient({}),
  eventbridge: new EventBridgeClient({}),
  scheduler: new SchedulerClient({}),
};

export const logger = new Logger({ serviceName: 'ecs-migrate-floor' });
