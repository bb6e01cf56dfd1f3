import type { Action } from './actions.js';
import { boundDetail, boundJson, LIMITS } from './bounds.js';
import type { Deployment, PendingEvent } from './deployment.js';
import type { ControllerState, EnvironmentState } from './state.js';
import type { Transition } from './transitions.js';

/**
 * The state changes of a decision as actions: one conditional commit of the environment record and the
 * deployments, with the events the transitions imply stored in an outbox — the environment record's when the
 * commit writes it, else each deployment's own — then one `publish` per outbox.
 */
export function commitActions(state: ControllerState, env: EnvironmentState | undefined, changes: (Transition | Deployment)[]): Action[] {
  const onEnv = env !== undefined;
  const envEvents: PendingEvent[] = [];
  const written = changes.map((change) => {
    const { deployment, events } = 'deployment' in change ? change : { deployment: change, events: [] };
    const expectedRevision = state.deployments[deployment.id]?.revision ?? 0;
    const { outbox: _published, ...rest } = deployment;
    // Bounded here, so no event goes over EventBridge's 256 KB and no record over DynamoDB's 400 KB (bounds.ts).
    const outbox = events.map((e) => ({ ...e, detail: boundDetail(e.detail) }));
    if (onEnv) envEvents.push(...outbox);
    const keep = !onEnv && outbox.length > 0 ? { outbox } : {};
    const record: Deployment = boundJson({ ...rest, revision: expectedRevision + 1, ...keep }, LIMITS.recordBytes);
    return { deployment: record, expectedRevision };
  });
  if (env === undefined) {
    const publish: Action[] = written.flatMap(({ deployment }) =>
      deployment.outbox === undefined
        ? []
        : [
            {
              type: 'publish',
              outbox: { record: 'deployment', deploymentId: deployment.id, revision: deployment.revision },
              events: deployment.outbox,
            },
          ],
    );
    return [{ type: 'commit', deployments: written }, ...publish];
  }
  const { outbox: _old, ...envRest } = env;
  const version = state.env.version + 1;
  const next: EnvironmentState = { ...envRest, version, ...(envEvents.length > 0 ? { outbox: envEvents } : {}) };
  const commit: Action = { type: 'commit', env: { state: next, expectedVersion: state.env.version }, deployments: written };
  if (envEvents.length === 0) return [commit];
  return [commit, { type: 'publish', outbox: { record: 'environment', environment: env.environment, version }, events: envEvents }];
}
