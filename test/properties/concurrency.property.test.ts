import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMITTED_TYPES } from '../../src/core/actions.js';
import { type Deployment, deploymentIdFromStartedBy, type Ended, type Outcome } from '../../src/core/deployment.js';
import { TooManyConflictsError, TransientAwsError } from '../../src/errors.js';
import { createController } from '../../src/shell/controller.js';
import type { Log } from '../../src/shell/logger.js';
import { ACCOUNT, config, REGION, sample, withEvent } from '../support/fixtures.js';
import {
  current,
  type Invocation as GenericInvocation,
  type Preempt as GenericPreempt,
  Interleaving,
  invocation,
} from '../support/interleaving.js';
import { type Fault, type ModelTask, modelPorts } from '../support/model-ports.js';

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
 * (`describeContainers`) knows it.
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

const ENVIRONMENT = 'staging';
const START = Date.parse('2026-11-25T09:00:00Z');
const TIMEOUT_MINUTES = 60;
/** The lock expires TIMEOUT_MINUTES + 15 after it was taken. */
const LOCK_MINUTES = TIMEOUT_MINUTES + 15;

/** The port calls an invocation can be preempted at (model-ports' names), weighted toward the racy ones. */
const PORT_NAMES = [
  'launch',
  'commit',
  'updateService',
  'describeService',
  'putEvents',
  'loadEnvironmentWith',
  'loadDeployments',
  'describeContainers',
  'scheduleTimeout',
  'stopTask',
  'stopTasksStartedBy',
  'tail',
  'clearOutbox',
] as const;
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

const faults = fc.array(fc.record({ call: fc.integer({ min: 1, max: 14 }), after: fc.boolean() }), { maxLength: 1 });
const pick = fc.nat({ max: 20 });
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
  const inv = <T extends object>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
    fc.record({ ...fields, faults, preempt }).map(({ preempt: p, ...rest }) => (p === undefined ? rest : { ...rest, preempt: p }));
  const arbitraries: fc.WeightedArbitrary<Step>[] = [
    { weight: 3, arbitrary: inv({ type: fc.constant('push' as const) }) as fc.Arbitrary<Step> },
    {
      weight: 1,
      arbitrary: inv({ type: fc.constant('request' as const), image: pick, rerun: fc.boolean() }) as fc.Arbitrary<Step>,
    },
    { weight: 1, arbitrary: inv({ type: fc.constant('cancel' as const), pick }) as fc.Arbitrary<Step> },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('start' as const), pick }) },
    {
      weight: 3,
      arbitrary: fc.record({ type: fc.constant('stop' as const), pick, exitCode: fc.constantFrom(0, 0, 0, 1, 137, undefined) }),
    },
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
    { weight: 1, arbitrary: fc.record({ type: fc.constant('clock' as const), minutes: fc.constantFrom(1, 30, 90) }) },
  ];
  if (nested) arbitraries.push({ weight: 2, arbitrary: inv({ type: fc.constant('again' as const) }) as fc.Arbitrary<Step> });
  else
    arbitraries.push(
      { weight: 1, arbitrary: fc.record({ type: fc.constant('spoof' as const), pick }) },
      { weight: 1, arbitrary: fc.record({ type: fc.constant('burst' as const), count: fc.integer({ min: 2, max: 3 }) }) },
    );
  return fc.oneof(...arbitraries);
}

const nestedStep = steps(fc.constant(undefined), true);
const preemptArb: fc.Arbitrary<Preempt | undefined> = fc.option(
  fc.record({
    at: fc.oneof(portName, fc.integer({ min: 1, max: 6 })),
    nth: fc.constantFrom(1, 1, 2),
    after: fc.boolean(),
    meanwhile: fc.array(nestedStep, { minLength: 1, maxLength: 3 }),
  }),
  { freq: 2, nil: undefined },
);
const command = steps(preemptArb, false);

const OUTCOMES: readonly string[] = ['succeeded', 'failed', 'timed_out', 'superseded', 'cancelled'] satisfies Outcome[];
/** Events no commit implies: sent directly, never through an outbox. */
const DIRECT: readonly string[] = ['Event Rejected', 'Environment Unlocked'];

