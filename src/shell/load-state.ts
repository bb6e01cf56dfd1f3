import { lastLines } from '../adapters/last-lines.js';
import type { OutboxRef } from '../core/actions.js';
import { tailToRedact } from '../core/bounds.js';
import type { Config } from '../core/config.js';
import { definedFields } from '../core/defined-fields.js';
import { deploymentIdOfTrigger, type PendingEvent, type Running } from '../core/deployment.js';
import { published } from '../core/evolve.js';
import type { ContainerState, Input, TaskSnapshot } from '../core/inputs.js';
import { containersToDescribe, type LoadPlan, logTailToRead, pushToDate, readsService, taskToCheck } from '../core/load-plan.js';
import type { Redactor } from '../core/redact.js';
import { type ControllerState, emptyEnvironment, rolloutOwners } from '../core/state.js';
import { ImageNotFoundError, isServiceProblem, PermanentAwsError } from '../errors.js';
import type { Ports } from '../ports.js';
import { publishOutbox } from './execute.js';
import type { Log } from './logger.js';
import { dateRequestedRevision, resolveRequestImage } from './resolve-image.js';

export const LOG_TAIL = { lines: 50, bytes: 8 * 1024 };
/** The tail is read this many times larger than it is kept, then redacted, then cut to LOG_TAIL. */
const REDACT_MARGIN = 8;
/**
 * A line is cut to its last this many characters before it is redacted, which bounds the redactor's work on one line
 * (REDACT_PATTERNS included). Twice what is kept. The cut leaves out what it splits (`tailToRedact`: the word it cuts,
 * and the value of a key it cuts), so the redactor never sees a secret's value without its key.
 */
export const REDACT_LINE_CHARS = LOG_TAIL.bytes * 2;

/**
 * Reads what the core's load plan names: the environment record with the input's deployment, the active and
 * queued ones, and the service when asked. Events an earlier invocation committed but did not publish are
 * published first (the outbox), so nothing a committed state implies is lost.
 */
export async function loadState(plan: LoadPlan, ports: Ports, config: Config, log: Log, now: Date): Promise<ControllerState> {
  if (plan.nothing === true) return { env: emptyEnvironment(config.ENVIRONMENT), deployments: {} };
  const own = plan.deploymentId;
  const { env, deployments } = await ports.store.loadEnvironmentWith(config.ENVIRONMENT, own !== undefined ? [own] : []);
  const operated = plan.lastOperated === true ? [env.lastCancel?.deploymentId, env.lastUnlock?.deploymentId] : [];
  const last = plan.lastSucceeded === true ? [env.lastSucceeded?.deploymentId] : [];
  const rollout = plan.rollout !== undefined ? rolloutOwners(env, plan.rollout) : [];
  const others = [env.active?.deploymentId, env.queued, ...operated, ...last, ...rollout].filter(
    (id): id is string => id !== undefined && id !== own,
  );
  if (others.length > 0) Object.assign(deployments, await ports.store.loadDeployments([...new Set(others)]));
  // A launch handed over by a deployment that was itself handed the environment (`resumeHandover`): read that one too.
  const active = env.active !== undefined ? deployments[env.active.deploymentId] : undefined;
  const between = active?.status === 'launching' ? active.handedOverBy : undefined;
  if (between !== undefined && deployments[between] === undefined) Object.assign(deployments, await ports.store.loadDeployments([between]));
  let state: ControllerState = { env, deployments };
  const outboxes: { ref: OutboxRef; events: PendingEvent[] }[] = [
    ...(env.outbox !== undefined
      ? [{ ref: { record: 'environment' as const, environment: env.environment, version: env.version }, events: env.outbox }]
      : []),
    ...Object.values(deployments).flatMap((d) =>
      d.outbox !== undefined
        ? [{ ref: { record: 'deployment' as const, deploymentId: d.id, revision: d.revision }, events: d.outbox }]
        : [],
    ),
  ];
  for (const { ref, events } of outboxes) {
    log.warn('publishing events an earlier invocation committed but did not publish', {
      ...(ref.record === 'deployment' ? { deploymentId: ref.deploymentId } : { environment: ref.environment }),
      events: events.map((e) => e.detailType),
    });
    await publishOutbox(ports, ref, events);
    state = published(state, ref);
  }
  if (plan.serviceDeployment !== undefined) {
    const deployment = await ports.ecs.describeServiceDeployment(plan.serviceDeployment);
    const revisionArn = deployment?.targetServiceRevisionArn;
    const revision = revisionArn !== undefined ? await ports.ecs.describeServiceRevision(revisionArn) : undefined;
    if (deployment !== undefined) state.hook = { deployment, ...(revision !== undefined ? { revision } : {}) };
  }
  const open = openDeployment(plan, state, now);
  if (open !== undefined) {
    const task = await describeTaskOf(ports, { cluster: config.CLUSTER, taskArn: open.taskArn }, log, open.id);
    if (task !== undefined) {
      const containers = task.containers.map(({ name, exitCode }) => (exitCode !== undefined ? { name, exitCode } : { name }));
      const { startedAt, stopCode, stoppedReason } = task;
      state.task = definedFields({ taskArn: open.taskArn, startedAt, stopCode, stoppedReason, containers });
    }
  }
  // A launch that waits for a task its hand-over stopped, now due: whatever the input, it launches only once ECS says
  // that task stopped (`launchWaiting`).
  const waiting = env.active !== undefined ? state.deployments[env.active.deploymentId] : undefined;
  if (waiting?.status === 'launching' && waiting.waitsFor !== undefined && waiting.retryAt !== undefined) {
    // Due, or the input is about that launch (its check may come before the `retryAt` a retried decision committed).
    const due = Date.parse(waiting.retryAt) <= now.getTime() || plan.deploymentId === waiting.id;
    if (due) state = await withWaitedTask(state, ports, config.CLUSTER, waiting.waitsFor, log);
  }
  if (plan.service === undefined || !readsService(plan, state)) return state;
  const { image } = plan.service;
  const launching = plan.deploymentId !== undefined && state.deployments[plan.deploymentId]?.status === 'launching';
  try {
    state.service = await ports.ecs.describeService({ image: image === 'if-launching' ? launching : image });
  } catch (error) {
    if (!isServiceProblem(error)) throw error;
    state.serviceProblem = error.message;
  }
  return state;
}

