import type { ControllerState } from '../core/state.js';
import type { CommitRequest } from '../ports.js';

/** The state as it is after a successful commit, so feedback decisions need no reload. */
export function applyCommit(state: ControllerState, commit: CommitRequest): ControllerState {
  const deployments = { ...state.deployments };
  for (const { deployment } of commit.deployments) deployments[deployment.id] = deployment;
  return { ...state, deployments, env: commit.env?.state ?? state.env };
}
