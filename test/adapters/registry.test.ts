import 'aws-sdk-client-mock-vitest/extend';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, ECRClient, ECRServiceException } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EcrRegistry, ecrRegistryId } from '../../src/adapters/aws/registry.js';
import { LocalRegistry } from '../../src/adapters/local/registry.js';
import { EcsMigrateError, ImageNotFoundError, TransientAwsError } from '../../src/errors.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;

describe('EcrRegistry', () => {
  const client = new ECRClient({ region: 'eu-west-1' });
  const ecr = mockClient(client);
  const registry = new EcrRegistry({ registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', client });
  beforeEach(() => ecr.reset());

  const failure = (name: string, status: number, fault: 'client' | 'server') =>
    new ECRServiceException({ name, message: name, $fault: fault, $metadata: { httpStatusCode: status } });

  it('asks the registry account for the tag and returns digest and push time', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imagePushedAt: new Date('2026-11-25T09:00:00Z') }] });
    await expect(registry.describeImage('shop-api', { tag: 'v1' })).resolves.toEqual({
      digest: DIGEST,
      pushedAt: '2026-11-25T09:00:00.000Z',
    });
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      registryId: '123456789012',
      repositoryName: 'shop-api',
      imageIds: [{ imageTag: 'v1' }],
    });
  });

  it('asks for an image named by digest by its digest: its push time dates a request pinned by digest', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imagePushedAt: new Date('2026-11-25T08:00:00Z') }] });
    await expect(registry.describeImage('shop-api', { digest: DIGEST })).resolves.toEqual({
      digest: DIGEST,
      pushedAt: '2026-11-25T08:00:00.000Z',
    });
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: 'shop-api', imageIds: [{ imageDigest: DIGEST }] });
    ecr.reset();
    ecr.on(DescribeImagesCommand).rejects(failure('ImageNotFoundException', 400, 'client'));
    await expect(registry.describeImage('shop-api', { digest: DIGEST })).rejects.toThrow(`shop-api@${DIGEST} does not exist`);
  });

  it('classifies failures: not found, transient, and access denied saying what to grant', async () => {
    ecr.on(DescribeImagesCommand).rejects(failure('ImageNotFoundException', 400, 'client'));
    await expect(registry.describeImage('shop-api', { tag: 'v1' })).rejects.toThrow(ImageNotFoundError);
    ecr.reset();
    ecr.on(DescribeImagesCommand).rejects(failure('ThrottlingException', 400, 'client'));
    await expect(registry.describeImage('shop-api', { tag: 'v1' })).rejects.toThrow(TransientAwsError);
    ecr.reset();
    ecr.on(DescribeImagesCommand).rejects(failure('AccessDeniedException', 400, 'client'));
    const denied = registry.describeImage('shop-api', { tag: 'v1' });
    await expect(denied).rejects.toThrow(EcsMigrateError);
    await expect(denied).rejects.toThrow(/ecr:DescribeImages failed: AccessDenied.*grant the function's role ecr:DescribeImages/);
  });

  it('reads the account of an ECR registry host only', () => {
    expect(ecrRegistryId('123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toBe('123456789012');
    expect(ecrRegistryId('registry.example.com')).toBeUndefined();
  });
});

describe('LocalRegistry', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-registry-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves the tags it recorded and says when a tag is unknown', async () => {
    const registry = new LocalRegistry(join(dir, 'tags.json'));
    await expect(registry.describeImage('app', { tag: 'v1' })).rejects.toThrow(ImageNotFoundError);
    await registry.tag('app', 'v1', { digest: DIGEST, pushedAt: '2026-11-25T09:00:00.000Z' });
    await expect(registry.describeImage('app', { tag: 'v1' })).resolves.toEqual({ digest: DIGEST, pushedAt: '2026-11-25T09:00:00.000Z' });
    await expect(registry.describeImage('__proto__', { tag: 'v1' })).rejects.toThrow(ImageNotFoundError);
  });

  it('dates a digest by a tag of it, and leaves a digest built here but never tagged undated', async () => {
    const registry = new LocalRegistry(join(dir, 'tags.json'));
    await registry.tag('app', 'v1', { digest: DIGEST, pushedAt: '2026-11-25T09:00:00.000Z' });
    await expect(registry.describeImage('app', { digest: DIGEST })).resolves.toEqual({
      digest: DIGEST,
      pushedAt: '2026-11-25T09:00:00.000Z',
    });
    const untagged = `sha256:${'e'.repeat(64)}`;
    await expect(registry.describeImage('app', { digest: untagged })).resolves.toEqual({ digest: untagged });
    await expect(registry.describeImage('other', { digest: DIGEST })).resolves.toEqual({ digest: DIGEST });
  });
});
