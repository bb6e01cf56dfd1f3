import { describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../src/errors.js';
import { config } from '../support/fixtures.js';
import { FaultPlan, modelPorts } from '../support/model-ports.js';
import { ModelServiceDeployments } from '../support/model-service-deployments.js';
import { controllerOn } from '../support/race.js';

/**
 * Found by test/properties/pause-hook-concurrency.property.test.ts (FC_SEED=1 and FC_SEED=3, FC_RUNS=100): a hook
 * event whose invocation committed its deployment `launching` and died before RunTask (or before its answer was
 * recorded) is retried by Lambda/EventBridge; the retry must resume the launch with the same clientToken, as a
 * retried push or request does (`revisit` in src/core/resume.ts). It was ignored as a duplicate delivery, so the
 * deployment stayed `launching` with no task and no timeout check, holding the environment until its lock expired,
 * and the paused deployment was left for ECS's own timeout action.
 */
describe('pause-hook mode: a hook event retried after its invocation died between the commit and RunTask', () => {
  it('resumes the launch: one task, the deployment running, its timeout check scheduled', async () => {
    const world = modelPorts(new FaultPlan());
    const events: Record<string, unknown>[] = [];
    const owners = new ModelServiceDeployments((raw) => events.push(raw));
    const now = Date.parse('2026-11-25T09:00:00Z');
    owners.pause('shop-api', 1, now, 120);
    const hook = events[0] as Record<string, unknown>;
    const cfg = config({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });
    let died = false;
    const ecs = {
      describeServiceDeployment: (arn: string) => owners.describeServiceDeployment(arn),
      describeServiceRevision: (arn: string) => owners.describeServiceRevision(arn),
      answerHook: (answer: Parameters<typeof owners.answerHook>[0]) => owners.answerHook(answer, now),
    };
    const first = controllerOn(world.ports, cfg, '2026-11-25T09:00:01.000Z', {
      ecs: {
        ...ecs,
        launch: async () => {
          died = true;
          throw new TransientAwsError('RunTask throttled; the invocation fails and is retried');
        },
      },
    });
    await expect(first.handle(hook)).rejects.toThrow(TransientAwsError);
    expect(died).toBe(true);
    expect(world.store.all().map((d) => d.status)).toEqual(['launching']);

    const retry = controllerOn(world.ports, cfg, '2026-11-25T09:00:30.000Z', { ecs });
    const steps = await retry.handle(hook);

    expect(steps[0]?.decision.decision).toBe('launch');
    expect(world.ecs.tasks).toHaveLength(1);
    expect(world.store.all().map((d) => d.status)).toEqual(['running']);
    expect(world.scheduler.schedules.size).toBe(1);
  });
});
