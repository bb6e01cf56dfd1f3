import { describe, expect, it } from 'vitest';
import type { Ended } from '../../src/core/deployment.js';
import { config, NOW, sample } from '../support/fixtures.js';
import { FaultPlan, type ModelTask, modelPorts } from '../support/model-ports.js';
import { controllerOn } from '../support/race.js';

/**
 * A task that stopped before RunTask's answer was recorded (here: while RunTask was on the wire; in production also
 * when the launcher died after RunTask and its retry came later). The watcher keeps the STOPPED event; the launcher
 * judges it once RunTask's answer names the task, after its commit lost the race to the watcher's and it read the
 * records again. The kept event must be judged as a STOPPED event of a known task is: with the exit code ECS left
 * out of the event (DescribeTasks), with the log tail of a failure, and with the service to roll out.
 */

/** The launcher, whose RunTask lets the new task run and exit with `exitCode` (and the watcher hear it) before it answers. */
function race(exitCode: number) {
  const world = modelPorts(new FaultPlan());
  const watcher = controllerOn(world.ports, config(), NOW);
  const heard: string[] = [];
  const launcher = controllerOn(world.ports, config(), NOW, {
    ecs: {
      launch: async (request) => {
        const outcome = await world.ports.ecs.launch(request);
        const task = world.ecs.tasks.at(-1) as ModelTask;
        const before = world.ecs.emitted.length;
        world.ecs.start(task);
        world.ecs.stop(task, exitCode);
        for (const raw of world.ecs.emitted.slice(before)) {
          const steps = await watcher.handle(strip(raw));
          heard.push(...steps.map((s) => s.decision.reason));
        }
        return outcome;
      },
    },
  });
  let strip = (e: Record<string, unknown>) => e;
  return {
    world,
    heard,
    /** ECS leaves the migration container's exit code out of the events the watcher hears. */
    withoutExitCodes() {
      strip = (raw) => {
        const detail = raw.detail as { containers: Record<string, unknown>[] };
        return { ...raw, detail: { ...detail, containers: detail.containers.map(({ exitCode: _e, ...c }) => c) } };
      };
    },
    push: () => launcher.handle(sample('ecr-push')),
  };
}

describe('a STOPPED event that came before RunTask answered', () => {
  it('with no exit code in the event: read with DescribeTasks, so an exit 0 rolls the service out', async () => {
    const r = race(0);
    r.withoutExitCodes();

    await r.push();

    expect(r.heard).toContainEqual(expect.stringMatching(/before RunTask's answer was recorded/));
    const [d] = r.world.store.all();
    expect(d).toMatchObject({ status: 'ended', outcome: 'succeeded', stop: { exitCode: 0 } });
    expect(r.world.ecs.rollouts).toEqual([(d as Ended).taskDefinitionArn]);
  });

  it('that failed: the log tail is read and kept in the record and the events', async () => {
    const r = race(1);

    await r.push();

    const [d] = r.world.store.all();
    const tail = [`last line of ${(d as Ended).taskArn}`];
    expect(d).toMatchObject({ status: 'ended', outcome: 'failed', stop: { exitCode: 1 }, logTail: tail });
    for (const type of ['Migration Failed', 'Rollout Halted'])
      expect(r.world.bus.published.find((e) => e.detailType === type)?.detail).toMatchObject({ logTail: tail });
    expect(r.world.ecs.rollouts).toEqual([]);
  });

  it('that succeeded, with its exit code in the event: the service rolls out', async () => {
    const r = race(0);

    await r.push();

    const [d] = r.world.store.all();
    expect(d).toMatchObject({ status: 'ended', outcome: 'succeeded' });
    expect(r.world.ecs.rollouts).toEqual([(d as Ended).taskDefinitionArn]);
  });
});
