import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { config } from '../support/fixtures.js';
import { type Fault, FaultPlan } from '../support/model-ports.js';
import { countRun, deployRequestOf, endedOnce, ModelRun, pushOf, TIMEOUT_MINUTES } from '../support/model-run.js';
import { imageRef } from '../support/model-service-deployments.js';
import {
  assertProperty,
  clockStep,
  countOf,
  faultsOf,
  pick,
  runsOr,
  STATS,
  spoofStep,
  startStep,
  stopStep,
} from '../support/property-run.js';

/**
 * Model-based property test of the real controller (src/shell/controller.ts) against the model ports: random
 * interleavings of ECR pushes, deploy-requests, cancel-requests, task progress with chosen exit codes, task events
 * delivered late, twice and out of order, timeout checks past the deadline and clock jumps past the lock expiry,
 * with a transient failure injected before or after any port call (the invocation dies there; its event is
 * retried later, as Lambda's async retries and EventBridge do). The invariants are checked after every step and,
 * once every retry and task event has been delivered, at the end.
 *
 * Reproduce a failure with the seed (and path) it prints: `FC_SEED=<seed> FC_PATH=<path> npx vitest run <this file>`.
 * `FC_RUNS` sets the number of runs (default 250, about 8 s on one core); `FC_STATS=1` prints what the runs covered.
 */

type Command =
  | { type: 'push'; faults: Fault[] }
  | { type: 'request'; image: number; rerun: boolean; faults: Fault[] }
  | { type: 'cancel'; pick: number; faults: Fault[] }
  | { type: 'start'; pick: number }
  | { type: 'stop'; pick: number; exitCode: number | undefined }
  | { type: 'deliver'; pick: number; keep: boolean; faults: Fault[] }
  | { type: 'redeliver'; pick: number; faults: Fault[] }
  | { type: 'retry'; pick: number; faults: Fault[] }
  | { type: 'timeout'; pick: number; faults: Fault[] }
  | { type: 'clock'; minutes: number }
  | { type: 'spoof'; pick: number }
  | { type: 'burst'; count: number };

const faults = faultsOf(2);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.constant('push' as const), faults }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('request' as const), image: pick, rerun: fc.boolean(), faults }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('cancel' as const), pick, faults }) },
  { weight: 2, arbitrary: startStep },
  { weight: 3, arbitrary: stopStep },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('deliver' as const), pick, keep: fc.boolean(), faults }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('redeliver' as const), pick, faults }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('retry' as const), pick, faults }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('timeout' as const), pick, faults }) },
  { weight: 1, arbitrary: clockStep },
  { weight: 1, arbitrary: spoofStep },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('burst' as const), count: fc.integer({ min: 2, max: 3 }) }) },
);

/** One run: the world, the controller, and what the invariants need to know. */
class Run extends ModelRun<Command> {
  private pushes = 0;
  private requests = 0;
  private cancels = 0;
  readonly controller = createController({
    config: config({ TIMEOUT_MINUTES: String(TIMEOUT_MINUTES) }),
    ports: this.world.ports,
    log: silentLog,
    now: () => new Date(this.now),
    sleep: async () => {},
  });

  constructor() {
    super(() => new FaultPlan());
    // The service moves only to a deployment whose own task's migration container exited 0: the one task RunTask
    // started for it (at most one, checked below), which it has recorded or records in the commit that follows.
    this.world.ecs.onRollout = (taskDefinitionArn) => this.checkRollout(taskDefinitionArn, false);
  }

  private push(): Record<string, unknown> {
    return pushOf(++this.pushes, this.time());
  }

  /** One Lambda invocation of `raw`; a transient failure queues it for a retry. */
  async invoke(raw: Record<string, unknown>, faults: Fault[]): Promise<void> {
    this.plan.arm(faults);
    try {
      await this.handled(raw, String(raw.id), () => this.controller.handle(raw));
    } finally {
      this.plan.disarm();
    }
  }

