import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ended } from '../../src/core/deployment.js';
import { createController } from '../../src/shell/controller.js';
import { config } from '../support/fixtures.js';
import { type Preempt as GenericPreempt, MODEL_PORT_CALLS } from '../support/interleaving.js';
import type { Fault } from '../support/model-ports.js';
import {
  countRun,
  deployRequestOf,
  endedOnce,
  InterleavedRun,
  LOCK_MINUTES,
  LOCK_TAKEN_OVER,
  pushOf,
  TIMEOUT_MINUTES,
} from '../support/model-run.js';
import {
  assertProperty,
  clockStep,
  countOf,
  faultsOf,
  invoking,
  pick,
  preemptions,
  runsOr,
  STATS,
  spoofStep,
  startStep,
  stopStep,
} from '../support/property-run.js';

/**
 * Model-based property test of the real controller under *overlapping* invocations, the sibling of
 * controller.property.test.ts (where every invocation runs alone). In production the launcher and the watcher run
 * at once, and ECS events arrive while the launcher is mid-flight (between its commit of `launching` and RunTask's
 * answer, say). Here any invocation A can be preempted just before or just after a chosen port call (its `nth`
 * `launch`, `commit`, `updateService`, `describeService`, PutEvents…): a few other steps run to completion meanwhile
 * (the task progresses, one of its events is delivered to the watcher, the same trigger is delivered again, a
 * cancel, a timeout check, a new push…), then A goes on from where it was. A commit that lost its race throws a
 * conflict in A, which reloads (`loadPlan`) and decides again: the reload path is exercised by construction.
 *
 * ECS task events may also leave the migration container's exit code out (as real ECS does) while DescribeTasks
 * (`describeTask`) knows it.
 *
 * Checked after every top-level step: one active deployment, one task at a time, at most one task per deployment
 * (a duplicate never starts a second task for one attempt), no ended deployment with a running task, and at every
 * UpdateService: only to a deployment's own revision whose task exited 0, never to an older revision than the
 * service runs. Checked once everything has been delivered: every deployment ended once, with an outcome consistent
 * with its task's exit code (a success only for exit 0; a recorded exit code is the task's; a task of ours that
 * exited 0 ends succeeded and rolled out unless cancelled, timed out or taken over first), nothing left locked,
 * every stored event published, every unstored one a true report; and, the clock past the lock expiry, a new push
 * launches at once. The defects it found are tolerated narrowly (each `KNOWN DEFECT` in `Run` names its case) and
 * replayed strictly at the end of this file.
 *
 * Reproduce with the seed and path it prints: `FC_SEED=<seed> FC_PATH=<path> npx vitest run <this file>`.
 * `FC_RUNS` (default 200, a few seconds on one core); `FC_STATS=1` prints what the runs covered.
 */

/** The port calls an invocation can be preempted at (model-ports' names), weighted toward the racy ones. */
const PORT_NAMES = ['launch', 'commit', 'updateService', ...MODEL_PORT_CALLS] as const;
type PortName = (typeof PORT_NAMES)[number];

type Preempt = GenericPreempt<Step> & { at: PortName | number };

type Invoking = { faults: Fault[]; preempt?: Preempt };

/** What may happen while an invocation is preempted (no nested preemption), and at the top level. */
type Step =
  | ({ type: 'push' } & Invoking)
  | ({ type: 'request'; image: number; rerun: boolean } & Invoking)
  | ({ type: 'cancel'; pick: number } & Invoking)
  | { type: 'start'; pick: number }
  | { type: 'stop'; pick: number; exitCode: number | undefined }
  | ({ type: 'deliver'; pick: number; latest: boolean; keep: boolean; strip: boolean } & Invoking)
  | ({ type: 'redeliver'; pick: number; strip: boolean } & Invoking)
  | ({ type: 'retry'; pick: number } & Invoking)
  | ({ type: 'timeout'; pick: number } & Invoking)
  | { type: 'clock'; minutes: number }
  /** The preempted invocation's own event, delivered again meanwhile (a duplicate delivery, run concurrently). */
  | ({ type: 'again' } & Invoking)
  | { type: 'spoof'; pick: number }
  | { type: 'burst'; count: number };

