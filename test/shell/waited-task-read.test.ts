import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { timeoutCheckEvent } from '../../src/adapters/aws/scheduler.js';
import { cancelRequest } from '../support/fixtures.js';
import { stopWaitWorld } from '../support/stop-wait-world.js';

/**
 * README, Guarantees: "One migration per environment at a time." A cancel hands the environment to the queued
 * deployment, whose RunTask waits for a scheduled check. Was: the check launched it whatever ECS said of the stopped
 * task; on EC2 (an agent stop timeout over the wait, a disconnected agent) the cancelled migration still ran. Now the
 * load reads that task (DescribeTasks) once the wait is due, and the launch waits on while ECS describes it running.
 */
const WATCHER = 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-watch';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-waited-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a launch that waits for a stopped task, the task still running at its check', () => {
  it('reads the task, waits on while it runs, and launches once ECS describes it STOPPED', async () => {
    const { world, controller, launched, described, waits } = await stopWaitWorld(dir);
    expect(launched).toHaveLength(1);
    const first = launched[0]?.startedBy;
    world.now = new Date('2026-11-25T09:17:00Z');
    await controller.handle(cancelRequest('2026-11-25T09:17:00Z'));
    expect(launched).toHaveLength(1);
    const readBefore = described.length;
    const wait = waits()[0];
    if (wait === undefined) throw new Error('no check of the wait');

    // At the check, ECS still describes the cancelled task DEACTIVATING: not launched, checked again a minute on.
    world.now = new Date('2026-11-25T09:21:10Z');
    await controller.handle(timeoutCheckEvent(wait.deploymentId, 'staging', wait.at, WATCHER, wait.check));
    expect(described.slice(readBefore)).toEqual(['arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/1']);
    expect(launched).toHaveLength(1);
    const again = waits().at(-1);
    expect(again).toMatchObject({
      deploymentId: wait.deploymentId,
      at: '2026-11-25T09:22:10.000Z',
      check: { attempt: 1, purpose: 'retry' },
    });

    // It stopped: the next check launches the queued migration.
    world.status = 'STOPPED';
    world.now = new Date('2026-11-25T09:22:15Z');
    await controller.handle(timeoutCheckEvent(wait.deploymentId, 'staging', again?.at ?? '', WATCHER, again?.check));
    expect(launched).toHaveLength(2);
    expect(launched[1]?.startedBy).not.toBe(first);
  });
});
