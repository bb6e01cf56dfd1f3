import type { Decision } from './actions.js';
import type { DecideContext } from './context.js';
import { launchRequest } from './launch-request.js';
import type { ControllerState } from './state.js';

/**
 * A retried event of a deployment that has ended, whose end handed the environment to the queued deployment:
 * that launch may never have started (the invocation failed after its commit), so it is resumed with the same
 * RunTask `clientToken`. Without this the queued deployment would hold the environment until its lock expired.
 */
export function resumeHandover(state: ControllerState, ctx: DecideContext, endedId: string): Decision | undefined {
  const active = state.env.active;
  const next = active !== undefined ? state.deployments[active.deploymentId] : undefined;
  if (next?.status !== 'launching' || next.handedOverBy !== endedId) return undefined;
  return {
    decision: 'launch',
    reason: `resuming the launch of ${next.id}, handed the environment by ${endedId} (retried delivery)`,
    deploymentId: next.id,
    actions: [{ type: 'launchTask', deploymentId: next.id, request: launchRequest(next, state.service, ctx, true) }],
  };
}
