import { assertNever, type Decision, reject } from './actions.js';
import type { DecideContext } from './context.js';
import { decideRolloutResult } from './decide-rollout.js';
import { decideLaunchResult } from './decide-watch.js';
import type { CommonInput } from './inputs.js';
import { refuseMisrouted } from './route.js';
import type { ControllerState } from './state.js';

/** What either function decides: its own feedback (RunTask's answer, what a rollout did), invalid input, the other's events. */
export function decideCommonInput(input: CommonInput, state: ControllerState, ctx: DecideContext): Decision {
  switch (input.kind) {
    case 'launch-result':
      return decideLaunchResult(input, state, ctx);
    case 'rollout-result':
      return decideRolloutResult(input, state, ctx);
    case 'invalid': {
      const { reason, eventId, source, detailType } = input;
      return reject(reason, { environment: ctx.config.ENVIRONMENT, reason, eventId, source, detailType }, ctx.redact);
    }
    case 'misrouted':
      return refuseMisrouted(input.event, input.owner, input.receiver, ctx.config.ENVIRONMENT);
    default:
      return assertNever(input);
  }
}