const portName: fc.Arbitrary<PortName> = fc.oneof(
  { weight: 5, arbitrary: fc.constant('launch' as const) },
  { weight: 4, arbitrary: fc.constant('commit' as const) },
  { weight: 3, arbitrary: fc.constant('updateService' as const) },
  { weight: 2, arbitrary: fc.constant('describeService' as const) },
  { weight: 2, arbitrary: fc.constant('putEvents' as const) },
  { weight: 2, arbitrary: fc.constantFrom(...PORT_NAMES) },
);

/** Steps without preemption: what runs inside a preemption, and the building blocks of the top level. */
function steps(preempt: fc.Arbitrary<Preempt | undefined>, nested: boolean): fc.Arbitrary<Step> {
  const inv = invoking(faultsOf(1), preempt);
  const arbitraries: fc.WeightedArbitrary<Step>[] = [
    { weight: 3, arbitrary: inv({ type: fc.constant('push' as const) }) as fc.Arbitrary<Step> },
    {
      weight: 1,
      arbitrary: inv({ type: fc.constant('request' as const), image: pick, rerun: fc.boolean() }) as fc.Arbitrary<Step>,
    },
    { weight: 1, arbitrary: inv({ type: fc.constant('cancel' as const), pick }) as fc.Arbitrary<Step> },
    { weight: 2, arbitrary: startStep },
    { weight: 3, arbitrary: stopStep },
    {
      weight: 4,
      arbitrary: inv({
        type: fc.constant('deliver' as const),
        pick,
        latest: fc.boolean(),
        keep: fc.boolean(),
        strip: fc.boolean(),
      }) as fc.Arbitrary<Step>,
    },
    { weight: 1, arbitrary: inv({ type: fc.constant('redeliver' as const), pick, strip: fc.boolean() }) as fc.Arbitrary<Step> },
    { weight: 2, arbitrary: inv({ type: fc.constant('retry' as const), pick }) as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: inv({ type: fc.constant('timeout' as const), pick }) as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: clockStep },
  ];
  if (nested) arbitraries.push({ weight: 2, arbitrary: inv({ type: fc.constant('again' as const) }) as fc.Arbitrary<Step> });
  else
    arbitraries.push(
      { weight: 1, arbitrary: spoofStep },
      { weight: 1, arbitrary: fc.record({ type: fc.constant('burst' as const), count: fc.integer({ min: 2, max: 3 }) }) },
    );
  return fc.oneof(...arbitraries);
}

const command = steps(preemptions(portName, 6, steps(fc.constant(undefined), true)), false);

const revisionOf = (taskDefinitionArn: string) => Number(taskDefinitionArn.split(':').pop());

const stats = {
  runs: 0,
  deployments: 0,
  rollouts: 0,
  retries: 0,
  preemptions: 0,
  conflicts: 0,
  tokenConflicts: 0,
  stripped: 0,
  planned: 0,
  outcomes: [] as string[],
  tolerated: 0,
  orphansRunning: 0,
};

/** One run: the world, the controller, and what the invariants need to know. */
class Run extends InterleavedRun<Step> {
  private pushes = 0;
  private requests = 0;
  private cancels = 0;
  /** RunTask refusals of a reused clientToken (ConflictException), each with whether the refused launch was resumed. */
  readonly tokenConflicts: { clientToken: string; resumed: boolean }[] = [];
  readonly controller = createController({
    config: config({ TIMEOUT_MINUTES: String(TIMEOUT_MINUTES) }),
    ports: {
      ...this.world.ports,
      ecs: {
        ...this.world.ports.ecs,
        launch: this.watchedLaunch((clientToken, request) => this.tokenConflicts.push({ clientToken, resumed: request.resumed === true })),
      },
    },
    log: this.controllerLog,
    now: () => new Date(this.now),
    sleep: async () => {},
  });

