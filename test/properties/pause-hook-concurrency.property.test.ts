import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Deployment, type Ended, imageOf, type Outcome } from '../../src/core/deployment.js';
import type { CommitRequest, Ports } from '../../src/ports.js';
import { createController, type StepRecord } from '../../src/shell/controller.js';
import { config, operatorEvent } from '../support/fixtures.js';
import { current, type Preempt as GenericPreempt, MODEL_PORT_CALLS } from '../support/interleaving.js';
import type { Fault, ModelTask } from '../support/model-ports.js';
import { countRun, ENVIRONMENT, endedOnce, InterleavedRun, LOCK_MINUTES, LOCK_TAKEN_OVER, TIMEOUT_MINUTES } from '../support/model-run.js';
import { imageRef, iso, ModelSchedules, ModelServiceDeployments, type OwnerDeployment } from '../support/model-service-deployments.js';
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

const SERVICES = ['shop-api', 'shop-worker'] as const;

/** The port calls an invocation can be preempted at, weighted toward the racy ones. */
const PORT_NAMES = ['launch', 'commit', 'answerHook', 'describeServiceDeployment', 'describeServiceRevision', ...MODEL_PORT_CALLS] as const;
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

const portName: fc.Arbitrary<PortName> = fc.oneof(
  { weight: 5, arbitrary: fc.constant('answerHook' as const) },
  { weight: 4, arbitrary: fc.constant('commit' as const) },
  { weight: 4, arbitrary: fc.constant('launch' as const) },
  { weight: 2, arbitrary: fc.constantFrom('describeServiceDeployment' as const, 'describeServiceRevision' as const) },
  { weight: 2, arbitrary: fc.constant('putEvents' as const) },
  { weight: 2, arbitrary: fc.constantFrom(...PORT_NAMES) },
);

function steps(preempt: fc.Arbitrary<Preempt | undefined>, nested: boolean): fc.Arbitrary<Step> {
  const inv = invoking(faultsOf(1), preempt);
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
    { weight: 2, arbitrary: startStep },
    { weight: 3, arbitrary: stopStep },
    { weight: 2, arbitrary: inv({ type: fc.constant('retry' as const), pick }) as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: inv({ type: fc.constant('timeout' as const), pick }) as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: clockStep },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('expire' as const), pick }) },
    { weight: 1, arbitrary: inv({ type: fc.constant('cancel' as const), pick }) as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: inv({ type: fc.constant('unlock' as const) }) as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: inv({ type: fc.constant('command' as const) }) as fc.Arbitrary<Step> },
  ];
  if (nested) arbitraries.push({ weight: 2, arbitrary: inv({ type: fc.constant('again' as const) }) as fc.Arbitrary<Step> });
  else
    arbitraries.push(
      { weight: 1, arbitrary: spoofStep },
      {
        weight: 1,
        arbitrary: fc.record({ type: fc.constant('burst' as const), count: fc.integer({ min: 2, max: 3 }), fresh: fc.boolean() }),
      },
    );
  return fc.oneof(...arbitraries);
}

const command = steps(preemptions(portName, 8, steps(fc.constant(undefined), true)), false);

const NOT_SUCCEEDED: readonly string[] = ['failed', 'timed_out', 'superseded', 'cancelled'] satisfies Outcome[];
const UNLOCKED = /^environment \S+ unlocked by /;

