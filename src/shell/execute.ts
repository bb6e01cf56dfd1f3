import { type Action, assertNever } from '../core/actions.js';
import { boundDetail, boundJson, LIMITS } from '../core/bounds.js';
import type { LaunchResultInput } from '../core/inputs.js';
import type { CommitRequest, OutgoingEvent, Ports } from '../ports.js';
import type { Log } from './logger.js';

export interface ExecuteHooks {
  /** Called after each successful commit, with the request as written. */
  onCommit(action: Extract<Action, { type: 'commit' }>): void;
}

/**
 * Carries out a decision's actions in order, one case per action. Consecutive events go out in one
 * PutEvents call. Returns the results the core asked to hear about (`launch-result`).
 */
export async function execute(actions: Action[], ports: Ports, log: Log, hooks: ExecuteHooks): Promise<LaunchResultInput[]> {
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
        await ports.store.commit(boundCommit(action));
        hooks.onCommit(action);
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
        await ports.scheduler.scheduleTimeout(action.deploymentId, action.environment, action.at);
        break;
      case 'cancelTimeout':
        await ports.scheduler.cancelTimeout(action.deploymentId);
        break;
      case 'putEvent':
        events.push({ detailType: action.detailType, detail: boundDetail(action.detail) });
        break;
      default:
        assertNever(action);
    }
  }
  await flush();
  return feedback;
}

/** The last guard before the store: no record over the DynamoDB item limit, every string well-formed (bounds.ts). */
function boundCommit(action: Extract<Action, { type: 'commit' }>): CommitRequest {
  const deployments = action.deployments.map((c) => ({ ...c, deployment: boundJson(c.deployment, LIMITS.recordBytes) }));
  return action.env !== undefined ? { env: action.env, deployments } : { deployments };
}
