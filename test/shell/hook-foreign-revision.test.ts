import { describe, expect, it } from 'vitest';
import type { ServiceRevisionInfo } from '../../src/core/service-deployment.js';
import { pauseHookWorld } from '../support/pause-hook-world.js';
import { controllerOn } from '../support/race.js';

/**
 * pause-hook mode: a gated service's paused deployment whose target revision runs no image of REPOSITORY (a
 * misconfigured REPOSITORY, or the owner deployed an image of another repository). decideHookState answers it
 * ROLLBACK. Was: with a deployment id that was never created, and the `rollout-result` fed back was ignored ("no ended
 * deployment ... to record the rollout in"): the owner's deployment was rolled back, and neither the deployments
 * table nor the bus said so. Now it is a deployment that failed before it ran, as README's "what each service's
 * update or answer did is recorded in the deployment" asks.
 */
describe('pause-hook mode: a paused deployment of an image of another repository', () => {
  it('is rolled back with a record or an event saying why, not silently', async () => {
    const { world, events, owners, cfg, clock, ecs } = pauseHookWorld();
    const paused = owners.pause('shop-api', 1, clock.now, 120);
    const foreign = async (arn: string): Promise<ServiceRevisionInfo | undefined> => {
      const r = await owners.describeServiceRevision(arn);
      if (r === undefined) return r;
      return {
        ...r,
        containerImages: r.containerImages.map((c) =>
          c.containerName === 'app' ? { ...c, image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/other-app:v1' } : c,
        ),
      };
    };
    await controllerOn(world.ports, cfg, '2026-11-25T09:00:01.000Z', {
      ecs: { ...ecs, describeServiceRevision: foreign },
    }).handle(events[0] as Record<string, unknown>);

    // The owner's deployment was answered ROLLBACK ...
    expect(paused.answers.map((a) => a.action)).toEqual(['ROLLBACK']);
    expect(paused.hook).toBe('FAILED');
    // ... and the deployments table and the bus say why.
    const recorded = world.store.all();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      status: 'ended',
      outcome: 'failed',
      reason: expect.stringMatching(/runs no image of repository "shop-api" .*: ROLLBACK of shop-api's paused deployment/),
      services: [{ service: 'shop-api', result: 'rolled-back' }],
    });
    expect(world.bus.published.map((e) => e.detailType)).toEqual(['Migration Failed', 'Rollout Halted']);
  });
});
