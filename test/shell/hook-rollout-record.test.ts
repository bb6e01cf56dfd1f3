import { describe, expect, it } from 'vitest';
import type { Ended } from '../../src/core/deployment.js';
import { sample, withEvent } from '../support/fixtures.js';
import { serviceArnOf } from '../support/model-service-deployments.js';
import { pauseHookWorld } from '../support/pause-hook-world.js';

/**
 * Found by test/properties/pause-hook-concurrency.property.test.ts (FC_SEED=2, FC_RUNS=100): the owner deploys an
 * image that was migrated already to a service whose earlier deployment of it was CONTINUEd (a second deployment of
 * the same image: a force-new-deployment, a configuration change). The second hook is CONTINUEd at once and its
 * result recorded in the deployment that migrated the image. Keyed by service name (decide-rollout.ts
 * `mergeServices`), it replaced the first rollout's entry, so the first rollout's `ECS Deployment State Change` found
 * no deployment that started it and its failure was never announced (`Rollout Failed`); each is kept now.
 */
describe('pause-hook mode: two paused deployments of one service for an image migrated already', () => {
  it('keeps both answers in the deployment, and announces the first rollout failing', async () => {
    const { world, events, owners, clock, handle, migrated } = pauseHookWorld();

    const first = await migrated('shop-api', 1);
    expect(first.hook).toBe('SUCCEEDED');

    const second = owners.pause('shop-api', 1, clock.now, 120);
    const steps = await handle(events.at(-1) as Record<string, unknown>);
    expect(steps[0]?.decision.reason).toMatch(/was migrated already/);
    expect(second.hook).toBe('SUCCEEDED');

    const [ended] = world.store.all() as Ended[];
    expect(ended?.services?.map((s) => s.ecsDeploymentId)).toEqual([first.ecsDeploymentId, second.ecsDeploymentId]);

    // The first rollout fails (circuit breaker): announced, naming the service.
    const failed = withEvent(sample('deployment-failed'), {
      top: { id: 'first-rollout-failed', resources: [serviceArnOf('shop-api')] },
      detail: { deploymentId: first.ecsDeploymentId },
    });
    const verdict = await handle(failed);
    expect(verdict[0]?.decision.decision).toBe('record');
    expect(world.bus.published.filter((e) => e.detailType === 'Rollout Failed')).toHaveLength(1);
  });
});
