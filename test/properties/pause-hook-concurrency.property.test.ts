import fc from 'fast-check';
import { describe, it } from 'vitest';
import { EMITTED_TYPES } from '../../src/core/actions.js';
import { type Deployment, deploymentIdFromStartedBy, type Ended, imageOf, type Outcome } from '../../src/core/deployment.js';
import { TooManyConflictsError, TransientAwsError } from '../../src/errors.js';
import type { CommitRequest, Ports } from '../../src/ports.js';
import { createController } from '../../src/shell/controller.js';
import type { Log } from '../../src/shell/logger.js';
import { ACCOUNT, config, REGION } from '../support/fixtures.js';
import {
  current,
  type Invocation as GenericInvocation,
  type Preempt as GenericPreempt,
  Interleaving,
  invocation,
} from '../support/interleaving.js';
import { type Fault, type ModelTask, modelPorts } from '../support/model-ports.js';
import { imageRef, iso, ModelSchedules, ModelServiceDeployments, type OwnerDeployment } from '../support/model-service-deployments.js';

/**
 * The sibling of concurrency.property.test.ts for ROLLOUT_MODE=pause-hook with two gated services (shop-api and
 * shop-worker, which share one database and one migration per image). The services' owners deploy: each owner
 * deployment of a service pauses at its PAUSE hook and ECS emits HOOK_AWAITING_ACTION (test/support/
 * model-service-deployments.ts models ECS's side: DescribeServiceDeployments, DescribeServiceRevisions,
 * ContinueServiceDeployment taken only while the hook awaits an answer, the hook's own timeout (ROLLBACK), the
 * HOOK_* and `ECS Deployment State Change` events). The real controller runs against model ports, with invocations
 * that overlap: any invocation can be preempted just before or after one of its port calls (`answerHook`, `commit`,
 * `launch`, …) while other steps run to completion (another service's hook, a task's exit, a cancel, a timeout check,
 * a hook's expiry, a run-command…), and may fail at one of them and be retried.
 *
 * Checked after every top-level step: one active deployment and one task at a time, never two open migrations of one
 * image, no new migration of the image migrated last, no command waited on by a paused deployment, no ended
 * deployment with a running task, no RunTask refused for its clientToken; at every answer: CONTINUE only when a
 * migration of the paused deployment's image exited 0. Once everything has been delivered: every paused deployment
 * answered (by ecs-migrate, or by ECS's own ROLLBACK at its expiry) and never left waiting with nothing to answer it;
 * a CONTINUE only for an image whose migration succeeded, a ROLLBACK only when the migration the hook waited for
 * failed, timed out, was cancelled or superseded; never both answers to one hook; each answer recorded in the
 * deployment; every deployment ended once with an outcome true to its task; no environment held; every stored event
 * published and every other one a true report; and, the clock past the lock expiry, a new paused deployment launches
 * its migration at once. The defects it found are tolerated narrowly (each `KNOWN DEFECT` names its case and the
 * uncommitted regression test under test/shell/ that reproduces it).
 *
 * Reproduce with the seed and path it prints: `FC_SEED=<seed> FC_PATH=<path> npx vitest run <this file>`.
 * `FC_RUNS` (default 150); `FC_STATS=1` prints what the runs covered.
 */

const ENVIRONMENT = 'staging';
const START = Date.parse('2026-11-25T09:00:00Z');
const TIMEOUT_MINUTES = 60;
/** The lock expires TIMEOUT_MINUTES + 15 after it was taken. */
const LOCK_MINUTES = TIMEOUT_MINUTES + 15;
const SERVICES = ['shop-api', 'shop-worker'] as const;

