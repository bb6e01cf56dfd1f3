import 'aws-sdk-client-mock-vitest/extend';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsEcs, type AwsEcsOptions, DEPLOYMENT_TAG } from '../../src/adapters/aws/ecs.js';
import { ACCOUNT, REGION, TD } from '../support/fixtures.js';

const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;

describe('only images of REGISTRY/REPOSITORY are rolled out', () => {
  const CLUSTER = 'shop-staging';
  const WORKER_TD = (rev: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/shop-worker:${rev}`;
  const client = new ECSClient({ region: REGION });
  const ecs = mockClient(client);

  beforeEach(() => {
    ecs.reset();
    // The revision a deploy-request named by taskDefinitionArn (of the service's family, so accepted and run as it is):
    // its migration container runs an image of a repository named like ours, in a registry that is not REGISTRY.
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(44) }).resolves({
      taskDefinition: {
        taskDefinitionArn: TD(44),
        family: 'shop-api',
        containerDefinitions: [{ name: 'app', image: 'evil.example.com/shop-api:latest' }],
      },
      tags: [],
    });
    // The second gated service (another family, its own task role), on an image of REGISTRY/REPOSITORY.
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [{ serviceName: 'shop-worker', status: 'ACTIVE', taskDefinition: WORKER_TD(7) }] });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: WORKER_TD(7) }).resolves({
      taskDefinition: {
        taskDefinitionArn: WORKER_TD(7),
        family: 'shop-worker',
        taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/shop-worker-task`,
        containerDefinitions: [{ name: 'worker', image: `${REGISTRY}/shop-api@sha256:${'0'.repeat(64)}` }],
      },
      tags: [],
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: WORKER_TD(8), family: 'shop-worker' } });
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ status: 'PRIMARY', id: 'ecs-svc/1' }] } });
  });

  it('a task definition run as it is never moves the other gated services to an image of another registry', async () => {
    // Attack: SERVICES=shop-api,shop-worker. A principal that may register revisions of the shop-api family and send
    // requests (trusted for shop-api alone, docs/RELIABILITY.md) registers a revision whose migration container runs
    // `evil.example.com/shop-api:latest` and sends a deploy-request with its taskDefinitionArn. On exit 0 the other
    // services "move to the image its migration container runs, when that is an image of REPOSITORY"
    // (migrationImageOf): the check compares only the repository path, in any registry.
    // Was: shop-worker (another family, another task role) gets a new revision running the foreign-registry image,
    // and UpdateService moves it there.
    // Now: an image not in REGISTRY/REPOSITORY (the boundary requests are held to) is not rolled out to the other
    // services: they are reported not moved (`ok: false`, saying why) and left on their revision.
    const options = {
      cluster: CLUSTER,
      environment: 'staging',
      service: 'shop-api',
      container: 'app',
      repository: 'shop-api',
      registry: REGISTRY,
    } satisfies AwsEcsOptions;
    const adapter = new AwsEcs(client, options);
    const results = await adapter.rollOutImage({
      cluster: CLUSTER,
      services: ['shop-worker'],
      tags: { [DEPLOYMENT_TAG]: '20261125-100211-0a1b2c3d' },
      imageOf: TD(44),
    });
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(results).toEqual([expect.objectContaining({ service: 'shop-worker', ok: false })]);
  });
});
