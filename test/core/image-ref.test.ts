import { describe, expect, it } from 'vitest';
import { checkImage, checkTaskDefinition, imageByDigest, parseImageRef } from '../../src/core/image-ref.js';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const DIGEST = `sha256:${'0f'.repeat(32)}`;
const allowed = { registry: REGISTRY, repository: 'team/shop-api' };

describe('parseImageRef', () => {
  it('reads registry, repository, tag and digest', () => {
    expect(parseImageRef(`${REGISTRY}/team/shop-api:v1.2@${DIGEST}`)).toEqual({
      ok: true,
      value: { registry: REGISTRY, repository: 'team/shop-api', tag: 'v1.2', digest: DIGEST },
    });
    expect(parseImageRef('localhost:5000/app:dev')).toMatchObject({
      ok: true,
      value: { registry: 'localhost:5000', repository: 'app', tag: 'dev' },
    });
  });

  it.each([
    'shop-api:v1',
    `${REGISTRY}/Shop:v1`,
    `${REGISTRY}/shop:v1@sha256:xyz`,
    `${REGISTRY}/shop:-bad`,
    `${REGISTRY}//shop:v1`,
    'x'.repeat(600),
  ])('refuses %s', (image) => {
    expect(parseImageRef(image).ok).toBe(false);
  });
});

describe('checkImage', () => {
  it('accepts the repository by tag, by digest and by both', () => {
    for (const image of [`${REGISTRY}/team/shop-api:v1`, `${REGISTRY}/team/shop-api@${DIGEST}`, `${REGISTRY}/team/shop-api:v1@${DIGEST}`]) {
      expect(checkImage(image, allowed).ok, image).toBe(true);
    }
  });

  it('compares the registry host without regard to case', () => {
    expect(checkImage(`${REGISTRY.toUpperCase()}/team/shop-api:v1`, allowed).ok).toBe(true);
  });

  it('says what is expected when the image is elsewhere', () => {
    const result = checkImage('evil.example.com/backdoor:latest', allowed);
    expect(result).toEqual({
      ok: false,
      reason: `image "evil.example.com/backdoor:latest" is not in the configured repository: expected ${REGISTRY}/team/shop-api:<tag> or ${REGISTRY}/team/shop-api@sha256:<digest> (REGISTRY/REPOSITORY)`,
    });
  });

  it('refuses an image with neither tag nor digest (an implicit "latest")', () => {
    expect(checkImage(`${REGISTRY}/team/shop-api`, allowed)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('neither a tag nor a digest'),
    });
  });

  it('echoes a huge image bounded', () => {
    const result = checkImage(`evil.example.com/${'a'.repeat(1_000_000)}`, allowed);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeLessThan(1_000);
  });

  it('builds the pinned reference', () => {
    expect(imageByDigest(REGISTRY, 'shop-api', DIGEST)).toBe(`${REGISTRY}/shop-api@${DIGEST}`);
  });
});

describe('checkTaskDefinition', () => {
  const own = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:42';
  it('accepts any revision of the service family in its account and region', () => {
    expect(checkTaskDefinition('arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:7', own).ok).toBe(true);
  });

  it.each([
    'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api-evil:7',
    'arn:aws:ecs:eu-west-1:999999999999:task-definition/shop-api:7',
    'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-api:7',
    'arn:aws-cn:ecs:eu-west-1:123456789012:task-definition/shop-api:7',
    'shop-api:7',
  ])('refuses %s', (arn) => {
    expect(checkTaskDefinition(arn, own).ok).toBe(false);
  });

  it('refuses when the service task definition is unknown', () => {
    expect(checkTaskDefinition(own, undefined)).toMatchObject({ ok: false, reason: expect.stringContaining('unknown') });
  });
});
