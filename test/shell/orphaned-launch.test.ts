import { describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../src/errors.js';
import { cancelRequest, config, sample, withEvent } from '../support/fixtures.js';
import { FaultPlan, type ModelTask, modelPorts } from '../support/model-ports.js';
import { controllerOn } from '../support/race.js';

/**
 * Found by test/properties/concurrency.property.test.ts. The launcher has committed `launching` and sends RunTask; a
 * cancel runs while RunTask is in flight (before ECS lists the task: its `stopTasksStartedBy` finds none) and ends
 * the deployment. RunTask then starts the task, and the launcher dies before it hears the answer
 * (`lateLaunchResult` would have stopped the task). Its retried event finds the deployment ended and ignores it;
 * the task's own events found it ended and were ignored: nothing ever stopped that task, which migrated the database
 * unwatched while the next deployment launched. Now the task's first event finds its deployment ended and stops it.
 */
describe('a launch whose deployment was cancelled while RunTask was in flight, and whose answer was lost', () => {
  it('leaves no task of the cancelled deployment running', async () => {
    const world = modelPorts(new FaultPlan());
    let now = Date.parse('2026-11-25T09:15:00Z');
    const clock = () => now;
    const cfg = config();
    const other = controllerOn(world.ports, cfg, clock);
    let dies = true;
    const launcher = controllerOn(world.ports, cfg, clock, {
      ecs: {
        launch: async (request) => {
          if (!dies) return world.ports.ecs.launch(request);
          dies = false;
          // While RunTask is on the wire: the operator's cancel, handled to its end.
          const deploymentId = request.startedBy.slice('ecs-migrate/'.length);
          await other.handle(cancelRequest('2026-11-25T09:15:00Z', { deploymentId }));
          await world.ports.ecs.launch(request);
          throw new TransientAwsError('the invocation timed out before RunTask answered');
        },
      },
    });
    const push = sample('ecr-push');

    await expect(launcher.handle(push)).rejects.toThrow(TransientAwsError);
    const [cancelled] = world.store.all();
    expect(cancelled).toMatchObject({ status: 'ended', outcome: 'cancelled' });
    expect(world.ecs.running()).toHaveLength(1); // started after the cancel looked for it

    // Lambda retries the push; ECS sends the task's events; the task runs on, then a new image is pushed.
    await launcher.handle(push);
    for (const raw of world.ecs.emitted) await other.handle(raw);
    now += 60_000;
    await launcher.handle(
      withEvent(sample('ecr-push'), {
        top: { id: 'push-2', time: '2026-11-25T09:16:00Z' },
        detail: { 'image-tag': 'v1.5.0', 'image-digest': `sha256:${'d'.repeat(64)}` },
      }),
    );

    const running = world.ecs.running().map((t: ModelTask) => `${t.taskArn} of ${t.deploymentId}`);
    expect(running.filter((t) => t.endsWith(`of ${cancelled?.id}`))).toEqual([]);
    // One migration per environment: the next deployment's task is the only one running.
    expect(running.length).toBeLessThanOrEqual(1);
  });
});
