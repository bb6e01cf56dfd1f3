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
import { config, sample, service, TD } from '../support/fixtures.js';

/**
 * README, Idempotent: "a retried invocation (of a push, a request or a paused deployment's hook event …) resumes the
 * same launch with the same RunTask clientToken". A deploy-request's tag is resolved (ECR DescribeImages) before the
 * decision. Was: also for a retried delivery whose deployment existed already, so when the first invocation committed
 * the launch and died before RunTask, and the tag (or image) was gone by the retry, the retried delivery was rejected
 * as invalid: the committed launch was never resumed, and the `launching` deployment held the environment until its
 * lock expired (TIMEOUT_MINUTES + 15), blocking every push.
 */
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-review-gone-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a retried deploy-request whose image tag is gone by the retry', () => {
  it('resumes the launch its first delivery committed instead of rejecting the retry', async () => {
    const store = new LocalStore(new LocalLayout(dir, 'staging'));
    let registryHasTag = true;
    let runTaskFails = true;
    const launched: LaunchRequest[] = [];
    const ports: Ports = {
      ecs: fakeEcs({
        describeService: async () => ({ ...service, taskDefinitionArn: TD(42) }),
        launch: async (r) => {
          if (runTaskFails) throw new TransientAwsError('ecs:RunTask failed: ThrottlingException');
          launched.push(r);
          return { ok: true, taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/abc', taskDefinitionArn: TD(43) };
        },
      }),
      store,
      bus: { put: async () => {} },
      logs: { tail: async () => [] },
      scheduler: { scheduleTimeout: async () => {} },
      registry: {
        describeImage: async () => {
          if (!registryHasTag) throw new ImageNotFoundError('shop-api:v1.5.0 does not exist (ImageNotFoundException): push it first');
          return { digest: `sha256:${'5'.repeat(64)}`, pushedAt: '2026-11-25T10:00:00.000Z' };
        },
      },
    };
    const controller = createController({ config: config(), ports, log: silentLog, now: () => new Date('2026-11-25T10:02:12Z') });
    const request = sample('deploy-request');

    // First delivery: the launch is committed, then RunTask fails with an error that may pass: the event is retried.
    await expect(controller.handle(request)).rejects.toThrow(/ThrottlingException/);
    const { env } = await store.loadEnvironmentWith('staging', []);
    const launching = env.active?.deploymentId;
    expect(launching).toBeDefined();

    // Meanwhile the tag was deleted (or moved off an image a lifecycle rule expired). The retried delivery:
    registryHasTag = false;
    runTaskFails = false;
    const steps = await controller.handle(request);
    expect(steps[0]?.decision).toMatchObject({ decision: 'launch', deploymentId: launching });
    expect(launched).toHaveLength(1);
  });
});
