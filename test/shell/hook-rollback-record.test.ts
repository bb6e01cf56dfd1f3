import { describe, expect, it } from 'vitest';
import type { Ended } from '../../src/core/deployment.js';
import { TransientAwsError } from '../../src/errors.js';
import { cancelRequest } from '../support/fixtures.js';
import { pauseHookWorld } from '../support/pause-hook-world.js';
import { controllerOn } from '../support/race.js';

/**
 * Found by test/properties/pause-hook-concurrency.property.test.ts (FC_SEED=2 and FC_SEED=4, FC_RUNS=100, after the
 * two defects before it were tolerated): a halt (cancel, unlock, timeout, lock takeover, supersede) answers ROLLBACK to
 * the paused deployments before the commit that ends the deployment, but records what the answers did only in a
 * second decision fed back after that commit (`haltRollout` → `rollout-result`). An invocation that died in between
 * (PutEvents of the end's outbox throttled, say) was retried; the retry found the deployment ended and did nothing,
 * so the ROLLBACK was recorded nowhere. The commit that ends the deployment records the ROLLBACK now (`rolledBack` in
 * src/core/transitions.ts).
 */
describe('pause-hook mode: a cancel whose invocation dies after the end was committed', () => {
  it('records the ROLLBACK it answered once the cancel is retried', async () => {
    const { world, events, owners, cfg, clock, ecs } = pauseHookWorld();
    const paused = owners.pause('shop-api', 1, clock.now, 120);
    await controllerOn(world.ports, cfg, '2026-11-25T09:00:01.000Z', { ecs }).handle(events[0]);
    expect(world.store.all().map((d) => d.status)).toEqual(['running']);

    const cancel = cancelRequest('2026-11-25T09:05:00Z');
    let throttled = false;
    const dying = controllerOn(
      {
        ...world.ports,
        bus: {
          put: async () => {
            throttled = true;
            throw new TransientAwsError('PutEvents throttled');
          },
        },
      },
      cfg,
      '2026-11-25T09:05:00.000Z',
      { ecs },
    );
    await expect(dying.handle(cancel)).rejects.toThrow(TransientAwsError);
    expect(throttled).toBe(true);
    expect(paused.hook).toBe('FAILED');

    await controllerOn(world.ports, cfg, '2026-11-25T09:05:30.000Z', { ecs }).handle(cancel);

    const [ended] = world.store.all() as Ended[];
    expect(ended).toMatchObject({ status: 'ended', outcome: 'cancelled' });
    expect(ended?.services).toEqual([expect.objectContaining({ service: 'shop-api', result: 'rolled-back' })]);
  });
});
