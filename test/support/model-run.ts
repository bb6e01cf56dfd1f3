import type { LaunchRequest } from '../../src/core/actions.js';
import { EMITTED_TYPES } from '../../src/core/actions.js';
import { type Deployment, deploymentIdFromStartedBy, type Ended, type Outcome } from '../../src/core/deployment.js';
import { TooManyConflictsError, TransientAwsError } from '../../src/errors.js';
import type { Ecs, ScheduledCheck } from '../../src/ports.js';
import type { Controller, StepRecord } from '../../src/shell/controller.js';
import type { Log } from '../../src/shell/logger.js';
import { operatorEvent, sample, withEvent } from './fixtures.js';
import { current, Interleaving, type Invocation, invocation, type Preempt } from './interleaving.js';
import { type Fault, type FaultPlan, type ModelTask, modelPorts } from './model-ports.js';
import { digestOf, imageRef, iso } from './model-service-deployments.js';

/**
 * The bookkeeping of one run of a model-based property test of the controller (test/properties/*.property.test.ts):
 * the model world, the clock, the task events still to deliver and the events to retry, and the invariants every
 * such test checks alike. Each test's own model (its steps, what it checks besides) stays in its file.
 */

export const ENVIRONMENT = 'staging';
export const START = Date.parse('2026-11-25T09:00:00Z');
export const TIMEOUT_MINUTES = 60;
/** The lock expires TIMEOUT_MINUTES + 15 after it was taken. */
export const LOCK_MINUTES = TIMEOUT_MINUTES + 15;

export const OUTCOMES: readonly string[] = ['succeeded', 'failed', 'timed_out', 'superseded', 'cancelled'] satisfies Outcome[];
/** Events no commit implies: sent directly, never through an outbox. */
export const DIRECT: readonly string[] = ['Event Rejected', 'Environment Unlocked'];
export const LOCK_TAKEN_OVER = /the environment lock expired .* taken over by/;

/** JSON with sorted keys: events compared by content, not key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** A raw task event with the migration container's exit code left out, as ECS sometimes sends it. */
export function withoutExitCode(raw: Record<string, unknown>): Record<string, unknown> {
  const detail = raw.detail as { containers: Record<string, unknown>[] };
  const strip = ({ exitCode: _e, ...c }: Record<string, unknown>) => c;
  return { ...raw, detail: { ...detail, containers: detail.containers.map((c) => (c.name === 'app' ? strip(c) : c)) } };
}

/** What an invocation decided, one `input→decision (reason)` a step, for the run's log. */
function decisions(steps: StepRecord[]): string {
  return steps.map((s) => `${s.input}→${s.decision.decision} (${s.decision.reason})`).join('; ');
}

/** The ECR push of image `n`, pushed at `time` (the event's own time is the push time). */
export function pushOf(n: number, time: string): Record<string, unknown> {
  return withEvent(sample('ecr-push'), {
    top: { id: `push-${n}`, time },
    detail: { 'image-digest': digestOf(n), 'image-tag': `v1.${n}.0` },
  });
}

/** The `n`-th deploy-request, of image `image` (`n`-th pushed), a rerun or not. */
export function deployRequestOf(n: number, image: number, rerun: boolean, time: string): Record<string, unknown> {
  return withEvent(sample('deploy-request'), {
    top: { id: `request-${n}`, time },
    detail: { requestId: `req-${n}`, image: imageRef(image), ...(rerun ? { rerun: true } : {}) },
  });
}

/** The scheduler's timeout check of a deployment (with the attempt and purpose its schedule was set with). */
export function timeoutCheckOf(
  id: string,
  time: string,
  detail: { environment: string; deploymentId: string },
  check?: ScheduledCheck,
): Record<string, unknown> {
  const fields = check !== undefined ? { ...detail, attempt: check.attempt, purpose: check.purpose } : detail;
  return operatorEvent('Migration Timeout Check', id, time, fields, 'ecs-migrate.scheduler');
}

