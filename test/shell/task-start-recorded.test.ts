import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/adapters/local/store.js';
import type { TaskSnapshot } from '../../src/core/inputs.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ecs, Ports } from '../../src/ports.js';
import { createRoleController, type LambdaFunction } from '../../src/shell/controller.js';
import { LAUNCH_FUNCTION } from '../../src/shell/launch-function.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from '../support/fake-ecs.js';
import {
  activeState,
  cancelRequest,
  committed,
  config,
  ctx,
  emitted,
  given,
  parse,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  sample,
  service,
} from '../support/fixtures.js';
import { watcherOnRunning } from '../support/watch-harness.js';

/**
 * A RUNNING event of the deployment's own task commits nothing (8530d45): the STOPPED event records the task's start
 * with the end. Was: a deployment ended by anything else than its task's own event (the timeout check, a cancel, an
 * unlock, a lock takeover) never handles that STOPPED event (it finds the deployment ended and is ignored), so its
 * record, its history and its outcome events did not say when, or whether, its task started, although ECS said so
 * (the RUNNING event was handled) and the deciding input read it (the timeout check's DescribeTasks, the task an
 * operator's request or a takeover reads).
 *
 * README, "## Event contracts": each emitted event "carries ... timings (`createdAt`, `launchedAt`, `startedAt`,
 * `stoppedAt`, `finishedAt`, `durationSeconds`)". For a timeout, "was the task ever RUNNING?" is what tells a hung
 * migration from a task stuck in PENDING (image pull, ENI); `status`/`logs` "took" and `--wait`'s "in …" now count
 * the provisioning time too (cli/inspect-aws.ts `v.startedAt ?? v.launchedAt`).
 */

const STARTED = '2026-11-25T09:15:24.010Z';

/** The sample task as DescribeTasks reads it at the timeout check: still RUNNING, started at 09:15:24. */
const stillRunning: TaskSnapshot = {
  lastStatus: 'RUNNING',
  startedAt: STARTED,
  version: 3,
  containers: [
    { name: 'app', lastStatus: 'RUNNING' },
    { name: 'log-router', lastStatus: 'RUNNING' },
  ],
};

describe('a migration timed out while its task ran (core)', () => {
  it("records the task's start the timeout check read, in the record and in Migration Timed Out", () => {
    // As it is since 8530d45 once the RUNNING event was handled: no startedAt, no taskVersion.
    const running = runningDeployment({ startedAt: undefined, taskVersion: undefined });
    const input = parse(sample('timeout-check'));
    if (input.kind !== 'timeout-check') throw new Error('not a timeout check');
    const d = given(activeState(running), ctx({}, '2026-11-25T10:15:24.000Z'))
      .when({ ...input, task: stillRunning, logTail: ['applying 0002'] })
      .then({ decision: 'halt', events: ['Migration Timed Out', 'Rollout Halted'] });
    const ended = committed(d, SAMPLE_DEPLOYMENT);
    expect(ended).toMatchObject({ status: 'ended', outcome: 'timed_out' });
    expect(ended).toHaveProperty('startedAt', STARTED);
    const timedOut = emitted(d).find((e) => e.detailType === 'Migration Timed Out');
    expect(timedOut?.detail).toHaveProperty('startedAt', STARTED);
  });
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-review-progress-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the task's RUNNING event is handled, then something other than its STOPPED event ends the deployment (shell)", () => {
  it('a timeout: the timed-out record says when the task started', async () => {
    const ecs: Partial<Ecs> = { describeService: async () => service, describeTask: async () => stillRunning };
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T10:15:24Z'), logLines: ['applying 0002'] });
    expect(await h.stored()).not.toHaveProperty('startedAt');

    await h.watch.handle(sample('task-running'));
    await h.watch.handle(sample('timeout-check'));

    const stored = await h.stored();
    expect(stored).toMatchObject({ status: 'ended', outcome: 'timed_out' });
    expect(stored).toHaveProperty('startedAt', STARTED);
    const timedOut = h.events.find((e) => e.detailType === 'Migration Timed Out');
    expect(timedOut?.detail).toHaveProperty('startedAt', STARTED);
  });

  it('a cancel: the cancelled record says when the task started', async () => {
    const ecs: Partial<Ecs> = { describeService: async () => service, describeTask: async () => stillRunning };
    const watcher = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:16:00Z'), logLines: [] });
    await watcher.watch.handle(sample('task-running'));

    // The launcher handles the operator's cancel on the same store.
    const launcher = reopen(dir, ecs, LAUNCH_FUNCTION);
    await launcher.watch.handle(cancelRequest('2026-11-25T09:20:00Z'));

    const stored = await launcher.stored();
    expect(stored).toMatchObject({ status: 'ended', outcome: 'cancelled' });
    expect(stored).toHaveProperty('startedAt', STARTED);
  });
});

/** The same store as `watcherOnRunning` left it (the sample deployment not committed again), under `fn`. */
function reopen(at: string, ecs: Partial<Ecs>, fn: LambdaFunction) {
  const store = new LocalStore(new LocalLayout(at, 'staging'));
  const ports: Ports = {
    ecs: fakeEcs(ecs),
    store,
    bus: { put: async () => {} },
    logs: { tail: async () => [] },
    scheduler: { scheduleTimeout: async () => {} },
    registry: { describeImage: async () => Promise.reject(new Error('no registry read expected')) },
  };
  const watch = createRoleController({ config: config(), ports, log: silentLog, now: () => new Date('2026-11-25T09:20:00Z') }, fn);
  const stored = async () => (await store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT];
  return { watch, stored };
}
