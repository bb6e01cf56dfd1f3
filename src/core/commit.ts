import type { Action } from './actions.js';
import { boundDetail, boundJson, LIMITS } from './bounds.js';
import type { Deployment } from './deployment.js';
import type { ControllerState, EnvironmentState } from './state.js';
import type { Transition } from './transitions.js';

/**
 * The state changes of a decision as actions: one conditional commit of the environment record and the
 * deployments (each with the events its transition implies in its outbox), then one `publish` per outbox.
 */
export function commitActions(state: ControllerState, env: EnvironmentState | undefined, changes: (Transition | Deployment)[]): Action[] {
  const written = changes.map((change) => {
    const { deployment, events } = 'deployment' in change ? change : { deployment: change, events: [] };
    const expectedRevision = state.deployments[deployment.id]?.revision ?? 0;
    const { outbox: _published, ...rest } = deployment;
    // Bounded here, so no event goes over EventBridge's 256 KB and no record over DynamoDB's 400 KB (bounds.ts).
    const outbox = events.map((e) => ({ ...e, detail: boundDetail(e.detail) }));
    const record: Deployment = boundJson(
      { ...rest, revision: expectedRevision + 1, ...(outbox.length > 0 ? { outbox } : {}) },
      LIMITS.recordBytes,
    );
    return { deployment: record, expectedRevision };
  });
  const commit: Action =
    env === undefined
      ? { type: 'commit', deployments: written }
      : {
          type: 'commit',
          env: { state: { ...env, version: state.env.version + 1 }, expectedVersion: state.env.version },
          deployments: written,
        };
  const publish: Action[] = written.flatMap(({ deployment }) =>
    deployment.outbox === undefined
      ? []
      : [{ type: 'publish', deploymentId: deployment.id, revision: deployment.revision, events: deployment.outbox }],
  );
  return [commit, ...publish];
}
