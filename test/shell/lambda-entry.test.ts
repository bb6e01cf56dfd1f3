import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/adapters/aws/index.js';
import { parseConfig } from '../../src/core/config.js';
import { createLambdaRuntime, type LambdaHandler, type LambdaRuntime } from '../../src/shell/lambda.js';

/** What a stack sets on the functions (template.yaml Globals), for one service. */
const ENV = {
  ENVIRONMENT: 'staging',
  CLUSTER: 'shop-staging',
  SERVICE: 'shop-api',
  CONTAINER: 'app',
  REPOSITORY: 'shop-api',
  REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  DEPLOYMENTS_TABLE: 'ecs-migrate-staging-deployments',
  IDEMPOTENCY_TABLE: 'ecs-migrate-staging-idempotency',
  EVENT_BUS: 'default',
  SCHEDULER_GROUP: 'ecs-migrate-staging',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
  WATCH_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-watch',
};

describe('MIGRATION_COMMAND given as a JSON argv (template.yaml lets any "[…]" through)', () => {
  const base = { ENVIRONMENT: 'staging', CLUSTER: 'shop-staging', SERVICE: 'shop-api', CONTAINER: 'app', REPOSITORY: 'shop-api' };

  it.each([
    ['a non-string element', '["db-migrate", "--steps", 3]'],
    ['a trailing comma', '["db-migrate",]'],
  ])('fails the cold start naming MIGRATION_COMMAND for a malformed JSON array (%s), never runs its text split into words', (_, value) => {
    // The stack lets both through; the parser split them into words such as '["db-migrate",' and '3]' and the
    // migration task then ran that argv. Now refused at the cold start, as REDACT_PATTERNS refuses a malformed array.
    const result = parseConfig({ ...base, MIGRATION_COMMAND: value });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.some((p) => p.startsWith('MIGRATION_COMMAND:'))).toBe(true);
  });
});

/** A DynamoDB idempotency table held in memory: PutItem's condition, UpdateItem, DeleteItem as Powertools uses them. */
function fakeClients(published: unknown[]): AwsClients {
  const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const idempotency = new Map<string, Record<string, AttributeValue>>();
  const dynamodb = new DynamoDBClient(region);
  const eventbridge = new EventBridgeClient(region);
  const ecs = new ECSClient(region);
  const scheduler = new SchedulerClient(region);
  type Input = {
    TableName?: string;
    Key?: { id?: { S?: string } };
    Item?: Record<string, AttributeValue> & { id?: { S?: string } };
    ExpressionAttributeValues?: Record<string, AttributeValue>;
    Entries?: { Detail?: string }[];
  };
  const sendOf =
    (service: string) =>
    async (command: { input: Input; constructor: { name: string } }): Promise<unknown> => {
      const name = command.constructor.name;
      const input = command.input;
      if (service === 'dynamodb' && input.TableName === ENV.IDEMPOTENCY_TABLE) {
        const id = input.Key?.id?.S ?? input.Item?.id?.S ?? '';
        if (name === 'PutItemCommand') {
          const old = idempotency.get(id);
          if (old !== undefined) throw new ConditionalCheckFailedException({ message: 'exists', $metadata: {}, Item: old });
          idempotency.set(id, input.Item ?? {});
          return {};
        }
        if (name === 'UpdateItemCommand') {
          const v = input.ExpressionAttributeValues ?? {};
          const item: Record<string, AttributeValue> = { id: { S: id } };
          if (v[':status'] !== undefined) item.status = v[':status'];
          if (v[':expiry'] !== undefined) item.expiration = v[':expiry'];
          if (v[':response_data'] !== undefined) item.data = v[':response_data'];
          idempotency.set(id, item);
          return {};
        }
        if (name === 'DeleteItemCommand') {
          idempotency.delete(id);
          return {};
        }
      }
      if (service === 'dynamodb' && name === 'BatchGetItemCommand') return { Responses: {} };
      if (service === 'eventbridge' && name === 'PutEventsCommand') {
        for (const entry of input.Entries ?? []) published.push(JSON.parse(entry.Detail ?? '{}'));
        return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map(() => ({ EventId: 'e' })) };
      }
      return {};
    };
  Object.assign(dynamodb, { send: sendOf('dynamodb') });
  Object.assign(eventbridge, { send: sendOf('eventbridge') });
  Object.assign(ecs, { send: sendOf('ecs') });
  Object.assign(scheduler, { send: sendOf('scheduler') });
  return { dynamodb, eventbridge, ecs, scheduler };
}

const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'ecs-migrate-staging-launch',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-launch',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/ecs-migrate-staging-launch',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

describe('the launcher behind Powertools idempotency', () => {
  let createLaunchHandler: (runtime: LambdaRuntime) => LambdaHandler;

  beforeAll(async () => {
    // handlers/launch.ts builds its own handler from process.env when imported.
    Object.assign(process.env, ENV, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
    createLaunchHandler = (await import('../../handlers/launch.js')).createLaunchHandler;
  });

  it("rejects each of two different events without an `id` on its own: the second is neither answered with the first one's rejection nor left unannounced", async () => {
    // The key `[id, "replay-name"]` of an event without `id` was [null, null], not null: Powertools did not skip it,
    // so every such event (a direct invocation, a hand-made payload) shared one record for 48 h.
    const published: unknown[] = [];
    const handler = createLaunchHandler(createLambdaRuntime(ENV, fakeClients(published)));
    const first = { source: 'ecs-migrate', detail: { environment: 'staging' } };
    const second = { version: '0', source: 'ecs-migrate', 'detail-type': 'deploy-request', detail: { environment: 'staging', image: 'x' } };

    const a = await handler(first, context);
    const b = await handler(second, context);

    expect(a.decisions.map((d) => d.decision)).toEqual(['reject']);
    expect(b.decisions.map((d) => d.decision)).toEqual(['reject']);
    // The second event is not missing `version`: its own rejection says what it lacks, and it is announced.
    expect(b.decisions[0]?.reason).not.toMatch(/version: /);
    expect(published).toHaveLength(2);
  });
});
