import { describe, expect, it } from 'vitest';
import { isImageOfRepository, parseImageRef } from '../../src/core/image-ref.js';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  it.each([
    [`${ECR}/shop-api:v1.4.0`, { registry: ECR, repository: 'shop-api', tag: 'v1.4.0' }],
    [`${ECR}/team/shop-api@${DIGEST}`, { registry: ECR, repository: 'team/shop-api', digest: DIGEST }],
    [`localhost:5000/app:1.2@${DIGEST}`, { registry: 'localhost:5000', repository: 'app', tag: '1.2', digest: DIGEST }],
    [
      'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
      { registry: 'public.ecr.aws', repository: 'aws-observability/aws-for-fluent-bit', tag: 'stable' },
    ],
    ['team/app:1', { repository: 'team/app', tag: '1' }],
    ['nginx', { repository: 'nginx' }],
  ])('parses %s', (image, expected) => {
    expect(parseImageRef(image)).toEqual(expected);
  });

  it.each(['', `${ECR}/shop-api@sha256:short`, `${ECR}/Shop_API:v1`, `${ECR}/shop-api:`])('refuses %j', (image) => {
    expect(parseImageRef(image)).toBeUndefined();
  });

  it('matches the repository, not a repository that starts the same way or another path', () => {
    expect(isImageOfRepository(`${ECR}/shop-api:v1`, 'shop-api')).toBe(true);
    expect(isImageOfRepository(`${ECR}/shop-api@${DIGEST}`, 'shop-api')).toBe(true);
    expect(isImageOfRepository(`${ECR}/shop-api-admin:v1`, 'shop-api')).toBe(false);
    expect(isImageOfRepository(`${ECR}/team/shop-api:v1`, 'shop-api')).toBe(false);
  });
});
