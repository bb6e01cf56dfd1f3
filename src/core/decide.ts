import { assertNever, type Decision } from './actions.js';
import type { DecideContext } from './context.js';
import { decideDeployRequest, decideEcrImageAction, decideRunCommand } from './decide-launch.js';
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
    case 'task-state':
      return decideTaskState(input, state, ctx);
    case 'timeout-check':
      return decideTimeoutCheck(input, state, ctx);
    case 'launch-result':
      return decideLaunchResult(input, state, ctx);
    case 'invalid': {
      const detail = {
        environment: ctx.config.ENVIRONMENT,
        reason: input.reason,
        eventId: input.eventId,
        source: input.source,
        detailType: input.detailType,
      };
      return { decision: 'reject', reason: input.reason, actions: [{ type: 'putEvent', detailType: 'Event Rejected', detail }] };
    }
    default:
      return assertNever(input);
  }
}
