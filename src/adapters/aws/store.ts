import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { OutboxRef } from '../../core/actions.js';
import type { Deployment } from '../../core/deployment.js';
import { decodeDeployment, decodeEnvironment, encodeDeployment, encodeEnvironment, type RecordProblem } from '../../core/records.js';
import { type EnvironmentState, emptyEnvironment } from '../../core/state.js';
import { CommitConflictError, InvalidRecordError, TransientAwsError } from '../../errors.js';
import type { CommitRequest, Store } from '../../ports.js';
import { awsErrorInfo, awsFailure } from './aws-error.js';

/**
 * Key schema of the deployments table (partition key `pk` String, sort key `sk` String), one partition per environment:
 *
 * | item               | pk               | sk             | attributes                                    |
 * |--------------------|------------------|----------------|-----------------------------------------------|
 * | environment record | `ENV#<env>`      | `STATE`        | environment, version, active, queued, lastSucceeded |
 * | deployment         | `ENV#<env>`      | `DEP#<id>`     | every `Deployment` field (revision, status, trigger, image, task, timings, stop, reason, logTail, history) |
 *
 * Deployment ids start with their UTC time (`YYYYMMDD-HHMMSS-…`), so a descending Query on `DEP#` lists
 * an environment's history newest first, and the lock and the history share one partition (one transaction).
 * No TTL: the history is kept. A deployment with a 50-line, 8 KB log tail is ~12 KB, far below the 400 KB item limit.
 */
export const KEYS = {
  environment: (environment: string) => ({ pk: `ENV#${environment}`, sk: 'STATE' }),
  deployment: (environment: string, id: string) => ({ pk: `ENV#${environment}`, sk: `${DEPLOYMENT_SK_PREFIX}${id}` }),
};
/** The sort key prefix of deployment items (`DEP#<id>`); `DynamoDbHistoryStore` queries on it. */
export const DEPLOYMENT_SK_PREFIX = 'DEP#';

export interface AwsStoreOptions {
  table: string;
  /** The environment this controller serves (ENVIRONMENT): `loadDeployments` reads from its partition. */
  environment: string;
  /**
   * Told of each record `DynamoDbHistoryStore.listDeployments` skips because it does not validate (a history
   * listing shows what it can). The controller's reads refuse such a record instead (`InvalidRecordError`).
   */
  onInvalid?: (problem: RecordProblem) => void;
}

/** Why clearing an outbox may find nothing to do: the record was written again, or is being written now. */
const CLEARED_BY_ANOTHER_WRITE = new Set(['ConditionalCheckFailedException', 'TransactionConflictException']);

/**
 * The `Store` port on one DynamoDB table: every write is conditional, every read is strongly consistent. Every read
 * is one BatchGetItem, however many records; the CLI's history listing (a Query) is `DynamoDbHistoryStore`'s, so the
 * Lambda bundles, which import only this class, carry neither the listing nor the Query command.
 */
export class DynamoDbStore implements Store {
  constructor(
    protected readonly client: DynamoDBClient,
    protected readonly options: AwsStoreOptions,
  ) {}

  async loadEnvironment(environment: string): Promise<EnvironmentState> {
    const [item] = await this.batchGet([KEYS.environment(environment)]);
    return toEnvironment(environment, item);
  }

  /** One strongly consistent BatchGetItem for the environment record and the deployments. */
  async loadEnvironmentWith(
    environment: string,
    ids: string[],
  ): Promise<{ env: EnvironmentState; deployments: Record<string, Deployment> }> {
    const items = await this.batchGet([KEYS.environment(environment), ...this.deploymentKeys(ids)]);
    const stateItem = items.find((item) => item.sk === 'STATE');
    return { env: toEnvironment(environment, stateItem), deployments: byId(items.filter((item) => item !== stateItem)) };
  }

  /** One strongly consistent BatchGetItem for all of them (≤ 100 ids; none for no ids); missing ones are left out. */
  async loadDeployments(ids: string[]): Promise<Record<string, Deployment>> {
    if (ids.length === 0) return {};
    return byId(await this.batchGet(this.deploymentKeys(ids)));
  }