  constructor(private readonly knownBugTolerated = true) {
    super();
    const { ecs } = this.world;
    ecs.onRollout = (taskDefinitionArn) => {
      const task = ecs.tasks.find((t) => t.taskDefinitionArn === taskDefinitionArn);
      const owner = this.world.store.all().find((d) => d.id === task?.deploymentId);
      // The service never moves back to an older revision of the family (README: "The service is never moved back").
      const from = ecs.serviceRevision();
      // KNOWN RACE (README, "never moved back"; replayed below): an invocation held between its re-read of the service
      // and UpdateService while another judged the same task, ended the deployment and a later one rolled out. Only
      // an UpdateService for a deployment that has ended by then is tolerated.
      const stale = owner?.status === 'ended' && this.knownBugTolerated;
      if (revisionOf(taskDefinitionArn) < revisionOf(from) && !stale)
        this.violations.push(`service moved back from ${from} to the older ${taskDefinitionArn} (for ${owner?.id ?? 'no deployment'})`);
      // An ended owner: the rollout of an invocation whose deployment a concurrent cancel, timeout check or lock
      // takeover ended meanwhile (the known defect below); checked at the end.
      this.checkRollout(taskDefinitionArn, true);
    };
  }

  /** The push of the next image, or of image `n` (one no request named: the liveness check's). */
  private push(n = ++this.pushes): Record<string, unknown> {
    return pushOf(n, this.time());
  }

