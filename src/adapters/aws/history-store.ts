import { type AttributeValue, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Deployment } from '../../core/deployment.js';
import type { DeploymentHistory } from '../../ports.js';
import { awsFailure } from './aws-error.js';
import { DEPLOYMENT_SK_PREFIX, DynamoDbStore, KEYS, readDeployment } from './store.js';

/**
 * The CLI's store: the controller's reads and writes plus the history listing. Its own module so that the Lambda
 * bundles, which import only `DynamoDbStore`, carry neither the listing nor the Query command.
 */
export class DynamoDbHistoryStore extends DynamoDbStore implements DeploymentHistory {
  /** A descending Query on the environment's `DEP#` items (ids start with their UTC time), page after page up to `limit`. */
  async listDeployments(environment: string, limit: number): Promise<Deployment[]> {
    const found: Deployment[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      let page: QueryCommandOutput;
      try {
        page = await this.client.send(
          new QueryCommand({
            TableName: this.options.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': { S: KEYS.environment(environment).pk }, ':prefix': { S: DEPLOYMENT_SK_PREFIX } },
            ScanIndexForward: false,
            Limit: limit - found.length,
            ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
          }),
        );
      } catch (error) {
        throw awsFailure(error, 'dynamodb:Query', `check DEPLOYMENTS_TABLE ("${this.options.table}")`);
      }
      for (const item of page.Items ?? []) {
        const read = readDeployment(unmarshall(item));
        if (read.ok) found.push(read.value);
        else this.options.onInvalid?.(read.problem);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined && found.length < limit);
    return found;
  }
}
