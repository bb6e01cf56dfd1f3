import { type Decision, ignore } from './actions.js';
import type { DecideContext } from './context.js';
import { awaitingRetry, type Deployment, type Launching } from './deployment.js';
import { launchRequest } from './launch-request.js';
import type { ControllerState } from './state.js';

/**
 * Launches `d` again as it was committed, with the same RunTask `clientToken`: ECS answers with the task an earlier
 * invocation may have started (and a resumed launch finds the revision it registered), never a second one.
 */
export function resumeLaunch(d: Launching, state: ControllerState, ctx: DecideContext, reason: string): Decision {
  return {
    decision: 'launch',
    reason,
    deploymentId: d.id,
    actions: [{ type: 'launchTask', deploymentId: d.id, request: launchRequest(d, state.service, ctx, true) }],
  };
}

/**
 * A retried event of a deployment that has ended, whose end handed the environment to the queued deployment:
 * that launch may never have started (the invocation failed after its commit), so it is resumed with the same
 * RunTask `clientToken`. Without this the queued deployment would hold the environment until its lock expired.
 */
export function resumeHandover(state: ControllerState, ctx: DecideContext, endedId: string): Decision | undefined {
  const active = state.env.active;
  const next = active !== undefined ? state.deployments[active.deploymentId] : undefined;
  // One that waits for the task its hand-over stopped (`waitForStop`) launches by its scheduled check, not earlier.
  if (next?.status !== 'launching' || next.handedOverBy === undefined || awaitingRetry(next)) return undefined;
  if (next.handedOverBy === endedId)
    return resumeLaunch(next, state, ctx, `resuming the launch of ${next.id}, handed the environment by ${endedId} (retried delivery)`);
  // Handed on again in the same invocation: the launch it resumed ended at once (a kept task event judged), handing
  // the environment to the next one, and the invocation died before that launch. (The loader reads the one between.)
  const between = state.deployments[next.handedOverBy];
  if (between?.status !== 'ended' || between.handedOverBy !== endedId) return undefined;
  const why = `resuming the launch of ${next.id}, handed the environment by ${between.id}, itself handed it by ${endedId} (retried delivery)`;
  return resumeLaunch(next, state, ctx, why);
}

/**
 * A trigger whose deployment exists (a push, a request, a paused deployment's hook event): a retried launch resumes
 * (the clientToken keeps it to one task); a duplicate is dropped.
 */
export function revisit(existing: Deployment, state: ControllerState, ctx: DecideContext): Decision {
  if (existing.status === 'launching' && state.env.active?.deploymentId === existing.id && !awaitingRetry(existing)) {
    return resumeLaunch(existing, state, ctx, `resuming the launch of ${existing.id} (retried delivery)`);
  }
  return (
    resumeHandover(state, ctx, existing.id) ??
    ignore(
      `duplicate delivery: deployment ${existing.id} exists already (${existing.status === 'ended' ? existing.outcome : existing.status})`,
      existing.id,
    )
  );
}
