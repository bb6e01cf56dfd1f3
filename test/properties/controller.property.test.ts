import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMITTED_TYPES } from '../../src/core/actions.js';
import type { Outcome } from '../../src/core/deployment.js';
import { TooManyConflictsError, TransientAwsError } from '../../src/errors.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { ACCOUNT, config, REGION, sample, withEvent } from '../support/fixtures.js';
import { type Fault, FaultPlan, type ModelTask, modelPorts } from '../support/model-ports.js';

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

const ENVIRONMENT = 'staging';
const START = Date.parse('2026-11-25T09:00:00Z');
const TIMEOUT_MINUTES = 60;

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

const faults = fc.array(fc.record({ call: fc.integer({ min: 1, max: 14 }), after: fc.boolean() }), { maxLength: 2 });
const pick = fc.nat({ max: 20 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.constant('push' as const), faults }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('request' as const), image: pick, rerun: fc.boolean(), faults }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('cancel' as const), pick, faults }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('start' as const), pick }) },
  {
    weight: 3,
    arbitrary: fc.record({ type: fc.constant('stop' as const), pick, exitCode: fc.constantFrom(0, 0, 0, 1, 137, undefined) }),
  },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('deliver' as const), pick, keep: fc.boolean(), faults }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('redeliver' as const), pick, faults }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('retry' as const), pick, faults }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('timeout' as const), pick, faults }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('clock' as const), minutes: fc.constantFrom(1, 30, 90) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('spoof' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('burst' as const), count: fc.integer({ min: 2, max: 3 }) }) },
);

const OUTCOMES: readonly string[] = ['succeeded', 'failed', 'timed_out', 'superseded', 'cancelled'] satisfies Outcome[];
/** Events no commit implies: sent directly, never through an outbox. */
const DIRECT: readonly string[] = ['Event Rejected', 'Environment Unlocked'];

const digest = (n: number) => `sha256:${(0xa000 + n).toString(16).padStart(64, 'b')}`;
const imageRef = (n: number) => `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api@${digest(n)}`;

/** JSON with sorted keys: events compared by content, not key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** One run: the world, the controller, and what the invariants need to know. */
class Run {
  readonly plan = new FaultPlan();
  readonly world = modelPorts(this.plan);
  now = START;
  /** Raw events whose invocation failed: Lambda/EventBridge retries them later. */
  readonly retries: Record<string, unknown>[] = [];
  /** Index into the ECS model's emitted events of those not yet delivered. */
  readonly undelivered: number[] = [];
  readonly delivered: number[] = [];
  private seenEmitted = 0;
  private pushes = 0;
  private requests = 0;
  private cancels = 0;
  readonly violations: string[] = [];
  /** Deployments some invocation decided to launch or queue (an accepted trigger). */
  readonly accepted = new Set<string>();
  readonly controller = createController({
    config: config({ TIMEOUT_MINUTES: String(TIMEOUT_MINUTES) }),
    ports: this.world.ports,
    log: silentLog,
    now: () => new Date(this.now),
    sleep: async () => {},
  });
  readonly log: string[] = [];
  /** Each rollout and the deployment task it was for. */
  readonly rolledOut: { deploymentId: string; taskArn: string }[] = [];

  constructor(private readonly knownBugTolerated = true) {
    // The service moves only to a deployment whose own task's migration container exited 0: the one task RunTask
    // started for it (at most one, checked below), which it has recorded or records in the commit that follows.
    this.world.ecs.onRollout = (taskDefinitionArn) => {
      const task = this.world.ecs.tasks.find((t) => t.taskDefinitionArn === taskDefinitionArn);
      const owner = this.world.store.all().find((d) => d.id === task?.deploymentId);
      if (task === undefined || owner === undefined || owner.kind !== 'migration')
        this.violations.push(`service moved to ${taskDefinitionArn}, which no migration's task ran`);
      else if (task.spoofed === true) this.violations.push(`service moved to ${taskDefinitionArn} of a task ecs-migrate did not start`);
      else if (task.lastStatus !== 'STOPPED' || task.exitCode !== 0 || task.stopCode !== 'EssentialContainerExited')
        this.violations.push(`service moved to ${taskDefinitionArn} of ${owner.id}, whose task ${task.taskArn} did not exit 0`);
      else if (owner.status === 'ended' || owner.status === 'queued' || (owner.status === 'running' && owner.taskArn !== task.taskArn))
        this.violations.push(`service moved to ${taskDefinitionArn} for ${owner.id}, which is ${owner.status} or recorded another task`);
      else this.rolledOut.push({ deploymentId: owner.id, taskArn: task.taskArn });
    };
  }