/** The port calls an invocation can be preempted at, weighted toward the racy ones. */
const PORT_NAMES = [
  'launch',
  'commit',
  'answerHook',
  'describeServiceDeployment',
  'describeServiceRevision',
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
  /** The owner of SERVICES[service] deploys an image (0: a new one; k: the k-th newest deployed); it pauses at its hook. */
  | ({ type: 'deploy'; service: number; image: number; timeout: number; now: boolean } & Invoking)
  | ({ type: 'deliver'; pick: number; latest: boolean; keep: boolean; strip: boolean } & Invoking)
  | ({ type: 'redeliver'; pick: number; strip: boolean } & Invoking)
  /** ECS sends HOOK_AWAITING_ACTION of a waiting hook again, as a new event. */
  | { type: 'reemit'; pick: number }
  | { type: 'start'; pick: number }
  | { type: 'stop'; pick: number; exitCode: number | undefined }
  | ({ type: 'retry'; pick: number } & Invoking)
  /** A schedule fires (the clock moves to its time). */
  | ({ type: 'timeout'; pick: number } & Invoking)
  | { type: 'clock'; minutes: number }
  /** The clock moves to a waiting hook's expiry: ECS applies its timeout action (ROLLBACK). */
  | { type: 'expire'; pick: number }
  | ({ type: 'cancel'; pick: number } & Invoking)
  | ({ type: 'unlock' } & Invoking)
  /** A run-command with no image: the service's task definition as it is (never waited on by a paused deployment). */
  | ({ type: 'command' } & Invoking)
  /** The preempted invocation's own event, delivered again meanwhile (a duplicate delivery, run concurrently). */
  | ({ type: 'again' } & Invoking)
  | { type: 'spoof'; pick: number }
  /** Pending events delivered at once (`fresh`: both services first deploy one new image), their invocations interleaved. */
  | { type: 'burst'; count: number; fresh: boolean };

const faults = fc.array(fc.record({ call: fc.integer({ min: 1, max: 14 }), after: fc.boolean() }), { maxLength: 1 });
const pick = fc.nat({ max: 20 });
const portName: fc.Arbitrary<PortName> = fc.oneof(
  { weight: 5, arbitrary: fc.constant('answerHook' as const) },
  { weight: 4, arbitrary: fc.constant('commit' as const) },
  { weight: 4, arbitrary: fc.constant('launch' as const) },
  { weight: 2, arbitrary: fc.constantFrom('describeServiceDeployment' as const, 'describeServiceRevision' as const) },
  { weight: 2, arbitrary: fc.constant('putEvents' as const) },
  { weight: 2, arbitrary: fc.constantFrom(...PORT_NAMES) },
);

function steps(preempt: fc.Arbitrary<Preempt | undefined>, nested: boolean): fc.Arbitrary<Step> {
  const inv = <T extends object>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
    fc.record({ ...fields, faults, preempt }).map(({ preempt: p, ...rest }) => (p === undefined ? rest : { ...rest, preempt: p }));
  const arbitraries: fc.WeightedArbitrary<Step>[] = [
    {
      weight: 5,
      arbitrary: inv({
        type: fc.constant('deploy' as const),
        service: fc.integer({ min: 0, max: 1 }),
        image: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) }),
        timeout: fc.constantFrom(30, 120, 1440),
        now: fc.boolean(),
      }) as fc.Arbitrary<Step>,
    },
    {
      weight: 5,
      arbitrary: inv({
        type: fc.constant('deliver' as const),
        pick,
        latest: fc.boolean(),
        keep: fc.boolean(),
        strip: fc.boolean(),
      }) as fc.Arbitrary<Step>,
    },
    { weight: 1, arbitrary: inv({ type: fc.constant('redeliver' as const), pick, strip: fc.boolean() }) as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('reemit' as const), pick }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('start' as const), pick }) },
    {
      weight: 3,
      arbitrary: fc.record({ type: fc.constant('stop' as const), pick, exitCode: fc.constantFrom(0, 0, 0, 1, 137, undefined) }),
    },
    { weight: 2, arbitrary: inv({ type: fc.constant('retry' as const), pick }) as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: inv({ type: fc.constant('timeout' as const), pick }) as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('clock' as const), minutes: fc.constantFrom(1, 30, 90) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('expire' as const), pick }) },
    { weight: 1, arbitrary: inv({ type: fc.constant('cancel' as const), pick }) as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: inv({ type: fc.constant('unlock' as const) }) as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: inv({ type: fc.constant('command' as const) }) as fc.Arbitrary<Step> },
  ];
  if (nested) arbitraries.push({ weight: 2, arbitrary: inv({ type: fc.constant('again' as const) }) as fc.Arbitrary<Step> });
  else
    arbitraries.push(
      { weight: 1, arbitrary: fc.record({ type: fc.constant('spoof' as const), pick }) },
      {
        weight: 1,
        arbitrary: fc.record({ type: fc.constant('burst' as const), count: fc.integer({ min: 2, max: 3 }), fresh: fc.boolean() }),
      },
    );
  return fc.oneof(...arbitraries);
}

const nestedStep = steps(fc.constant(undefined), true);
const preemptArb: fc.Arbitrary<Preempt | undefined> = fc.option(
  fc.record({
    at: fc.oneof(portName, fc.integer({ min: 1, max: 8 })),
    nth: fc.constantFrom(1, 1, 2),
    after: fc.boolean(),
    meanwhile: fc.array(nestedStep, { minLength: 1, maxLength: 3 }),
  }),
  { freq: 2, nil: undefined },
);
const command = steps(preemptArb, false);