/** One run: the world, the clock, the events to deliver and to retry, and what the invariants need to know. */
export abstract class ModelRun<Step, Plan extends FaultPlan = FaultPlan> {
  readonly plan: Plan;
  readonly world: ReturnType<typeof modelPorts>;
  now = START;
  /** Raw events whose invocation failed: Lambda/EventBridge retries them later. */
  readonly retries: Record<string, unknown>[] = [];
  /** Index into the ECS model's emitted events of those not yet delivered. */
  readonly undelivered: number[] = [];
  readonly delivered: number[] = [];
  private seenEmitted = 0;
  readonly violations: string[] = [];
  /** Deployments some invocation decided to launch or queue (an accepted trigger). */
  readonly accepted = new Set<string>();
  readonly log: string[] = [];
  /** Each rollout and the deployment task it was for. */
  readonly rolledOut: { deploymentId: string; taskArn: string }[] = [];
  /** Task events delivered without their exit code. */
  stripped = 0;
  abstract readonly controller: Controller;

  protected constructor(plan: (run: ModelRun<Step, Plan>) => Plan) {
    this.plan = plan(this);
    this.world = modelPorts(this.plan);
  }

  /** One Lambda invocation of `raw`; a transient failure queues it for a retry. */
  abstract invoke(raw: Record<string, unknown>, faults: Fault[]): Promise<void>;
  abstract apply(step: Step): Promise<void>;
  abstract checkStep(): void;
  abstract drain(): Promise<void>;
  abstract checkEnd(): void;

  /** Runs `steps`, every invariant after each; then lets the run settle and checks it settled rightly. */
  async runThrough(steps: Step[]): Promise<void> {
    for (const s of steps) {
      await this.apply(s);
      this.checkStep();
    }
    await this.drain();
    this.checkEnd();
  }

  protected time(): string {
    return iso(this.now);
  }

  /**
   * `handle` (the controller handling `raw`) as one Lambda invocation: the triggers it accepted and what it decided
   * logged under `label`; a transient failure queues `raw` for a retry (and answers undefined).
   */
  protected async handled(
    raw: Record<string, unknown>,
    label: string,
    handle: () => Promise<StepRecord[]>,
  ): Promise<StepRecord[] | undefined> {
    try {
      const steps = await handle();
      for (const s of steps)
        if ((s.decision.decision === 'launch' || s.decision.decision === 'queue') && s.decision.deploymentId !== undefined)
          this.accepted.add(s.decision.deploymentId);
      this.log.push(`${label}: ${decisions(steps)}`);
      return steps;
    } catch (error) {
      if (!(error instanceof TransientAwsError || error instanceof TooManyConflictsError)) throw error;
      this.log.push(`${label}: failed (${error.message}), will be retried`);
      this.retries.push(raw);
      return undefined;
    } finally {
      this.collect();
    }
  }

  /** The events ECS emitted since last collected join the undelivered. */
  protected collect(): void {
    for (; this.seenEmitted < this.world.ecs.emitted.length; this.seenEmitted++) this.undelivered.push(this.seenEmitted);
  }

  /** The emitted event at `index`, without the migration container's exit code if `strip` (and it has one). */
  protected event(index: number, strip: boolean): Record<string, unknown> {
    const raw = this.world.ecs.emitted[index] as Record<string, unknown>;
    const detail = raw.detail as { containers?: { name: string; exitCode?: number }[] };
    if (!strip || !detail.containers?.some((c) => c.name === 'app' && c.exitCode !== undefined)) return raw;
    this.stripped += 1;
    return withoutExitCode(raw);
  }

  protected fail(problems: string[]): never {
    throw new Error(`${problems.join('\n')}\n--- log:\n${this.log.join('\n')}`);
  }

  // The steps every model has, each by a `pick` among what there is.

  /** A running task starts. */
  protected startTask(pick: number): void {
    const running = this.world.ecs.running();
    const task = running[pick % Math.max(1, running.length)];
    if (task !== undefined) this.world.ecs.start(task);
    this.collect();
  }

  /** A running task stops, its migration container with `exitCode`. */
  protected stopTask(pick: number, exitCode: number | undefined): void {
    const running = this.world.ecs.running();
    const task = running[pick % Math.max(1, running.length)];
    if (task !== undefined) {
      this.world.ecs.start(task);
      this.world.ecs.stop(task, exitCode);
    }
    this.collect();
  }

