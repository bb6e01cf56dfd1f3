import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { STSClient } from '@aws-sdk/client-sts';
import { type ClientConfig, regionOf } from './aws-context.js';
import { noteFailedCall } from './failure.js';

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

/** What every SDK v3 client offers: the middleware stack its commands run through. */
interface WithMiddleware {
  middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/**
 * Notes the call (`cloudformation:DescribeStacks`, the service spelled as IAM spells it) every failure of the client's
 * commands came from, whatever the step (signing with missing credentials, the network, the service's answer), so
 * the failure line names it (cli/failure.ts), also when an adapter wrapped the error.
 */
function namingFailedCalls<T extends object>(service: string, client: T): T {
  (client as unknown as WithMiddleware).middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        noteFailedCall(error, `${service}:${(context.commandName ?? 'unknown').replace(/Command$/, '')}`);
        throw error;
      }
    },
    { step: 'initialize', name: 'ecsMigrateFailedCall' },
  );
  return client;
}

export function awsClients(config: ClientConfig): AwsClients {
  const made = new Map<string, Promise<unknown>>();
  const once = <T extends object>(name: string, make: () => Promise<T>): Promise<T> => {
    let client = made.get(name) as Promise<T> | undefined;
    if (client === undefined) {
      client = make().then((c) => namingFailedCalls(name, c));
      made.set(name, client);
    }
    return client;
  };
  const clients: AwsClients = {
    config,
    cloudFormation: () =>
      once('cloudformation', async () => new (await import('@aws-sdk/client-cloudformation')).CloudFormationClient(config)),
    eventBridge: () => once('events', async () => new (await import('@aws-sdk/client-eventbridge')).EventBridgeClient(config)),
    dynamodb: () => once('dynamodb', async () => new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient(config)),
    logs: () => once('logs', async () => new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(config)),
    ecs: () => once('ecs', async () => new (await import('@aws-sdk/client-ecs')).ECSClient(config)),
    sts: () => once('sts', async () => new (await import('@aws-sdk/client-sts')).STSClient(config)),
    region: async () => regionOf(await clients.sts()),
  };
  return clients;
}
