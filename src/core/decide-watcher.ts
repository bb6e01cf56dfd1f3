import { assertNever, type Decision } from './actions.js';
import type { DecideContext } from './context.js';
import { decideDeploymentState } from './decide-rollout.js';
import { decideTaskState, decideTimeoutCheck } from './decide-watch.js';
import type { WatchInput } from './inputs.js';
import type { ControllerState } from './state.js';

/** What only the watcher decides: our tasks' state changes, the scheduled checks, and how rollouts ended. */
export function decideWatchInput(input: WatchInput, state: ControllerState, ctx: DecideContext): Decision {
  switch (input.kind) {
    case 'task-state':
      return decideTaskState(input, state, ctx);
    case 'timeout-check':
      return decideTimeoutCheck(input, state, ctx);
    case 'deployment-state':
      return decideDeploymentState(input, state, ctx);
    default:
      return assertNever(input);
  }
}