  /** Someone else starts a task with a deployment's startedBy. */
  protected spoofTask(pick: number): void {
    const ids = this.world.store.all().map((d) => d.id);
    const target = ids[pick % Math.max(1, ids.length)];
    if (target !== undefined) this.world.ecs.spoof(target);
    this.collect();
  }

  /** The undelivered event to deliver (the latest, or by `pick`), now delivered; still undelivered too if `keep`. */
  protected toDeliver(pick: number, latest: boolean, keep: boolean): number | undefined {
    if (this.undelivered.length === 0) return undefined;
    const at = latest ? this.undelivered.length - 1 : pick % this.undelivered.length;
    const index = this.undelivered[at] as number;
    if (!keep) this.undelivered.splice(at, 1);
    this.delivered.push(index);
    return index;
  }

  /** A delivered event to deliver again. */
  protected toRedeliver(pick: number): number | undefined {
    return this.delivered.length === 0 ? undefined : (this.delivered[pick % this.delivered.length] as number);
  }

  /** A failed invocation's event, taken off the retries to retry it. */
  protected toRetry(pick: number): Record<string, unknown> | undefined {
    if (this.retries.length === 0) return undefined;
    const [raw] = this.retries.splice(pick % this.retries.length, 1);
    return raw as Record<string, unknown>;
  }

  /** The `n`-th cancel-request, of a deployment by `pick` (none while there is none). */
  protected cancelOf(pick: number, n: number): Record<string, unknown> {
    const ids = this.world.store.all().map((d) => d.id);
    const deploymentId = ids.length > 0 ? ids[pick % ids.length] : undefined;
    return cancelEvent(n, this.time(), deploymentId);
  }

  /** The schedule of the `pick`-th timeout check fires: the clock moves to its time; its event. */
  protected timeoutPicked(pick: number): Record<string, unknown> | undefined {
    const schedules = [...this.world.scheduler.schedules.entries()];
    const chosen = schedules[pick % Math.max(1, schedules.length)];
    if (chosen === undefined) return undefined;
    const [deploymentId, { environment, at, check }] = chosen;
    this.now = Math.max(this.now, Date.parse(at) + 1000);
    return timeoutCheckOf(`timeout-${deploymentId}`, this.time(), { environment, deploymentId }, check);
  }

  /**
   * Draining with no more failures, one thing at a time: a retry, else the next undelivered event, else a running
   * task stops with exit 0 (with `allDelivered`, a task of an ended deployment is a violation by then: every event of
   * it was delivered, one of which must have stopped it), else the timeout check of a deployment still open fires, as
   * the scheduler would (only with `timeouts`). False when nothing was left to do.
   */
  protected async settleOne(allDelivered: boolean, timeouts = true): Promise<boolean> {
    const retry = this.retries.shift();
    if (retry !== undefined) {
      await this.invoke(retry, []);
    } else if (this.undelivered.length > 0) {
      await this.invoke(this.event(this.undelivered.shift() as number, false), []);
    } else if (this.world.ecs.running().length > 0) {
      const task = this.world.ecs.running()[0] as ModelTask;
      const owner = allDelivered ? this.world.store.all().find((d) => d.id === task.deploymentId) : undefined;
      if (owner?.status === 'ended')
        this.fail([`${task.taskArn} of ${owner.id}, ended (${owner.outcome}), still runs once all its events were delivered`]);
      this.world.ecs.start(task);
      this.world.ecs.stop(task, 0);
      this.collect();
    } else {
      if (!timeouts) return false;
      const open = this.world.store.all().find((d) => d.status === 'running' || d.status === 'launching');
      const schedule = open !== undefined ? this.world.scheduler.schedules.get(open.id) : undefined;
      if (open === undefined || schedule === undefined) return false;
      this.now = Math.max(this.now, Date.parse(schedule.at) + 1000);
      await this.invoke(
        timeoutCheckOf(`timeout-${open.id}`, this.time(), { environment: schedule.environment, deploymentId: open.id }, schedule.check),
        [],
      );
    }
    return true;
  }

