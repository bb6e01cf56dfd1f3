import { type Action, assertNever, type OutboxRef, type ServiceUpdateTarget } from '../core/actions.js';
import { boundDetail, clip, LIMITS } from '../core/bounds.js';
import { outboxEvents, withoutOutbox } from '../core/commit.js';
import type { PendingEvent, ServiceRollout, Waiter } from '../core/deployment.js';
import { evolve, outboxAt, published } from '../core/evolve.js';
import type { LaunchResultInput, RolloutResultInput } from '../core/inputs.js';
import type { ControllerState } from '../core/state.js';
import { PermanentAwsError } from '../errors.js';
import type { OutgoingEvent, Ports, ScheduledCheck } from '../ports.js';
import type { Log } from './logger.js';

/** What carrying out a decision produced: the state as the commits left it, and the results the core asked to hear. */
export interface Executed {
  state: ControllerState;
  feedback: (LaunchResultInput | RolloutResultInput)[];
}

/**
 * What this invocation did already that a decision taken again after a lost race must not do twice: the events it
 * reported before their commit (`commit.reportFirst`), by type and deployment, and the paused deployments it answered,
 * by hook and answer (a second answer would be refused: the adapter would then read the hook to find it taken, one
 * request more).
 */
export interface DoneBefore {
  reported: Set<string>;
  answers: Map<string, ServiceRollout>;
}

export function nothingDone(): DoneBefore {
  return { reported: new Set(), answers: new Map() };
}

/** Carries out a decision's actions in order, one case per action. Consecutive events go out in one PutEvents call. */
export async function execute(
  actions: Action[],
  start: ControllerState,
  ports: Ports,
  log: Log,
  done: DoneBefore = nothingDone(),
): Promise<Executed> {
  const { reported } = done;
  let state = start;
  const feedback: Executed['feedback'] = [];
  let events: OutgoingEvent[] = [];
  const flush = async () => {
    if (events.length === 0) return;
    const batch = events;
    events = [];
    await ports.bus.put(batch);
  };

  for (const action of actions) {
    if (action.type !== 'putEvent') await flush();
    switch (action.type) {
      case 'commit': {
        const written =
          action.reportFirst === true && (await report(outboxEvents(action), reported, ports, log)) ? withoutOutbox(action) : action;
        await ports.store.commit(
          written.env !== undefined ? { env: written.env, deployments: written.deployments } : { deployments: written.deployments },
        );
        state = evolve(state, written);
        break;
      }
      case 'publish': {
        // What the commit stored: nothing when its events were reported before it, only its `unreported` ones then.
        const stored = outboxAt(state, action.outbox);
        if (stored === undefined) break;
        await publishOutbox(ports, action.outbox, stored);
        state = published(state, action.outbox);
        break;
      }
      case 'launchTask': {
        const outcome = await ports.ecs.launch(action.request);
        log.info(outcome.ok ? 'task launched' : 'task not launched', { deploymentId: action.deploymentId, ...outcome });
        feedback.push({ kind: 'launch-result', deploymentId: action.deploymentId, clientToken: action.request.clientToken, ...outcome });
        break;
      }
      case 'stopTask':
        await ports.ecs.stopTask(action.cluster, action.taskArn, action.reason);
        break;
      case 'stopTasksStartedBy':
        await ports.ecs.stopTasksStartedBy(action.cluster, action.startedBy, action.reason);
        break;
      case 'continueRollout':
        feedback.push({
          kind: 'rollout-result',
          deploymentId: action.deploymentId,
          services: await continueRollout(action, ports, done.answers),
          ...(action.completion !== undefined ? { completion: action.completion } : {}),
        });
        break;
      case 'haltRollout':
        if (action.target.mode === 'pause-hook') {
          const services = await answerWaiters(action.target.waiters, 'ROLLBACK', ports, done.answers);
          feedback.push({ kind: 'rollout-result', deploymentId: action.deploymentId, services });
        } else {
          // update-service mode: halting means leaving the services alone.
          log.info('rollout halted: service left on its current revision', {
            deploymentId: action.deploymentId,
            service: action.target.service,
            reason: action.reason,
          });
        }
        break;
      case 'scheduleTimeout':
        await ports.scheduler.scheduleTimeout(action.deploymentId, action.environment, action.at, checkOf(action));
        break;
      case 'putEvent':
        events.push({ detailType: action.detailType, detail: boundDetail(action.detail) });
        break;
      default:
        assertNever(action);
    }
  }
  await flush();
  return { state, feedback };
}

/**
 * Publishes events that report what AWS already did, before the commit that records them. True when they are out
 * (or were already, earlier in this invocation); false when publishing failed: the commit then stores them in its
 * outbox and the `publish` after it tries again, so a failure here loses nothing.
 */
