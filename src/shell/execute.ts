import { type Action, assertNever, type OutboxRef } from '../core/actions.js';
import { boundDetail } from '../core/bounds.js';
import type { ServiceRollout, Waiter } from '../core/deployment.js';
import { evolve, published } from '../core/evolve.js';
import type { LaunchResultInput, RolloutResultInput } from '../core/inputs.js';
import type { ControllerState } from '../core/state.js';
import type { OutgoingEvent, Ports, ScheduledCheck } from '../ports.js';
import type { Log } from './logger.js';

/** What carrying out a decision produced: the state as the commits left it, and the results the core asked to hear. */
export interface Executed {
  state: ControllerState;
  feedback: (LaunchResultInput | RolloutResultInput)[];
}

/**
 * Carries out a decision's actions in order, one case per action. Consecutive events go out in one PutEvents call.
 */
export async function execute(actions: Action[], start: ControllerState, ports: Ports, log: Log): Promise<Executed> {
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
      case 'commit':
        await ports.store.commit(
          action.env !== undefined ? { env: action.env, deployments: action.deployments } : { deployments: action.deployments },
        );
        state = evolve(state, action);
        break;
      case 'publish':
        await publishOutbox(ports, action.outbox, action.events);
        state = published(state, action.outbox);
        break;
      case 'launchTask': {
        const outcome = await ports.ecs.launch(action.request);
        log.info(outcome.ok ? 'task launched' : 'task not launched', { deploymentId: action.deploymentId, ...outcome });
        feedback.push({ kind: 'launch-result', deploymentId: action.deploymentId, ...outcome });
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
          services: await continueRollout(action, ports),
          ...(action.completion !== undefined ? { completion: action.completion } : {}),
        });
        break;
      case 'haltRollout':
        if (action.target.mode === 'pause-hook') {
          const services = await answerWaiters(action.target.waiters, 'ROLLBACK', ports);
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
 * update-service: UpdateService of the first service to the migrated revision, then, with several services, every
 * container of REPOSITORY in the others moves to the migrated image. pause-hook: CONTINUE to each waiter.
 */
async function continueRollout(action: Extract<Action, { type: 'continueRollout' }>, ports: Ports): Promise<ServiceRollout[]> {
  const { target } = action;
  if (target.mode === 'pause-hook') return answerWaiters(target.waiters, 'CONTINUE', ports);
  const updated = await ports.ecs.updateService(target, action.taskDefinitionArn);
  const first: ServiceRollout = { service: target.service, result: 'continued', ...updated };
  const others = (target.services ?? []).filter((s) => s !== target.service);
  if (others.length === 0 || action.image === undefined) return [first];
  const results = await ports.ecs.rollOutImage({
    cluster: target.cluster,
    services: others,
    image: action.image,
    repository: repositoryOf(action.image),
    tags: { 'ecs-migrate:deployment': action.deploymentId },
  });
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

/** Answers every paused deployment; one whose hook has moved on (timed out, answered by a person) is recorded, not an error. */
async function answerWaiters(waiters: Waiter[], action: 'CONTINUE' | 'ROLLBACK', ports: Ports): Promise<ServiceRollout[]> {
  const results: ServiceRollout[] = [];
  for (const w of waiters) {
    const answered = await ports.ecs.answerHook({ serviceDeploymentArn: w.serviceDeploymentArn, hookId: w.hookId, action });
    // The `ecs-svc/…` id when ECS gave it: `ECS Deployment State Change` names that, not the service deployment ARN.
    const ecsDeploymentId = answered.ok && answered.ecsDeploymentId !== undefined ? answered.ecsDeploymentId : w.serviceDeploymentArn;
    const base = { service: w.service, ecsDeploymentId };
    results.push(
      answered.ok
        ? { ...base, result: action === 'CONTINUE' ? 'continued' : 'rolled-back' }
        : { ...base, result: 'moved-on', reason: answered.reason },
    );
  }
  return results;
}

/** `<registry>/<repository>@sha256:…` → `<repository>`. */
function repositoryOf(image: string): string {
  const path = image.split('@')[0] ?? image;
  return path.slice(path.indexOf('/') + 1);
}

/** The last guard before the store: no record over the DynamoDB item limit, every string well-formed (bounds.ts). */
