import type { Action, OutboxRef } from './actions.js';
import type { PendingEvent } from './deployment.js';
import type { ControllerState } from './state.js';

/** The state as it is after a successful commit, so feedback decisions need no reload. */
export function evolve(state: ControllerState, commit: Extract<Action, { type: 'commit' }>): ControllerState {
  const deployments = { ...state.deployments };
  for (const { deployment } of commit.deployments) deployments[deployment.id] = deployment;
  return { ...state, deployments, env: commit.env?.state ?? state.env };
}

/** The state once an outbox is published and cleared. */
export function published(state: ControllerState, ref: OutboxRef): ControllerState {
  if (outboxAt(state, ref) === undefined) return state;
  if (ref.record === 'environment') {
    const { outbox: _done, ...env } = state.env;
    return { ...state, env };
  }
  const d = state.deployments[ref.deploymentId];
  if (d === undefined) return state;
  const { outbox: _done, ...rest } = d;
  return { ...state, deployments: { ...state.deployments, [ref.deploymentId]: rest } };
}

/**
 * The events the record an outbox reference names still holds in that outbox, if it does (not when they were
 * reported before the commit).
 */
export function outboxAt(state: ControllerState, ref: OutboxRef): PendingEvent[] | undefined {
  if (ref.record === 'environment') return state.env.version === ref.version ? state.env.outbox : undefined;
  const d = state.deployments[ref.deploymentId];
  return d !== undefined && d.revision === ref.revision ? d.outbox : undefined;
}
