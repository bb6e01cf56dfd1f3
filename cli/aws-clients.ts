import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { STSClient } from '@aws-sdk/client-sts';
import { type ClientConfig, regionOf } from './aws-context.js';

/** The AWS clients of one CLI run, created (and their SDK loaded) when first used, all with one configuration. */
export interface AwsClients {
  config: ClientConfig;
  cloudFormation(): Promise<CloudFormationClient>;
  eventBridge(): Promise<EventBridgeClient>;
  dynamodb(): Promise<DynamoDBClient>;
  logs(): Promise<CloudWatchLogsClient>;
  ecs(): Promise<ECSClient>;
  sts(): Promise<STSClient>;
  /** The region every client uses; a usage error naming the fix when there is none. */
  region(): Promise<string>;
}

export function awsClients(config: ClientConfig): AwsClients {
  const made = new Map<string, Promise<unknown>>();
  const once = <T>(name: string, make: () => Promise<T>): Promise<T> => {
    let client = made.get(name) as Promise<T> | undefined;
    if (client === undefined) {
      client = make();
      made.set(name, client);
    }
    return client;
  };
  const clients: AwsClients = {
    config,
    cloudFormation: () => once('cfn', async () => new (await import('@aws-sdk/client-cloudformation')).CloudFormationClient(config)),
    eventBridge: () => once('events', async () => new (await import('@aws-sdk/client-eventbridge')).EventBridgeClient(config)),
    dynamodb: () => once('dynamodb', async () => new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient(config)),
    logs: () => once('logs', async () => new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(config)),
    ecs: () => once('ecs', async () => new (await import('@aws-sdk/client-ecs')).ECSClient(config)),
    sts: () => once('sts', async () => new (await import('@aws-sdk/client-sts')).STSClient(config)),
    region: async () => regionOf(await clients.sts()),
  };
  return clients;
}