async function report(events: PendingEvent[], reported: Set<string>, ports: Ports, log: Log): Promise<boolean> {
  const key = (e: PendingEvent) => `${e.detailType}\u0000${String(e.detail.deploymentId)}`;
  const fresh = events.filter((e) => !reported.has(key(e)));
  if (fresh.length > 0) {
    try {
      await ports.bus.put(fresh);
    } catch (error) {
      log.warn('events not published before their commit: stored with it and published after it', {
        deploymentId: fresh[0]?.detail.deploymentId,
        events: fresh.map((e) => e.detailType),
        error: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
  }
  for (const e of fresh) reported.add(key(e));
  return true;
}

/** The check a schedule action asks for, when it is not the first attempt's timeout. */
function checkOf(action: Extract<Action, { type: 'scheduleTimeout' }>): ScheduledCheck | undefined {
  if (action.attempt === undefined && action.purpose === undefined) return undefined;
  return { attempt: action.attempt ?? 1, purpose: action.purpose ?? 'timeout' };
}

/** Publishes an outbox, then clears it. A failure to clear only means the events may be published once more. */
export async function publishOutbox(ports: Ports, ref: OutboxRef, events: OutgoingEvent[]): Promise<void> {
  await ports.bus.put(events);
  await ports.store.clearOutbox(ref);
}

/**
 * update-service: UpdateService of the first service to the migrated revision (unless the core found it there
 * already, or on a newer one: `firstService`), then, with several services, every container of REPOSITORY in the
 * others moves to the migrated image: the deployment's own, or, for a task definition run as it is, the one its
 * migration container runs (read by the adapter; each service it cannot move is reported `failed`, saying why).
 * pause-hook: CONTINUE to each waiter.
 */
async function continueRollout(
  action: Extract<Action, { type: 'continueRollout' }>,
  ports: Ports,
  answers: DoneBefore['answers'],
): Promise<ServiceRollout[]> {
  const { target } = action;
  if (target.mode === 'pause-hook') return answerWaiters(target.waiters, 'CONTINUE', ports, answers);
  const first: ServiceRollout = action.firstService ?? (await updateFirst(target, action.taskDefinitionArn, ports));
  const others = (target.services ?? []).filter((s) => s !== target.service);
  if (others.length === 0) return [first];
  const scope = { cluster: target.cluster, services: others, tags: { 'ecs-migrate:deployment': action.deploymentId } };
  const results = await ports.ecs.rollOutImage(
    action.image !== undefined
      ? { ...scope, image: action.image, repository: repositoryOf(action.image) }
      : { ...scope, imageOf: action.taskDefinitionArn },
  );
  return [
    first,
    ...results.map(
      (r): ServiceRollout =>
        r.ok
          ? {
              service: r.service,
              result: r.unchanged ? 'unchanged' : 'continued',
              ...(r.ecsDeploymentId !== undefined ? { ecsDeploymentId: r.ecsDeploymentId } : {}),
            }
          : { service: r.service, result: 'failed', reason: r.reason },
    ),
  ];
}

/**
 * UpdateService of the first gated service. A refusal that trying again will not change (the service is not active,
 * the role may not pass the task definition's roles) is what the update did, recorded `failed` with its reason and
 * announced with `Rollout Failed`, as for the other services; a transient error is thrown, so the event is retried.
 */
async function updateFirst(target: ServiceUpdateTarget, taskDefinitionArn: string, ports: Ports): Promise<ServiceRollout> {
  try {
    return { service: target.service, result: 'continued', ...(await ports.ecs.updateService(target, taskDefinitionArn)) };
  } catch (error) {
    if (!(error instanceof PermanentAwsError)) throw error;
    return { service: target.service, result: 'failed', reason: clip(error.message, LIMITS.textChars) };
  }
}

/**
 * Answers every paused deployment; one whose hook has moved on (timed out, answered by a person) is recorded, not an
 * error. So is an answer ECS refuses for good (an error the adapter does not map, access denied): `failed`, with how to
 * answer it by hand, announced with `Rollout Failed`; the other waiters are answered and the end is committed, so one
 * refused answer neither leaves them paused nor blocks the environment. A transient error is thrown (retried).
 */
async function answerWaiters(
  waiters: Waiter[],
  action: 'CONTINUE' | 'ROLLBACK',
  ports: Ports,
  answers: DoneBefore['answers'],
): Promise<ServiceRollout[]> {
  const results: ServiceRollout[] = [];
  for (const w of waiters) {
    // Answered by this invocation already, before a lost race: that result, not a second answer ECS would refuse.
    const key = `${w.hookId} ${action}`;
    const result = answers.get(key) ?? (await answerOne(w, action, ports));
    answers.set(key, result);
    results.push(result);
  }
  return results;
}

async function answerOne(w: Waiter, action: 'CONTINUE' | 'ROLLBACK', ports: Ports): Promise<ServiceRollout> {
  let answered: Awaited<ReturnType<Ports['ecs']['answerHook']>>;
  try {
    answered = await ports.ecs.answerHook({ serviceDeploymentArn: w.serviceDeploymentArn, hookId: w.hookId, action });
  } catch (error) {
    if (!(error instanceof PermanentAwsError)) throw error;
    return { service: w.service, ecsDeploymentId: w.serviceDeploymentArn, result: 'failed', reason: clip(error.message, LIMITS.textChars) };
  }
  // The `ecs-svc/…` id when ECS gave it: `ECS Deployment State Change` names that, not the service deployment ARN.
  const ecsDeploymentId = answered.ok && answered.ecsDeploymentId !== undefined ? answered.ecsDeploymentId : w.serviceDeploymentArn;
  const base = {
    service: w.service,
    ecsDeploymentId,
    ...(ecsDeploymentId !== w.serviceDeploymentArn ? { serviceDeploymentArn: w.serviceDeploymentArn } : {}),
  };
  return answered.ok
    ? { ...base, result: action === 'CONTINUE' ? 'continued' : 'rolled-back' }
    : { ...base, result: 'moved-on', reason: answered.reason };
}

/** `<registry>/<repository>@sha256:…` → `<repository>`. */
function repositoryOf(image: string): string {
  const path = image.split('@')[0] ?? image;
  return path.slice(path.indexOf('/') + 1);
}

/** The last guard before the store: no record over the DynamoDB item limit, every string well-formed (bounds.ts). */
