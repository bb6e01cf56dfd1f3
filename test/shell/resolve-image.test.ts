import { describe, expect, it } from 'vitest';
import type { DeployRequestInput } from '../../src/core/inputs.js';
import { ImageNotFoundError, TransientAwsError } from '../../src/errors.js';
import type { Registry } from '../../src/ports.js';
import { resolveRequestImage } from '../../src/shell/resolve-image.js';
import { config, parse, sample, withEvent } from '../support/fixtures.js';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const DIGEST = `sha256:${'e'.repeat(64)}`;

function requestFor(image: string): DeployRequestInput {
  const input = parse(withEvent(sample('deploy-request'), { detail: { image } }));
  if (input.kind !== 'deploy-request') throw new Error(`not a deploy-request: ${JSON.stringify(input)}`);
  return input;
}

function registry(answer: () => Promise<{ digest: string; pushedAt?: string }>) {
  const asked: string[] = [];
  const port: Registry = {
    describeImage: async (repository, id) => {
      asked.push('tag' in id ? `${repository}:${id.tag}` : `${repository}@${id.digest}`);
      return answer();
    },
  };
  return { port, asked };
}

describe('resolveRequestImage', () => {
  it('pins a tag of the repository to its digest, keeping the tag and the push time', async () => {
    const r = registry(async () => ({ digest: DIGEST, pushedAt: '2026-11-25T08:00:00.000Z' }));
    const resolved = await resolveRequestImage(requestFor(`${REGISTRY}/shop-api:v1.5.0`), r.port, config());
    expect(r.asked).toEqual(['shop-api:v1.5.0']);
    expect(resolved).toMatchObject({
      kind: 'deploy-request',
      work: { type: 'image', image: `${REGISTRY}/shop-api@${DIGEST}`, pushedAt: '2026-11-25T08:00:00.000Z' },
      trigger: { imageTag: 'v1.5.0' },
    });
  });

  it('never asks about an image of another repository', async () => {
    const r = registry(async () => ({ digest: DIGEST, pushedAt: '2026-11-25T08:00:00.000Z' }));
    for (const image of ['evil.example.com/backdoor:latest', `${REGISTRY}/other:v1`, `${REGISTRY}/other@${DIGEST}`]) {
      const input = requestFor(image);
      expect(await resolveRequestImage(input, r.port, config())).toBe(input);
    }
    expect(r.asked).toEqual([]);
  });

  it('asks the registry for the push time of an image pinned by digest: its age orders it as a tag would', async () => {
    const r = registry(async () => ({ digest: DIGEST, pushedAt: '2026-11-25T08:00:00.000Z' }));
    const resolved = await resolveRequestImage(requestFor(`${REGISTRY}/shop-api@${DIGEST}`), r.port, config());
    expect(r.asked).toEqual([`shop-api@${DIGEST}`]);
    expect(resolved).toMatchObject({
      work: { type: 'image', image: `${REGISTRY}/shop-api@${DIGEST}`, pushedAt: '2026-11-25T08:00:00.000Z' },
    });
  });

  it('writes an image pinned by digest in one form, keeping a tag given with it as information', async () => {
    const r = registry(async () => ({ digest: DIGEST, pushedAt: '2026-11-25T08:00:00.000Z' }));
    const resolved = await resolveRequestImage(requestFor(`${REGISTRY.toUpperCase()}/shop-api:v1.5.0@${DIGEST}`), r.port, config());
    expect(resolved).toMatchObject({ work: { type: 'image', image: `${REGISTRY}/shop-api@${DIGEST}` }, trigger: { imageTag: 'v1.5.0' } });
    expect(r.asked).toEqual([`shop-api@${DIGEST}`]);
  });

  it('leaves the age of a digest the registry cannot date unknown (local mode: built, never tagged)', async () => {
    const r = registry(async () => ({ digest: DIGEST }));
    const resolved = await resolveRequestImage(requestFor(`${REGISTRY}/shop-api@${DIGEST}`), r.port, config());
    expect(resolved).toMatchObject({ work: { type: 'image', image: `${REGISTRY}/shop-api@${DIGEST}` } });
    expect(resolved.kind === 'deploy-request' && resolved.work?.type === 'image' ? resolved.work.pushedAt : 'n/a').toBeUndefined();
  });

  it('makes a request for a tag the registry does not have invalid, and lets a transient failure through', async () => {
    const missing = registry(async () => {
      throw new ImageNotFoundError('shop-api:v9 does not exist');
    });
    expect(await resolveRequestImage(requestFor(`${REGISTRY}/shop-api:v9`), missing.port, config())).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('cannot be resolved to a digest: shop-api:v9 does not exist'),
    });
    expect(await resolveRequestImage(requestFor(`${REGISTRY}/shop-api@${DIGEST}`), missing.port, config())).toMatchObject({
      kind: 'invalid',
      reason: expect.stringMatching(/^image .* cannot be resolved: shop-api:v9 does not exist/),
    });
    const throttled = registry(async () => {
      throw new TransientAwsError('throttled');
    });
    await expect(resolveRequestImage(requestFor(`${REGISTRY}/shop-api:v9`), throttled.port, config())).rejects.toThrow(TransientAwsError);
  });
});