  private time(): string {
    return new Date(this.now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private operatorEvent(detailType: string, id: string, detail: Record<string, unknown>, source = 'ecs-migrate') {
    return {
      version: '0',
      id,
      'detail-type': detailType,
      source,
      account: ACCOUNT,
      time: this.time(),
      region: REGION,
      resources: [],
      detail,
    };
  }

  private push(): Record<string, unknown> {
    return this.pushOf(++this.pushes, this.time());
  }

  /** The ECR push of image `n`, pushed at `time` (the event's own time is the push time). */
  pushOf(n: number, time: string): Record<string, unknown> {
    return withEvent(sample('ecr-push'), {
      top: { id: `push-${n}`, time },
      detail: { 'image-digest': digest(n), 'image-tag': `v1.${n}.0` },
    });
  }

  /** One Lambda invocation of `raw`; a transient failure queues it for a retry. */
  async invoke(raw: Record<string, unknown>, faults: Fault[]): Promise<void> {
    this.plan.arm(faults);
    try {
      const steps = await this.controller.handle(raw);
      for (const s of steps)
        if ((s.decision.decision === 'launch' || s.decision.decision === 'queue') && s.decision.deploymentId !== undefined)
          this.accepted.add(s.decision.deploymentId);
      this.log.push(`${String(raw.id)}: ${steps.map((s) => `${s.input}→${s.decision.decision} (${s.decision.reason})`).join('; ')}`);
    } catch (error) {
      if (!(error instanceof TransientAwsError || error instanceof TooManyConflictsError)) throw error;
      this.log.push(`${String(raw.id)}: failed (${error.message}), will be retried`);
      this.retries.push(raw);
    } finally {
      this.plan.disarm();
      this.collectTaskEvents();
    }
  }

  private collectTaskEvents(): void {
    for (; this.seenEmitted < this.world.ecs.emitted.length; this.seenEmitted++) this.undelivered.push(this.seenEmitted);
  }

  private scheduled(): [string, { environment: string; at: string }][] {
    return [...this.world.scheduler.schedules.entries()];
  }

  async apply(c: Command): Promise<void> {
    this.now += 1000;
    const { ecs } = this.world;
    switch (c.type) {
      case 'push':
        return this.invoke(this.push(), c.faults);
      case 'burst': {
        // Concurrent invocations, interleaved at every await: their commits race and the losers decide again.
        const pushes = Array.from({ length: c.count }, () => this.push());
        await Promise.all(pushes.map((raw) => this.invoke(raw, [])));
        return;
      }
      case 'spoof': {
        const ids = this.world.store.all().map((d) => d.id);
        const target = ids[c.pick % Math.max(1, ids.length)];
        if (target !== undefined) ecs.spoof(target);
        this.collectTaskEvents();
        return;
      }
      case 'request': {
        const n = ++this.requests;
        const raw = withEvent(sample('deploy-request'), {
          top: { id: `request-${n}`, time: this.time() },
          detail: {
            requestId: `req-${n}`,
            image: imageRef(1 + (c.image % Math.max(1, this.pushes + 1))),
            ...(c.rerun ? { rerun: true } : {}),
          },
        });
        return this.invoke(raw, c.faults);
      }
      case 'cancel': {
        const ids = this.world.store.all().map((d) => d.id);
        const target = ids.length > 0 ? ids[c.pick % ids.length] : undefined;
        const n = ++this.cancels;
        const detail = {
          environment: ENVIRONMENT,
          requestId: `cancel-${n}`,
          requestedBy: 'ops@example.com',
          ...(target !== undefined ? { deploymentId: target } : {}),
        };
        return this.invoke(this.operatorEvent('cancel-request', `cancel-${n}`, detail), c.faults);
      }
      case 'start': {
        const running = ecs.running();
        const task = running[c.pick % Math.max(1, running.length)];
        if (task !== undefined) ecs.start(task);
        this.collectTaskEvents();
        return;
      }
      case 'stop': {
        const running = ecs.running();
        const task = running[c.pick % Math.max(1, running.length)];
        if (task !== undefined) {
          ecs.start(task);
          ecs.stop(task, c.exitCode);
        }
        this.collectTaskEvents();
        return;
      }
      case 'deliver': {
        if (this.undelivered.length === 0) return;
        const at = c.pick % this.undelivered.length;
        const index = this.undelivered[at] as number;
        if (!c.keep) this.undelivered.splice(at, 1);
        this.delivered.push(index);
        return this.invoke(ecs.emitted[index] as Record<string, unknown>, c.faults);
      }
      case 'redeliver': {
        if (this.delivered.length === 0) return;
        const index = this.delivered[c.pick % this.delivered.length] as number;
        return this.invoke(ecs.emitted[index] as Record<string, unknown>, c.faults);
      }
      case 'retry': {
        if (this.retries.length === 0) return;
        const [raw] = this.retries.splice(c.pick % this.retries.length, 1);
        return this.invoke(raw as Record<string, unknown>, c.faults);
      }
      case 'timeout': {
        const schedules = this.scheduled();
        const chosen = schedules[c.pick % Math.max(1, schedules.length)];
        if (chosen === undefined) return;
        const [deploymentId, { environment, at }] = chosen;
        this.now = Math.max(this.now, Date.parse(at) + 1000);
        const raw = this.operatorEvent(
          'Migration Timeout Check',
          `timeout-${deploymentId}`,
          { environment, deploymentId },
          'ecs-migrate.scheduler',
        );
        return this.invoke(raw, c.faults);
      }
      case 'clock':
        this.now += c.minutes * 60_000;
        return;
    }
  }

  /** The invariants that hold after every step. */
  checkStep(): void {
    const open = this.world.store.all().filter((d) => d.status === 'launching' || d.status === 'running');
    if (open.length > 1) this.violations.push(`more than one active deployment: ${open.map((d) => `${d.id} ${d.status}`).join(', ')}`);
    const active = this.world.store.environment()?.active?.deploymentId;
    for (const d of open) if (d.id !== active) this.violations.push(`${d.id} is ${d.status} but does not hold the environment (${active})`);
    const running = this.world.ecs.running();
    for (const d of this.world.store.all()) {
      if (d.status !== 'ended') continue;
      const alive = running.filter((t) => t.deploymentId === d.id);
      if (alive.length === 0) continue;
      this.violations.push(`${d.id} ended (${d.outcome}) while its task ${alive.map((t) => t.taskArn).join(', ')} still runs`);
    }
    if (running.length > 1)
      this.violations.push(`more than one task running: ${running.map((t) => `${t.taskArn} (${t.deploymentId})`).join(', ')}`);
    const perDeployment = new Map<string, number>();
    for (const t of this.world.ecs.tasks.filter((x) => x.spoofed !== true))
      perDeployment.set(t.deploymentId ?? '', (perDeployment.get(t.deploymentId ?? '') ?? 0) + 1);
    for (const [id, n] of perDeployment) if (n > 1) this.violations.push(`deployment ${id} started ${n} tasks`);
    if (this.world.ecs.conflicts.length > 0)
      this.violations.push(`RunTask refused a reused clientToken: ${this.world.ecs.conflicts.join(', ')}`);
    if (this.violations.length > 0) throw new Error(`${this.violations.join('\n')}\n--- log:\n${this.log.join('\n')}`);
  }

  /** Lets the world run to the end with no more failures: every retry and task event delivered, every task stopped. */
  async drain(): Promise<void> {
    for (let round = 0; round < 50; round++) {
      const retry = this.retries.shift();
      if (retry !== undefined) {
        await this.invoke(retry, []);
      } else if (this.undelivered.length > 0) {
        const index = this.undelivered.shift() as number;
        await this.invoke(this.world.ecs.emitted[index] as Record<string, unknown>, []);
      } else if (this.world.ecs.running().length > 0) {
        const task = this.world.ecs.running()[0] as ModelTask;
        this.world.ecs.start(task);
        this.world.ecs.stop(task, 0);
        this.collectTaskEvents();
      } else {
        // Nothing left but the schedules: the timeout check of a deployment still open fires, as the scheduler would.
        const open = this.world.store.all().find((d) => d.status === 'running' || d.status === 'launching');
        const schedule = open !== undefined ? this.world.scheduler.schedules.get(open.id) : undefined;
        if (open === undefined || schedule === undefined) return;
        this.now = Math.max(this.now, Date.parse(schedule.at) + 1000);
        const raw = this.operatorEvent(
          'Migration Timeout Check',
          `timeout-${open.id}`,
          { environment: schedule.environment, deploymentId: open.id },
          'ecs-migrate.scheduler',
        );
        await this.invoke(raw, []);
      }
      this.checkStep();
    }
    throw new Error(`the run did not settle\n${this.log.join('\n')}`);
  }

  /** The invariants of a run that has settled. */
  checkEnd(): void {
    const records = this.world.store.all();
    const problems: string[] = [];
    for (const id of this.accepted) if (!records.some((d) => d.id === id)) problems.push(`accepted ${id} has no record`);
    for (const d of records) {
      if (d.status !== 'ended') {
        problems.push(`${d.id} is still ${d.status}`);
        continue;
      }
      const terminal = d.history.filter((h) => OUTCOMES.includes(h.status));
      if (terminal.length !== 1) problems.push(`${d.id} ended ${terminal.length} times: ${terminal.map((h) => h.status).join(', ')}`);
    }
    for (const r of this.rolledOut) {
      const d = records.find((x) => x.id === r.deploymentId);
      if (d?.status !== 'ended' || (d.taskArn !== undefined && d.taskArn !== r.taskArn))
        problems.push(`the service was moved for ${r.deploymentId}, which recorded another task than ${r.taskArn}`);
      else if (d.outcome !== 'succeeded') {
        // KNOWN INCONSISTENCY (see the it.fails test below): the invocation that moved the service died before its
        // commit, and a cancel, timeout check or lock takeover ended the deployment before the retry: its record and
        // events say the rollout halted while the service runs its revision. Counted, and checked strictly there.
        if (this.knownBugTolerated) known.haltedAfterRollout += 1;
        else problems.push(`the service was moved for ${r.deploymentId}, which ended ${d.outcome}: "${d.reason}"`);
      }
    }
    const env = this.world.store.environment();
    if (env?.active !== undefined || env?.queued !== undefined) problems.push(`environment still held: ${JSON.stringify(env)}`);

    // Every event a commit stored is on the bus, as stored; nothing on the bus that no commit stored, but for
    // reports of what AWS did (published before their commit), each of which must match the world.
    const published = new Set(this.world.bus.published.map(canonical));
    for (const box of this.world.store.outboxes)
      for (const e of box.events)
        if (!published.has(canonical(e))) problems.push(`${e.detailType} of ${box.record} r${box.revision} was never published`);
    const stored = new Set(this.world.store.outboxes.flatMap((b) => b.events.map(canonical)));
    for (const e of this.world.bus.published) {
      if (!(EMITTED_TYPES as readonly string[]).includes(e.detailType)) problems.push(`unknown event type ${e.detailType}`);
      if (DIRECT.includes(e.detailType) || stored.has(canonical(e))) continue;
      const untrue = untrueReportIn(this, e);
      if (untrue !== undefined) problems.push(`${e.detailType} published but never stored, and ${untrue}`);
    }
    if (problems.length > 0) throw new Error(`${problems.join('\n')}\n--- log:\n${this.log.join('\n')}`);
  }
}

/**
 * Why an event published before its commit (`reportFirst`) is not a true report of what happened in the world,
 * or undefined when it is: a start names a task RunTask started for that deployment; a success names that
 * deployment's task, which exited 0, and a rollout continued only when the service was moved for it.
 */
function untrueReportIn(run: Run, e: { detailType: string; detail: Record<string, unknown> }): string | undefined {
  const { deploymentId, taskArn } = e.detail;
  const task = run.world.ecs.tasks.find((t) => t.taskArn === taskArn && t.deploymentId === deploymentId && t.spoofed !== true);
  const movedFor = run.rolledOut.some((r) => r.deploymentId === deploymentId);
  switch (e.detailType) {
    case 'Migration Started':
    case 'Command Started':
      return task === undefined ? `no task ${String(taskArn)} was started for ${String(deploymentId)}` : undefined;
    case 'Migration Succeeded':
      if (task === undefined || task.exitCode !== 0) return `task ${String(taskArn)} of ${String(deploymentId)} did not exit 0`;
      return movedFor ? undefined : `the service was not moved for ${String(deploymentId)}`;
    case 'Rollout Continued':
      return movedFor ? undefined : `the service was not moved for ${String(deploymentId)}`;
    case 'Rollout Failed': {
      const record = run.world.store.all().find((d) => d.id === deploymentId);
      const failed = record?.status === 'ended' && (record.services ?? []).some((s) => s.result === 'failed');
      return failed ? undefined : `no service of ${String(deploymentId)} failed to move`;
    }
    default:
      return 'it is no report of what AWS did';
  }
}

/** Runs that hit a known bug, counted: a rollout done but not yet committed, ended as halted (haltedAfterRollout). */
const known = { haltedAfterRollout: 0 };

const stats = { runs: 0, deployments: 0, rollouts: 0, retries: 0, outcomes: [] as string[] };
const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;
const path = process.env.FC_PATH;
const numRuns = Number(process.env.FC_RUNS ?? 250);

describe('the controller under random interleavings, duplicates, reordering and crashes', () => {
  it(
    'keeps one active deployment and one task, rolls out only exit 0, ends every trigger once and publishes every stored event',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60, size: 'large' }), async (commands) => {
          const run = new Run();
          for (const c of commands) {
            await run.apply(c);
            run.checkStep();
          }
          await run.drain();
          run.checkEnd();
          if (process.env.FC_STATS) {
            const ended = run.world.store.all();
            stats.runs++;
            stats.deployments += ended.length;
            stats.rollouts += run.rolledOut.length;
            stats.retries += run.log.filter((l) => l.includes('will be retried')).length;
            stats.outcomes.push(...ended.map((d) => (d.status === 'ended' ? d.outcome : d.status)));
          }
        }),
        {
          numRuns,
          ...(seed !== undefined ? { seed } : {}),
          ...(path !== undefined ? { path } : {}),
          reporter: (details) => {
            if (details.failed)
              throw new Error(
                `property failed; reproduce with FC_SEED=${details.seed}${details.counterexamplePath ? ` FC_PATH=${details.counterexamplePath}` : ''}\n${fc.defaultReportMessage(details)}\n${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
              );
          },
        },
      );
      if (process.env.FC_STATS) {
        const counts: Record<string, number> = {};
        for (const o of stats.outcomes) counts[o] = (counts[o] ?? 0) + 1;
        console.log(JSON.stringify({ ...stats, outcomes: counts, known }));
      }
    },
    30_000 + numRuns * 100,
  );
});

/**
 * Known defects the property found, replayed deterministically with every invariant strict: each test expects
 * the violation it names. When the defect is fixed its test fails; then it becomes a plain "holds" test and the
 * tolerance in `Run` goes.
 */
describe('known defects (the property tolerates them; these replay them strictly)', () => {
  const replay = async (commands: Command[]) => {
    const run = new Run(false);
    for (const c of commands) {
      await run.apply(c);
      run.checkStep();
    }
    await run.drain();
    run.checkEnd();
  };

  it('defect 9: the queue keeps the newest push by push time, not the last to arrive', async () => {
    // v1.1.0 runs; v1.3.0 (pushed at 09:00:30) arrives, then v1.2.0 (pushed earlier, at 09:00:20) arrives after it:
    // EventBridge does not order events. The older image is superseded on arrival; the newest rolls out last.
    const run = new Run(false);
    await run.apply({ type: 'push', faults: [] });
    await run.invoke(run.pushOf(103, '2026-11-25T09:00:30Z'), []);
    await run.invoke(run.pushOf(102, '2026-11-25T09:00:20Z'), []);
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

  it('KNOWN DEFECT: a migration whose rollout was done but not yet committed can end cancelled, saying the rollout halted', async () => {
    // The STOPPED (exit 0) event's invocation updates the service and reports it (4th call), then its commit fails
    // (5th). Before the retry a cancel ends the deployment as cancelled with "Rollout Halted", while the service
    // runs its revision; the bus carries both the reports (the truth) and the cancel's events.
    await expect(
      replay([
        { type: 'push', faults: [] },
        { type: 'stop', pick: 0, exitCode: 0 },
        { type: 'deliver', pick: 2, keep: false, faults: [{ call: 5, after: false }] },
        { type: 'cancel', pick: 0, faults: [] },
      ]),
    ).rejects.toThrow(/the service was moved for .*, which ended cancelled/);
  });
});
