import { assertNever, type Decision, reject } from './actions.js';
import type { DecideContext } from './context.js';
import { decideDeployRequest, decideEcrImageAction, decideRunCommand } from './decide-launch.js';
import { decideCancel, decideUnlock } from './decide-operator.js';
import { decideDeploymentState, decideHookState, decideRolloutResult } from './decide-rollout.js';
import { decideLaunchResult, decideTaskState, decideTimeoutCheck } from './decide-watch.js';
import type { Input } from './inputs.js';
import type { ControllerState } from './state.js';

/**
 * The controller's whole judgement: an input and what is known now → a decision, its reason, and the
 * actions that carry it out, as plain data. Pure: the same arguments always give the same decision.
 */
export function decide(input: Input, state: ControllerState, ctx: DecideContext): Decision {
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
    case 'task-state':
      return decideTaskState(input, state, ctx);
    case 'timeout-check':
      return decideTimeoutCheck(input, state, ctx);
    case 'launch-result':
      return decideLaunchResult(input, state, ctx);
    case 'invalid': {
      const { reason, eventId, source, detailType } = input;
      return reject(reason, { environment: ctx.config.ENVIRONMENT, reason, eventId, source, detailType });
    }
    case 'hook-state':
      return decideHookState(input, state, ctx);
    case 'deployment-state':
      return decideDeploymentState(input, state, ctx);
    case 'rollout-result':
      return decideRolloutResult(input, state, ctx);
    default:
      return assertNever(input);
  }
}
