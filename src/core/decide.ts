import { assertNever, type Decision } from './actions.js';
import type { DecideContext } from './context.js';
import { decideCommonInput } from './decide-common.js';
import { decideLaunchInput } from './decide-launcher.js';
import { decideWatchInput } from './decide-watcher.js';
import type { Input } from './inputs.js';
import { route } from './route.js';
import type { ControllerState } from './state.js';

/**
 * The controller's whole judgement: an input and what is known now → a decision, its reason, and the
 * actions that carry it out, as plain data. Pure: the same arguments always give the same decision.
 * Every input is taken (local mode, `explain`); each Lambda function decides only its own (launcher.ts, watcher.ts).
 */
export function decide(input: Input, state: ControllerState, ctx: DecideContext): Decision {
  const routed = route(input);
  switch (routed.role) {
    case 'launch':
      return decideLaunchInput(routed.input, state, ctx);
    case 'watch':
      return decideWatchInput(routed.input, state, ctx);
    case undefined:
      return decideCommonInput(routed.input, state, ctx);
    default:
      return assertNever(routed);
  }
}
