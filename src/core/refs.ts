import { assertNever } from './actions.js';
import type { Config } from './config.js';
import { deploymentIdFromStartedBy, deploymentIdOfTrigger } from './deployment.js';
import type { Input } from './inputs.js';

/** The deployment an input is about, so the shell can load it before deciding. */
export function deploymentIdOf(input: Input, config: Config): string | undefined {
  switch (input.kind) {
    case 'ecr-image-action':
    case 'deploy-request':
    case 'run-command':
      return deploymentIdOfTrigger(input.trigger, config.ENVIRONMENT);
    case 'task-state':
      return deploymentIdFromStartedBy(input.startedBy);
    case 'timeout-check':
    case 'launch-result':
      return input.deploymentId;
    case 'invalid':
    // Not known from the event: a pause-hook deployment is keyed by the target revision's image digest, and a
    // deployment state change names the service's ecs-svc/… deployment (decisions for both: issue 11).
    case 'hook-state':
    case 'deployment-state':
      return undefined;
    default:
      return assertNever(input);
  }
}

/** Whether deciding on this input needs the service read first. */
export function needsService(input: Input): boolean {
  switch (input.kind) {
    case 'ecr-image-action':
    case 'deploy-request':
    case 'run-command':
    case 'timeout-check':
      return true;
    case 'task-state':
      return input.lastStatus === 'STOPPED';
    case 'launch-result':
    case 'invalid':
    case 'hook-state':
    case 'deployment-state':
      return false;
    default:
      return assertNever(input);
  }
}
