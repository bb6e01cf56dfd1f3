import type { Config } from '../core/config.js';
import { isFinal } from '../core/deployment.js';
import type { Input } from '../core/inputs.js';
import { redactor } from '../core/redact.js';
import { deploymentIdOf, needsService } from '../core/refs.js';
import type { ControllerState } from '../core/state.js';
import { ServiceNotFoundError } from '../errors.js';
import type { Ports } from '../ports.js';
import { lastLines } from './last-lines.js';
import type { Log } from './logger.js';
import { resolveRequestImage } from './resolve-image.js';

export const LOG_TAIL = { lines: 50, bytes: 8 * 1024 };
/** The tail is read this many times larger than it is kept, then redacted, then cut to LOG_TAIL. */
const REDACT_MARGIN = 8;

/** Reads what `decide` needs for this input: the environment record, the deployments involved, the service. */
export async function loadState(input: Input, ports: Ports, config: Config): Promise<ControllerState> {
  // The input's own deployment comes with the environment record; the one holding the lock or queued, when it
  // is another, in a second read (most events concern the active deployment or find the environment idle).
  const own = deploymentIdOf(input, config);
  const { env, deployments } = await ports.store.loadEnvironmentWith(config.ENVIRONMENT, own !== undefined ? [own] : []);
  const others = [env.active?.deploymentId, env.queued].filter((id): id is string => id !== undefined && id !== own);
  if (others.length > 0) Object.assign(deployments, await ports.store.loadDeployments([...new Set(others)]));
  const state: ControllerState = { env, deployments };
  if (!needsService(input)) return state;
  try {
    // Only a request compares the service's image with the one asked for ("already deployed").
    state.service = await ports.ecs.describeService({ image: input.kind !== 'task-state' && input.kind !== 'timeout-check' });
  } catch (error) {
    if (!(error instanceof ServiceNotFoundError)) throw error;
    state.serviceProblem = error.message;
  }
  return state;
}

/**
 * Adds what the event itself lacks, for a task that has stopped (or timed out) in a known, open deployment:
 * the migration container's exit code from DescribeTasks when the event has none, and the log tail.
 */
export async function enrich(input: Input, state: ControllerState, ports: Ports, config: Config, log: Log): Promise<Input> {
  if (input.kind === 'deploy-request' || input.kind === 'run-command') return resolveRequestImage(input, ports.registry, config);
  const id = deploymentIdOf(input, config);
  const d = id !== undefined ? state.deployments[id] : undefined;
  if (d === undefined || isFinal(d.status)) return input;

  if (input.kind === 'task-state' && input.lastStatus === 'STOPPED') {
    let containers = input.containers;
    const mine = containers.find((c) => c.name === config.CONTAINER);
    if (mine !== undefined && mine.exitCode === undefined && input.stopCode !== 'TaskFailedToStart') {
      const described = await ports.ecs.describeContainers(input.clusterArn, input.taskArn);
      if (described !== undefined) containers = described;
    }
    const logTail = await tail(
      ports,
      { taskArn: input.taskArn, taskDefinitionArn: input.taskDefinitionArn, container: config.CONTAINER },
      log,
      d.id,
      config,
    );
    return { ...input, containers, logTail };
  }
  if (input.kind === 'timeout-check' && d.taskArn !== undefined && d.taskDefinitionArn !== undefined) {
    const logTail = await tail(
      ports,
      { taskArn: d.taskArn, taskDefinitionArn: d.taskDefinitionArn, container: config.CONTAINER },
      log,
      d.id,
      config,
    );
    return { ...input, logTail };
  }
  return input;
}

/**
 * A missing or unreadable log must not block the decision: say so in the tail instead. The tail is redacted
 * here, before it reaches the decision, so no secret a migration printed is stored or emitted (redact.ts).
 */
async function tail(
  ports: Ports,
  ref: Parameters<Ports['logs']['tail']>[0],
  log: Log,
  deploymentId: string,
  config: Config,
): Promise<string[]> {
  const redact = redactor(config.REDACT_PATTERNS);
  try {
    // Read more than is kept and redact before cutting, so a long line is never cut through a secret.
    const lines = await ports.logs.tail(ref, { lines: LOG_TAIL.lines, bytes: LOG_TAIL.bytes * REDACT_MARGIN });
    return lastLines(lines.map(redact), LOG_TAIL);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.warn('log tail unavailable', { deploymentId, taskArn: ref.taskArn, error: message });
    return [redact(`(log tail unavailable: ${message})`)];
  }
}
