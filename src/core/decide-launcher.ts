import { assertNever, type Decision } from './actions.js';
import type { DecideContext } from './context.js';
import { decideDeployRequest, decideEcrImageAction, decideRunCommand } from './decide-launch.js';
import { decideCancel, decideUnlock } from './decide-operator.js';
import { decideHookState } from './decide-rollout.js';
import type { LaunchInput } from './inputs.js';
import type { ControllerState } from './state.js';

/** What only the launcher decides: pushes, requests, operator requests and paused deployments. */
export function decideLaunchInput(input: LaunchInput, state: ControllerState, ctx: DecideContext): Decision {
  switch (input.kind) {
    case 'ecr-image-action':
      return decideEcrImageAction(input, state, ctx);
    case 'deploy-request':
      return decideDeployRequest(input, state, ctx);
    case 'run-command':
      return decideRunCommand(input, state, ctx);
    case 'cancel-request':
      return decideCancel(input, state, ctx);
    case 'unlock-request':
      return decideUnlock(input, state, ctx);
    case 'hook-state':
      return decideHookState(input, state, ctx);
    default:
      return assertNever(input);
  }
}