  /** A step; `preempted` is the raw event of the invocation a nested step interrupts (for `again`). */
  async apply(c: Step, preempted?: Record<string, unknown>): Promise<void> {
    this.now += 1000;
    this.collect();
    const preempt = 'preempt' in c ? c.preempt : undefined;
    switch (c.type) {
      case 'push':
        return this.invoke(this.push(), c.faults, preempt);
      case 'again':
        return preempted === undefined ? undefined : this.invoke(preempted, c.faults);
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
        return this.invoke(deployRequestOf(++this.requests, image, c.rerun, this.time()), c.faults, preempt);
      }
      case 'cancel':
        return this.invoke(this.cancelOf(c.pick, ++this.cancels), c.faults, preempt);
      case 'start':
      case 'stop':
      case 'deliver':
      case 'redeliver':
      case 'retry':
        return this.taskStep(c, preempt);
      case 'timeout': {
        const raw = this.timeoutPicked(c.pick);
        return raw === undefined ? undefined : this.invoke(raw, c.faults, preempt);
      }
      case 'clock':
        this.now += c.minutes * 60_000;
        return;
    }
  }

  /** The invariants that hold after every top-level step. */
  checkStep(): void {
    const all = this.world.store.all();
    this.violations.push(...this.activeProblems(all));
    // An orphan: a cancel, timeout check or lock takeover ended a `launching` deployment while its RunTask was in
    // flight (before ECS listed the task, so `stopTasksStartedBy` found none), and the launching invocation died before
    // it handled RunTask's answer (`lateLaunchResult` would stop the task). It runs until its first event reaches the
    // watcher, which stops it (test/shell/orphaned-launch.test.ts); `drain` checks that none outlives its events.
    const running = this.notOrphaned(this.world.ecs.running());
    stats.orphansRunning += this.world.ecs.running().length - running.length;
    this.violations.push(...this.taskProblems(all, running));
    // A launch finds the revision its deployment registered and sends RunTask the same parameters: never refused.
    // When two overlapping launches each registered one (a duplicate delivery resumed the launch between the first
    // one's commit and its RunTask), the refused one tries the other (test/shell/overlapping-launch.test.ts).
    if (this.tokenConflicts.length > 0)
      this.violations.push(`RunTask refused a launch's clientToken: ${this.tokenConflicts.map((c) => c.clientToken).join(', ')}`);
    if (this.violations.length > 0) this.fail(this.violations);
  }

  /** Lets the world run to the end with no more failures: every retry and task event delivered, every task stopped. */
  async drain(): Promise<void> {
    await this.settle(60, true);
  }

  /** The invariants of a run that has settled. */
  checkEnd(): void {
    const records = this.world.store.all();
    const problems = this.settledProblems(records, (d) => [
      // Ended once (a rollout recorded after the end by an invocation that lost its race to it, a rollout-watch note,
      // keeps the outcome), and true to its task.
      ...endedOnce(d),
      ...this.outcomeProblems(d, (x) => this.rolloutMissing(x), [LOCK_TAKEN_OVER]),
    ]);
    problems.push(
      ...this.rolloutProblems(records, (d) => {
        // KNOWN RACE: an operator's cancel or unlock (or a takeover of an expired lock) ran while the invocation
        // that moved the service was between its read of the service and UpdateService (not after it: then the
        // service shows the rollout, and the request is refused, the takeover records the success). It ends the
        // deployment first; the record's outcome says halted. The first event of its task after the update records
        // the rollout in it (`services`, a history note) while the service still runs its revision; not once the
        // service has moved on to a later deployment's (found in CI, FC_SEED=991544048), nor for a deployment that
        // ended while still `launching` (no revision of its own recorded to find the service on).
        // The timeout check of a `launching` deployment is such an end too: a retried delivery read the deployment
        // still launching, was held past its deadline, then resumed the launch, whose RunTask answer judged the kept
        // exit 0 and moved the service (FC_SEED=-292580340; replayed strictly below). In Lambda the hold is bounded by
        // the function's timeout (60 s, TimeoutMinutes at least 1), so only a retry that comes as the deadline passes
        // can meet it. And the timeout check of a `running` deployment: it read the task still running and was held,
        // while a retried delivery of the same check found the task stopped, exit 0, and moved the service; the held
        // check then timed the deployment out (FC_SEED=-778901634, present before this change too; replayed below).
        const known =
          d.outcome === 'cancelled' ||
          d.reason.includes(' unlocked by ') ||
          LOCK_TAKEN_OVER.test(d.reason) ||
          (d.outcome === 'timed_out' && (d.reason.startsWith(NO_TASK_WITHIN) || d.reason.startsWith(STILL_RUNNING)));
        if (!known || !this.knownBugTolerated) return false;
        stats.tolerated += 1;
        return true;
      }),
    );
    problems.push(...this.freedAndPublishedProblems((e) => this.untrueReport(e, (id) => this.notMovedFor(id), true)));
    if (problems.length > 0) this.fail(problems);
  }

  /** A success rolls out: the service was moved for it (or found on a newer revision: `moved-on`). */
  private rolloutMissing(d: Ended): string | undefined {
    return this.rolledOut.some((r) => r.deploymentId === d.id)
      ? undefined
      : `${d.id} succeeded (rollout ${d.rollout}), but the service was never moved for it`;
  }

  /** Once the clock is past any lock's expiry, the environment takes a new push at once. */
  async checkLive(): Promise<void> {
    this.now += (LOCK_MINUTES + 1) * 60_000;
    await this.launchesAtOnce(this.push(4000), 'a push after every lock expired was not launched');
  }
}

/** How a timeout check words the end of a deployment still `launching`, and of one `running` (src/core/decide-watch.ts). */
const NO_TASK_WITHIN = 'no task started within';
const STILL_RUNNING = 'still running after';

const numRuns = runsOr(200);

/** Runs `commands` as one property run: every invariant after each step, at the end, and liveness after the end. */
const runAll = (commands: Step[], knownBugTolerated = true): Promise<Run> => new Run(knownBugTolerated).runLive(commands);

describe('the controller with invocations that overlap', () => {
  it(
    'keeps every guarantee when other invocations run while one is between two port calls, and events lack exit codes',
    async () => {
      await assertProperty(
        fc.array(command, { minLength: 1, maxLength: 40, size: 'large' }),
        async (commands) => {
          const run = await runAll(commands);
          if (STATS) {
            countRun(stats, run);
            stats.rollouts += run.rolledOut.length;
            stats.preemptions += run.preemptions;
            stats.planned += run.planned;
            stats.stripped += run.stripped;
            stats.conflicts += run.conflicts;
            stats.tokenConflicts += run.tokenConflicts.length;
          }
        },
        numRuns,
      );
      if (STATS) console.log(JSON.stringify({ ...stats, outcomes: countOf(stats.outcomes) }));
    },
    30_000 + numRuns * 150,
  );
});

