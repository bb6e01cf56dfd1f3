import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/deployment.js';
import { TransientAwsError } from '../../src/errors.js';
import { config, sample, withEvent } from '../support/fixtures.js';
import { FaultPlan, type ModelTask, modelPorts, taskEvent } from '../support/model-ports.js';
import { controllerOn } from '../support/race.js';

/**
 * Found by test/properties/concurrency.property.test.ts. Two launches of one deployment overlap: a first launch (the
 * handover after the previous deployment ended, or the first delivery of a trigger) is between its commit of
 * `launching` and its RunTask when another invocation resumes the same launch (a duplicate task event of the
 * ended deployment: `resumeHandover`; a duplicate trigger: `revisit`). Each registers a revision tagged with the
 * deployment: the resumed one finds none yet, registers one, starts the task under the clientToken, and its
 * invocation dies before recording it; the first one registers another. ECS refuses that one's RunTask
 * (ConflictException: the token with other parameters). Each launch refused that way tries the deployment's other
 * tagged revisions under the same token: ECS answers the matching one with the task that runs, so it is recorded
 * and judged. Before, the retried resume took the newest tagged revision (the refused launch's), was refused every
 * time, and the deployment timed out while its migration had run.
 */

describe('two launches of one deployment that overlap (the adapter: test/adapters/ecs-resume.test.ts)', () => {
  it('controller: the handover launch and a duplicate event of the ended deployment resuming it; the migration that ran rolls out', async () => {
    const world = modelPorts(new FaultPlan());
    let now = Date.parse('2026-11-25T09:15:00Z');
    const clock = () => now;
    const cfg = config();
    const plain = controllerOn(world.ports, cfg, clock);
    // The duplicate event's invocation: it dies once RunTask took effect, before it hears the answer.
    const dying = controllerOn(world.ports, cfg, clock, {
      ecs: {
        launch: async (r) => {
          await world.ports.ecs.launch(r);
          throw new TransientAwsError('the invocation timed out before RunTask answered');
        },
      },
    });
    let stoppedEvent: Record<string, unknown> = {};
    let overlapped = false;
    // The watcher ending the first deployment: while it hands over, the same STOPPED event is delivered again.
    const watcher = controllerOn(world.ports, cfg, clock, {
      ecs: {
        launch: async (r) => {
          if (!overlapped) {
            overlapped = true;
            await expect(dying.handle(stoppedEvent)).rejects.toThrow(TransientAwsError);
          }
          return world.ports.ecs.launch(r);
        },
      },
    });
    const push = (n: number) =>
      withEvent(sample('ecr-push'), {
        top: { id: `push-${n}`, time: `2026-11-25T09:1${n}:00Z` },
        detail: { 'image-tag': `v1.${n}.0`, 'image-digest': `sha256:${String(n).repeat(64)}` },
      });

    await plain.handle(push(1));
    await plain.handle(push(2)); // queued behind the first
    const first = world.ecs.tasks[0] as ModelTask;
    world.ecs.start(first);
    world.ecs.stop(first, 0);
    stoppedEvent = taskEvent(first);
    await watcher.handle(stoppedEvent); // first succeeds, rolls out, hands over to the second and launches it
    await plain.handle(stoppedEvent); // the duplicate's invocation, retried by Lambda

    // The second deployment's task (started by the duplicate's resumed launch) migrates and exits 0.
    const second = world.ecs.tasks[1] as ModelTask;
    world.ecs.start(second);
    world.ecs.stop(second, 0);
    for (const raw of world.ecs.emitted.slice(3)) await plain.handle(raw);
    // Its timeout check comes, if it is still open.
    const open = world.store.all().find((d: Deployment) => d.status === 'launching' || d.status === 'running');
    const schedule = open !== undefined ? world.scheduler.schedules.get(open.id) : undefined;
    if (open !== undefined && schedule !== undefined) {
      now = Date.parse(schedule.at) + 1000;
      await plain.handle({
        ...withEvent(sample('timeout-check'), { detail: { deploymentId: open.id, environment: 'staging' } }),
        time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
    }

    expect(world.ecs.tasks.filter((t) => t.deploymentId === second.deploymentId)).toHaveLength(1);
    const ended = world.store.all().find((d: Deployment) => d.id === second.deploymentId);
    expect(ended).toMatchObject({ status: 'ended', outcome: 'succeeded', taskArn: second.taskArn });
    expect(world.ecs.serviceRevision()).toBe(second.taskDefinitionArn);
  });
});
