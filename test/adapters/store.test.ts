import 'aws-sdk-client-mock-vitest/extend';
import {
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbHistoryStore } from '../../src/adapters/aws/history-store.js';
import { DynamoDbStore } from '../../src/adapters/aws/store.js';
import type { Deployment, Launching } from '../../src/core/deployment.js';
import { encodeDeployment } from '../../src/core/records.js';
import type { EnvironmentState } from '../../src/core/state.js';
import { CommitConflictError, InvalidRecordError, TransientAwsError } from '../../src/errors.js';

const TABLE = 'ecs-migrate-deployments';
const ID = '20261125-091458-1a2b3c4d';
const STATE_KEY = { pk: { S: 'ENV#staging' }, sk: { S: 'STATE' } };
const depKey = (id: string) => ({ pk: { S: 'ENV#staging' }, sk: { S: `DEP#${id}` } });
const depItem = (d: Deployment) =>
  marshall({ pk: 'ENV#staging', sk: `DEP#${d.id}`, ...encodeDeployment(d) }, { removeUndefinedValues: true });

function deployment(overrides: Partial<Launching> = {}): Launching {
  return {
    id: ID,
    revision: 1,
    environment: 'staging',
    kind: 'migration',
    status: 'launching',
    trigger: { type: 'ecr-push', eventId: '13cde686-328b-6117-af20-0e5566167482', at: '2026-11-25T09:14:58Z', imageTag: 'v1.4.0' },
    work: {
      type: 'image',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@sha256:4c1e',
      baseTaskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:42',
    },
    launchStartedAt: '2026-11-25T09:15:00.000Z',
    command: ['db-migrate'],
    createdAt: '2026-11-25T09:15:00.000Z',
    history: [{ at: '2026-11-25T09:15:00.000Z', status: 'launching', note: 'environment free' }],
    ...overrides,
  };
}

const env = (version: number): EnvironmentState => ({
  environment: 'staging',
  version,
  active: { deploymentId: ID, lockExpiresAt: '2026-11-25T10:30:00.000Z' },
});