/**
 * The defects this property found, fixed, replayed from their shrunk counterexamples with every invariant strict.
 */
describe('known races of overlapping invocations (the property tolerates them; these replay them strictly)', () => {
  it('KNOWN RACE: a judge held between its re-read of the service and UpdateService moves the service back', async () => {
    // Found by random property runs (FC_SEED=299211383): the STOPPED event's invocation read the service, then was
    // held; a retried timeout check judged the same stopped task, rolled out and handed over; the next deployment
    // rolled out its newer revision; then the held invocation's UpdateService moved the service back.
    const commands: Step[] = [
      { type: 'burst', count: 2 },
      { type: 'stop', pick: 0, exitCode: 0 },
      { type: 'timeout', pick: 0, faults: [{ call: 1, after: false }] },
      {
        type: 'deliver',
        pick: 0,
        latest: true,
        keep: false,
        strip: false,
        faults: [],
        preempt: {
          at: 4,
          nth: 1,
          after: false,
          meanwhile: [
            { type: 'retry', pick: 0, faults: [] },
            { type: 'stop', pick: 0, exitCode: 0 },
            { type: 'deliver', pick: 0, latest: true, keep: false, strip: false, faults: [] },
          ],
        },
      },
      { type: 'push', faults: [] },
    ];
    await expect(runAll(commands, false)).rejects.toThrow(/service moved back from .*:44 to the older .*:43/);
  });

  it('KNOWN RACE: a retried launch held past its deadline resumes and rolls out the migration the timeout check ended', async () => {
    // Found by random property runs (FC_SEED=-292580340), replayed here through the check that launches a takeover's
    // migration once the lost one's task had its stop timeout: that check's invocation started the task (which exited
    // 0 and was kept) and failed to commit; its retried delivery read the deployment still `launching` and was held;
    // the timeout check ended it "no task started within 60 minutes"; the retry then resumed the launch, and RunTask's
    // answer (the same task, by clientToken) judged the kept exit 0 and moved the service for a deployment ended
    // timed_out.
    const commands: Step[] = [
      { type: 'push', faults: [] },
      { type: 'clock', minutes: 90 },
      { type: 'push', faults: [] },
      { type: 'timeout', pick: 1, faults: [{ call: 8, after: false }] },
      { type: 'stop', pick: 0, exitCode: 0 },
      { type: 'deliver', pick: 0, latest: true, keep: false, strip: false, faults: [] },
      {
        type: 'retry',
        pick: 0,
        faults: [],
        preempt: { at: 2, nth: 1, after: false, meanwhile: [{ type: 'timeout', pick: 1, faults: [] }] },
      },
      { type: 'burst', count: 2 },
    ];
    await expect(runAll(commands, false)).rejects.toThrow(/the service was moved for \S+, which ended timed_out: "no task started within/);
  });

  it('KNOWN RACE: a timeout check held after reading the task running times out a migration its retried delivery rolled out', async () => {
    // Found by random property runs (FC_SEED=-778901634): the check read the task RUNNING and was held; the task
    // exited 0; a retried delivery of the check found it stopped, moved the service and died before its commit; the
    // held check then ended the deployment "still running after 60 minutes" while the service ran its revision.
    const commands: Step[] = [
      { type: 'push', faults: [] },
      { type: 'push', faults: [] },
      {
        type: 'timeout',
        pick: 0,
        faults: [],
        preempt: {
          at: 5,
          nth: 1,
          after: false,
          meanwhile: [
            { type: 'stop', pick: 0, exitCode: 0 },
            { type: 'again', faults: [{ call: 5, after: true }] },
            { type: 'stop', pick: 0, exitCode: 0 },
          ],
        },
      },
      { type: 'stop', pick: 0, exitCode: 0 },
    ];
    await expect(runAll(commands, false)).rejects.toThrow(/the service was moved for \S+, which ended timed_out: "still running after/);
  });
});

describe('defects of overlapping invocations, fixed', () => {
  it('a launch handed on twice in one invocation (its resumed launch ended at once), then the invocation died, is resumed by the retry', async () => {
    // Found by random property runs: the retried cancel resumed the queued deployment's launch, whose RunTask answer
    // judged a kept exit 1 and handed the environment on to the next one; the invocation died before that launch.
    // The cancel's retry found only its own handover ended; it now follows the chain one step.
    const commands: Step[] = [
      { type: 'cancel', pick: 0, faults: [{ call: 1, after: false }] },
      { type: 'push', faults: [], preempt: { at: 1, nth: 1, after: false, meanwhile: [{ type: 'stop', pick: 0, exitCode: 0 }] } },
      { type: 'timeout', pick: 0, faults: [] },
      { type: 'burst', count: 2 },
      {
        type: 'retry',
        pick: 0,
        faults: [{ call: 10, after: false }],
        preempt: { at: 1, nth: 1, after: false, meanwhile: [{ type: 'cancel', pick: 0, faults: [] }] },
      },
      { type: 'stop', pick: 0, exitCode: 1 },
      { type: 'deliver', pick: 0, latest: true, keep: false, strip: false, faults: [] },
      { type: 'deliver', pick: 0, latest: true, keep: false, strip: false, faults: [] },
      { type: 'push', faults: [] },
      { type: 'deliver', pick: 0, latest: true, keep: false, strip: false, faults: [] },
      { type: 'deliver', pick: 2, latest: false, keep: false, strip: false, faults: [{ call: 6, after: false }] },
    ];
    await expect(runAll(commands, false)).resolves.toBeDefined();
  });

  it("a launching deployment's rollout done but not recorded, its retry never coming, is recorded by the timeout check as the success it is", async () => {
    // Found in CI (FC_SEED=1779877261): RunTask started the task, which exited 0 and was kept while the push was
    // preempted; RunTask's answer judged it and moved the service, then the commit failed. The timeout check came
    // before the push's retry: the service's revision, tagged with the deployment, and the kept exit 0 show the success.
    const commands: Step[] = [
      {
        type: 'push',
        faults: [{ call: 12, after: false }],
        preempt: {
          at: 4,
          nth: 1,
          after: true,
          meanwhile: [
            { type: 'stop', pick: 0, exitCode: 0 },
            { type: 'deliver', pick: 0, latest: true, keep: false, strip: false, faults: [] },
          ],
        },
      },
      { type: 'timeout', pick: 0, faults: [] },
      { type: 'deliver', pick: 0, latest: false, keep: false, strip: false, faults: [] },
    ];
    const run = await runAll(commands, false);
    // The first record; the liveness check after the run launches one more.
    expect(run.world.store.all()[0]).toMatchObject({ status: 'ended', outcome: 'succeeded', taskArn: expect.any(String) });
  });

  it('orphaned task: a launch cancelled while RunTask was in flight, whose answer was lost, leaves no task running', async () => {
    const commands: Step[] = [
      {
        type: 'push',
        faults: [{ call: 4, after: true }], // RunTask (the 4th port call) takes effect, then the invocation dies
        preempt: { at: 'commit', nth: 1, after: true, meanwhile: [{ type: 'cancel', pick: 0, faults: [] }] },
      },
    ];
    await expect(runAll(commands, false)).resolves.toBeDefined();
  });

  it('overlapping launches: a launch refused on its own revision finds the task on the other one', async () => {
    const commands: Step[] = [
      {
        type: 'request',
        image: 0,
        rerun: false,
        faults: [],
        // Between the commit and RunTask, the same request again: it resumes the launch, RunTask takes effect, it dies.
        preempt: { at: 'launch', nth: 1, after: false, meanwhile: [{ type: 'again', faults: [{ call: 3, after: true }] }] },
      },
    ];
    await expect(runAll(commands, false)).resolves.toBeDefined();
  });
});
