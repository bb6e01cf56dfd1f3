import { describe, expect, it } from 'vitest';
import type { LaunchRequest } from '../../src/core/actions.js';
import { config, NOW, sample, withEvent } from '../support/fixtures.js';
import { FaultPlan, type ModelTask, modelPorts, taskEvent } from '../support/model-ports.js';
import { controllerOn } from '../support/race.js';

/**
 * Feedback (RunTask's answer, what a rollout did) is first decided on the state its own invocation committed, which
 * holds everything the trigger read. When its commit loses a race to another invocation, the shell reads the records
 * again by the feedback's own load plan and decides again: that plan must read what the decision needs.
 */

describe('a rollout result decided again after a lost race', () => {
  it('hands the environment to the queued deployment with the service network, as the first decision would', async () => {
    const world = modelPorts(new FaultPlan());
    const launcher = controllerOn(world.ports, config(), NOW);
    const launches: LaunchRequest[] = [];
    let pushedMeanwhile = false;
    const watcher = controllerOn(world.ports, config(), NOW, {
      ecs: {
        launch: async (request) => {
          launches.push(request);
          return world.ports.ecs.launch(request);
        },
        // While the watcher rolls the service out, the next image is pushed: it queues behind the migration,
        // which changes the environment record the watcher's commit of the end expects.
        updateService: async (target, arn) => {
          const moved = await world.ports.ecs.updateService(target, arn);
          if (!pushedMeanwhile) {
            pushedMeanwhile = true;
            const next = withEvent(sample('ecr-push'), {
              top: { id: 'b7e4c1f0-0000-4000-8000-000000000099', time: '2026-11-25T09:14:59Z' },
              detail: { 'image-digest': `sha256:${'d'.repeat(64)}`, 'image-tag': 'v1.5.0' },
            });
            await launcher.handle(next);
          }
          return moved;
        },
      },
    });

    await launcher.handle(sample('ecr-push'));
    const task = world.ecs.tasks[0] as ModelTask;
    world.ecs.start(task);
    world.ecs.stop(task, 0);
    await watcher.handle(taskEvent(task));

    expect(pushedMeanwhile).toBe(true);
    const [first, second] = world.store.all().sort((a, b) => a.id.localeCompare(b.id));
    expect(first).toMatchObject({ status: 'ended', outcome: 'succeeded' });
    // The queued deployment was launched by the watcher's decision taken again: in the service's network.
    expect(launches).toHaveLength(1);
    expect(launches[0]?.network).toEqual(expect.objectContaining({ subnets: expect.any(Array) }));
    expect(second?.status).toBe('running');
  });
});
