import { type Action, assertNever } from '../core/actions.js';
import { evolve, published } from '../core/evolve.js';
import type { LaunchResultInput } from '../core/inputs.js';
import type { ControllerState } from '../core/state.js';
import type { OutgoingEvent, Ports, ScheduledCheck } from '../ports.js';
import type { Log } from './logger.js';

/** What carrying out a decision produced: the state as the commits left it, and the results the core asked to hear. */
export interface Executed {
  state: ControllerState;
  feedback: LaunchResultInput[];
}

/**
 * Carries out a decision's actions in order, one case per action. Consecutive events go out in one PutEvents call.
 */
export async function execute(actions: Action[], start: ControllerState, ports: Ports, log: Log): Promise<Executed> {
  let state = start;
  const feedback: LaunchResultInput[] = [];
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
        await publishOutbox(ports, action.deploymentId, action.revision, action.events);
        state = published(state, action.deploymentId, action.revision);
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
      case 'continueRollout':
        await ports.ecs.updateService(action.target, action.taskDefinitionArn);
        break;
      case 'haltRollout':
        // In update-service mode halting means leaving the service alone; the hook mode will answer ROLLBACK here.
        log.info('rollout halted: service left on its current revision', {
          deploymentId: action.deploymentId,
          service: action.target.service,
          reason: action.reason,
        });
        break;
      case 'scheduleTimeout':
        await ports.scheduler.scheduleTimeout(action.deploymentId, action.environment, action.at, checkOf(action));
        break;
      case 'putEvent':
        events.push({ detailType: action.detailType, detail: action.detail });
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
export async function publishOutbox(ports: Ports, deploymentId: string, revision: number, events: OutgoingEvent[]): Promise<void> {
  await ports.bus.put(events);
  await ports.store.clearOutbox(deploymentId, revision);
}