const digest = (n: number) => `sha256:${(0xa000 + n).toString(16).padStart(64, 'b')}`;
const imageRef = (n: number) => `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api@${digest(n)}`;
const revisionOf = (taskDefinitionArn: string) => Number(taskDefinitionArn.split(':').pop());
const LOCK_TAKEN_OVER = /the environment lock expired .* taken over by/;

/** JSON with sorted keys: events compared by content, not key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** A raw task event with the migration container's exit code left out, as ECS sometimes sends it. */
function withoutExitCode(raw: Record<string, unknown>): Record<string, unknown> {
  const detail = raw.detail as { containers: Record<string, unknown>[] };
  const strip = ({ exitCode: _e, ...c }: Record<string, unknown>) => c;
  return { ...raw, detail: { ...detail, containers: detail.containers.map((c) => (c.name === 'app' ? strip(c) : c)) } };
}

type Invocation = GenericInvocation<Step>;

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
class Run {
  readonly plan = new Interleaving<Step>((inv, where) => this.interrupted(inv, where));
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
  private depth = 0;
  readonly violations: string[] = [];
  /** Deployments some invocation decided to launch or queue (an accepted trigger). */
  readonly accepted = new Set<string>();
  readonly log: string[] = [];
  /** Each rollout and the deployment task it was for. */
  readonly rolledOut: { deploymentId: string; taskArn: string }[] = [];
  conflicts = 0;
  private readonly controllerLog: Log = {
    info() {},
    error() {},
    warn: (message) => {
      if (message.startsWith('conflicting write')) this.conflicts += 1;
    },
  };
  /** Tasks RunTask started after their deployment ended while it was `launching` (see `checkStep`). */
  readonly orphans = new Set<string>();
  /** RunTask refusals of a reused clientToken (ConflictException), each with whether the refused launch was resumed. */
  readonly tokenConflicts: { clientToken: string; resumed: boolean }[] = [];
  readonly controller = createController({
    config: config({ TIMEOUT_MINUTES: String(TIMEOUT_MINUTES) }),
    ports: {
      ...this.world.ports,
      ecs: {
        ...this.world.ports.ecs,
        launch: async (request) => {
          const tasks = this.world.ecs.tasks.length;
          const refusals = this.world.ecs.conflicts.length;
          try {
            return await this.world.ports.ecs.launch(request);
          } finally {
            // What this RunTask did, even when the invocation dies right after it: a task started for a deployment
            // already ended, or a refusal of its clientToken (ConflictException).
            const owner = this.world.store.all().find((d) => d.id === deploymentIdFromStartedBy(request.startedBy));
            for (const t of this.world.ecs.tasks.slice(tasks))
              if (owner?.status === 'ended' && owner.taskArn === undefined) this.orphans.add(t.taskArn);
            for (const clientToken of this.world.ecs.conflicts.slice(refusals))
              this.tokenConflicts.push({ clientToken, resumed: request.resumed === true });
          }
        },
      },
    },
    log: this.controllerLog,
    now: () => new Date(this.now),
    sleep: async () => {},
  });