  /** `settleOne` until nothing is left to do, every invariant of a step after each, in at most `rounds`. */
  protected async settle(rounds: number, allDelivered: boolean): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      if (!(await this.settleOne(allDelivered))) return;
      this.checkStep();
    }
    this.fail(['the run did not settle']);
  }

  // The invariants every model checks.

  /** One active deployment, holding the environment. */
  protected activeProblems(all: Deployment[]): string[] {
    const problems: string[] = [];
    const open = all.filter((d) => d.status === 'launching' || d.status === 'running');
    if (open.length > 1) problems.push(`more than one active deployment: ${open.map((d) => `${d.id} ${d.status}`).join(', ')}`);
    const active = this.world.store.environment()?.active?.deploymentId;
    for (const d of open) if (d.id !== active) problems.push(`${d.id} is ${d.status} but does not hold the environment (${active})`);
    return problems;
  }

  /** No ended deployment with a task among `running`, one task running at a time, one task per deployment. */
  protected taskProblems(all: Deployment[], running: ModelTask[]): string[] {
    const problems: string[] = [];
    for (const d of all) {
      if (d.status !== 'ended') continue;
      const alive = running.filter((t) => t.deploymentId === d.id);
      if (alive.length > 0)
        problems.push(`${d.id} ended (${d.outcome}) while its task ${alive.map((t) => t.taskArn).join(', ')} still runs`);
    }
    if (running.length > 1)
      problems.push(`more than one task running: ${running.map((t) => `${t.taskArn} (${t.deploymentId})`).join(', ')}`);
    const perDeployment = new Map<string, number>();
    for (const t of this.world.ecs.tasks.filter((x) => x.spoofed !== true))
      perDeployment.set(t.deploymentId ?? '', (perDeployment.get(t.deploymentId ?? '') ?? 0) + 1);
    for (const [id, n] of perDeployment) if (n > 1) problems.push(`deployment ${id} started ${n} tasks`);
    return problems;
  }

  /**
   * The service moves (`onRollout`) only to a deployment whose own task's migration container exited 0: the one task
   * RunTask started for it, which it has recorded or records in the commit that follows; such a rollout is noted in
   * `rolledOut`. With `endedOwner`, a deployment that ended meanwhile may have been moved for (checked at the end).
   */
  protected checkRollout(taskDefinitionArn: string, endedOwner: boolean): void {
    const task = this.world.ecs.tasks.find((t) => t.taskDefinitionArn === taskDefinitionArn);
    const owner = this.world.store.all().find((d) => d.id === task?.deploymentId);
    if (task === undefined || owner === undefined || owner.kind !== 'migration')
      this.violations.push(`service moved to ${taskDefinitionArn}, which no migration's task ran`);
    else if (task.spoofed === true) this.violations.push(`service moved to ${taskDefinitionArn} of a task ecs-migrate did not start`);
    else if (task.lastStatus !== 'STOPPED' || task.exitCode !== 0 || task.stopCode !== 'EssentialContainerExited')
      this.violations.push(`service moved to ${taskDefinitionArn} of ${owner.id}, whose task ${task.taskArn} did not exit 0`);
    else if (
      (owner.status === 'ended' && !endedOwner) ||
      owner.status === 'queued' ||
      (owner.status === 'running' && owner.taskArn !== task.taskArn)
    )
      this.violations.push(`service moved to ${taskDefinitionArn} for ${owner.id}, which is ${owner.status} or recorded another task`);
    else this.rolledOut.push({ deploymentId: owner.id, taskArn: task.taskArn });
  }

  /**
   * Every accepted trigger has a record and every record ended, each as `ended` checks it (`endedOnce` and
   * `outcomeProblems`, say).
   */
  protected settledProblems(records: Deployment[], ended: (d: Ended) => string[]): string[] {
    const problems: string[] = [];
    for (const id of this.accepted) if (!records.some((d) => d.id === id)) problems.push(`accepted ${id} has no record`);
    for (const d of records) {
      if (d.status !== 'ended') {
        problems.push(`${d.id} is still ${d.status}`);
        continue;
      }
      problems.push(...ended(d));
    }
    return problems;
  }

  /** Each rollout for a deployment that recorded its task and ended succeeded, or as `tolerated` (a known defect) says. */
  protected rolloutProblems(records: Deployment[], tolerated: (d: Ended) => boolean): string[] {
    const problems: string[] = [];
    for (const r of this.rolledOut) {
      const d = records.find((x) => x.id === r.deploymentId);
      if (d?.status !== 'ended' || (d.taskArn !== undefined && d.taskArn !== r.taskArn))
        problems.push(`the service was moved for ${r.deploymentId}, which recorded another task than ${r.taskArn}`);
      else if (d.outcome !== 'succeeded' && !tolerated(d))
        problems.push(`the service was moved for ${r.deploymentId}, which ended ${d.outcome}: "${d.reason}"`);
    }
    return problems;
  }

  /**
   * No environment held; every event a commit stored is on the bus, as stored; nothing on the bus that no commit
   * stored, but for reports of what AWS did (published before their commit), each of which must match the world
   * (`untrue` says why one does not).
   */
  protected freedAndPublishedProblems(
    untrue: (e: { detailType: string; detail: Record<string, unknown> }) => string | undefined,
  ): string[] {
    const problems: string[] = [];
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
      const why = untrue(e);
      if (why !== undefined) problems.push(`${e.detailType} published but never stored, and ${why}`);
    }
    return problems;
  }

  /**
   * Why an event published before its commit (`reportFirst`) is not a true report of what happened in the world, or
   * undefined when it is: a start names a task RunTask started for that deployment; a success names that deployment's
   * task, which exited 0 (and, with `successRollsOut`, rolled out); a rollout continued only when `notRolledOut` finds
   * nothing missing; a rollout failed only when a service of the ended deployment failed to move.
   */
  protected untrueReport(
    e: { detailType: string; detail: Record<string, unknown> },
    notRolledOut: (deploymentId: unknown) => string | undefined,
    successRollsOut: boolean,
  ): string | undefined {
    const { deploymentId, taskArn } = e.detail;
    const task = this.world.ecs.tasks.find((t) => t.taskArn === taskArn && t.deploymentId === deploymentId && t.spoofed !== true);
    switch (e.detailType) {
      case 'Migration Started':
      case 'Command Started':
        return task === undefined ? `no task ${String(taskArn)} was started for ${String(deploymentId)}` : undefined;
      case 'Migration Succeeded':
        if (task === undefined || task.exitCode !== 0) return `task ${String(taskArn)} of ${String(deploymentId)} did not exit 0`;
        return successRollsOut ? notRolledOut(deploymentId) : undefined;
      case 'Rollout Continued':
        return notRolledOut(deploymentId);
      case 'Rollout Failed': {
        const record = this.world.store.all().find((d) => d.id === deploymentId);
        const failed = record?.status === 'ended' && (record.services ?? []).some((s) => s.result === 'failed');
        return failed ? undefined : `no service of ${String(deploymentId)} failed to move`;
      }
      default:
        return 'it is no report of what AWS did';
    }
  }

  /** Why the service was not moved for a deployment, or undefined when it was. */
  protected notMovedFor(deploymentId: unknown): string | undefined {
    return this.rolledOut.some((r) => r.deploymentId === deploymentId)
      ? undefined
      : `the service was not moved for ${String(deploymentId)}`;
  }

  /**
   * An ended deployment's outcome against its task in the world: a success only for a task that exited 0 (and rolled
   * out: `notRolledOut`, for a migration not `moved-on`); a recorded exit code is the task's; no end for a refused
   * clientToken; a task of ours that exited 0 never ends failed, unless `failedAnyway` (a lock takeover, say) matches
   * the reason.
   */
  protected outcomeProblems(d: Ended, notRolledOut: (d: Ended) => string | undefined, failedAnyway: readonly RegExp[]): string[] {
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
      const missing = d.kind === 'migration' && d.rollout !== 'moved-on' ? notRolledOut(d) : undefined;
      if (missing !== undefined) problems.push(missing);
    }
    const exited0 = task?.lastStatus === 'STOPPED' && task.exitCode === 0 && task.stopCode === 'EssentialContainerExited';
    if (exited0 && d.outcome === 'failed' && !failedAnyway.some((r) => r.test(d.reason)))
      problems.push(`${d.id} failed ("${d.reason}"), but its task ${d.taskArn} exited 0`);
    return problems;
  }
}