  async apply(c: Command): Promise<void> {
    this.now += 1000;
    switch (c.type) {
      case 'push':
        return this.invoke(this.push(), c.faults);
      case 'burst': {
        // Concurrent invocations, interleaved at every await: their commits race and the losers decide again.
        const pushes = Array.from({ length: c.count }, () => this.push());
        await Promise.all(pushes.map((raw) => this.invoke(raw, [])));
        return;
      }
      case 'spoof':
        return this.spoofTask(c.pick);
      case 'request': {
        const image = 1 + (c.image % Math.max(1, this.pushes + 1));
        return this.invoke(deployRequestOf(++this.requests, image, c.rerun, this.time()), c.faults);
      }
      case 'cancel':
        return this.invoke(this.cancelOf(c.pick, ++this.cancels), c.faults);
      case 'start':
        return this.startTask(c.pick);
      case 'stop':
        return this.stopTask(c.pick, c.exitCode);
      case 'deliver': {
        const index = this.toDeliver(c.pick, false, c.keep);
        return index === undefined ? undefined : this.invoke(this.event(index, false), c.faults);
      }
      case 'redeliver': {
        const index = this.toRedeliver(c.pick);
        return index === undefined ? undefined : this.invoke(this.event(index, false), c.faults);
      }
      case 'retry': {
        const raw = this.toRetry(c.pick);
        return raw === undefined ? undefined : this.invoke(raw, c.faults);
      }
      case 'timeout': {
        const raw = this.timeoutPicked(c.pick);
        return raw === undefined ? undefined : this.invoke(raw, c.faults);
      }
      case 'clock':
        this.now += c.minutes * 60_000;
        return;
    }
  }

  /** The invariants that hold after every step. */
  checkStep(): void {
    const all = this.world.store.all();
    this.violations.push(...this.activeProblems(all), ...this.taskProblems(all, this.world.ecs.running()));
    if (this.world.ecs.conflicts.length > 0)
      this.violations.push(`RunTask refused a reused clientToken: ${this.world.ecs.conflicts.join(', ')}`);
    if (this.violations.length > 0) this.fail(this.violations);
  }

  /** Lets the world run to the end with no more failures: every retry and task event delivered, every task stopped. */
  async drain(): Promise<void> {
    // Rounds to drain: each hand-over that stops a task launches through a scheduled check of its own, one round more
    // (FC_SEED=1712004860 at FC_RUNS=3000 needed more than 50).
    await this.settle(80, false);
  }

  /** The invariants of a run that has settled. */
  checkEnd(): void {
    const records = this.world.store.all();
    // Ended once; later notes (a task started after the end) keep the outcome.
    const problems = this.settledProblems(records, endedOnce);
    problems.push(...this.rolloutProblems(records, () => false));
    // A start names a task RunTask started for that deployment; a success names that deployment's task, which
    // exited 0, and a rollout continued only when the service was moved for it.
    problems.push(...this.freedAndPublishedProblems((e) => this.untrueReport(e, (id) => this.notMovedFor(id), true)));
    if (problems.length > 0) this.fail(problems);
  }
}

const stats = { runs: 0, deployments: 0, rollouts: 0, retries: 0, outcomes: [] as string[] };
const numRuns = runsOr(250);

describe('the controller under random interleavings, duplicates, reordering and crashes', () => {
  it(
    'keeps one active deployment and one task, rolls out only exit 0, ends every trigger once and publishes every stored event',
    async () => {
      await assertProperty(
        fc.array(command, { minLength: 1, maxLength: 60, size: 'large' }),
        async (commands) => {
          const run = new Run();
          await run.runThrough(commands);
          if (STATS) {
            countRun(stats, run);
            stats.rollouts += run.rolledOut.length;
          }
        },
        numRuns,
      );
      if (STATS) console.log(JSON.stringify({ ...stats, outcomes: countOf(stats.outcomes) }));
    },
    30_000 + numRuns * 100,
  );
});

/**
 * Defects the property found, replayed deterministically, each fixed: the run must hold every invariant. (A defect
 * found and not fixed yet is replayed as a KNOWN DEFECT test expecting its violation, and tolerated by the property.)
 */
