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

/**
 * Was: ECS's HOOK_SUCCEEDED (HOOK_FAILED, HOOK_TIMED_OUT) after a CONTINUE given at once was dropped ("no deployment
 * here waits on hook …"): that answer is recorded among the `services` of the deployment that migrated the image,
 * never among its waiters, and `recordHookEvent` looked at waiters only. It is noted in that deployment's history now.
 */
describe('pause-hook mode: a hook event after a CONTINUE given at once', () => {
  /** The last hook event `eventName` of `service`'s paused deployment that ECS put on the bus. */
  const hookEvent = (events: Record<string, unknown>[], eventName: string, service: string) => {
    const found = events.findLast((e) => {
      const detail = e.detail as { eventName?: string; serviceArn?: string };
      return detail.eventName === eventName && detail.serviceArn?.endsWith(`/${service}`) === true;
    });
    if (found === undefined) throw new Error(`no ${eventName} of ${service}`);
    return found;
  };

  it('is noted in the history of the deployment whose migration answered it, once', async () => {
    const { world, events, owners, clock, handle, migrated } = pauseHookWorld();
    await migrated('shop-api', 1);
    await handle(hookEvent(events, 'HOOK_SUCCEEDED', 'shop-api'));
    const [migration] = world.store.all();

    // shop-worker deploys the same image: CONTINUE at once, no second task.
    owners.pause('shop-worker', 1, clock.now, 120);
    const answered = await handle(events.at(-1) as Record<string, unknown>);
    expect(answered[0]?.decision.decision).toBe('continue');
    expect(world.ecs.tasks).toHaveLength(1);

    const succeeded = hookEvent(events, 'HOOK_SUCCEEDED', 'shop-worker');
    const steps = await handle(succeeded);
    const again = await handle(succeeded);

    expect(steps[0]?.decision.decision).toBe('record');
    expect(again.map((s) => s.decision.decision)).toEqual(['ignore']);
    const notes =
      world.store
        .all()
        .find((d) => d.id === migration?.id)
        ?.history.map((h) => h.note) ?? [];
    expect(notes.filter((n) => /^HOOK_SUCCEEDED for shop-worker's paused deployment/.test(n))).toHaveLength(1);
  });
});