const OUTCOMES: readonly string[] = ['succeeded', 'failed', 'timed_out', 'superseded', 'cancelled'] satisfies Outcome[];
const NOT_SUCCEEDED: readonly string[] = ['failed', 'timed_out', 'superseded', 'cancelled'] satisfies Outcome[];
/** Events no commit implies: sent directly, never through an outbox. */
const DIRECT: readonly string[] = ['Event Rejected', 'Environment Unlocked'];
const LOCK_TAKEN_OVER = /the environment lock expired .* taken over by/;
const UNLOCKED = /^environment \S+ unlocked by /;

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
  owners: 0,
  answers: {} as Record<string, number>,
  joined: 0,
  preemptions: 0,
  conflicts: 0,
  retries: 0,
  outcomes: {} as Record<string, number>,
  tolerated: 0,
};

/** One answer ecs-migrate gave (or tried to give), and the state of the hook when it did. */
interface AnswerSeen {
  owner: string;
  action: 'CONTINUE' | 'ROLLBACK';
  hookWas: string;
  /** The invocation that answered. */
  by?: object;
}

class Run {
  readonly plan = new Interleaving<Step>((inv, where) => this.interrupted(inv, where));
  readonly world = modelPorts(this.plan);
  readonly owners = new ModelServiceDeployments((raw) => this.world.ecs.emitted.push(raw));
  readonly schedules = new ModelSchedules();
  now = START;
  readonly retries: Record<string, unknown>[] = [];
  readonly undelivered: number[] = [];
  readonly delivered: number[] = [];
  private seenEmitted = 0;
  private images: number[] = [];
  private nextImage = 0;
  private requests = 0;
  private fired = 0;
  private depth = 0;
  readonly violations: string[] = [];
  readonly accepted = new Set<string>();
  readonly log: string[] = [];
  readonly answers: AnswerSeen[] = [];
  conflicts = 0;
  /** Tasks RunTask started after their deployment ended while it was `launching` (see concurrency.property.test.ts). */
  readonly orphans = new Set<string>();
  readonly tokenConflicts: string[] = [];
  /** Invocations that failed (and whose event is retried). */
  private readonly died = new WeakSet<object>();
  /** Invocations that lost a commit race (and decided again). */
  private readonly lostRace = new WeakSet<object>();
  private readonly controllerLog: Log = {
    info() {},
    error() {},
    warn: (message) => {
      if (!message.startsWith('conflicting write')) return;
      this.conflicts += 1;
      const inv = current.getStore();
      if (inv !== undefined) this.lostRace.add(inv);
    },
  };
  readonly controller;

  constructor(private readonly knownBugTolerated = true) {
    const { world, owners, schedules } = this;
    const around = <T>(name: string, effect: () => Promise<T>) => this.plan.around(name, effect);
    const ports: Ports = {
      ...world.ports,
      store: {
        ...world.ports.store,
        commit: (request) =>
          around('commit', async () => {
            const before = world.store.environment();
            await world.store.commit(request);
            this.committed(request, before?.lastSucceeded?.image);
          }),
      },
      ecs: {
        ...world.ports.ecs,
        launch: async (request) => {
          const tasks = world.ecs.tasks.length;
          const refusals = world.ecs.conflicts.length;
          try {
            return await world.ports.ecs.launch(request);
          } finally {
            const owner = world.store.all().find((d) => d.id === deploymentIdFromStartedBy(request.startedBy));
            for (const t of world.ecs.tasks.slice(tasks))
              if (owner?.status === 'ended' && owner.taskArn === undefined) this.orphans.add(t.taskArn);
            this.tokenConflicts.push(...world.ecs.conflicts.slice(refusals));
          }
        },
        describeServiceDeployment: (arn) => around('describeServiceDeployment', () => owners.describeServiceDeployment(arn)),
        describeServiceRevision: (arn) => around('describeServiceRevision', () => owners.describeServiceRevision(arn)),
        answerHook: (answer) => around('answerHook', () => owners.answerHook(answer, this.now)),
        rollOutImage: async () => {
          this.violations.push('rollOutImage called in pause-hook mode');
          return [];
        },
        updateService: async () => {
          this.violations.push('UpdateService called in pause-hook mode');
          return {};
        },
      },
      scheduler: { scheduleTimeout: (id, e, at, check) => around('scheduleTimeout', () => schedules.scheduleTimeout(id, e, at, check)) },
    };
    this.controller = createController({
      config: config({
        ROLLOUT_MODE: 'pause-hook',
        SERVICE: undefined,
        SERVICES: SERVICES.join(','),
        TIMEOUT_MINUTES: String(TIMEOUT_MINUTES),
      }),
      ports,
      log: this.controllerLog,
      now: () => new Date(this.now),
      sleep: async () => {},
    });
    owners.onContinue = (o) => {
      if (o.service === SERVICES[0]) world.ecs.moveService(o.taskDefinitionArn, imageRef(o.image));
    };
    owners.onAnswer = (answer, o) => {
      if (o === undefined) {
        this.violations.push(`answered ${answer.action} to ${answer.serviceDeploymentArn}, which no owner deployed`);
        return;
      }
      const by = current.getStore();
      this.answers.push({ owner: o.id, action: answer.action, hookWas: o.hook, ...(by !== undefined ? { by } : {}) });
      if (answer.action === 'CONTINUE' && this.exitedZero(imageRef(o.image)).length === 0)
        this.violations.push(`CONTINUE to ${o.id} (image ${o.image}), whose image no migration's task ran with exit 0`);
    };
  }

