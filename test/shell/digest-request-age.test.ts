import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/adapters/local/store.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import { ImageNotFoundError, PermanentAwsError, TransientAwsError } from '../../src/errors.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ecs, Ports } from '../../src/ports.js';
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
 * environment record remembers of pushes, `registry` dates the images it is asked about, `ecs` answers the rest.
 */
async function launcherAfterNew(seen: { image: string; pushedAt: string }[], registry: Ports['registry'], ecs: Partial<Ecs> = {}) {
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
      ...ecs,
    }),
    store,
    bus: { put: async () => {} },
    logs: { tail: async () => [] },
    scheduler: { scheduleTimeout: async () => {} },
    registry,
  };
  const controller = createController({ config: config(), ports, log: silentLog, now: () => new Date('2026-11-25T10:02:12Z') });
  return { controller, launched, store };
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

describe('a deploy-request of a task definition, run as it is', () => {
  // Was: it had no push time: its success kept the age of the image rolled out before it, so an image pushed between
  // the two, tagged again, was migrated and rolled the service back from the image the revision ran.
  const request = (taskDefinitionArn: string, requestId = 'td-request') =>
    withEvent(sample('deploy-request-task-definition'), { detail: { taskDefinitionArn, requestId } });
  const NEWER = `${REPO}@sha256:${'c'.repeat(64)}`;
  const dating = (asked: unknown[]): Ports['registry'] => ({
    describeImage: async (repository, id) => {
      asked.push({ repository, ...id });
      return { digest: `sha256:${'c'.repeat(64)}`, pushedAt: '2026-11-25T09:30:00.000Z' };
    },
  });

  it('dates the image its migration container runs by the registry, kept with the work: two reads, on this path only', async () => {
    const asked: unknown[] = [];
    const read: unknown[] = [];
    const containerImage = async (taskDefinitionArn: string, container: string) => {
      read.push({ taskDefinitionArn, container });
      return `${REPO}:v1.6.0`;
    };
    const { controller, launched, store } = await launcherAfterNew([], dating(asked), { containerImage });

    const steps = await controller.handle(request(TD(44)));

    expect(steps[0]?.decision.decision).toBe('launch');
    expect(read).toEqual([{ taskDefinitionArn: TD(44), container: 'app' }]);
    expect(asked).toEqual([{ repository: 'shop-api', tag: 'v1.6.0' }]);
    expect(launched).toEqual([expect.objectContaining({ taskDefinitionArn: TD(44) })]);
    const id = steps[0]?.decision.deploymentId ?? '';
    expect((await store.loadDeployments([id]))[id]?.work).toEqual({
      type: 'task-definition',
      taskDefinitionArn: TD(44),
      runs: { image: NEWER, pushedAt: '2026-11-25T09:30:00.000Z' },
    });
    // A push reads no task definition.
    await controller.handle(
      withEvent(sample('ecr-push'), { top: { id: 'push-later' }, detail: { 'image-digest': `sha256:${'e'.repeat(64)}` } }),
    );
    expect(read).toHaveLength(1);
  });

  it("reads nothing for a request the core refuses (another family's revision), nor dates an image of another repository", async () => {
    const asked: unknown[] = [];
    const read: string[] = [];
    const containerImage = async (taskDefinitionArn: string) => {
      read.push(taskDefinitionArn);
      return 'docker.io/library/nginx:1.27';
    };
    const { controller } = await launcherAfterNew([], dating(asked), { containerImage });
    const other = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/billing:3';
    expect((await controller.handle(request(other, 'other-family')))[0]?.decision.decision).toBe('reject');
    expect(read).toEqual([]);

    const steps = await controller.handle(request(TD(44)));
    expect(steps[0]?.decision.decision).toBe('launch');
    expect(read).toEqual([TD(44)]);
    expect(asked).toEqual([]);
  });

  it('launches undated when the definition or its image cannot be read; a failure that may pass is thrown, so it is retried', async () => {
    const denied = await launcherAfterNew([], dating([]), {
      containerImage: async () => Promise.reject(new PermanentAwsError('ecs:DescribeTaskDefinition', 'grant it', 'AccessDenied')),
    });
    const steps = await denied.controller.handle(request(TD(44)));
    expect(steps[0]?.decision.decision).toBe('launch');
    const id = steps[0]?.decision.deploymentId ?? '';
    expect((await denied.store.loadDeployments([id]))[id]?.work).toEqual({ type: 'task-definition', taskDefinitionArn: TD(44) });

    await rm(dir, { recursive: true, force: true });
    const throttled = await launcherAfterNew([], dating([]), {
      containerImage: async () => Promise.reject(new TransientAwsError('ecs:DescribeTaskDefinition failed: ThrottlingException')),
    });
    await expect(throttled.controller.handle(request(TD(44)))).rejects.toThrow(/ThrottlingException/);
    expect(throttled.launched).toEqual([]);
  });
});