const stats = {
  runs: 0,
  deployments: 0,
  owners: 0,
  answers: {} as Record<string, number>,
  joined: 0,
  preemptions: 0,
  conflicts: 0,
  retries: 0,
  outcomes: [] as string[],
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

class Run extends InterleavedRun<Step> {
  readonly owners = new ModelServiceDeployments((raw) => this.world.ecs.emitted.push(raw));
  readonly schedules = new ModelSchedules();
  private images: number[] = [];
  private nextImage = 0;
  private requests = 0;
  private fired = 0;
  readonly answers: AnswerSeen[] = [];
  readonly tokenConflicts: string[] = [];
  readonly controller;

  constructor(private readonly knownBugTolerated = true) {
    super();
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
        launch: this.watchedLaunch((clientToken) => this.tokenConflicts.push(clientToken)),
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

  /** What an invocation decided: how often a paused deployment joined a migration under way. */
  protected override decided(steps: StepRecord[]): void {
    for (const s of steps) if (/waits for it too|paused deployment waits for/.test(s.decision.reason)) stats.joined += 1;
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
    return operatorEvent(
      'Migration Timeout Check',
      `${name}#${++this.fired}`,
      iso(this.now),
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
      case 'spoof':
        return this.spoofTask(c.pick);
      case 'reemit': {
        const waiting = this.awaiting();
        const o = waiting[c.pick % Math.max(1, waiting.length)];
        if (o !== undefined) this.owners.reemit(o, this.now);
        this.collect();
        return;
      }
      case 'cancel':
        return this.invoke(this.cancelOf(c.pick, ++this.requests), c.faults, preempt);
      case 'unlock': {
        const n = ++this.requests;
        const detail = { environment: ENVIRONMENT, requestId: `unlock-${n}`, requestedBy: 'ops@example.com', reason: 'stuck' };
        return this.invoke(operatorEvent('unlock-request', `unlock-${n}`, iso(this.now), detail), c.faults, preempt);
      }
      case 'command': {
        const n = ++this.requests;
        const detail = { environment: ENVIRONMENT, command: ['db-seed'], requestId: `seed-${n}`, requestedBy: 'ops@example.com' };
        return this.invoke(operatorEvent('run-command', `seed-${n}`, iso(this.now), detail), c.faults, preempt);
      }
      case 'start':
      case 'stop':
      case 'deliver':
      case 'redeliver':
      case 'retry':
        return this.taskStep(c, preempt);
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

  /** The invariants that hold after every top-level step. */
  checkStep(): void {
    const all = this.world.store.all();
    this.violations.push(...this.activeProblems(all));
    // One migration per image: paused deployments of one image, of any service, wait for one migration.
    const byImage = new Map<string, string[]>();
    for (const d of all)
      if (d.kind === 'migration' && d.status !== 'ended') byImage.set(imageOf(d) ?? '', [...(byImage.get(imageOf(d) ?? '') ?? []), d.id]);
    for (const [image, ids] of byImage)
      if (ids.length > 1) this.violations.push(`${ids.length} open migrations of ${image}: ${ids.join(', ')}`);
    for (const d of all)
      if (d.kind === 'command' && ((d.waiters?.length ?? 0) > 0 || (d.status === 'ended' && (d.services?.length ?? 0) > 0)))
        this.violations.push(`command ${d.id} has paused deployments waiting for it, or answered them`);
    const running = this.notOrphaned(this.world.ecs.running());
    this.violations.push(...this.taskProblems(all, running));
    if (this.tokenConflicts.length > 0) this.violations.push(`RunTask refused a launch's clientToken: ${this.tokenConflicts.join(', ')}`);
    if (this.violations.length > 0) this.fail(this.violations);
  }

  /** Lets the world run to the end with no more failures: every retry and event delivered, every task stopped, every schedule fired. */
  async drain(): Promise<void> {
    for (let round = 0; round < 150; round++) {
      if (!(await this.settleOne(true, false))) {
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
    const problems = this.settledProblems(records, (d) => [
      ...endedOnce(d),
      // An operator's unlock ends the deployment holding the lock as failed, whatever its task did meanwhile.
      ...this.outcomeProblems(
        d,
        (x) =>
          this.continuedFor(x) ? undefined : `${x.id} succeeded (rollout ${x.rollout}), but no paused deployment was CONTINUEd for it`,
        [LOCK_TAKEN_OVER, UNLOCKED],
      ),
    ]);
    problems.push(...this.answerProblems(records));
    problems.push(
      ...this.freedAndPublishedProblems((e) =>
        this.untrueReport(
          e,
          (id) => {
            const record = this.world.store.all().find((d) => d.id === id);
            return record !== undefined && this.continuedFor(record) ? undefined : `no paused deployment was CONTINUEd for ${String(id)}`;
          },
          false,
        ),
      ),
    );
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
          // KNOWN DEFECT (docs/RELIABILITY.md, known gaps): the invocation that answered CONTINUE had not committed the
          // end when a cancel, a lock takeover or an operator's unlock ended the deployment (answering ROLLBACK, which
          // ECS refused). In pause-hook mode the service does not show the rollout (the owner's deployment moves it),
          // so those requests cannot tell. A timeout check that read the task still running while the watcher, preempted,
          // had judged its exit and answered (found by random runs, FC_SEED=2137790816) is the same race.
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
        // KNOWN DEFECTS (docs/RELIABILITY.md, known gaps): a CONTINUE whose invocation loses the race to commit and
        // decides again (the answer's result is dropped with the lost attempt) can be left unrecorded; and one whose
        // invocation died before its commit, when a cancel, an unlock or a lock takeover ended the deployment the hook
        // waited on before the retry (the halt's ROLLBACK is refused, and what ECS said of it is recorded only by a
        // decision fed back after that end). Tolerated for CONTINUE in those cases only. A CONTINUE given at once whose
        // invocation died is recorded by its retried event (test/shell/hook-continue-record.test.ts); a ROLLBACK by the
        // commit that ends the deployment (test/shell/hook-rollback-record.test.ts).
        // The end left its ROLLBACK recorded (what ECS said of it, a refusal, was not: that invocation died too).
        // A timeout check's end too (docs/RELIABILITY.md): of a deployment still `launching` whose CONTINUE a dead
        // retried launch gave (FC_SEED=3706, found once the hand-over waits for the stopped task).
        const endedByOperator = waitedOn.some(
          (d) =>
            d.status === 'ended' &&
            (d.outcome === 'cancelled' || d.outcome === 'timed_out' || LOCK_TAKEN_OVER.test(d.reason) || UNLOCKED.test(d.reason)) &&
            (d.services ?? []).some((s) => s.service === o.service && s.result === 'rolled-back'),
        );
        const lost = of.some(
          (a) =>
            answer === 'CONTINUE' &&
            a.hookWas === 'AWAITING_ACTION' &&
            a.action === answer &&
            a.by !== undefined &&
            (this.lostRace.has(a.by) || (this.died.has(a.by) && endedByOperator)),
        );
        // KNOWN DEFECT (docs/RELIABILITY.md): a CONTINUE given at once (the image was migrated already; no deployment
        // waits on the hook) whose invocation died before recording it is recorded by the retry in the deployment of
        // the last success; when a later migration succeeded before the retry, that deployment is another image's,
        // and the answer is left unrecorded (FC_SEED=-190622515, replayed strictly below).
        const atOnceDied =
          answer === 'CONTINUE' &&
          waitedOn.length === 0 &&
          of.some((a) => a.action === 'CONTINUE' && a.by !== undefined && this.died.has(a.by)) &&
          this.world.store.environment()?.lastSucceeded?.image !== imageRef(o.image);
        if (!recorded && (lost || atOnceDied) && this.knownBugTolerated) stats.tolerated += 1;
        else if (!recorded) problems.push(`${o.id}'s ${answer} is recorded in no deployment`);
      }
    }
    return problems;
  }

  private ownerOf(hookId: string): OwnerDeployment | undefined {
    return this.owners.owners.find((o) => o.hookId === hookId);
  }

  /** Whether a paused deployment that waited for `d` was CONTINUEd. */
  private continuedFor(d: Deployment): boolean {
    return (d.waiters ?? []).some((w) => this.answers.some((a) => a.action === 'CONTINUE' && this.ownerOf(w.hookId)?.id === a.owner));
  }

  /** Once the clock is past any lock's expiry, a new paused deployment's migration launches at once. */
  async checkLive(): Promise<void> {
    this.tick((LOCK_MINUTES + 1) * 60_000);
    const o = this.owners.pause(SERVICES[1], 4000, this.now, 1440);
    this.collect();
    const index = this.undelivered.pop() as number;
    await this.launchesAtOnce(this.event(index, false), `${o.id}'s hook after every lock expired did not launch its migration`);
  }
}

const numRuns = runsOr(150);

const runAll = (commands: Step[], knownBugTolerated = true): Promise<Run> => new Run(knownBugTolerated).runLive(commands);

describe('pause-hook mode with two services and invocations that overlap', () => {
  it(
    'answers every paused deployment once and rightly, runs one migration per image and per environment, and frees the environment',
    async () => {
      await assertProperty(
        fc.array(command, { minLength: 1, maxLength: 40, size: 'large' }),
        async (commands) => {
          const run = await runAll(commands);
          if (STATS) {
            countRun(stats, run);
            stats.owners += run.owners.owners.length;
            stats.preemptions += run.preemptions;
            stats.conflicts += run.conflicts;
            for (const o of run.owners.owners) {
              const k = o.answers.find((a) => a.accepted)?.action ?? o.hook;
              stats.answers[k] = (stats.answers[k] ?? 0) + 1;
            }
          }
        },
        numRuns,
      );
      if (STATS) console.log(JSON.stringify({ ...stats, outcomes: countOf(stats.outcomes) }));
    },
    30_000 + numRuns * 200,
  );
});

describe('pause-hook runs replayed strictly', () => {
  it('KNOWN DEFECT: a CONTINUE a dead retried launch gave is left unrecorded when the timeout check ends the deployment before the retry', async () => {
    // Found by random property runs (FC_SEED=3706): a retried hook event resumed the launch, judged the kept exit 0,
    // answered CONTINUE and died before its commit; the timeout check then ended the deployment (still `launching`)
    // timed out, its ROLLBACK refused by ECS and its invocation dead before recording that; the hook event's next
    // retry finds the deployment ended. docs/RELIABILITY.md, known gaps.
    const commands: Step[] = [
      { type: 'deploy', service: 0, image: 1, timeout: 30, now: false, faults: [] },
      { type: 'deploy', service: 0, image: 0, timeout: 30, now: false, faults: [] },
      { type: 'deploy', service: 0, image: 0, timeout: 30, now: true, faults: [] },
      {
        type: 'deliver',
        pick: 0,
        latest: false,
        keep: false,
        strip: false,
        faults: [{ call: 1, after: false }],
        preempt: {
          at: 1,
          nth: 1,
          after: false,
          meanwhile: [
            { type: 'timeout', pick: 0, faults: [] },
            { type: 'retry', pick: 0, faults: [] },
          ],
        },
      },
      {
        type: 'deploy',
        service: 0,
        image: 0,
        timeout: 30,
        now: true,
        faults: [{ call: 7, after: true }],
        preempt: { at: 'launch', nth: 1, after: true, meanwhile: [{ type: 'stop', pick: 0, exitCode: 0 }] },
      },
      { type: 'deliver', pick: 0, latest: false, keep: false, strip: false, faults: [] },
      { type: 'deliver', pick: 0, latest: true, keep: false, strip: false, faults: [] },
      {
        type: 'deploy',
        service: 0,
        image: 2,
        timeout: 30,
        now: true,
        faults: [],
        preempt: { at: 1, nth: 1, after: false, meanwhile: [{ type: 'retry', pick: 13, faults: [{ call: 8, after: false }] }] },
      },
      {
        type: 'timeout',
        pick: 0,
        faults: [{ call: 12, after: true }],
        preempt: { at: 2, nth: 1, after: false, meanwhile: [{ type: 'deploy', service: 0, image: 0, timeout: 30, now: true, faults: [] }] },
      },
      { type: 'redeliver', pick: 0, strip: false, faults: [] },
    ];
    await expect(runAll(commands, false)).rejects.toThrow(/OD0004-shop-api's CONTINUE is recorded in no deployment/);
  });

  it('KNOWN DEFECT: a CONTINUE given at once, its invocation dead, is left unrecorded when a later migration succeeded before the retry', async () => {
    // Found by random property runs (FC_SEED=-190622515): OD0002's hook was answered CONTINUE at once (its image
    // migrated already) and the invocation died; another image's migration then succeeded, so the retry finds the
    // deployment SUCCESSFUL and the last success another image's: no record of the answer.
    const commands: Step[] = [
      { type: 'deploy', service: 0, image: 1, timeout: 30, now: false, faults: [] },
      {
        type: 'unlock',
        faults: [],
        preempt: {
          at: 1,
          nth: 1,
          after: true,
          meanwhile: [
            { type: 'deliver', pick: 0, latest: false, keep: false, strip: false, faults: [] },
            { type: 'stop', pick: 0, exitCode: 0 },
          ],
        },
      },
      { type: 'deliver', pick: 0, latest: true, keep: false, strip: false, faults: [] },
      { type: 'deploy', service: 0, image: 1, timeout: 30, now: false, faults: [] },
      {
        type: 'deliver',
        pick: 0,
        latest: true,
        keep: false,
        strip: false,
        faults: [{ call: 6, after: true }],
        preempt: {
          at: 1,
          nth: 1,
          after: false,
          meanwhile: [
            { type: 'command', faults: [] },
            { type: 'deliver', pick: 0, latest: false, keep: false, strip: false, faults: [] },
          ],
        },
      },
      { type: 'deploy', service: 0, image: 0, timeout: 30, now: true, faults: [] },
      { type: 'unlock', faults: [] },
      // The unlock's hand-over waits for the task it stopped: its scheduled check launches the next migration.
      { type: 'timeout', pick: 3, faults: [] },
      { type: 'stop', pick: 0, exitCode: 0 },
      { type: 'deliver', pick: 9, latest: false, keep: false, strip: false, faults: [] },
      { type: 'deploy', service: 0, image: 0, timeout: 30, now: false, faults: [] },
    ];
    await expect(runAll(commands, false)).rejects.toThrow(/OD0002-shop-api's CONTINUE is recorded in no deployment/);
  });

  it('a queued migration whose paused deployments all expired is not launched when the environment frees: it ends timed out, its events stored and published after the commit', async () => {
    // Two images, each awaited by both services; every hook then expires while the first migration runs. Its exit 0
    // (a CONTINUE ECS refuses) frees the environment with a commit that reports the rollout first; the queued one
    // ends in that commit (never launched), and its own events are not reported before it (found while fixing this,
    // FC_SEED=1672109916).
    const commands: Step[] = [
      { type: 'burst', count: 2, fresh: true },
      { type: 'burst', count: 2, fresh: true },
      { type: 'expire', pick: 0 },
      { type: 'deliver', pick: 0, latest: false, keep: false, strip: false, faults: [] },
    ];
    const run = await runAll(commands, false);
    const ended = run.world.store.all().filter((d): d is Ended => d.status === 'ended' && d.outcome === 'timed_out');
    expect(ended.map((d) => d.reason)).toEqual([expect.stringContaining('the migration was not run')]);
    expect(run.world.ecs.tasks.filter((t) => t.deploymentId === ended[0]?.id)).toEqual([]);
  });
});
