import { BatchGetItemCommand, DynamoDBClient, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../src/adapters/aws/store.js';
import { encodeDeployment } from '../../src/core/records.js';
import type { OutgoingEvent, Ports } from '../../src/ports.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from '../support/fake-ecs.js';
import { config, operatorRequest, runningDeployment, SAMPLE_DEPLOYMENT, sample } from '../support/fixtures.js';

const TABLE = 'ecs-migrate-deployments';

/**
 * The real DynamoDB store over a mocked client whose table holds exactly `envItem` as the environment record: what
 * the controller sees when that record was damaged (a hand edit, a restore of a partial backup, a tool writing it).
 */
function onStoredEnvironment(envItem: Record<string, unknown>) {
  const client = new DynamoDBClient({ region: 'eu-west-1' });
  const ddb = mockClient(client);
  const items: Record<string, Record<string, unknown>> = {
    STATE: { pk: 'ENV#staging', sk: 'STATE', ...envItem },
    [`DEP#${SAMPLE_DEPLOYMENT}`]: { pk: 'ENV#staging', sk: `DEP#${SAMPLE_DEPLOYMENT}`, ...encodeDeployment(runningDeployment()) },
  };
  ddb.on(BatchGetItemCommand).callsFake((input: { RequestItems: Record<string, { Keys: { sk: { S: string } }[] }> }) => {
    const keys = input.RequestItems[TABLE]?.Keys ?? [];
    const found = keys.flatMap((k) => (items[k.sk.S] !== undefined ? [marshall(items[k.sk.S], { removeUndefinedValues: true })] : []));
    return { Responses: { [TABLE]: found } };
  });
  ddb.on(TransactWriteItemsCommand).resolves({});
  ddb.on(UpdateItemCommand).resolves({});
  const events: OutgoingEvent[] = [];
  const ports: Ports = {
    ecs: fakeEcs(),
    store: new DynamoDbStore(client, { table: TABLE, environment: 'staging' }),
    bus: { put: async (e) => void events.push(...e) },
    logs: { tail: async () => [] },
    scheduler: { scheduleTimeout: async () => {} },
    registry: { describeImage: async () => ({ digest: `sha256:${'c'.repeat(64)}`, pushedAt: '2026-11-25T09:00:00.000Z' }) },
  };
  const controller = createController({ config: config(), ports, log: silentLog, now: () => new Date('2026-11-25T09:18:30Z') });
  return { controller, events, ddb };
}

describe('a damaged environment record is refused with its key and field, never cast', () => {
  // Each list a decision walks is validated on read: a damaged one was met as a TypeError, re-thrown as a bug on every
  // delivery of every event of the environment (the operator's unlock, the way out, included), naming no record.
  it.each([
    ['outbox', 'not a list of events', 'unlock-request'],
    ['operatorRequests', 'not a list of requests', 'unlock-request'],
    ['seenImages', 'not a list of images', 'ecr-push'],
    ['rollouts', 'not a list of rollouts', 'ecr-push'],
  ] as const)('an environment record whose %s is %s: %s is rejected naming the record, not crashed on', async (field, _what, input) => {
    const { controller } = onStoredEnvironment({
      schemaVersion: 2,
      environment: 'staging',
      version: 3,
      active: { deploymentId: SAMPLE_DEPLOYMENT, lockExpiresAt: '2026-11-25T10:30:00.000Z' },
      [field]: 'corrupt',
    });
    const raw = input === 'ecr-push' ? sample('ecr-push') : operatorRequest(input, { requestedBy: 'ops', reason: 'stuck' });

    const run = controller.handle(raw);

    await expect(run).resolves.toBeDefined();
    const steps = await run.catch(() => []);
    expect(steps[0]?.decision.decision).toBe('reject');
    expect(steps[0]?.decision.reason).toMatch(/ENV#staging\/STATE/);
    expect(steps[0]?.decision.reason).toContain(field);
  });
});