  /** Our tasks of migrations of `image` that exited 0. */
  private exitedZero(image: string): ModelTask[] {
    const records = this.world.store.all();
    return this.world.ecs.tasks.filter((t) => {
      if (t.spoofed === true || t.lastStatus !== 'STOPPED' || t.exitCode !== 0 || t.stopCode !== 'EssentialContainerExited') return false;
      const d = records.find((x) => x.id === t.deploymentId);
      return d?.kind === 'migration' && imageOf(d) === image;
    });
  }

  /** After each commit: no new migration of the image migrated last (its hooks are CONTINUEd at once). */
  private committed(request: CommitRequest, lastImage: string | undefined): void {
    for (const { deployment: d, expectedRevision } of request.deployments) {
      if (expectedRevision !== 0 || d.kind !== 'migration' || d.status === 'ended') continue;
      if (lastImage !== undefined && imageOf(d) === lastImage)
        this.violations.push(`${d.id} created (${d.status}) to migrate ${lastImage} again, the image migrated last`);
    }
  }

  private operatorEvent(detailType: string, id: string, detail: Record<string, unknown>, source = 'ecs-migrate') {
    return {
      version: '0',
      id,
      'detail-type': detailType,
      source,
      account: ACCOUNT,
      time: iso(this.now),
      region: REGION,
      resources: [],
      detail,
    };
  }

  async invoke(raw: Record<string, unknown>, faults: Fault[], preempt?: Preempt): Promise<void> {
    const label = `${'  '.repeat(this.depth)}${String(raw.id)}`;
    const inv: Invocation = invocation(raw, label, faults, preempt);
    try {
      const steps = await current.run(inv, () => this.controller.handle(raw));
      for (const s of steps) {
        if ((s.decision.decision === 'launch' || s.decision.decision === 'queue') && s.decision.deploymentId !== undefined)
          this.accepted.add(s.decision.deploymentId);
        if (/waits for it too|paused deployment waits for/.test(s.decision.reason)) stats.joined += 1;
      }
      this.log.push(`${label}: ${steps.map((s) => `${s.input}→${s.decision.decision} (${s.decision.reason})`).join('; ')}`);
    } catch (error) {
      if (!(error instanceof TransientAwsError || error instanceof TooManyConflictsError)) throw error;
      this.died.add(inv);
      this.log.push(`${label}: failed (${error.message}), will be retried`);
      this.retries.push(raw);
    } finally {
      this.collect();
    }
  }

  private async interrupted(inv: Invocation, where: string): Promise<void> {
    stats.preemptions += 1;
    this.log.push(`${inv.label}: preempted ${where}`);
    this.collect();
    this.depth += 1;
    try {
      for (const s of inv.preempt?.meanwhile ?? []) await current.exit(() => this.apply(s, inv.raw));
    } finally {
      this.depth -= 1;
    }
    this.log.push(`${inv.label}: resumes ${where}`);
  }

  private collect(): void {
    for (; this.seenEmitted < this.world.ecs.emitted.length; this.seenEmitted++) this.undelivered.push(this.seenEmitted);
  }

  private event(index: number, strip: boolean): Record<string, unknown> {
    const raw = this.world.ecs.emitted[index] as Record<string, unknown>;
    const detail = raw.detail as { containers?: { name: string; exitCode?: number }[] };
    if (!strip || !detail.containers?.some((c) => c.name === 'app' && c.exitCode !== undefined)) return raw;
    return withoutExitCode(raw);
  }