describe('DynamoDbStore', () => {
  const client = new DynamoDBClient({ region: 'eu-west-1' });
  const ddb = mockClient(client);
  const store = new DynamoDbStore(client, { table: TABLE, environment: 'staging' });

  beforeEach(() => ddb.reset());

  it('writes the environment and deployments in one transaction, conditional on the versions read', async () => {
    // Prepare
    ddb.on(TransactWriteItemsCommand).resolves({});

    // Act
    await store.commit({
      env: { state: env(4), expectedVersion: 3 },
      deployments: [
        { deployment: deployment(), expectedRevision: 0 },
        { deployment: deployment({ id: '20261125-080000-00000000', revision: 3 }), expectedRevision: 2 },
      ],
    });

    // Assess
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteItemsCommand, 1);
    const items = ddb.commandCalls(TransactWriteItemsCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(3);
    expect(items[0]?.Put).toMatchObject({
      TableName: TABLE,
      ConditionExpression: '#v = :expected',
      ExpressionAttributeNames: { '#v': 'version' },
      ExpressionAttributeValues: { ':expected': { N: '3' } },
    });
    expect(items[0]?.Put?.Item).toMatchObject({ pk: { S: 'ENV#staging' }, sk: { S: 'STATE' }, version: { N: '4' } });
    expect(items[1]?.Put).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk)' });
    expect(items[1]?.Put?.Item).toMatchObject({ pk: { S: 'ENV#staging' }, sk: { S: `DEP#${ID}` }, status: { S: 'launching' } });
    expect(items[2]?.Put).toMatchObject({ ConditionExpression: '#v = :expected', ExpressionAttributeNames: { '#v': 'revision' } });
  });

  it('turns a cancelled transaction with ConditionalCheckFailed into CommitConflictError', async () => {
    // Prepare
    ddb.on(TransactWriteItemsCommand).rejects(
      new TransactionCanceledException({
        $metadata: { httpStatusCode: 400 },
        message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]',
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    );

    // Act
    const result = store.commit({
      env: { state: env(1), expectedVersion: 0 },
      deployments: [{ deployment: deployment(), expectedRevision: 0 }],
    });

    // Assess
    await expect(result).rejects.toThrow(CommitConflictError);
  });

  it('turns a transaction cancelled for throughput into TransientAwsError', async () => {
    // Prepare
    ddb.on(TransactWriteItemsCommand).rejects(
      new TransactionCanceledException({
        $metadata: { httpStatusCode: 400 },
        message: 'Transaction cancelled [ThrottlingError]',
        CancellationReasons: [{ Code: 'ThrottlingError' }],
      }),
    );

    // Act
    const result = store.commit({ deployments: [{ deployment: deployment(), expectedRevision: 1 }] });

    // Assess
    await expect(result).rejects.toThrow(TransientAwsError);
  });

  it('fits a deployment with a 50-line, 8 KB log tail well within the 400 KB item limit', async () => {
    // Prepare
    ddb.on(TransactWriteItemsCommand).resolves({});
    const logTail = Array.from({ length: 50 }, (_, i) => `${String(i).padStart(3, '0')} ${'é'.repeat(75)}`);
    const { launchStartedAt: _l, ...rest } = deployment();
    const big: Deployment = {
      ...rest,
      status: 'ended',
      outcome: 'failed',
      finishedAt: '2026-11-25T09:20:00.000Z',
      rollout: 'halted',
      logTail,
      reason: 'x'.repeat(1000),
      stop: { exitCode: 1, stopCode: 'EssentialContainerExited' },
    };

    // Act
    await store.commit({ deployments: [{ deployment: big, expectedRevision: 1 }] });

    // Assess
    const item = ddb.commandCalls(TransactWriteItemsCommand)[0]?.args[0].input.TransactItems?.[0]?.Put?.Item;
    expect(item?.logTail?.L).toHaveLength(50);
    expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(400 * 1024);
  });

  it('reads the environment (alone or with no deployments) with one consistent BatchGetItem, an empty one when there is none', async () => {
    // Prepare
    const stateItem = marshall({ pk: 'ENV#staging', sk: 'STATE', ...env(7) });
    ddb
      .on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { [TABLE]: [stateItem] } })
      .resolvesOnce({ Responses: { [TABLE]: [] } })
      .resolvesOnce({ Responses: { [TABLE]: [stateItem] } });

    // Act
    const found = await store.loadEnvironment('staging');
    const missing = await store.loadEnvironment('staging');
    const withNone = await store.loadEnvironmentWith('staging', []);

    // Assess
    expect(found).toEqual(env(7));
    expect(missing).toEqual({ environment: 'staging', version: 0 });
    expect(withNone).toEqual({ env: env(7), deployments: {} });
    const asked = ddb.commandCalls(BatchGetItemCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]);
    expect(asked).toEqual([1, 2, 3].map(() => ({ Keys: [STATE_KEY], ConsistentRead: true })));
    expect(ddb).not.toHaveReceivedCommand(GetItemCommand);
  });

  it('loads several deployments with one consistent BatchGetItem, skipping missing ones', async () => {
    // Prepare
    const other = deployment({ id: '20261125-080000-00000000' });
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [depItem(other), depItem(deployment())] } });

    // Act
    const found = await store.loadDeployments([ID, other.id, '20261125-000000-ffffffff']);

    // Assess
    expect(found).toEqual({ [ID]: deployment(), [other.id]: other });
    expect(ddb).toHaveReceivedCommandTimes(BatchGetItemCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(BatchGetItemCommand, {
      RequestItems: { [TABLE]: { ConsistentRead: true, Keys: [depKey(ID), depKey(other.id), depKey('20261125-000000-ffffffff')] } },
    });
    expect(ddb).not.toHaveReceivedCommand(GetItemCommand);
  });

  it('asks for each deployment once, and sends nothing for no ids', async () => {
    // Prepare
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [depItem(deployment())] } });

    // Act
    const none = await store.loadDeployments([]);
    const repeated = await store.loadDeployments([ID, ID]);

    // Assess
    expect(none).toEqual({});
    expect(repeated).toEqual({ [ID]: deployment() });
    expect(ddb).toHaveReceivedCommandTimes(BatchGetItemCommand, 1);
    expect(ddb.commandCalls(BatchGetItemCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.Keys).toEqual([depKey(ID)]);
  });

  it('refuses a deployment or environment record that does not validate, naming its key and field', async () => {
    // Prepare
    const bad = { ...depItem(deployment()), revision: { S: 'one' } };
    ddb
      .on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { [TABLE]: [bad] } })
      .resolvesOnce({ Responses: { [TABLE]: [marshall({ pk: 'ENV#staging', sk: 'STATE', ...env(7), version: 'seven' })] } });

    // Act
    const deployments = store.loadDeployments([ID]);
    const environment = store.loadEnvironment('staging');

    // Assess
    await expect(deployments).rejects.toThrow(InvalidRecordError);
    await expect(deployments).rejects.toMatchObject({ key: `ENV#staging/DEP#${ID}`, problem: expect.stringContaining('revision') });
    await expect(environment).rejects.toMatchObject({ key: 'ENV#staging/STATE', problem: expect.stringContaining('version') });
  });

  it('reads the environment record and deployments in one consistent BatchGetItem', async () => {
    // Prepare
    ddb.on(BatchGetItemCommand).resolves({
      Responses: {
        [TABLE]: [depItem(deployment()), marshall({ pk: 'ENV#staging', sk: 'STATE', ...env(7) })],
      },
    });

    // Act
    const found = await store.loadEnvironmentWith('staging', [ID, '20261125-000000-ffffffff']);

    // Assess
    expect(found).toEqual({ env: env(7), deployments: { [ID]: deployment() } });
    expect(ddb).toHaveReceivedCommandTimes(BatchGetItemCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(BatchGetItemCommand, {
      RequestItems: {
        [TABLE]: {
          ConsistentRead: true,
          Keys: [STATE_KEY, depKey(ID), depKey('20261125-000000-ffffffff')],
        },
      },
    });
  });

  it('asks again for keys BatchGetItem left unprocessed, and gives up with a retryable error', async () => {
    // Prepare
    ddb
      .on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [STATE_KEY] } } })
      .resolvesOnce({ Responses: { [TABLE]: [marshall({ pk: 'ENV#staging', sk: 'STATE', ...env(7) })] } });

    // Act
    const found = await store.loadEnvironmentWith('staging', [ID]);
    ddb.on(BatchGetItemCommand).resolves({ UnprocessedKeys: { [TABLE]: { Keys: [STATE_KEY] } } });
    const stuck = store.loadEnvironmentWith('staging', [ID]);

    // Assess
    expect(found).toEqual({ env: env(7), deployments: {} });
    expect(ddb.commandCalls(BatchGetItemCommand)[1]?.args[0].input.RequestItems?.[TABLE]?.Keys).toEqual([STATE_KEY]);
    await expect(stuck).rejects.toThrow(TransientAwsError);
  });

  it("lists deployments newest first with one Query (the CLI's history store)", async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [depItem(deployment())] });
    const history = new DynamoDbHistoryStore(client, { table: TABLE, environment: 'staging' });

    // Act
    const listed = await history.listDeployments('staging', 20);

    // Assess
    expect(listed.map((d) => d.id)).toEqual([ID]);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': { S: 'ENV#staging' }, ':prefix': { S: 'DEP#' } },
      ScanIndexForward: false,
      Limit: 20,
    });
  });

  it('throws TransientAwsError when reads are throttled', async () => {
    // Prepare
    ddb
      .on(BatchGetItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ $metadata: { httpStatusCode: 400 }, message: 'slow down' }));

    // Act
    const result = store.loadEnvironment('staging');

    // Assess
    await expect(result).rejects.toThrow(TransientAwsError);
  });
});
