import type { Action } from './actions.js';
import { boundDetail, boundJson, LIMITS } from './bounds.js';
import type { Deployment, PendingEvent } from './deployment.js';
import { type ControllerState, type EnvironmentState, rolloutIndexAfter } from './state.js';
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
  // Events of a transition that is a decision, not a report (`Transition.unreported`): stored, never reported first.
  const decided: PendingEvent[] = [];
  const written = changes.map((change) => {
    const { deployment, events } = 'deployment' in change ? change : { deployment: change, events: [] };
    const expectedRevision = state.deployments[deployment.id]?.revision ?? 0;
    const { outbox: _published, ...rest } = deployment;
    // Bounded here, so no event goes over EventBridge's 256 KB and no record over DynamoDB's 400 KB (bounds.ts).
    const outbox = events.map((e) => ({ ...e, detail: boundDetail(e.detail) }));
    if (onEnv) ('deployment' in change && change.unreported === true ? decided : envEvents).push(...outbox);
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
  // The rollouts the written deployments record for the first time are indexed, those ECS gave a verdict on dropped.
  const rollouts = rolloutIndexAfter(
    env,
    state.deployments,
    written.map((w) => w.deployment),
  );
  const { outbox: _old, rollouts: _index, ...envRest } = env;
  const index = rollouts ?? env.rollouts ?? [];
  const version = state.env.version + 1;
  const stored = [...envEvents, ...decided];
  const next: EnvironmentState = {
    ...envRest,
    version,
    ...(index.length > 0 ? { rollouts: index } : {}),
    ...(stored.length > 0 ? { outbox: stored } : {}),
  };
  const reported = envEvents.length > 0 ? { ...reportFirst, ...(decided.length > 0 ? { unreported: decided.length } : {}) } : {};
  const commit: Action = { type: 'commit', env: { state: next, expectedVersion: state.env.version }, deployments: written, ...reported };
  if (stored.length === 0) return [commit];
  return [commit, { type: 'publish', outbox: { record: 'environment', environment: env.environment, version }, events: stored }];
}

/**
 * The commit as written when its events were reported before it: the same records, and no outbox but for the events
 * it does not report (`unreported`, the last of the environment record's), which it stores to publish after it.
 */
export function withoutOutbox(commit: Extract<Action, { type: 'commit' }>): Extract<Action, { type: 'commit' }> {
  const { reportFirst: _reported, unreported, ...rest } = commit;
  const deployments = commit.deployments.map(({ deployment, expectedRevision }) => {
    const { outbox: _events, ...record } = deployment;
    return { deployment: record, expectedRevision };
  });
  if (commit.env === undefined) return { ...rest, deployments };
  const { outbox, ...state } = commit.env.state;
  const kept = unreported !== undefined && outbox !== undefined ? outbox.slice(-unreported) : [];
  return { ...rest, env: { ...commit.env, state: kept.length > 0 ? { ...state, outbox: kept } : state }, deployments };
}

/** The events a `reportFirst` commit reports before it is written: its outboxes' events, less the `unreported` ones. */
export function outboxEvents(commit: Extract<Action, { type: 'commit' }>): PendingEvent[] {
  const all = commit.env?.state.outbox ?? commit.deployments.flatMap(({ deployment }) => deployment.outbox ?? []);
  return commit.unreported !== undefined ? all.slice(0, all.length - commit.unreported) : all;
}
