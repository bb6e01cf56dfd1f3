import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LaunchRequest } from '../../src/core/actions.js';
import type { TaskSnapshot } from '../../src/core/inputs.js';
import { CommitConflictError } from '../../src/errors.js';
import type { Ecs } from '../../src/ports.js';
import { config, NOW, sample, service, withEvent } from '../support/fixtures.js';
import { FaultPlan, type ModelTask, modelPorts, taskEvent } from '../support/model-ports.js';
import { controllerOn } from '../support/race.js';
import { watcherOnRunning } from '../support/watch-harness.js';

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

describe('a timeout check decided again after a lost race', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-timeout-race-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('still ends the hung migration timed_out (Migration Timed Out), and stops its task once', async () => {
    // Was: the check stops the task before its commit; when that commit lost a race (a push queued meanwhile), the
    // check decided again read the task stopped by its own SIGTERM (UserInitiated, exit 143) and ended the deployment
    // failed, "stopped by someone" (Migration Failed), stopping it again.
    let stopped: string | undefined;
    const stops: string[] = [];
    const ecs: Partial<Ecs> = {
      describeService: async () => service,
      // Hung until StopTask; then the migration exits on SIGTERM (143), as ECS reports it.
      describeTask: async (): Promise<TaskSnapshot> =>
        stopped === undefined
          ? { lastStatus: 'RUNNING', startedAt: '2026-11-25T09:15:40.000Z', containers: [{ name: 'app' }] }
          : {
              lastStatus: 'DEACTIVATING',
              startedAt: '2026-11-25T09:15:40.000Z',
              stopCode: 'UserInitiated',
              stoppedReason: stopped,
              containers: [{ name: 'app', exitCode: 143 }],
            },
      stopTask: async (_cluster, _task, reason) => {
        stopped ??= reason;
        stops.push(reason);
      },
    };
    // TIMEOUT_MINUTES (60) after the task was launched at 09:15:01.
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T10:16:30Z'), logLines: ['> Migrating 042_big_backfill.sql'] });
    const store = h.ports.store;
    const commit = store.commit.bind(store);
    let lost = false;
    store.commit = async (c) => {
      if (lost) return commit(c);
      lost = true;
      throw new CommitConflictError('conditional write failed: environment staging was written meanwhile');
    };

    await h.watch.handle(sample('timeout-check'));

    expect(stops).toEqual(['ecs-migrate: timed out after 60 minutes']);
    expect(await h.stored()).toMatchObject({ status: 'ended', outcome: 'timed_out', logTail: ['> Migrating 042_big_backfill.sql'] });
    const types = h.events.map((e) => e.detailType);
    expect(types).toContain('Migration Timed Out');
    expect(types).not.toContain('Migration Failed');
  });
});