/** Ended once: one step from an open status into an outcome, and every later entry keeps that outcome. */
/** What every model run counts when FC_STATS asks: the runs, their deployments, retried invocations and outcomes. */
export interface RunCounts {
  runs: number;
  deployments: number;
  retries: number;
  /** Each deployment's outcome, or its status while open (print with `countOf`). */
  outcomes: string[];
}

/** Adds one settled run to `counts`. */
export function countRun(counts: RunCounts, run: ModelRun<never>): void {
  const records = run.world.store.all();
  counts.runs++;
  counts.deployments += records.length;
  counts.retries += run.log.filter((l) => l.includes('will be retried')).length;
  counts.outcomes.push(...records.map((d) => (d.status === 'ended' ? d.outcome : d.status)));
}

export function endedOnce(d: Ended): string[] {
  const ends = d.history.filter((h, i) => OUTCOMES.includes(h.status) && !OUTCOMES.includes(d.history[i - 1]?.status ?? ''));
  const outcomes = [...new Set(d.history.filter((h) => OUTCOMES.includes(h.status)).map((h) => h.status))];
  return ends.length !== 1 || outcomes.length !== 1 || outcomes[0] !== d.outcome
    ? [`${d.id} ended ${ends.length} times: ${d.history.map((h) => h.status).join(', ')}`]
    : [];
}