  constructor(private readonly knownBugTolerated = true) {
    const { ecs } = this.world;
    ecs.onRollout = (taskDefinitionArn) => {
      const task = ecs.tasks.find((t) => t.taskDefinitionArn === taskDefinitionArn);
      const owner = this.world.store.all().find((d) => d.id === task?.deploymentId);
      // The service never moves back to an older revision of the family (README: "The service is never moved back").
      const from = ecs.serviceRevision();
      if (revisionOf(taskDefinitionArn) < revisionOf(from))
        this.violations.push(`service moved back from ${from} to the older ${taskDefinitionArn} (for ${owner?.id ?? 'no deployment'})`);
      if (task === undefined || owner === undefined || owner.kind !== 'migration')
        this.violations.push(`service moved to ${taskDefinitionArn}, which no migration's task ran`);
      else if (task.spoofed === true) this.violations.push(`service moved to ${taskDefinitionArn} of a task ecs-migrate did not start`);
      else if (task.lastStatus !== 'STOPPED' || task.exitCode !== 0 || task.stopCode !== 'EssentialContainerExited')
        this.violations.push(`service moved to ${taskDefinitionArn} of ${owner.id}, whose task ${task.taskArn} did not exit 0`);
      else if (owner.status === 'queued' || (owner.status === 'running' && owner.taskArn !== task.taskArn))
        this.violations.push(`service moved to ${taskDefinitionArn} for ${owner.id}, which is ${owner.status} or recorded another task`);
      else {
        // An ended owner: the rollout of an invocation whose deployment a concurrent cancel, timeout check or lock
        // takeover ended meanwhile (the known defect below); checked at the end.
        this.rolledOut.push({ deploymentId: owner.id, taskArn: task.taskArn });
      }
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

  /** The push of the next image, or of image `n` (one no request named: the liveness check's). */
  private push(n = ++this.pushes): Record<string, unknown> {
    return withEvent(sample('ecr-push'), {
      top: { id: `push-${n}`, time: this.time() },
      detail: { 'image-digest': digest(n), 'image-tag': `v1.${n}.0` },
    });
  }

  private timeoutCheck(deploymentId: string, environment: string): Record<string, unknown> {
    return this.operatorEvent('Migration Timeout Check', `timeout-${deploymentId}`, { environment, deploymentId }, 'ecs-migrate.scheduler');
  }

  /** One Lambda invocation of `raw`; a transient failure queues it for a retry. */
  async invoke(raw: Record<string, unknown>, faults: Fault[], preempt?: Preempt): Promise<void> {
    const label = `${'  '.repeat(this.depth)}${String(raw.id)}`;
    const inv: Invocation = invocation(raw, label, faults, preempt);
    if (preempt !== undefined) stats.planned += 1;
    try {
      const steps = await current.run(inv, () => this.controller.handle(raw));
      for (const s of steps)
        if ((s.decision.decision === 'launch' || s.decision.decision === 'queue') && s.decision.deploymentId !== undefined)
          this.accepted.add(s.decision.deploymentId);
      this.log.push(`${label}: ${steps.map((s) => `${s.input}→${s.decision.decision} (${s.decision.reason})`).join('; ')}`);
    } catch (error) {
      if (!(error instanceof TransientAwsError || error instanceof TooManyConflictsError)) throw error;
      this.log.push(`${label}: failed (${error.message}), will be retried`);
      this.retries.push(raw);
    } finally {
      this.collectTaskEvents();
    }
  }

  /** Invocation `inv` is preempted: its `meanwhile` steps run to completion, then it goes on. */
  private async interrupted(inv: Invocation, where: string): Promise<void> {
    stats.preemptions += 1;
    this.log.push(`${inv.label}: preempted ${where}`);
    this.collectTaskEvents();
    this.depth += 1;
    try {
      for (const s of inv.preempt?.meanwhile ?? []) await current.exit(() => this.apply(s, inv.raw));
    } finally {
      this.depth -= 1;
    }
    this.log.push(`${inv.label}: resumes ${where}`);
  }

  private collectTaskEvents(): void {
    for (; this.seenEmitted < this.world.ecs.emitted.length; this.seenEmitted++) this.undelivered.push(this.seenEmitted);
  }

  private event(index: number, strip: boolean): Record<string, unknown> {
    const raw = this.world.ecs.emitted[index] as Record<string, unknown>;
    const detail = raw.detail as { containers: { name: string; exitCode?: number }[] };
    if (!strip || !detail.containers.some((c) => c.name === 'app' && c.exitCode !== undefined)) return raw;
    stats.stripped += 1;
    return withoutExitCode(raw);
  }

  /** A step; `preempted` is the raw event of the invocation a nested step interrupts (for `again`). */
  async apply(c: Step, preempted?: Record<string, unknown>): Promise<void> {
    this.now += 1000;
    this.collectTaskEvents();
    const { ecs } = this.world;
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
        return this.invoke(raw, c.faults, preempt);
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
        return this.invoke(this.operatorEvent('cancel-request', `cancel-${n}`, detail), c.faults, preempt);
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
        const at = c.latest ? this.undelivered.length - 1 : c.pick % this.undelivered.length;
        const index = this.undelivered[at] as number;
        if (!c.keep) this.undelivered.splice(at, 1);
        this.delivered.push(index);
        return this.invoke(this.event(index, c.strip), c.faults, preempt);
      }
      case 'redeliver': {
        if (this.delivered.length === 0) return;
        const index = this.delivered[c.pick % this.delivered.length] as number;
        return this.invoke(this.event(index, c.strip), c.faults, preempt);
      }
      case 'retry': {
        if (this.retries.length === 0) return;
        const [raw] = this.retries.splice(c.pick % this.retries.length, 1);
        return this.invoke(raw as Record<string, unknown>, c.faults, preempt);
      }
      case 'timeout': {
        const schedules = [...this.world.scheduler.schedules.entries()];
        const chosen = schedules[c.pick % Math.max(1, schedules.length)];
        if (chosen === undefined) return;
        const [deploymentId, { environment, at }] = chosen;
        this.now = Math.max(this.now, Date.parse(at) + 1000);
        return this.invoke(this.timeoutCheck(deploymentId, environment), c.faults, preempt);
      }
      case 'clock':
        this.now += c.minutes * 60_000;
        return;
    }
  }