  /**
   * One `TransactWriteItems`: each record is written only if its version (environment) or revision
   * (deployment) is still the one that was read; 0 means the record must not exist yet.
   */
  async commit(request: CommitRequest): Promise<void> {
    const items: TransactWriteItem[] = [];
    if (request.env !== undefined) {
      const { state, expectedVersion } = request.env;
      items.push(
        conditionalPut(
          this.options.table,
          { ...encodeEnvironment(state), ...KEYS.environment(state.environment) },
          'version',
          expectedVersion,
        ),
      );
    }
    for (const { deployment, expectedRevision } of request.deployments) {
      const item = { ...encodeDeployment(deployment), ...KEYS.deployment(deployment.environment, deployment.id) };
      items.push(conditionalPut(this.options.table, item, 'revision', expectedRevision));
    }
    if (items.length === 0) return;
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    } catch (error) {
      const conflict = conflictOf(error);
      if (conflict !== undefined) {
        throw new CommitConflictError(`the environment or a deployment changed since it was read (${conflict})`, { cause: error });
      }
      if (isThrottledTransaction(error)) {
        throw new TransientAwsError(
          `dynamodb:TransactWriteItems was throttled (${awsErrorInfo(error).message}); the event will be retried`,
          {
            cause: error,
          },
        );
      }
      throw awsFailure(error, 'dynamodb:TransactWriteItems', this.tableHint());
    }
  }

  async clearOutbox(ref: OutboxRef): Promise<void> {
    const [key, attribute, expected] =
      ref.record === 'environment'
        ? [KEYS.environment(ref.environment), 'version', ref.version]
        : [KEYS.deployment(this.options.environment, ref.deploymentId), 'revision', ref.revision];
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.table,
          Key: marshall(key),
          UpdateExpression: 'REMOVE outbox',
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: { '#v': attribute },
          ExpressionAttributeValues: { ':v': { N: String(expected) } },
        }),
      );
    } catch (error) {
      // A newer write replaced the record (and its outbox): nothing of ours is left to clear. Or a transaction is
      // writing it now: every commit writes its records without our outbox, and if that one fails, the outbox stays
      // for the next reader to publish again (at least once, as the outbox promises).
      if (CLEARED_BY_ANOTHER_WRITE.has(awsErrorInfo(error).name)) return;
      throw awsFailure(error, 'dynamodb:UpdateItem', this.tableHint());
    }
  }

  /** Keys of the deployments in this environment's partition, each once (BatchGetItem refuses a repeated key). */
  private deploymentKeys(ids: string[]): { pk: string; sk: string }[] {
    return [...new Set(ids)].map((id) => KEYS.deployment(this.options.environment, id));
  }

  private tableHint(): string {
    return `check DEPLOYMENTS_TABLE ("${this.options.table}") and its key schema (pk, sk: String)`;
  }

  /** BatchGetItem (≤ 100 keys), asking again for what DynamoDB left unprocessed, a few times with a short wait. */
  private async batchGet(keys: { pk: string; sk: string }[]): Promise<Record<string, unknown>[]> {
    const { table } = this.options;
    const found: Record<string, unknown>[] = [];
    let pending: Record<string, AttributeValue>[] = keys.map((key) => marshall(key));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > BATCH_ATTEMPTS) {
        throw new TransientAwsError(
          `dynamodb:BatchGetItem left ${pending.length} keys unprocessed after ${BATCH_ATTEMPTS} attempts; the event will be retried`,
        );
      }
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      try {
        const out = await this.client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }));
        found.push(...(out.Responses?.[table] ?? []).map((item) => unmarshall(item)));
        pending = out.UnprocessedKeys?.[table]?.Keys ?? [];
      } catch (error) {
        throw awsFailure(error, 'dynamodb:BatchGetItem', this.tableHint());
      }
    }
    return found;
  }
}

const BATCH_ATTEMPTS = 4;

function toEnvironment(environment: string, item: Record<string, unknown> | undefined): EnvironmentState {
  if (item === undefined) return emptyEnvironment(environment);
  const { pk, sk, ...record } = item;
  const read = decodeEnvironment(record);
  if (!read.ok) throw new InvalidRecordError(`${String(pk)}/${String(sk)}`, read.problem);
  return read.value;
}

function conditionalPut(table: string, item: object, versionAttribute: string, expected: number): TransactWriteItem {
  return {
    Put: {
      TableName: table,
      Item: marshall(item, { removeUndefinedValues: true }),
      ...(expected === 0
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: '#v = :expected',
            ExpressionAttributeNames: { '#v': versionAttribute },
            ExpressionAttributeValues: { ':expected': { N: String(expected) } },
          }),
    },
  };
}

/**
 * A lost race: a condition failed, or another transaction was writing the same item. Either way the
 * caller reloads and decides again. Returns the cancellation codes, or undefined for any other error.
 */
function conflictOf(error: unknown): string | undefined {
  const { name } = awsErrorInfo(error);
  if (name === 'TransactionConflictException' || name === 'ConditionalCheckFailedException') return name;
  if (name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  const codes = reasons.map((r) => r.Code ?? 'None');
  if (codes.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict')) return codes.join(', ');
  // Without reasons, the message carries them: "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]".
  return /ConditionalCheckFailed|TransactionConflict/.test(awsErrorInfo(error).message) ? awsErrorInfo(error).message : undefined;
}

/** A cancelled transaction whose reasons are only capacity: retrying later can succeed. */
function isThrottledTransaction(error: unknown): boolean {
  if (awsErrorInfo(error).name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some(
    (r) => r.Code === 'ThrottlingError' || r.Code === 'ProvisionedThroughputExceeded' || r.Code === 'RequestLimitExceeded',
  );
}

/** A deployment item decoded, or the problem that names its key and field. */
export function readDeployment(item: Record<string, unknown>): { ok: true; value: Deployment } | { ok: false; problem: RecordProblem } {
  const { pk, sk, ...record } = item;
  const read = decodeDeployment(record);
  return read.ok ? read : { ok: false, problem: { key: `${String(pk)}/${String(sk)}`, problem: read.problem } };
}

/** Deployments by id; one that does not validate stops the decision with its key and field. */
function byId(items: Record<string, unknown>[]): Record<string, Deployment> {
  const found: Record<string, Deployment> = {};
  for (const item of items) {
    const read = readDeployment(item);
    if (!read.ok) throw new InvalidRecordError(read.problem.key, read.problem.problem);
    found[read.value.id] = read.value;
  }
  return found;
}