/** The running deployment whose task `plan.openTask` asks for, if any. */
function openDeployment(plan: LoadPlan, state: ControllerState, now: Date): Running | undefined {
  if (plan.openTask === undefined) return undefined;
  const active = state.env.active;
  if (plan.openTask === 'expired-lock' && (active === undefined || Date.parse(active.lockExpiresAt) > now.getTime())) return undefined;
  const id = plan.openTask === 'named' ? (plan.deploymentId ?? active?.deploymentId) : active?.deploymentId;
  const d = id !== undefined ? state.deployments[id] : undefined;
  return d?.status === 'running' ? d : undefined;
}

/**
 * Adds to an input what the event itself lacks, from AWS, before the decision: one per function (`enrichLaunchInput`,
 * `enrichWatchInput`); `redact` is the controller's configured redactor (REDACT_PATTERNS).
 */
export type Enrich = (input: Input, state: ControllerState, ports: Ports, config: Config, log: Log, redact: Redactor) => Promise<Input>;

/** Any function's input (local mode, tests): each function's step leaves the other's inputs as they are. */
export const enrich: Enrich = async (input, state, ports, config, log, redact) =>
  enrichWatchInput(await enrichLaunchInput(input, state, ports, config, log, redact), state, ports, config, log, redact);

/**
 * The launcher's inputs: a request's image tag resolved to its digest and push time, and the image a requested task
 * definition runs dated (`dateRequestedRevision`); a pushed image's push time.
 */
export const enrichLaunchInput: Enrich = async (input, state, ports, config, log) => {
  if (input.kind === 'deploy-request' || input.kind === 'run-command') {
    // A retried delivery finds its deployment, which recorded what it runs: resumed (or dropped) as it is, even once
    // its tag is gone from the registry.
    if (state.deployments[deploymentIdOfTrigger(input.trigger, config.ENVIRONMENT)] !== undefined) return input;
    if (input.kind === 'deploy-request' && input.work.type === 'task-definition')
      return dateRequestedRevision(input, state.service?.taskDefinitionArn, ports, config, log);
    return resolveRequestImage(input, ports.registry, config);
  }
  const push = pushToDate(input, state, config);
  if (push === undefined || input.kind !== 'ecr-image-action') return input;
  try {
    const { pushedAt } = await ports.registry.describeImage(push.repository, { digest: push.digest });
    return pushedAt !== undefined ? { ...input, pushedAt } : input;
  } catch (error) {
    // Deleted since it was pushed: dated by its event, as before (its task will not find it). Anything else, as thrown.
    if (!(error instanceof ImageNotFoundError)) throw error;
    log.warn('the pushed image is no longer in the registry: dated by its push event', { digest: push.digest, reason: error.message });
    return input;
  }
};

/**
 * The watcher's inputs: the migration container's exit code from DescribeTasks, and the log tail of a failure. ECS's
 * free text (a task's stopped reason, its containers' reasons, a rollout's reason) can echo a command line or a
 * connection string: redacted here like the tail, before it reaches the decision, the record or an event.
 */