  private fail(problems: string[]): never {
    throw new Error(`${problems.join('\n')}\n--- log:\n${this.log.join('\n')}`);
  }

  /** The invariants that hold after every top-level step. */
  checkStep(): void {
    const all = this.world.store.all();
    const open = all.filter((d) => d.status === 'launching' || d.status === 'running');
    if (open.length > 1) this.violations.push(`more than one active deployment: ${open.map((d) => `${d.id} ${d.status}`).join(', ')}`);
    const active = this.world.store.environment()?.active?.deploymentId;
    for (const d of open) if (d.id !== active) this.violations.push(`${d.id} is ${d.status} but does not hold the environment (${active})`);
    // An orphan: a cancel, timeout check or lock takeover ended a `launching` deployment while its RunTask was in
    // flight (before ECS listed the task, so `stopTasksStartedBy` found none), and the launching invocation died before
    // it handled RunTask's answer (`lateLaunchResult` would stop the task). It runs until its first event reaches the
    // watcher, which stops it (test/shell/orphaned-launch.test.ts); `drain` checks that none outlives its events.
    const running = this.world.ecs.running().filter((t) => !this.orphans.has(t.taskArn));
    stats.orphansRunning += this.world.ecs.running().length - running.length;
    for (const d of all) {
      if (d.status !== 'ended') continue;
      const alive = running.filter((t) => t.deploymentId === d.id);
      if (alive.length > 0)
        this.violations.push(`${d.id} ended (${d.outcome}) while its task ${alive.map((t) => t.taskArn).join(', ')} still runs`);
    }
    if (running.length > 1)
      this.violations.push(`more than one task running: ${running.map((t) => `${t.taskArn} (${t.deploymentId})`).join(', ')}`);
    const perDeployment = new Map<string, number>();
    for (const t of this.world.ecs.tasks.filter((x) => x.spoofed !== true))
      perDeployment.set(t.deploymentId ?? '', (perDeployment.get(t.deploymentId ?? '') ?? 0) + 1);
    for (const [id, n] of perDeployment) if (n > 1) this.violations.push(`deployment ${id} started ${n} tasks`);
    // A launch finds the revision its deployment registered and sends RunTask the same parameters: never refused.
    // When two overlapping launches each registered one (a duplicate delivery resumed the launch between the first
    // one's commit and its RunTask), the refused one tries the other (test/shell/overlapping-launch.test.ts).
    if (this.tokenConflicts.length > 0)
      this.violations.push(`RunTask refused a launch's clientToken: ${this.tokenConflicts.map((c) => c.clientToken).join(', ')}`);
    if (this.violations.length > 0) this.fail(this.violations);
  }

