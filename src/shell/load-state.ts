import type { Config } from '../core/config.js';
import { published } from '../core/evolve.js';
import type { Input } from '../core/inputs.js';
import { containersToDescribe, type LoadPlan, logTailToRead } from '../core/load-plan.js';
import type { ControllerState } from '../core/state.js';
import { isServiceProblem } from '../errors.js';
import type { Ports } from '../ports.js';
import { publishOutbox } from './execute.js';
import type { Log } from './logger.js';

export const LOG_TAIL = { lines: 50, bytes: 8 * 1024 };

/**
 * Reads what the core's load plan names: the environment record with the input's deployment, the active and
 * queued ones, and the service when asked. Events an earlier invocation committed but did not publish are
 * published first (the outbox), so nothing a committed state implies is lost.
 */
export async function loadState(plan: LoadPlan, ports: Ports, config: Config, log: Log): Promise<ControllerState> {
  const own = plan.deploymentId;
  const { env, deployments } = await ports.store.loadEnvironmentWith(config.ENVIRONMENT, own !== undefined ? [own] : []);
  const operated = plan.lastOperated === true ? [env.lastCancel?.deploymentId, env.lastUnlock?.deploymentId] : [];
  const others = [env.active?.deploymentId, env.queued, ...operated].filter((id): id is string => id !== undefined && id !== own);
  if (others.length > 0) Object.assign(deployments, await ports.store.loadDeployments([...new Set(others)]));
  let state: ControllerState = { env, deployments };
  for (const d of Object.values(deployments)) {
    if (d.outbox === undefined) continue;
    log.warn('publishing events an earlier invocation committed but did not publish', {
      deploymentId: d.id,
      events: d.outbox.map((e) => e.detailType),
    });
    await publishOutbox(ports, d.id, d.revision, d.outbox);
    state = published(state, d.id, d.revision);
  }
  if (plan.service === undefined) return state;
  try {
    state.service = await ports.ecs.describeService(plan.service);
  } catch (error) {
    if (!isServiceProblem(error)) throw error;
    state.serviceProblem = error.message;
  }
  return state;
}

/** Adds what the event itself lacks: the migration container's exit code from DescribeTasks, and the log tail of a failure. */
export async function enrich(input: Input, state: ControllerState, ports: Ports, config: Config, log: Log): Promise<Input> {
  let enriched = input;
  const describe = containersToDescribe(input, state, config);
  if (describe !== undefined && enriched.kind === 'task-state') {
    const described = await ports.ecs.describeContainers(describe.cluster, describe.taskArn);
    if (described !== undefined) enriched = { ...enriched, containers: described };
  }
  const ref = logTailToRead(enriched, state, config);
  if (ref === undefined || (enriched.kind !== 'task-state' && enriched.kind !== 'timeout-check')) return enriched;
  return { ...enriched, logTail: await tail(ports, { ...ref, container: config.CONTAINER }, log) };
}

/** A missing or unreadable log must not block the decision: say so in the tail instead. */
async function tail(ports: Ports, ref: Parameters<Ports['logs']['tail']>[0], log: Log): Promise<string[]> {
  try {
    return await ports.logs.tail(ref, LOG_TAIL);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.warn('log tail unavailable', { taskArn: ref.taskArn, error: message });
    return [`(log tail unavailable: ${message})`];
  }
}
