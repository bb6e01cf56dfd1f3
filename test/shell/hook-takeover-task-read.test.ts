import { describe, expect, it } from 'vitest';
import { pauseHookWorld } from '../support/pause-hook-world.js';

/**
 * pause-hook mode: a paused deployment's hook event may take over an expired lock, as a push does. Was: its load plan
 * had no `openTask: 'expired-lock'` (src/core/load-plan.ts), so `launchNow` knew nothing of the lost deployment's
 * task: one that stopped an hour ago was taken for one still running, the hook's migration waited the 3-minute stop
 * wait (README, Guarantees) out of its paused deployment's deadline, and the lost deployment's end recorded neither its
 * task's start nor its exit. Now the takeover reads the task and launches at once.
 */
describe("pause-hook mode: a hook event that takes over an expired lock reads the lost deployment's task", () => {
  it('launches at once when the lost migration stopped long ago, and ends the lost deployment failed', async () => {
    const w = pauseHookWorld();
    // shop-api's deployment of image 1: its migration exits 1, and both the STOPPED event and the timeout check are lost.
    w.owners.pause('shop-api', 1, w.clock.now, 240);
    await w.handle(w.events.at(-1) as Record<string, unknown>);
    const lostTask = w.world.ecs.tasks[0];
    if (lostTask === undefined) throw new Error('expected the first migration task');
    w.world.ecs.start(lostTask);
    w.world.ecs.stop(lostTask, 1);
    const lost = w.world.store.all()[0];
    expect(lost?.status).toBe('running');

    // 80 minutes later (the lock, TIMEOUT_MINUTES + 15 = 75, has expired), shop-worker's deployment of image 2 pauses.
    w.clock.now += 80 * 60_000;
    const reads: string[] = [];
    const describeTask = w.world.ports.ecs.describeTask.bind(w.world.ports.ecs);
    w.world.ports.ecs.describeTask = async (cluster, taskArn) => {
      reads.push(taskArn);
      return describeTask(cluster, taskArn);
    };
    w.owners.pause('shop-worker', 2, w.clock.now, 240);
    const steps = await w.handle(w.events.at(-1) as Record<string, unknown>);

    expect(steps[0]?.decision.decision).toBe('launch');
    expect(reads).toContain(lostTask.taskArn);
    // No stop wait for a task that stopped an hour ago: the hook's migration task is started now.
    expect(w.world.ecs.tasks).toHaveLength(2);
    expect(w.world.store.all().find((d) => d.id === lost?.id)).toMatchObject({ status: 'ended', outcome: 'failed' });
  });
});
