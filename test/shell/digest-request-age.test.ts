import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/adapters/local/store.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import { ImageNotFoundError, TransientAwsError } from '../../src/errors.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ports } from '../../src/ports.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from '../support/fake-ecs.js';
import { config, sample, service, TD, withEvent } from '../support/fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-digest-age-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api';
const OLD = `${REPO}@sha256:${'a'.repeat(64)}`;
const NEW = `${REPO}@sha256:${'b'.repeat(64)}`;

/**
 * The launcher of an environment that rolled out NEW (pushed 09:00), on a service running it; `seen` is what the
 * environment record remembers of pushes, `registry` dates the images it is asked about.
 */
async function launcherAfterNew(seen: { image: string; pushedAt: string }[], registry: Ports['registry']) {
  const store = new LocalStore(new LocalLayout(dir, 'staging'));
  await store.commit({
    env: {
      expectedVersion: 0,
      state: {
        environment: 'staging',
        version: 1,
        lastSucceeded: { deploymentId: 'deployed-new', image: NEW, at: '2026-11-25T09:05:00Z', pushedAt: '2026-11-25T09:00:00Z' },
        seenImages: seen,
      },
    },
    deployments: [],
  });
  const launched: LaunchRequest[] = [];
  const ports: Ports = {
    ecs: fakeEcs({
      describeService: async () => ({ ...service, image: NEW, taskDefinitionArn: TD(43) }),
      launch: async (r) => {
        launched.push(r);
        return { ok: true, taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/0ld', taskDefinitionArn: TD(44) };
      },
    }),
    store,
    bus: { put: async () => {} },
    logs: { tail: async () => [] },
    scheduler: { scheduleTimeout: async () => {} },
    registry,
  };
  const controller = createController({ config: config(), ports, log: silentLog, now: () => new Date('2026-11-25T10:02:12Z') });
  return { controller, launched };
}

const request = (requestId: string, rerun = false) =>
  withEvent(sample('deploy-request'), { detail: { image: OLD, requestId, ...(rerun ? { rerun } : {}) } });

describe('a deploy-request pinned by the digest of an image older than the one rolled out', () => {
  // A request pinned by digest had no push time (no registry look-up, the environment's seenImages not consulted),
  // so it was never older than anything: a re-run of an old CI job migrated an image pushed before the one rolled
  // out and, on exit 0, moved the service back to it, where the same request by tag was refused.
  it('is dated by the registry (ECR imagePushedAt of the digest) and refused unless it is a rerun', async () => {
    const asked: unknown[] = [];
    const { controller, launched } = await launcherAfterNew([{ image: NEW, pushedAt: '2026-11-25T09:00:00Z' }], {
      describeImage: async (repository, id) => {
        asked.push({ repository, ...id });
        return { digest: `sha256:${'a'.repeat(64)}`, pushedAt: '2026-11-25T08:00:00.000Z' };
      },
    });

    const steps = await controller.handle(request('ci-rerun-of-an-old-job'));

    expect(asked).toEqual([{ repository: 'shop-api', digest: `sha256:${'a'.repeat(64)}` }]);
    expect(steps[0]?.decision).toMatchObject({
      decision: 'reject',
      reason: expect.stringMatching(/was pushed before .* rolled out already/),
    });
    expect(launched).toEqual([]);
    const rerun = await controller.handle(request('deliberate-roll-back', true));
    expect(rerun[0]?.decision).toMatchObject({ decision: 'launch', reason: expect.stringMatching(/a deliberate roll back/) });
    expect(launched).toHaveLength(1);
  });

  it('is dated by the push the environment saw it with when the registry cannot date it (local mode)', async () => {
    const { controller, launched } = await launcherAfterNew(
      [
        { image: OLD, pushedAt: '2026-11-25T08:00:00Z' },
        { image: NEW, pushedAt: '2026-11-25T09:00:00Z' },
      ],
      { describeImage: async () => ({ digest: `sha256:${'a'.repeat(64)}` }) },
    );

    const steps = await controller.handle(request('ci-rerun-of-an-old-job'));

    expect(steps[0]?.decision.decision).toBe('reject');
    expect(launched).toEqual([]);
  });
});

describe('an ECR push of an image the environment has not seen', () => {
  const push = (image: string, time: string) =>
    withEvent(sample('ecr-push'), {
      top: { id: `push-${time}`, time },
      detail: { 'image-digest': image.split('@')[1], 'image-tag': 'v1.3.9' },
    });

  // ECR sends a push when a tag is added to an image it has: the event's time is the tag's. An old image never seen here
  // (its first push filtered by TAG_PATTERN, or before the stack existed) passed as newer than the one rolled out.
  it('is dated by ECR (imagePushedAt of its digest), not by the event: an old image tagged again is refused', async () => {
    const asked: unknown[] = [];
    const { controller, launched } = await launcherAfterNew([{ image: NEW, pushedAt: '2026-11-25T09:00:00Z' }], {
      describeImage: async (repository, id) => {
        asked.push({ repository, ...id });
        return { digest: `sha256:${'a'.repeat(64)}`, pushedAt: '2026-11-25T08:00:00.000Z' };
      },
    });

    const steps = await controller.handle(push(OLD, '2026-11-25T10:02:00Z'));

    expect(asked).toEqual([{ repository: 'shop-api', digest: `sha256:${'a'.repeat(64)}` }]);
    expect(steps[0]?.decision).toMatchObject({ decision: 'ignore', reason: expect.stringMatching(/pushed before/) });
    expect(launched).toEqual([]);
  });

  it('an image seen before keeps the time it was first seen, with no registry read', async () => {
    const { controller, launched } = await launcherAfterNew(
      [
        { image: OLD, pushedAt: '2026-11-25T08:00:00Z' },
        { image: NEW, pushedAt: '2026-11-25T09:00:00Z' },
      ],
      { describeImage: async () => Promise.reject(new Error('not read for an image seen before')) },
    );

    const steps = await controller.handle(push(OLD, '2026-11-25T10:02:00Z'));

    expect(steps[0]?.decision.decision).toBe('ignore');
    expect(launched).toEqual([]);
  });

  it('an image ECR no longer has is dated by its event; a registry failure that may pass is thrown, so the event is retried', async () => {
    const gone = await launcherAfterNew([], {
      describeImage: async () => Promise.reject(new ImageNotFoundError('shop-api@sha256:b… does not exist')),
    });
    const steps = await gone.controller.handle(push(`${REPO}@sha256:${'d'.repeat(64)}`, '2026-11-25T10:02:00Z'));
    expect(steps[0]?.decision.decision).toBe('launch');

    await rm(dir, { recursive: true, force: true });
    const throttled = await launcherAfterNew([], {
      describeImage: async () => Promise.reject(new TransientAwsError('ecr:DescribeImages failed: ThrottlingException')),
    });
    await expect(throttled.controller.handle(push(`${REPO}@sha256:${'d'.repeat(64)}`, '2026-11-25T10:02:00Z'))).rejects.toThrow(
      /ThrottlingException/,
    );
    expect(throttled.launched).toEqual([]);
  });
});
