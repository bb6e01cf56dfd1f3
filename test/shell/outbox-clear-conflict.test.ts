import 'aws-sdk-client-mock-vitest/extend';
import {
  type AttributeValue,
  BatchGetItemCommand,
  DynamoDBClient,
  TransactionConflictException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../src/adapters/aws/store.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import type { LaunchOutcome, OutgoingEvent, Ports } from '../../src/ports.js';
import { type ControllerDeps, createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from '../support/fake-ecs.js';
import { config, sample, TD, withEvent } from '../support/fixtures.js';

const TABLE = 'ecs-migrate-deployments';

/**
 * DynamoDB answering as it does while another invocation's TransactWriteItems is writing the item an UpdateItem
 * targets: "Transaction is ongoing for the item" (TransactionConflictException, HTTP 400, not retried by the SDK).
 */
const ongoingTransaction = () =>
  new TransactionConflictException({ $metadata: { httpStatusCode: 400, attempts: 1 }, message: 'Transaction is ongoing for the item' });

describe('an outbox cleared while a transaction writes its record', () => {
  const client = new DynamoDBClient({ region: 'eu-west-1' });
  const ddb = mockClient(client);
  /** The table in memory: BatchGetItem reads it, TransactWriteItems writes it (conditions are not needed here). */
  let table: Map<string, Record<string, AttributeValue>>;
  const keyOf = (item: Record<string, AttributeValue>) => `${item.pk?.S}|${item.sk?.S}`;

  beforeEach(() => {
    ddb.reset();
    table = new Map();
    ddb.on(BatchGetItemCommand).callsFake((input) => {
      const keys = (input.RequestItems?.[TABLE]?.Keys ?? []) as Record<string, AttributeValue>[];
      const found = keys.map((k) => table.get(keyOf(k))).filter((i): i is Record<string, AttributeValue> => i !== undefined);
      return { Responses: { [TABLE]: structuredClone(found) } };
    });
    ddb.on(TransactWriteItemsCommand).callsFake((input) => {
      for (const t of input.TransactItems ?? []) if (t.Put?.Item !== undefined) table.set(keyOf(t.Put.Item), structuredClone(t.Put.Item));
      return {};
    });
    ddb.on(UpdateItemCommand).callsFake((input) => {
      const item = table.get(keyOf(input.Key));
      if (item !== undefined && input.UpdateExpression === 'REMOVE outbox') delete item.outbox;
      return {};
    });
  });

  it('clearOutbox: an UpdateItem refused because a transaction is writing the record is not a permanent failure', async () => {
    // Prepare
    ddb.on(UpdateItemCommand).rejects(ongoingTransaction());
    const store = new DynamoDbStore(client, { table: TABLE, environment: 'staging' });

    // Act
    const cleared = store.clearOutbox({ record: 'environment', environment: 'staging', version: 4 });

    // Assess: the events are out already; a clear that did not happen only means they may be published once more
    // (execute.ts publishOutbox). Today it throws PermanentAwsError ("check DEPLOYMENTS_TABLE … key schema").
    await expect(cleared).resolves.toBeUndefined();
  });

  it('a failed migration hands the environment to the queued one even when clearing its outbox meets a concurrent transaction', async () => {
    // Prepare: the real DynamoDB store on the in-memory table; recording ECS and bus.
    const store = new DynamoDbStore(client, { table: TABLE, environment: 'staging' });
    const launched: LaunchRequest[] = [];
    const events: OutgoingEvent[] = [];
    const launch = async (r: LaunchRequest): Promise<LaunchOutcome> => {
      launched.push(r);
      return {
        ok: true,
        taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${r.clientToken.slice(-8)}`,
        taskDefinitionArn: TD(43),
      };
    };
    const ports: Ports = {
      ecs: fakeEcs({ launch }),
      store,
      bus: { put: async (e) => void events.push(...e) },
      logs: { tail: async () => ['migration failed'] },
      scheduler: { scheduleTimeout: async () => {} },
      registry: { describeImage: async () => ({ digest: `sha256:${'c'.repeat(64)}`, pushedAt: '2026-11-25T09:00:00.000Z' }) },
    };
    const deps: ControllerDeps = { config: config(), ports, log: silentLog, now: () => new Date('2026-11-25T09:15:00Z') };
    const handle = (raw: unknown) => createController(deps).handle(raw);
    const activeId = (await handle(sample('ecr-push')))[0]?.decision.deploymentId as string;
    const second = withEvent(sample('ecr-push'), { top: { id: 'second-push' }, detail: { 'image-digest': `sha256:${'2'.repeat(64)}` } });
    const queuedId = (await handle(second))[0]?.decision.deploymentId as string;
    expect(launched).toHaveLength(1);
    // From here on another invocation's transaction is writing the record whose outbox is cleared.
    ddb.on(UpdateItemCommand).rejects(ongoingTransaction());
    const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${activeId.slice(-8)}`;
    const failed = withEvent(sample('task-stopped-exit-1'), { detail: { startedBy: `ecs-migrate/${activeId}`, taskArn, version: 9 } });

    // Act
    const steps = handle(failed);

    // Assess: the end is committed and published; the queued deployment's RunTask must not wait for a Lambda retry.
    // Today the invocation fails with PermanentAwsError after PutEvents, and RunTask of the queued one never runs.
    await expect(steps).resolves.toBeDefined();
    expect(events.map((e) => e.detailType)).toContain('Migration Failed');
    expect(launched.map((r) => r.startedBy)).toContain(`ecs-migrate/${queuedId}`);
  });
});
