import { describe, expect, it } from 'vitest';
import type { ServiceRevisionInfo } from '../../src/core/service-deployment.js';
import { TransientAwsError } from '../../src/errors.js';
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
/** The owners' revisions, with the app container on an image of another repository. */
function foreignRevisions(owners: ReturnType<typeof pauseHookWorld>['owners']) {
  return async (arn: string): Promise<ServiceRevisionInfo | undefined> => {
    const r = await owners.describeServiceRevision(arn);
    if (r === undefined) return r;
    return {
      ...r,
      containerImages: r.containerImages.map((c) =>
        c.containerName === 'app' ? { ...c, image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/other-app:v1' } : c,
      ),
    };
  };
}

describe('pause-hook mode: a paused deployment of an image of another repository', () => {
  it('is rolled back with a record or an event saying why, not silently', async () => {
    const { world, events, owners, cfg, clock, ecs } = pauseHookWorld();
    const paused = owners.pause('shop-api', 1, clock.now, 120);
    const foreign = foreignRevisions(owners);
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

  it('is recorded by the retried hook event when the invocation that answered ROLLBACK died before its commit', async () => {
    // Was: the ROLLBACK goes out before the commit that records it; the retried delivery found the hook FAILED (no
    // longer AWAITING_ACTION) and ignored it: the owner's deployment was rolled back with no record and no event.
    const { world, events, owners, cfg, clock, ecs } = pauseHookWorld();
    const paused = owners.pause('shop-api', 1, clock.now, 120);
    const foreign = foreignRevisions(owners);
    const hookEvent = events[0] as Record<string, unknown>;
    const dies = async () => {
      throw new TransientAwsError('DynamoDB throttled the commit');
    };
    await expect(
      controllerOn(world.ports, cfg, '2026-11-25T09:00:01.000Z', {
        ecs: { ...ecs, describeServiceRevision: foreign },
        store: { commit: dies },
      }).handle(hookEvent),
    ).rejects.toThrow(TransientAwsError);
    expect(paused.hook).toBe('FAILED');
    expect(world.store.all()).toHaveLength(0);

    const retry = () =>
      controllerOn(world.ports, cfg, '2026-11-25T09:00:05.000Z', { ecs: { ...ecs, describeServiceRevision: foreign } }).handle(hookEvent);
    const retried = await retry();
    const again = await retry();

    expect(paused.answers.map((a) => a.action)).toEqual(['ROLLBACK']);
    expect(retried.map((s) => s.decision.decision)).toEqual(['record']);
    expect(again.map((s) => s.decision.decision)).toEqual(['ignore']);
    const recorded = world.store.all();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      status: 'ended',
      outcome: 'failed',
      reason: expect.stringMatching(/runs no image of repository "shop-api" .*hook .* had FAILED/),
      services: [{ service: 'shop-api', result: 'rolled-back' }],
    });
    expect(world.bus.published.map((e) => e.detailType)).toEqual(['Migration Failed', 'Rollout Halted']);
  });
});
