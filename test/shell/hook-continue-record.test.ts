import { describe, expect, it } from 'vitest';
import type { Ended } from '../../src/core/deployment.js';
import { TransientAwsError } from '../../src/errors.js';
import { pauseHookWorld } from '../support/pause-hook-world.js';

/**
 * Tolerated until now by test/properties/pause-hook-concurrency.property.test.ts: a paused deployment of an image
 * migrated already is answered CONTINUE at once, and the answer is recorded in the deployment that migrated the image
 * by the decision fed back after it. An invocation that died in between left it recorded nowhere: its retried hook
 * event found the hook SUCCEEDED and ignored it. The retry records it now (as `moved-on`: ECS does not say who
 * answered), once, however often the event comes again.
 */
describe('pause-hook mode: a CONTINUE given at once whose invocation died before recording it', () => {
  it('is recorded by the retried hook event, once', async () => {
    const { world, events, owners, clock, handle, migrated } = pauseHookWorld();

    // shop-api's deployment of image 1 waits for its migration, which succeeds.
    await migrated('shop-api', 1);

    // shop-worker deploys the same image: CONTINUE at once; the invocation dies at the commit that would record it.
    const worker = owners.pause('shop-worker', 1, clock.now, 120);
    const hookEvent = events.at(-1) as Record<string, unknown>;
    const dies = {
      commit: async () => {
        throw new TransientAwsError('DynamoDB throttled the commit');
      },
    };
    await expect(handle(hookEvent, dies)).rejects.toThrow(TransientAwsError);
    expect(worker.hook).toBe('SUCCEEDED');
    const recorded = () => ((world.store.all() as Ended[])[0]?.services ?? []).filter((s) => s.service === 'shop-worker');
    expect(recorded()).toEqual([]);

    // Lambda retries the event; later it comes once more (at least once).
    const retried = await handle(hookEvent);
    const again = await handle(hookEvent);

    expect(retried[0]?.decision.decision).toBe('record');
    expect(recorded()).toEqual([
      expect.objectContaining({
        result: 'moved-on',
        ecsDeploymentId: worker.serviceDeploymentArn,
        reason: expect.stringContaining('SUCCEEDED'),
      }),
    ]);
    expect(again.map((s) => s.decision.decision)).toEqual(['ignore']);
    expect(recorded()).toHaveLength(1);
    // shop-api was moved for it: the deployment's rollout stays `continued` (not every service moved on).
    expect((world.store.all() as Ended[])[0]?.rollout).toBe('continued');
  });
});