/** The `n`-th cancel-request of the model's environment, of `deploymentId` when given. */
export function cancelEvent(n: number, time: string, deploymentId: string | undefined): Record<string, unknown> {
  return operatorEvent('cancel-request', `cancel-${n}`, time, {
    environment: ENVIRONMENT,
    requestId: `cancel-${n}`,
    requestedBy: 'ops@example.com',
    ...(deploymentId !== undefined ? { deploymentId } : {}),
  });
}

/**
 * A run of overlapping invocations (the preemption harness of test/support/interleaving.ts): an invocation may be
 * preempted at one of its port calls while the `meanwhile` steps run to completion, then goes on.
 */
/** The task and delivery steps of `InterleavedRun.taskStep`. */
export type TaskStep =
  | { type: 'start'; pick: number }
  | { type: 'stop'; pick: number; exitCode: number | undefined }
  | { type: 'deliver'; pick: number; latest: boolean; keep: boolean; strip: boolean; faults: Fault[] }
  | { type: 'redeliver'; pick: number; strip: boolean; faults: Fault[] }
  | { type: 'retry'; pick: number; faults: Fault[] };

export abstract class InterleavedRun<Step> extends ModelRun<Step, Interleaving<Step>> {
  /** How deep the preemption the current step runs in is (for the log's indentation). */
  private depth = 0;
  /** Invocations planned to be preempted, and preempted. */
  planned = 0;
  preemptions = 0;
  /** Commits that lost their race (a conflict, and the invocation decided again). */
  conflicts = 0;
  /** Invocations that failed (and whose event is retried). */
  protected readonly died = new WeakSet<object>();
  /** Invocations that lost a commit race (and decided again). */
  protected readonly lostRace = new WeakSet<object>();
  /** Tasks RunTask started after their deployment ended while it was `launching` (see `watchedLaunch`). */
  readonly orphans = new Set<string>();

  /**
   * The running tasks but orphans. Besides those `watchedLaunch` saw started for a deployment ended already: a task whose
   * RunTask landed between the `stopTasksStartedBy` and the commit of the decision that ended its `launching`
   * deployment (a timeout check or a cancel preempted there; found by random runs, FC_SEED=1926283495), its launching
   * invocation dead before it handled the answer. Its deployment ended without recording it (no `taskArn`): it runs
   * until its first event reaches the watcher, which stops it; `drain` checks that none outlives its events.
   */
  protected notOrphaned(running: ModelTask[]): ModelTask[] {
    const all = this.world.store.all();
    for (const t of running) {
      const owner = all.find((d) => d.id === t.deploymentId);
      if (owner?.status === 'ended' && owner.taskArn === undefined) this.orphans.add(t.taskArn);
    }
    return running.filter((t) => !this.orphans.has(t.taskArn));
  }
  protected readonly controllerLog: Log = {
    info() {},
    error() {},
    warn: (message) => {
      if (!message.startsWith('conflicting write')) return;
      this.conflicts += 1;
      const inv = current.getStore();
      if (inv !== undefined) this.lostRace.add(inv);
    },
  };