export const enrichWatchInput: Enrich = async (input, state, ports, config, log, redact) => {
  let enriched = redactEcsText(input, redact);
  const describe = containersToDescribe(input, state, config);
  if (describe !== undefined && enriched.kind === 'task-state') {
    const described = await describeTaskOf(ports, describe, log, describe.deploymentId);
    if (described !== undefined) enriched = redactEcsText({ ...enriched, containers: described.containers }, redact);
  }
  const check = taskToCheck(enriched, state, config);
  if (check !== undefined && enriched.kind === 'timeout-check') {
    const task = await describeTaskOf(ports, check, log, enriched.deploymentId);
    if (task !== undefined) enriched = redactEcsText({ ...enriched, task }, redact);
  }
  const read = logTailToRead(enriched, state, config);
  if (read === undefined || (enriched.kind !== 'task-state' && enriched.kind !== 'timeout-check')) return enriched;
  const { deploymentId, ...ref } = read;
  return { ...enriched, logTail: await tail(ports, { ...ref, container: config.CONTAINER }, log, redact, deploymentId) };
};

/**
 * The task a launch waits for, as ECS describes it: `MISSING` when ECS no longer has it (stopped long ago); `UNKNOWN`
 * when it cannot be read, so the launch waits on rather than start a second migration beside it.
 */
async function withWaitedTask(
  state: ControllerState,
  ports: Ports,
  cluster: string,
  { taskArn, deploymentId }: { taskArn: string; deploymentId: string },
  log: Log,
): Promise<ControllerState> {
  const task = await readTask(ports, { cluster, taskArn }, log, deploymentId, 'the launch waiting for it waits on');
  const lastStatus = task === 'refused' ? 'UNKNOWN' : (task?.lastStatus ?? 'MISSING');
  return { ...state, waitedTask: { taskArn, lastStatus } };
}

/**
 * A deployment's task: for a STOPPED event without the migration's exit code, its timeout check, or a decision that
 * would end it otherwise. A refusal (DescribeTasks denied) must not keep the input failing: it is decided without it
 * (no exit code: halted; a timeout, a cancel as before); a failure that can pass is thrown, so the input is retried.
 */
async function describeTaskOf(
  ports: Ports,
  ref: { cluster: string; taskArn: string },
  log: Log,
  deploymentId: string,
): Promise<TaskSnapshot | undefined> {
  const task = await readTask(ports, ref, log, deploymentId, 'decided as if it still ran');
  return task === 'refused' ? undefined : task;
}

/** DescribeTasks of one task; `refused` (logged, saying what is done `instead`) when the role may not read it. */
async function readTask(
  ports: Ports,
  { cluster, taskArn }: { cluster: string; taskArn: string },
  log: Log,
  deploymentId: string,
  instead: string,
): Promise<TaskSnapshot | undefined | 'refused'> {
  try {
    return await ports.ecs.describeTask(cluster, taskArn);
  } catch (error) {
    if (!(error instanceof PermanentAwsError)) throw error;
    log.warn(`task unreadable: ${instead}`, { deploymentId, taskArn, error: error.message });
    return 'refused';
  }
}

/** ECS's free text redacted: a task's stopped reason and its containers' reasons (in an event or read for a check), a rollout's reason. */
function redactEcsText(input: Input, redact: Redactor): Input {
  if (input.kind === 'deployment-state') return input.reason !== undefined ? { ...input, reason: redact(input.reason) } : input;
  if (input.kind === 'timeout-check') return input.task !== undefined ? { ...input, task: redactTask(input.task, redact) } : input;
  return input.kind === 'task-state' ? redactTask(input, redact) : input;
}

function redactTask<T extends { stoppedReason?: string; containers: ContainerState[] }>(task: T, redact: Redactor): T {
  return {
    ...task,
    ...(task.stoppedReason !== undefined ? { stoppedReason: redact(task.stoppedReason) } : {}),
    containers: task.containers.map((c) => (c.reason !== undefined ? { ...c, reason: redact(c.reason) } : c)),
  };
}

/**
 * A missing or unreadable log must not block the decision: say so in the tail instead. The tail is redacted
 * here, before it reaches the decision, so no secret a migration printed is stored or emitted (redact.ts).
 */
async function tail(
  ports: Ports,
  ref: Parameters<Ports['logs']['tail']>[0],
  log: Log,
  redact: Redactor,
  deploymentId: string,
): Promise<string[]> {
  try {
    // Read more than is kept and redact before cutting, so a long line is never cut through a secret.
    const lines = await ports.logs.tail(ref, { lines: LOG_TAIL.lines, bytes: LOG_TAIL.bytes * REDACT_MARGIN });
    return keptTail(lines, redact);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.warn('log tail unavailable', { deploymentId, taskArn: ref.taskArn, error: redact(message) });
    return [redact(`(log tail unavailable: ${message})`)];
  }
}

/**
 * What is kept of the lines read: each redacted, then cut to LOG_TAIL. A line is redacted in a window of its last
 * REDACT_LINE_CHARS characters, so one hostile line of migration output cannot hold a decision up.
 */
export function keptTail(lines: readonly string[], redact: Redactor): string[] {
  return lastLines(
    lines.map((line) => redact(tailToRedact(line, REDACT_LINE_CHARS))),
    LOG_TAIL,
  );
}
