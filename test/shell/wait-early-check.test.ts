import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { timeoutCheckEvent } from '../../src/adapters/aws/scheduler.js';
import { cancelRequest } from '../support/fixtures.js';
import { stopWaitWorld } from '../support/stop-wait-world.js';

/**
 * README: "An end that stops a migration still running ... the next deployment's RunTask waits"; RELIABILITY: the
 * launch that waited reads the stopped task and waits on while ECS describes it running. Scheduler keeps the first
 * schedule of a name, and a first attempt's retry check is named by its minute: a retried delivery of the cancel
 * (its first commit lost) commits a later `retryAt` in the same minute, while the schedule kept fires at the first
 * delivery's time. That check comes before `retryAt`. Was: `loadState` read the waited task only once `retryAt` had
 * passed, yet `onScheduledCheck` took an early retry check as due (`launchWaiting`) and launched, the stopped task
 * RUNNING. Now the task is read for a check of that launch whenever it comes, and a launch with no reading waits on.
 */
const WATCHER = 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-watch';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-wait-early-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a retry check of a waiting launch that fires before its committed retryAt', () => {
  it('does not launch while ECS describes the stopped task RUNNING', async () => {
    // An EC2 agent whose stop timeout is long: ECS describes the cancelled task DEACTIVATING throughout.
    const { world, controller, launched, described, waits } = await stopWaitWorld(dir);
    expect(launched).toHaveLength(1);

    // The cancel's first delivery schedules the wait check at 09:20:05, then its commit fails; EventBridge delivers it
    // again at 09:17:40: retryAt 09:20:40 is committed, under the same schedule name (minute 09:20), so the 09:20:05
    // schedule is the one kept.
    world.now = new Date('2026-11-25T09:17:05Z');
    world.failNextCommit = true;
    await controller.handle(cancelRequest('2026-11-25T09:17:05Z')).catch(() => undefined);
    world.now = new Date('2026-11-25T09:17:40Z');
    await controller.handle(cancelRequest('2026-11-25T09:17:05Z'));
    expect(waits().map((s) => s.at)).toEqual(['2026-11-25T09:20:05.000Z']);
    const wait = waits()[0];
    if (wait === undefined) throw new Error('no check of the wait');

    world.now = new Date('2026-11-25T09:20:05Z');
    const readBefore = described.length;
    await controller.handle(timeoutCheckEvent(wait.deploymentId, 'staging', wait.at, WATCHER, wait.check));
    // Was: the waited task was not read (retryAt 09:20:40 not yet passed) and the queued migration was launched.
    expect(launched).toHaveLength(1);
    expect(described.length).toBeGreaterThan(readBefore);
  });
});
