import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EcrRegistry } from '../../src/adapters/aws/registry.js';
import { taskDefinitionOf } from '../../src/core/deployment.js';
import { ImageNotFoundError } from '../../src/errors.js';
import {
  deploymentsStore,
  deployRequestEvent,
  drainEvents,
  freshStack,
  type Handler,
  handlerEnv,
  lambdaContext,
  named,
  pushImage,
  REGION,
  REGISTRY,
  REPOSITORY,
  type Stack,
  type TestClients,
  taskArns,
  testClients,
} from './environment.js';

/**
 * Issue 10, defect 1 on the emulator: the ECR adapter resolves a tag to its digest (moto 5.2.1 emulates
 * CreateRepository, PutImage and DescribeImages with imagePushedAt and the not-found errors; see
 * docs/RELIABILITY.md), and the launcher migrates what the tag pointed to, pinned by digest.
 */

/** Pushes an image (a manifest with one layer of its own) with `tag`; returns its digest as ECR computed it. */

function request(image: string, requestId: string): Record<string, unknown> {
  return deployRequestEvent(`0000${requestId}`, requestId, { image });
}

describe('Registry on AWS (moto)', () => {
  let c: TestClients;
  let ecr: ECRClient;
  let stack: Stack;
  let launch: Handler;

  beforeAll(async () => {
    Object.assign(process.env, handlerEnv());
    launch = (await import('../../handlers/launch.js')).handler;
    c = testClients();
    ecr = new ECRClient({ region: REGION, maxAttempts: 1 });
  });

  beforeEach(async () => {
    stack = await freshStack(c);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
  });

  it('resolves a tag to the digest and push time ECR reports', async () => {
    const digest = await pushImage(ecr, 'v2.0.0', 'a');
    const registry = new EcrRegistry({ registry: REGISTRY, client: ecr });
    const resolved = await registry.describeImage(REPOSITORY, { tag: 'v2.0.0' });
    expect(resolved.digest).toBe(digest);
    expect(Date.parse(resolved.pushedAt ?? '')).toBeGreaterThan(Date.parse('2020-01-01T00:00:00Z'));
  });

  it('dates an image named by digest, and says a digest it does not have is not found', async () => {
    const digest = await pushImage(ecr, 'v2.0.0', 'c');
    const registry = new EcrRegistry({ registry: REGISTRY, client: ecr });
    const byTag = await registry.describeImage(REPOSITORY, { tag: 'v2.0.0' });
    await expect(registry.describeImage(REPOSITORY, { digest })).resolves.toEqual(byTag);
    await expect(registry.describeImage(REPOSITORY, { digest: `sha256:${'0'.repeat(64)}` })).rejects.toThrow(ImageNotFoundError);
  });

  it('says a missing tag or repository is not found (not a transient failure)', async () => {
    const registry = new EcrRegistry({ registry: REGISTRY, client: ecr });
    await expect(registry.describeImage(REPOSITORY, { tag: 'nope' })).rejects.toThrow(ImageNotFoundError);
    await expect(registry.describeImage('other-repository', { tag: 'v1' })).rejects.toThrow(ImageNotFoundError);
  });

  it('launches a deploy-request by tag with the digest the tag points to, and records that digest', async () => {
    const digest = await pushImage(ecr, 'v2.0.0', 'b');
    const result = await launch(request(`${REGISTRY}/${REPOSITORY}:v2.0.0`, 'by-tag-1'), lambdaContext('launch'));
    expect(result.decisions.map((d) => d.decision)).toEqual(['launch', 'record']);
    const id = result.decisions[0]?.deploymentId ?? '';
    const deployment = (await deploymentsStore(c).loadDeployments([id]))[id];
    expect(deployment?.work).toMatchObject({ type: 'image', image: `${REGISTRY}/${REPOSITORY}@${digest}`, pushedAt: expect.any(String) });
    expect(deployment?.trigger.imageTag).toBe('v2.0.0');
    const { taskDefinition } = await c.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: deployment !== undefined ? taskDefinitionOf(deployment) : undefined }),
    );
    expect(taskDefinition?.containerDefinitions?.[0]?.image).toBe(`${REGISTRY}/${REPOSITORY}@${digest}`);
  });

  it('rejects a tag the repository does not have, and an image of another registry, starting no task', async () => {
    const missing = await launch(request(`${REGISTRY}/${REPOSITORY}:v9.9.9`, 'missing-1'), lambdaContext('launch'));
    const evil = await launch(request('evil.example.com/backdoor:latest', 'evil-1'), lambdaContext('launch'));
    expect([...missing.decisions, ...evil.decisions].map((d) => d.decision)).toEqual(['reject', 'reject']);
    expect(missing.decisions[0]?.reason).toContain('cannot be resolved to a digest');
    expect(await taskArns(c)).toEqual([]);
    const rejected = named(await drainEvents(c, stack.queueUrl), 'Event Rejected');
    expect(rejected).toHaveLength(2);
  });
});
