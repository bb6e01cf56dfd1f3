import { describe, expect, it } from 'vitest';
import { isImageOfRepository } from '../../src/core/image-ref.js';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('images of a repository (a service revision, a task definition)', () => {
  it('matches the repository, not a repository that starts the same way or another path', () => {
    expect(isImageOfRepository(`${ECR}/shop-api:v1`, 'shop-api')).toBe(true);
    expect(isImageOfRepository(`${ECR}/shop-api@${DIGEST}`, 'shop-api')).toBe(true);
    expect(isImageOfRepository(`${ECR}/shop-api-admin:v1`, 'shop-api')).toBe(false);
    expect(isImageOfRepository(`${ECR}/team/shop-api:v1`, 'shop-api')).toBe(false);
    expect(isImageOfRepository('public.ecr.aws/aws-observability/aws-for-fluent-bit:stable', 'shop-api')).toBe(false);
  });
});
