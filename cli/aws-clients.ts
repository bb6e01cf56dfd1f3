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
  /** CloudWatch Logs of the run's region, or of `region` (a task log the task definition sends to another region). */
  logs(region?: string): Promise<CloudWatchLogsClient>;
  ecs(): Promise<ECSClient>;
  sts(): Promise<STSClient>;
  /** The region every client uses; a usage error naming the fix when there is none. */
  region(): Promise<string>;
  /**
   * Aborts every request still in flight (one the wait stopped waiting for at --timeout: the SDK sets no time limit
   * on a request, so a stalled connection would hold the process open) and closes the clients' sockets.
   */
  destroy(): void;
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

/** An SDK client as far as `abortable` and `destroy` use it. */
interface Sending {
  send(command: unknown, options?: object): Promise<unknown>;
  destroy(): void;
}

/** `client` sending every command with `signal` (a command's own options win): aborted, it fails at once, not retried. */
function abortable<T extends object>(client: T, signal: AbortSignal): T {
  const sending = client as unknown as Sending;
  const send = sending.send.bind(client);
  sending.send = (command, options) => send(command, { abortSignal: signal, ...options });
  return client;
}

export function awsClients(config: ClientConfig): AwsClients {
  const aborting = new AbortController();
  const made = new Map<string, Promise<unknown>>();
  const once = <T extends object>(name: string, make: () => Promise<T>, key = name): Promise<T> => {
    let client = made.get(key) as Promise<T> | undefined;
    if (client === undefined) {
      client = make().then((c) => abortable(namingFailedCalls(name, c), aborting.signal));
      made.set(key, client);
    }
    return client;
  };
  const clients: AwsClients = {
    config,
    cloudFormation: () =>
      once('cloudformation', async () => new (await import('@aws-sdk/client-cloudformation')).CloudFormationClient(config)),
    eventBridge: () => once('events', async () => new (await import('@aws-sdk/client-eventbridge')).EventBridgeClient(config)),
    dynamodb: () => once('dynamodb', async () => new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient(config)),
    logs: (region) =>
      once(
        'logs',
        async () =>
          new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(region === undefined ? config : { ...config, region }),
        `logs ${region ?? ''}`,
      ),
    ecs: () => once('ecs', async () => new (await import('@aws-sdk/client-ecs')).ECSClient(config)),
    sts: () => once('sts', async () => new (await import('@aws-sdk/client-sts')).STSClient(config)),
    region: async () => regionOf(await clients.sts()),
    destroy: () => {
      aborting.abort();
      for (const client of made.values()) void client.then((c) => (c as Sending).destroy()).catch(() => {});
    },
  };
  return clients;
}