  protected constructor() {
    super((run) => new Interleaving<Step>((inv, where) => (run as InterleavedRun<Step>).interrupted(inv, where)));
  }

  /** A step; `preempted` is the raw event of the invocation a nested step interrupts (for a duplicate delivery). */
  abstract override apply(step: Step, preempted?: Record<string, unknown>): Promise<void>;

  /** One Lambda invocation of `raw`, failing as `faults` says and preempted as `preempt` says. */
  async invoke(raw: Record<string, unknown>, faults: Fault[], preempt?: Preempt<Step>): Promise<void> {
    const label = `${'  '.repeat(this.depth)}${String(raw.id)}`;
    const inv: Invocation<Step> = invocation(raw, label, faults, preempt);
    if (preempt !== undefined) this.planned += 1;
    const steps = await this.handled(raw, label, () => current.run(inv, () => this.controller.handle(raw)));
    if (steps === undefined) this.died.add(inv);
    else this.decided(steps);
  }

  /** The steps both interleaved property tests take alike: a task starts or stops; an event is delivered, again, or retried. */
  protected async taskStep(c: TaskStep, preempt: Preempt<Step> | undefined): Promise<void> {
    switch (c.type) {
      case 'start':
        return this.startTask(c.pick);
      case 'stop':
        return this.stopTask(c.pick, c.exitCode);
      case 'deliver': {
        const index = this.toDeliver(c.pick, c.latest, c.keep);
        return index === undefined ? undefined : this.invoke(this.event(index, c.strip), c.faults, preempt);
      }
      case 'redeliver': {
        const index = this.toRedeliver(c.pick);
        return index === undefined ? undefined : this.invoke(this.event(index, c.strip), c.faults, preempt);
      }
      case 'retry': {
        const raw = this.toRetry(c.pick);
        return raw === undefined ? undefined : this.invoke(raw, c.faults, preempt);
      }
    }
  }

  /** Liveness, once the run settled: the clock past any lock's expiry, the environment launches at once. */
  abstract checkLive(): Promise<void>;

  /** Runs `steps` as one property run: every invariant after each step, at the end, and liveness after the end. */
  async runLive(steps: Step[]): Promise<this> {
    await this.runThrough(steps);
    await this.checkLive();
    return this;
  }

  /** `raw`, handled once every lock expired, launches (else `problem`); then the run settles rightly again. */
  protected async launchesAtOnce(raw: Record<string, unknown>, problem: string): Promise<void> {
    const steps = await this.controller.handle(raw);
    this.log.push(`${String(raw.id)} (after the lock expiry): ${decisions(steps)}`);
    if (steps[0]?.decision.decision !== 'launch') this.fail([problem]);
    this.collect();
    await this.drain();
    this.checkEnd();
  }

  /** What an invocation decided (for a test's statistics). */
  protected decided(_steps: StepRecord[]): void {}

  /** Invocation `inv` is preempted: its `meanwhile` steps run to completion, then it goes on. */
  private async interrupted(inv: Invocation<Step>, where: string): Promise<void> {
    this.preemptions += 1;
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

  /**
   * The model's RunTask, noting what it did even when the invocation dies right after it: a task started for a
   * deployment already ended (an orphan), a refusal of its clientToken (ConflictException, to `refused`).
   */
  protected watchedLaunch(refused: (clientToken: string, request: LaunchRequest) => void): Ecs['launch'] {
    const { world } = this;
    return async (request) => {
      const tasks = world.ecs.tasks.length;
      const refusals = world.ecs.conflicts.length;
      try {
        return await world.ports.ecs.launch(request);
      } finally {
        const owner = world.store.all().find((d) => d.id === deploymentIdFromStartedBy(request.startedBy));
        for (const t of world.ecs.tasks.slice(tasks))
          if (owner?.status === 'ended' && owner.taskArn === undefined) this.orphans.add(t.taskArn);
        for (const clientToken of world.ecs.conflicts.slice(refusals)) refused(clientToken, request);
      }
    };
  }
}