  /** The clock moves; ECS times out the hooks that expired. */
  private tick(ms: number): void {
    this.now += ms;
    this.owners.expire(this.now);
    this.collect();
  }

  private awaiting(): OwnerDeployment[] {
    return this.owners.owners.filter((o) => o.hook === 'AWAITING_ACTION');
  }

  private timeoutCheck(name: string): Record<string, unknown> | undefined {
    const s = this.schedules.schedules.get(name);
    if (s === undefined) return undefined;
    this.schedules.schedules.delete(name);
    if (Date.parse(s.at) + 1000 > this.now) this.tick(Date.parse(s.at) + 1000 - this.now);
    const check = s.check !== undefined ? { attempt: s.check.attempt, purpose: s.check.purpose } : {};
    return this.operatorEvent(
      'Migration Timeout Check',
      `${name}#${++this.fired}`,
      { environment: s.environment, deploymentId: s.deploymentId, ...check },
      'ecs-migrate.scheduler',
    );
  }

  private pauseOwner(service: number, image: number, timeout: number): OwnerDeployment | undefined {
    const name = SERVICES[service % SERVICES.length] as string;
    let n: number;
    if (image === 0 || this.images.length === 0) {
      n = ++this.nextImage;
      this.images.push(n);
    } else n = this.images[Math.max(0, this.images.length - image)] as number;
    // The owner does not deploy an image to a service that waits at its hook for that image already.
    if (this.awaiting().some((o) => o.service === name && o.image === n)) return undefined;
    const o = this.owners.pause(name, n, this.now, timeout);
    this.collect();
    return o;
  }