  /** Lets the world run to the end with no more failures: every retry and task event delivered, every task stopped. */
  async drain(): Promise<void> {
    for (let round = 0; round < 60; round++) {
      const retry = this.retries.shift();
      if (retry !== undefined) {
        await this.invoke(retry, []);
      } else if (this.undelivered.length > 0) {
        await this.invoke(this.event(this.undelivered.shift() as number, false), []);
      } else if (this.world.ecs.running().length > 0) {
        const task = this.world.ecs.running()[0] as ModelTask;
        // Every event of it was delivered: a task of an ended deployment must have been stopped by then.
        const owner = this.world.store.all().find((d) => d.id === task.deploymentId);
        if (owner?.status === 'ended')
          this.fail([`${task.taskArn} of ${owner.id}, ended (${owner.outcome}), still runs once all its events were delivered`]);
        this.world.ecs.start(task);
        this.world.ecs.stop(task, 0);
        this.collectTaskEvents();
      } else {
        // Nothing left but the schedules: the timeout check of a deployment still open fires, as the scheduler would.
        const open = this.world.store.all().find((d) => d.status === 'running' || d.status === 'launching');
        const schedule = open !== undefined ? this.world.scheduler.schedules.get(open.id) : undefined;
        if (open === undefined || schedule === undefined) return;
        this.now = Math.max(this.now, Date.parse(schedule.at) + 1000);
        await this.invoke(this.timeoutCheck(open.id, schedule.environment), []);
      }
      this.checkStep();
    }
    this.fail(['the run did not settle']);
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
      // Ended once: one step from an open status into an outcome, and every later entry (a rollout recorded after
      // the end by an invocation that lost its race to it, a rollout-watch note) keeps that outcome.
      const ends = d.history.filter((h, i) => OUTCOMES.includes(h.status) && !OUTCOMES.includes(d.history[i - 1]?.status ?? ''));
      const outcomes = [...new Set(d.history.filter((h) => OUTCOMES.includes(h.status)).map((h) => h.status))];
      if (ends.length !== 1 || outcomes.length !== 1 || outcomes[0] !== d.outcome)
        problems.push(`${d.id} ended ${ends.length} times: ${d.history.map((h) => h.status).join(', ')}`);
      problems.push(...this.outcomeProblems(d));
    }
    for (const r of this.rolledOut) {
      const d = records.find((x) => x.id === r.deploymentId);
      if (d?.status !== 'ended' || (d.taskArn !== undefined && d.taskArn !== r.taskArn))
        problems.push(`the service was moved for ${r.deploymentId}, which recorded another task than ${r.taskArn}`);
      else if (d.outcome !== 'succeeded') {
        // KNOWN DEFECT (controller.property.test.ts, "a migration whose rollout was done but not yet committed can
        // end cancelled"): the invocation that moved the service had not committed yet when a cancel, a timeout check
        // or a lock takeover ended the deployment; here that other invocation runs while it is preempted, not only
        // between its failure and its retry. Tolerated for those three endings only.
        const known = d.outcome === 'cancelled' || d.outcome === 'timed_out' || LOCK_TAKEN_OVER.test(d.reason);
        if (known && this.knownBugTolerated) stats.tolerated += 1;
        else problems.push(`the service was moved for ${r.deploymentId}, which ended ${d.outcome}: "${d.reason}"`);
      }
    }
    const env = this.world.store.environment();
    if (env?.active !== undefined || env?.queued !== undefined) problems.push(`environment still held: ${JSON.stringify(env)}`);

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
    if (problems.length > 0) this.fail(problems);
  }

  /**
   * An ended deployment's outcome against its task in the world: a success only for a task that exited 0 (and the
   * service moved for it, or found on a newer revision); a recorded exit code is the task's; a task of ours that
   * exited 0 ends succeeded unless a cancel, a timeout or a lock takeover came first.
   */
  private outcomeProblems(d: Ended): string[] {
    const task =
      d.taskArn !== undefined
        ? this.world.ecs.tasks.find((t) => t.taskArn === d.taskArn && t.deploymentId === d.id && t.spoofed !== true)
        : undefined;
    const problems: string[] = [];
    if (d.taskArn !== undefined && task === undefined) problems.push(`${d.id} recorded ${d.taskArn}, which ECS never started for it`);
    if (d.stop?.exitCode !== undefined && task !== undefined && d.stop.exitCode !== task.exitCode)
      problems.push(`${d.id} recorded exit code ${d.stop.exitCode}, its task ${d.taskArn} exited ${String(task.exitCode)}`);
    if (/ConflictException/.test(d.reason)) problems.push(`${d.id} ended ${d.outcome} for a refused clientToken: "${d.reason}"`);
    if (d.outcome === 'succeeded') {
      if (task?.exitCode !== 0) problems.push(`${d.id} succeeded, but its task ${String(d.taskArn)} exited ${String(task?.exitCode)}`);
      if (d.kind === 'migration' && d.rollout !== 'moved-on' && !this.rolledOut.some((r) => r.deploymentId === d.id))
        problems.push(`${d.id} succeeded (rollout ${d.rollout}), but the service was never moved for it`);
    }
    const exited0 = task?.lastStatus === 'STOPPED' && task.exitCode === 0 && task.stopCode === 'EssentialContainerExited';
    if (exited0 && d.outcome === 'failed' && !LOCK_TAKEN_OVER.test(d.reason))
      problems.push(`${d.id} failed ("${d.reason}"), but its task ${d.taskArn} exited 0`);
    return problems;
  }

  /** Once the clock is past any lock's expiry, the environment takes a new push at once. */
  async checkLive(): Promise<void> {
    this.now += (LOCK_MINUTES + 1) * 60_000;
    const raw = this.push(4000);
    const steps = await this.controller.handle(raw);
    this.log.push(
      `${String(raw.id)} (after the lock expiry): ${steps.map((s) => `${s.input}→${s.decision.decision} (${s.decision.reason})`).join('; ')}`,
    );
    if (steps[0]?.decision.decision !== 'launch') this.fail([`a push after every lock expired was not launched`]);
    this.collectTaskEvents();
    await this.drain();
    this.checkEnd();
  }
}

