import { describe, expect, it } from 'vitest';
import { timeoutCheckEvent } from '../../src/adapters/aws/scheduler.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import type { Deployment } from '../../src/core/deployment.js';
import type { LaunchOutcome } from '../../src/ports.js';
import { config, sample } from '../support/fixtures.js';
import { FaultPlan, modelPorts } from '../support/model-ports.js';
import { controllerOn } from '../support/race.js';

/**
 * The watcher has no Powertools idempotency: EventBridge Scheduler delivers a one-shot schedule at least once, so the
 * retry check of attempt 2 may be handled twice at the same time. Both invocations send RunTask with attempt 2's
 * clientToken (the second resumes the launch the first committed) and both are refused for capacity. The first
 * records attempt 2 as failed and schedules attempt 3. The second's commit loses the race, reloads, and decides its
 * (stale) refusal again against a deployment that is now waiting for attempt 3: it counts it as attempt 3's failure,
 * although attempt 3 has never been launched. With the default LAUNCH_RETRIES (2) that fails the deployment after
 * two launches instead of three.
 *
 * README: "a RunTask refused for capacity ... is launched again up to `LAUNCH_RETRIES` times".
 */
// Was: attempt 3 was spent on that stale refusal (the answer named no attempt; it now carries its clientToken).
const WATCHER = 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-watch';
const NO_CAPACITY: LaunchOutcome = {
  ok: false,
  reason: 'RunTask refused: RESOURCE:MEMORY : the cluster has no capacity for the task',
  failure: 'capacity',
};

describe('a duplicate retry check refused for capacity', () => {
  it("does not spend attempt 3 (never launched) on the duplicate's stale refusal of attempt 2", async () => {
    const world = modelPorts(new FaultPlan());
    let now = Date.parse('2026-11-25T09:15:00Z');
    const clock = () => now;
    const cfg = config();
    const launched: LaunchRequest[] = [];
    const refusing = {
      launch: async (r: LaunchRequest) => {
        launched.push(r);
        return NO_CAPACITY;
      },
    };
    const plain = controllerOn(world.ports, cfg, clock, { ecs: refusing });

    // Attempt 1: no capacity, attempt 2 is scheduled.
    await plain.handle(sample('ecr-push'));
    const id = world.store.all()[0]?.id as string;
    const read = () => world.store.all().find((d: Deployment) => d.id === id) as Deployment;
    expect(read()).toMatchObject({ status: 'launching', attempt: 2 });

    // The retry check of attempt 2 is delivered twice; the duplicate is handled while the first is in RunTask.
    now = Date.parse((read() as { retryAt: string }).retryAt) + 1000;
    const check = timeoutCheckEvent(id, 'staging', new Date(now).toISOString(), WATCHER, { attempt: 2, purpose: 'retry' });
    const duplicate = controllerOn(world.ports, cfg, clock, { ecs: refusing });
    const first = controllerOn(world.ports, cfg, clock, {
      ecs: {
        launch: async (r) => {
          launched.push(r);
          await duplicate.handle(check);
          return NO_CAPACITY;
        },
      },
    });
    await first.handle(check);

    // Attempt 2 was launched (twice, under one clientToken) and refused; attempt 3 was never sent.
    expect(launched.map((r) => r.clientToken)).toEqual([`ecs-migrate-${id}`, `ecs-migrate-${id}-2`, `ecs-migrate-${id}-2`]);
    // So attempt 3 is still to come: the deployment waits for it, holding the environment.
    expect(read()).toMatchObject({ status: 'launching', attempt: 3 });
    expect(world.bus.published.map((e) => e.detailType)).not.toContain('Migration Failed');
  });
});