describe('defects the property found, replayed strictly', () => {
  const replay = (commands: Command[]) => new Run().runThrough(commands);

  it('defect 9: the queue keeps the newest push by push time, not the last to arrive', async () => {
    // v1.1.0 runs; v1.3.0 (pushed at 09:00:30) arrives, then v1.2.0 (pushed earlier, at 09:00:20) arrives after it:
    // EventBridge does not order events. The older image is superseded on arrival; the newest rolls out last.
    const run = new Run();
    await run.apply({ type: 'push', faults: [] });
    await run.invoke(pushOf(103, '2026-11-25T09:00:30Z'), []);
    await run.invoke(pushOf(102, '2026-11-25T09:00:20Z'), []);
    await run.drain();
    run.checkEnd();
    const imageOf = (td: string) => run.world.ecs.revisions.find((r) => r.taskDefinitionArn === td)?.image;
    expect(run.world.ecs.rollouts.map(imageOf)).toEqual([imageRef(1), imageRef(103)]);
  });

  it('a launching deployment whose RunTask started a task, none of whose events was seen, is cancelled only with that task stopped', async () => {
    // The invocation dies after RunTask took effect (the 4th port call), so the record stays `launching` with no
    // task ARN. The cancel stops every task started for the deployment (ListTasks by startedBy) before it ends it.
    await replay([
      { type: 'push', faults: [{ call: 4, after: true }] },
      { type: 'cancel', pick: 0, faults: [] },
      { type: 'push', faults: [] },
    ]);
  });

  it('a cancel while the service runs the revision of a migration whose success is not recorded yet is refused; the retry records it', async () => {
    // The STOPPED (exit 0) event's invocation updates the service and reports it (4th call), then its commit fails
    // (5th). The cancel that comes before the retry finds the service on the deployment's revision: too late to
    // cancel, the deployment is left to the retried event, which records the success.
    const run = new Run();
    await run.runThrough([
      { type: 'push', faults: [] },
      { type: 'stop', pick: 0, exitCode: 0 },
      { type: 'deliver', pick: 2, keep: false, faults: [{ call: 5, after: false }] },
      { type: 'cancel', pick: 0, faults: [] },
    ]);
    expect(run.world.store.all()).toEqual([expect.objectContaining({ status: 'ended', outcome: 'succeeded' })]);
    expect(run.world.bus.published.map((e) => e.detailType)).toContain('Event Rejected');
  });

  it('a timeout check that finds the task stopped, its STOPPED event never handled, judges it instead of timing it out', async () => {
    // The same dead invocation; the timeout check fires before the retry. It reads the task (STOPPED, exit 0) and
    // records the success: the service runs the revision already, so it is not updated again.
    const run = new Run();
    await run.runThrough([
      { type: 'push', faults: [] },
      { type: 'stop', pick: 0, exitCode: 0 },
      { type: 'deliver', pick: 2, keep: false, faults: [{ call: 5, after: false }] },
      { type: 'timeout', pick: 0, faults: [] },
    ]);
    expect(run.world.store.all()).toEqual([expect.objectContaining({ status: 'ended', outcome: 'succeeded' })]);
    expect(run.world.ecs.rollouts).toHaveLength(1);
  });

  it("a cancel while a launching deployment's rollout is done but not committed is refused: the service's revision is tagged with it", async () => {
    // The push's invocation dies after RunTask took effect (4th call): `launching`, no task recorded. The task's
    // STOPPED (exit 0) event is kept. The retried push resumes the launch, RunTask's answer judges the kept event and
    // moves the service, then the invocation dies (5th call) before the commit. The cancel finds it `launching`, and
    // the service on the revision registered for it (its deployment tag): refused; the retry records the success.
    const run = new Run();
    await run.runThrough([
      { type: 'push', faults: [{ call: 4, after: true }] },
      { type: 'stop', pick: 0, exitCode: 0 },
      { type: 'deliver', pick: 11, keep: false, faults: [] },
      { type: 'push', faults: [] },
      { type: 'retry', pick: 0, faults: [{ call: 5, after: true }] },
      { type: 'cancel', pick: 0, faults: [] },
      { type: 'deliver', pick: 0, keep: false, faults: [] },
    ]);
    expect(run.world.store.all()[0]).toMatchObject({ status: 'ended', outcome: 'succeeded' });
  });

  it('with the timeout check lost as well, a push that takes the expired lock over records the success the service shows', async () => {
    // The same dead invocation; no retry, no timeout check until the lock has expired (TIMEOUT_MINUTES + 15): the
    // next push takes the environment over, and finds the service on the deployment's own revision.
    const run = new Run();
    await run.runThrough([
      { type: 'push', faults: [] },
      { type: 'stop', pick: 0, exitCode: 0 },
      { type: 'deliver', pick: 2, keep: false, faults: [{ call: 5, after: false }] },
      { type: 'clock', minutes: 80 },
      { type: 'push', faults: [] },
    ]);
    const [first] = run.world.store.all();
    expect(first).toMatchObject({ status: 'ended', outcome: 'succeeded', rollout: 'continued' });
    expect(first?.status === 'ended' ? first.reason : '').toMatch(/lock expired .* runs its revision .*: its migration succeeded/);
  });
});
