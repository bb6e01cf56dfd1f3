import type { Action } from './actions.js';
import type { ControllerState } from './state.js';

/** The state as it is after a successful commit, so feedback decisions need no reload. */
export function evolve(state: ControllerState, commit: Extract<Action, { type: 'commit' }>): ControllerState {
  const deployments = { ...state.deployments };
  for (const { deployment } of commit.deployments) deployments[deployment.id] = deployment;
  return { ...state, deployments, env: commit.env?.state ?? state.env };
}

/** The state once a deployment's outbox is published and cleared. */
export function published(state: ControllerState, deploymentId: string, revision: number): ControllerState {
  const d = state.deployments[deploymentId];
  if (d === undefined || d.revision !== revision || d.outbox === undefined) return state;
  const { outbox: _done, ...rest } = d;
  return { ...state, deployments: { ...state.deployments, [deploymentId]: rest } };
}