/**
 * Why an event published before its commit (`reportFirst`) is not a true report of what happened in the world,
 * or undefined when it is (as in controller.property.test.ts).
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
      const record = run.world.store.all().find((d: Deployment) => d.id === deploymentId);
      const failed = record?.status === 'ended' && (record.services ?? []).some((s) => s.result === 'failed');
      return failed ? undefined : `no service of ${String(deploymentId)} failed to move`;
    }
    default:
      return 'it is no report of what AWS did';
  }
}

const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;
const path = process.env.FC_PATH;
const numRuns = Number(process.env.FC_RUNS ?? 200);

/** Runs `commands` as one property run: every invariant after each step, at the end, and liveness after the end. */
async function runAll(commands: Step[], knownBugTolerated = true): Promise<Run> {
  const run = new Run(knownBugTolerated);
  for (const c of commands) {
    await run.apply(c);
    run.checkStep();
  }
  await run.drain();
  run.checkEnd();
  await run.checkLive();
  return run;
}

describe('the controller with invocations that overlap', () => {
  it(
    'keeps every guarantee when other invocations run while one is between two port calls, and events lack exit codes',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40, size: 'large' }), async (commands) => {
          const run = await runAll(commands);
          if (process.env.FC_STATS) {
            const ended = run.world.store.all();
            stats.runs++;
            stats.deployments += ended.length;
            stats.rollouts += run.rolledOut.length;
            stats.conflicts += run.conflicts;
            stats.tokenConflicts += run.tokenConflicts.length;
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
        console.log(JSON.stringify({ ...stats, outcomes: counts }));
      }
    },
    30_000 + numRuns * 150,
  );
});

/**
 * The defects this property found, fixed, replayed from their shrunk counterexamples with every invariant strict.
 */
describe('defects of overlapping invocations, fixed', () => {
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
