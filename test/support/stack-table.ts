import { type AttributeValue, BatchGetItemCommand, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { KEYS } from '../../src/adapters/aws/store.js';
import type { Deployment } from '../../src/core/deployment.js';
import { encodeDeployment, encodeEnvironment } from '../../src/core/records.js';
import type { EnvironmentState } from '../../src/core/state.js';

type Item = Record<string, AttributeValue>;

/**
 * A stack's deployments table, mocked on `dynamodb`, holding the environment record `env` (environment "staging")
 * and `deployments`: BatchGetItem answers by key, Query with every deployment (as the CLI's history reads them).
 */
export function mockTable(dynamodb: AwsClientStub<DynamoDBClient>, env: EnvironmentState, deployments: Deployment[]): void {
  const envItem: Item = marshall({ ...encodeEnvironment(env), ...KEYS.environment('staging') }, { removeUndefinedValues: true });
  const items: Item[] = deployments.map((d) =>
    marshall({ ...encodeDeployment(d), ...KEYS.deployment('staging', d.id) }, { removeUndefinedValues: true }),
  );
  dynamodb.on(BatchGetItemCommand).callsFake((input: { RequestItems: Record<string, { Keys: Item[] }> }) => {
    const [name, { Keys }] = Object.entries(input.RequestItems)[0] as [string, { Keys: Item[] }];
    const found = [envItem, ...items].filter((i) => Keys.some((k) => k.pk?.S === i.pk?.S && k.sk?.S === i.sk?.S));
    return { Responses: { [name]: found } };
  });
  dynamodb.on(QueryCommand).resolves({ Items: items });
}
