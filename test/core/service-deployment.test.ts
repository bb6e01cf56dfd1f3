import { describe, expect, it } from 'vitest';
import { repositoryImageOf, type ServiceRevisionInfo } from '../../src/core/service-deployment.js';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const REV = 'arn:aws:ecs:eu-west-1:123456789012:service-revision/shop-staging/shop-api/4980306466373577095';

const revision = (containerImages: ServiceRevisionInfo['containerImages']): ServiceRevisionInfo => ({
  serviceRevisionArn: REV,
  serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-api',
  clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging',
  taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:43',
  containerImages,
});

describe('repositoryImageOf (the digest a pause-hook deployment is keyed by)', () => {
  it('pins the REPOSITORY image by the digest ECS resolved, over every container that runs it', () => {
    const r = revision([
      { containerName: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable', imageDigest: B },
      { containerName: 'app', image: `${ECR}/shop-api:v1.4.0`, imageDigest: A },
      { containerName: 'jobs', image: `${ECR}/shop-api:v1.4.0`, imageDigest: A },
    ]);
    expect(repositoryImageOf(r, 'shop-api')).toEqual({ ok: true, digest: A, image: `${ECR}/shop-api@${A}`, containers: ['app', 'jobs'] });
  });

  it('refuses a revision without the repository, without a digest, or with two digests of it', () => {
    expect(repositoryImageOf(revision([{ containerName: 'proxy', image: 'nginx:1.27', imageDigest: B }]), 'shop-api')).toEqual({
      ok: false,
      reason: `service revision ${REV} runs no image of repository "shop-api" (proxy=nginx:1.27): check REPOSITORY`,
    });
    expect(repositoryImageOf(revision([{ containerName: 'app', image: `${ECR}/shop-api:v1` }]), 'shop-api')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no image digest for container app'),
    });
    const two = revision([
      { containerName: 'app', image: `${ECR}/shop-api:v2`, imageDigest: A },
      { containerName: 'jobs', image: `${ECR}/shop-api:v1`, imageDigest: B },
    ]);
    expect(repositoryImageOf(two, 'shop-api')).toMatchObject({ ok: false, reason: expect.stringContaining('2 different digests') });
  });

  it("with REGISTRY, counts only that registry's repository, as update-service mode moves only it", () => {
    // Was: any registry's "shop-api" counted: two digests refused, and the first one's registry pinned the image.
    const r = revision([
      { containerName: 'vendor', image: '999999999999.dkr.ecr.eu-west-1.amazonaws.com/shop-api:2.0', imageDigest: B },
      { containerName: 'app', image: `${ECR}/shop-api:v1.4.0`, imageDigest: A },
    ]);
    expect(repositoryImageOf(r, 'shop-api', ECR)).toEqual({ ok: true, digest: A, image: `${ECR}/shop-api@${A}`, containers: ['app'] });
    const vendorOnly = revision([
      { containerName: 'vendor', image: '999999999999.dkr.ecr.eu-west-1.amazonaws.com/shop-api:2.0', imageDigest: B },
    ]);
    expect(repositoryImageOf(vendorOnly, 'shop-api', ECR)).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`runs no image of repository "shop-api" of registry ${ECR}`),
    });
  });
});