  async apply(c: Step, preempted?: Record<string, unknown>): Promise<void> {
    this.tick(1000);
    const { ecs } = this.world;
    const preempt = 'preempt' in c ? c.preempt : undefined;
    switch (c.type) {
      case 'deploy': {
        const o = this.pauseOwner(c.service, c.image, c.timeout);
        if (o === undefined || !c.now) return;
        const index = this.undelivered.pop() as number;
        this.delivered.push(index);
        return this.invoke(this.event(index, false), c.faults, preempt);
      }
      case 'again':
        return preempted === undefined ? undefined : this.invoke(preempted, c.faults);
      case 'burst': {
        if (c.fresh) {
          const n = ++this.nextImage;
          this.images.push(n);
          for (const s of SERVICES) this.owners.pause(s, n, this.now, 120);
          this.collect();
        }
        const indexes = this.undelivered.splice(Math.max(0, this.undelivered.length - c.count));
        this.delivered.push(...indexes);
        await Promise.all(indexes.map((i) => this.invoke(this.event(i, false), [])));
        return;
      }
      case 'spoof': {
        const ids = this.world.store.all().map((d) => d.id);
        const target = ids[c.pick % Math.max(1, ids.length)];
        if (target !== undefined) ecs.spoof(target);
        this.collect();
        return;
      }
      case 'reemit': {
        const waiting = this.awaiting();
        const o = waiting[c.pick % Math.max(1, waiting.length)];
        if (o !== undefined) this.owners.reemit(o, this.now);
        this.collect();
        return;
      }
      case 'cancel': {
        const ids = this.world.store.all().map((d) => d.id);
        const target = ids.length > 0 ? ids[c.pick % ids.length] : undefined;
        const n = ++this.requests;
        const detail = {
          environment: ENVIRONMENT,
          requestId: `cancel-${n}`,
          requestedBy: 'ops@example.com',
          ...(target !== undefined ? { deploymentId: target } : {}),
        };
        return this.invoke(this.operatorEvent('cancel-request', `cancel-${n}`, detail), c.faults, preempt);
      }
      case 'unlock': {
        const n = ++this.requests;
        const detail = { environment: ENVIRONMENT, requestId: `unlock-${n}`, requestedBy: 'ops@example.com', reason: 'stuck' };
        return this.invoke(this.operatorEvent('unlock-request', `unlock-${n}`, detail), c.faults, preempt);
      }
      case 'command': {
        const n = ++this.requests;
        const detail = { environment: ENVIRONMENT, command: ['db-seed'], requestId: `seed-${n}`, requestedBy: 'ops@example.com' };
        return this.invoke(this.operatorEvent('run-command', `seed-${n}`, detail), c.faults, preempt);
      }
      case 'start': {
        const running = ecs.running();
        const task = running[c.pick % Math.max(1, running.length)];
        if (task !== undefined) ecs.start(task);
        this.collect();
        return;
      }
      case 'stop': {
        const running = ecs.running();
        const task = running[c.pick % Math.max(1, running.length)];
        if (task !== undefined) {
          ecs.start(task);
          ecs.stop(task, c.exitCode);
        }
        this.collect();
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
        const names = [...this.schedules.schedules.keys()];
        const name = names[c.pick % Math.max(1, names.length)];
        const raw = name !== undefined ? this.timeoutCheck(name) : undefined;
        return raw === undefined ? undefined : this.invoke(raw, c.faults, preempt);
      }
      case 'clock':
        this.tick(c.minutes * 60_000);
        return;
      case 'expire': {
        const waiting = this.awaiting();
        const o = waiting[c.pick % Math.max(1, waiting.length)];
        if (o !== undefined && o.expiresAt > this.now) this.tick(o.expiresAt - this.now);
        return;
      }
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
    // One migration per image: paused deployments of one image, of any service, wait for one migration.
    const byImage = new Map<string, string[]>();
    for (const d of all)
      if (d.kind === 'migration' && d.status !== 'ended') byImage.set(imageOf(d) ?? '', [...(byImage.get(imageOf(d) ?? '') ?? []), d.id]);
    for (const [image, ids] of byImage)
      if (ids.length > 1) this.violations.push(`${ids.length} open migrations of ${image}: ${ids.join(', ')}`);
    for (const d of all)
      if (d.kind === 'command' && ((d.waiters?.length ?? 0) > 0 || (d.status === 'ended' && (d.services?.length ?? 0) > 0)))
        this.violations.push(`command ${d.id} has paused deployments waiting for it, or answered them`);
    const running = this.world.ecs.running().filter((t) => !this.orphans.has(t.taskArn));
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
    if (this.tokenConflicts.length > 0) this.violations.push(`RunTask refused a launch's clientToken: ${this.tokenConflicts.join(', ')}`);
    if (this.violations.length > 0) this.fail(this.violations);
  }

  /** Lets the world run to the end with no more failures: every retry and event delivered, every task stopped, every schedule fired. */
  async drain(): Promise<void> {
    for (let round = 0; round < 150; round++) {
      const retry = this.retries.shift();
      if (retry !== undefined) {
        await this.invoke(retry, []);
      } else if (this.undelivered.length > 0) {
        await this.invoke(this.event(this.undelivered.shift() as number, false), []);
      } else if (this.world.ecs.running().length > 0) {
        const task = this.world.ecs.running()[0] as ModelTask;
        const owner = this.world.store.all().find((d) => d.id === task.deploymentId);
        if (owner?.status === 'ended')
          this.fail([`${task.taskArn} of ${owner.id}, ended (${owner.outcome}), still runs once all its events were delivered`]);
        this.world.ecs.start(task);
        this.world.ecs.stop(task, 0);
        this.collect();
      } else {
        // Every event was delivered: a hook still waiting must be waited on by an open deployment, or nothing answers it.
        const records = this.world.store.all();
        for (const o of this.awaiting()) {
          const waitedOn = records.some((d) => d.status !== 'ended' && d.waiters?.some((w) => w.hookId === o.hookId));
          if (!waitedOn)
            this.fail([
              `${o.id} (${o.service}, image ${o.image}) waits at its hook with nothing to answer it: ECS would apply its timeout action at ${iso(o.expiresAt)}`,
            ]);
        }
        const next = [...this.schedules.schedules.entries()].sort(([, a], [, b]) => Date.parse(a.at) - Date.parse(b.at))[0];
        if (next === undefined) return;
        const raw = this.timeoutCheck(next[0]);
        if (raw !== undefined) await this.invoke(raw, []);
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
      const ends = d.history.filter((h, i) => OUTCOMES.includes(h.status) && !OUTCOMES.includes(d.history[i - 1]?.status ?? ''));
      const outcomes = [...new Set(d.history.filter((h) => OUTCOMES.includes(h.status)).map((h) => h.status))];
      if (ends.length !== 1 || outcomes.length !== 1 || outcomes[0] !== d.outcome)
        problems.push(`${d.id} ended ${ends.length} times: ${d.history.map((h) => h.status).join(', ')}`);
      problems.push(...this.outcomeProblems(d));
    }
    problems.push(...this.answerProblems(records));
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
      const untrue = this.untrueReport(e);
      if (untrue !== undefined) problems.push(`${e.detailType} published but never stored, and ${untrue}`);
    }
    if (problems.length > 0) this.fail(problems);
  }

  /** Every paused deployment answered once, and rightly; each answer recorded. */
  private answerProblems(records: Deployment[]): string[] {
    const problems: string[] = [];
    for (const o of this.owners.owners) {
      const image = imageRef(o.image);
      const of = this.answers.filter((a) => a.owner === o.id);
      const taken = o.answers.filter((a) => a.accepted);
      if (o.hook === 'AWAITING_ACTION') problems.push(`${o.id} (${o.service}, image ${o.image}) was never answered`);
      if (taken.length > 1) problems.push(`${o.id} was answered ${taken.length} times`);
      const waitedOn = records.filter((d) => d.waiters?.some((w) => w.hookId === o.hookId));
      const succeeded = records.filter(
        (d): d is Ended => d.status === 'ended' && d.kind === 'migration' && d.outcome === 'succeeded' && imageOf(d) === image,
      );
      const contradicted = new Set(of.map((a) => a.action)).size > 1;
      const answer = taken[0]?.action;
      if (answer === 'CONTINUE' || contradicted) {
        if (succeeded.length === 0) {
          // KNOWN DEFECT (controller.property.test.ts, "a migration whose rollout was done but not yet committed can
          // end cancelled"): the invocation that answered CONTINUE had not committed the end when a cancel, a timeout
          // check, a lock takeover or an operator's unlock ended the deployment (answering ROLLBACK, which ECS refused).
          // Tolerated for those endings of the deployment the hook waited on only.
          const known = waitedOn.some(
            (d) =>
              d.status === 'ended' &&
              (d.outcome === 'cancelled' || d.outcome === 'timed_out' || LOCK_TAKEN_OVER.test(d.reason) || UNLOCKED.test(d.reason)),
          );
          if (known && this.knownBugTolerated && this.exitedZero(image).length > 0) stats.tolerated += 1;
          else
            problems.push(
              `${o.id} (image ${o.image}) ${contradicted ? `was answered ${of.map((a) => a.action).join(' then ')}` : 'was CONTINUEd'}, but no migration of its image succeeded: ${waitedOn.map((d) => `${d.id} ${d.status === 'ended' ? d.outcome : d.status}`).join(', ')}`,
            );
        }
      } else if (answer === 'ROLLBACK') {
        const why = waitedOn.filter((d) => d.status === 'ended' && NOT_SUCCEEDED.includes(d.outcome));
        if (why.length === 0 || waitedOn.some((d) => d.status === 'ended' && d.outcome === 'succeeded'))
          problems.push(
            `${o.id} (image ${o.image}) was answered ROLLBACK, but the migrations it waited for ended ${waitedOn.map((d) => `${d.id} ${d.status === 'ended' ? d.outcome : d.status}`).join(', ') || '(none)'}`,
          );
      }
      if (answer !== undefined) {
        // An invocation whose answer ECS took and that died before recording it is retried; the retry's answer is
        // refused (ECS does not say by whom the hook was answered), and recorded as `moved-on`.
        const ids = [o.ecsDeploymentId, o.serviceDeploymentArn];
        const results = [answer === 'CONTINUE' ? 'continued' : 'rolled-back', 'moved-on'];
        const recorded = records.some(
          (d) =>
            d.status === 'ended' &&
            (d.services ?? []).some((s) => s.service === o.service && ids.includes(s.ecsDeploymentId ?? '') && results.includes(s.result)),
        );
        // KNOWN DEFECT (test/shell/hook-rollback-record.test.ts): a halt answers ROLLBACK before the commit that ends
        // the deployment and records the answers in a later decision; an invocation that dies in between is retried,
        // finds the deployment ended and records nothing.
        // The same when the answer is a CONTINUE at once to an image migrated already: it is recorded only by the
        // decision fed back after it, and when the invocation loses the race to commit the end and decides again (the
        // answer's result is dropped with the lost attempt; the winner's own answer was refused and is recorded only by
        // its own later decision). Tolerated when the invocation whose answer ECS took failed or lost a race afterwards.
        const lost = of.some(
          (a) =>
            a.hookWas === 'AWAITING_ACTION' &&
            a.action === answer &&
            a.by !== undefined &&
            (this.died.has(a.by) || this.lostRace.has(a.by)),
        );
        if (!recorded && lost && this.knownBugTolerated) stats.tolerated += 1;
        else if (!recorded) problems.push(`${o.id}'s ${answer} is recorded in no deployment`);
      }
    }
    return problems;
  }

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
      const continued = (d.waiters ?? []).some((w) =>
        this.answers.some((a) => a.action === 'CONTINUE' && this.ownerOf(w.hookId)?.id === a.owner),
      );
      if (d.kind === 'migration' && d.rollout !== 'moved-on' && !continued)
        problems.push(`${d.id} succeeded (rollout ${d.rollout}), but no paused deployment was CONTINUEd for it`);
    }
    const exited0 = task?.lastStatus === 'STOPPED' && task.exitCode === 0 && task.stopCode === 'EssentialContainerExited';
    // An operator's unlock ends the deployment holding the lock as failed, whatever its task did meanwhile.
    if (exited0 && d.outcome === 'failed' && !LOCK_TAKEN_OVER.test(d.reason) && !UNLOCKED.test(d.reason))
      problems.push(`${d.id} failed ("${d.reason}"), but its task ${d.taskArn} exited 0`);
    return problems;
  }

  private ownerOf(hookId: string): OwnerDeployment | undefined {
    return this.owners.owners.find((o) => o.hookId === hookId);
  }

  /** Why an event published before its commit is not a true report of the world, or undefined when it is. */
  private untrueReport(e: { detailType: string; detail: Record<string, unknown> }): string | undefined {
    const { deploymentId, taskArn } = e.detail;
    const task = this.world.ecs.tasks.find((t) => t.taskArn === taskArn && t.deploymentId === deploymentId && t.spoofed !== true);
    const record = this.world.store.all().find((d) => d.id === deploymentId);
    switch (e.detailType) {
      case 'Migration Started':
      case 'Command Started':
        return task === undefined ? `no task ${String(taskArn)} was started for ${String(deploymentId)}` : undefined;
      case 'Migration Succeeded':
        return task?.exitCode === 0 ? undefined : `task ${String(taskArn)} of ${String(deploymentId)} did not exit 0`;
      case 'Rollout Continued': {
        const continued = (record?.waiters ?? []).some((w) =>
          this.answers.some((a) => a.action === 'CONTINUE' && this.ownerOf(w.hookId)?.id === a.owner),
        );
        return continued ? undefined : `no paused deployment was CONTINUEd for ${String(deploymentId)}`;
      }
      case 'Rollout Failed':
        return record?.status === 'ended' && (record.services ?? []).some((s) => s.result === 'failed')
          ? undefined
          : `no service of ${String(deploymentId)} failed to move`;
      default:
        return 'it is no report of what AWS did';
    }
  }

  /** Once the clock is past any lock's expiry, a new paused deployment's migration launches at once. */
  async checkLive(): Promise<void> {
    this.tick((LOCK_MINUTES + 1) * 60_000);
    const o = this.owners.pause(SERVICES[1], 4000, this.now, 1440);
    this.collect();
    const index = this.undelivered.pop() as number;
    const raw = this.event(index, false);
    const steps = await this.controller.handle(raw);
    this.log.push(
      `${String(raw.id)} (after the lock expiry): ${steps.map((s) => `${s.input}→${s.decision.decision} (${s.decision.reason})`).join('; ')}`,
    );
    if (steps[0]?.decision.decision !== 'launch') this.fail([`${o.id}'s hook after every lock expired did not launch its migration`]);
    this.collect();
    await this.drain();
    this.checkEnd();
  }
}

const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;
const path = process.env.FC_PATH;
const numRuns = Number(process.env.FC_RUNS ?? 150);

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

describe('pause-hook mode with two services and invocations that overlap', () => {
  it(
    'answers every paused deployment once and rightly, runs one migration per image and per environment, and frees the environment',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40, size: 'large' }), async (commands) => {
          const run = await runAll(commands);
          if (process.env.FC_STATS) {
            const ended = run.world.store.all();
            stats.runs++;
            stats.deployments += ended.length;
            stats.owners += run.owners.owners.length;
            stats.conflicts += run.conflicts;
            stats.retries += run.log.filter((l) => l.includes('will be retried')).length;
            for (const d of ended) {
              const k = d.status === 'ended' ? d.outcome : d.status;
              stats.outcomes[k] = (stats.outcomes[k] ?? 0) + 1;
            }
            for (const o of run.owners.owners) {
              const k = o.answers.find((a) => a.accepted)?.action ?? o.hook;
              stats.answers[k] = (stats.answers[k] ?? 0) + 1;
            }
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
      if (process.env.FC_STATS) console.log(JSON.stringify(stats));
    },
    30_000 + numRuns * 200,
  );
});
