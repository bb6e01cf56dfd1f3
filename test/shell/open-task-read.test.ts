import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskSnapshot } from '../../src/core/inputs.js';
import type { Ecs } from '../../src/ports.js';
import { createRoleController } from '../../src/shell/controller.js';
import { LAUNCH_FUNCTION } from '../../src/shell/launch-function.js';
import { silentLog } from '../../src/shell/logger.js';
import { cancelRequest, config, operatorRequest, SAMPLE_TASK, sample, service, TD } from '../support/fixtures.js';
import { watcherOnRunning } from '../support/watch-harness.js';

/**
 * The launcher reads the task of the running deployment an input would end otherwise (`LoadPlan.openTask`): a cancel's
 * or unlock's target, and the deployment whose lock a push takes over. A migration known to have exited 0 while the
 * service runs its revision was rolled out by the watcher, which died before recording it (src/core/rolled-out.ts).
 */

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-open-task-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The migration container exited 0; the task stopped as it ends. */
const exitedZero: TaskSnapshot = {
  lastStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited',
  containers: [{ name: 'app', exitCode: 0 }],
};

async function launcher(now: string | (() => Date), task: TaskSnapshot | undefined) {
  const reads: string[] = [];
  const ecs: Partial<Ecs> = {
    // The watcher moved the service to the migration's revision.
    describeService: async () => ({ ...service, taskDefinitionArn: TD(43) }),
    describeTask: async (_cluster, taskArn) => {
      reads.push(taskArn);
      return task;
    },
  };
  const clock = typeof now === 'string' ? new Date(now) : now;
  const h = await watcherOnRunning(dir, { ecs, now: clock, logLines: [], fn: LAUNCH_FUNCTION });
  return { ...h, reads };
}

describe("the launcher reads a running deployment's task only when an input would end it", () => {
  it('a cancel reads it, and is refused when the migration exited 0 and the service runs its revision', async () => {
    const h = await launcher('2026-11-25T09:20:00Z', exitedZero);

    const steps = await h.watch.handle(cancelRequest('2026-11-25T09:20:00Z'));

    expect(h.reads).toEqual([SAMPLE_TASK]);
    expect(steps[0]?.decision).toMatchObject({ decision: 'reject', reason: expect.stringContaining('too late to cancel') });
    expect(await h.stored()).toMatchObject({ status: 'running' });
  });

  it('a cancel whose task ECS has forgotten, or that still runs, cancels as before', async () => {
    for (const task of [undefined, { lastStatus: 'RUNNING', containers: [{ name: 'app' }] }]) {
      await rm(dir, { recursive: true, force: true });
      const h = await launcher('2026-11-25T09:20:00Z', task);

      const steps = await h.watch.handle(cancelRequest('2026-11-25T09:20:00Z'));

      expect(steps[0]?.decision.decision).toBe('halt');
      expect(await h.stored()).toMatchObject({ status: 'ended', outcome: 'cancelled' });
    }
  });

  it('a push reads nothing while the lock holds, and reads the task of the deployment whose expired lock it takes over', async () => {
    const queued = await launcher('2026-11-25T09:20:00Z', exitedZero);
    await queued.watch.handle(sample('ecr-push'));
    expect(queued.reads).toEqual([]);

    await rm(dir, { recursive: true, force: true });
    const takeover = await launcher('2026-11-25T10:31:00Z', exitedZero);
    await takeover.watch.handle(sample('ecr-push'));
    expect(takeover.reads).toEqual([SAMPLE_TASK]);
    expect(await takeover.stored()).toMatchObject({ status: 'ended', outcome: 'succeeded', rollout: 'continued' });
  });

  it('reads the clock once per decision: a lock expiring between the load and the decision is not taken over unread', async () => {
    // 10:29:59.9 at the first reading, 10:30:00.1 after: the lock (until 10:30) expires in between.
    const readings = [Date.parse('2026-11-25T10:29:59.900Z'), Date.parse('2026-11-25T10:30:00.100Z')];
    let calls = 0;
    const clock = () => new Date(readings[Math.min(calls++, readings.length - 1)] ?? 0);
    const h = await launcher(clock, exitedZero);

    const steps = await h.watch.handle(sample('ecr-push'));

    // Decided at the time the load used: the lock holds (the push of its own image is ignored), nothing is taken over.
    expect(steps[0]?.decision.decision).toBe('ignore');
    expect(h.reads).toEqual([]);
    expect(await h.stored()).toMatchObject({ status: 'running' });
  });
});

describe('an operator request whose task already failed, before the watcher handled it', () => {
  /** The migration exited 1 (an SQL error): the task stopped as it ends. */
  const exitedOne: TaskSnapshot = {
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: [{ name: 'app', exitCode: 1 }],
  };
  const LOG = ['Migrating files:', '> Migrating 042_add_index.sql', 'error: relation "orders" does not exist'];

  for (const [what, request] of [
    ['a cancel', cancelRequest('2026-11-25T09:18:10Z')],
    ['an unlock', operatorRequest('unlock-request', { reason: 'stuck?' })],
  ] as const) {
    it(`${what} is refused; the task's STOPPED event records exit code 1 and the log tail`, async () => {
      // Was: the request, which read the task exited 1, ended the deployment cancelled (or failed) with no stop report
      // and no log tail, and the STOPPED event that followed was dropped as late: the README's "says why" was lost.
      const ecs: Partial<Ecs> = { describeService: async () => service, describeTask: async () => exitedOne };
      const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:18:30Z'), logLines: LOG });
      const launch = createRoleController(
        { config: config(), ports: h.ports, log: silentLog, now: () => new Date('2026-11-25T09:18:10Z') },
        LAUNCH_FUNCTION,
      );

      const refused = await launch.handle(request);
      expect(refused[0]?.decision).toMatchObject({
        decision: 'reject',
        reason: expect.stringMatching(
          /its migration failed \(container "app" exited with code 1.*recorded with its stop report and log tail/,
        ),
      });
      expect(await h.stored()).toMatchObject({ status: 'running' });
      await h.watch.handle(sample('task-stopped-exit-1'));

      const stored = await h.stored();
      expect(stored).toMatchObject({
        status: 'ended',
        outcome: 'failed',
        stop: { exitCode: 1 },
        logTail: expect.arrayContaining([LOG[2]]),
      });
      const halted = h.events.filter((e) => e.detailType === 'Rollout Halted');
      expect(halted.some((e) => e.detail.exitCode === 1 && e.detail.taskArn === SAMPLE_TASK)).toBe(true);
    });
  }
});
