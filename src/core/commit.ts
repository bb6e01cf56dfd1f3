import type { Action } from './actions.js';
import { boundDetail, boundJson, LIMITS } from './bounds.js';
import type { Deployment, PendingEvent } from './deployment.js';
import type { ControllerState, EnvironmentState } from './state.js';
import type { Transition } from './transitions.js';

export interface CommitOptions {
  /** The events report what AWS already did (RunTask's answer, a rollout carried out): published before the commit. */
  reportFirst?: boolean;
}

/**
 * The state changes of a decision as actions: one conditional commit of the environment record and the
 * deployments, with the events the transitions imply stored in an outbox — the environment record's when the
 * commit writes it, else each deployment's own — then one `publish` per outbox.
 */
export function commitActions(
  state: ControllerState,
  env: EnvironmentState | undefined,
  changes: (Transition | Deployment)[],
  options: CommitOptions = {},
): Action[] {
  const reportFirst = options.reportFirst === true ? ({ reportFirst: true } as const) : {};
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
    return [{ type: 'commit', deployments: written, ...(publish.length > 0 ? reportFirst : {}) }, ...publish];
  }
  const { outbox: _old, ...envRest } = env;
  const version = state.env.version + 1;
  const next: EnvironmentState = { ...envRest, version, ...(envEvents.length > 0 ? { outbox: envEvents } : {}) };
  const commit: Action = {
    type: 'commit',
    env: { state: next, expectedVersion: state.env.version },
    deployments: written,
    ...(envEvents.length > 0 ? reportFirst : {}),
  };
  if (envEvents.length === 0) return [commit];
  return [commit, { type: 'publish', outbox: { record: 'environment', environment: env.environment, version }, events: envEvents }];
}

/** The commit as written when its events were reported before it: the same records, no outbox. */
export function withoutOutbox(commit: Extract<Action, { type: 'commit' }>): Extract<Action, { type: 'commit' }> {
  const { reportFirst: _reported, ...rest } = commit;
  const deployments = commit.deployments.map(({ deployment, expectedRevision }) => {
    const { outbox: _events, ...record } = deployment;
    return { deployment: record, expectedRevision };
  });
  if (commit.env === undefined) return { ...rest, deployments };
  const { outbox: _events, ...state } = commit.env.state;
  return { ...rest, env: { ...commit.env, state }, deployments };
}

/** The events a commit stores in its outboxes (the environment record's, else each deployment's). */
export function outboxEvents(commit: Extract<Action, { type: 'commit' }>): PendingEvent[] {
  return commit.env?.state.outbox ?? commit.deployments.flatMap(({ deployment }) => deployment.outbox ?? []);
}
