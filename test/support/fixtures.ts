import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Action, Decision } from '../../src/core/actions.js';
import { type Config, parseConfig } from '../../src/core/config.js';
import { type DecideContext, decideContext } from '../../src/core/context.js';
import { decide } from '../../src/core/decide.js';
import type { Deployment, Ended, Launching, Outcome, Queued, Running, TaskObservation } from '../../src/core/deployment.js';
import type { Input } from '../../src/core/inputs.js';
import { parseInput } from '../../src/core/parse.js';
import type { ControllerState, ServiceInfo } from '../../src/core/state.js';

const eventsDir = join(import.meta.dirname, '..', '..', 'events');

/** A sample event from events/, parsed as JSON (optionally changed by `patch`). */
export function sample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(eventsDir, `${name}.json`), 'utf8')) as Record<string, unknown>;
}

export const sampleConfigValues = sample('config') as Record<string, string>;

export function config(overrides: Record<string, string | undefined> = {}): Config {
  const result = parseConfig({ ...sampleConfigValues, ...overrides });
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.config;
}

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/shop-staging`;
export const TD = (rev: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/shop-api:${rev}`;
export const DIGEST = 'sha256:4c1ea0f2b7d93e5a6f80c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2';
export const PUSHED_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api@${DIGEST}`;
export const OLD_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api@sha256:${'0'.repeat(64)}`;
/** The deployment the task-* samples belong to (their startedBy). */
export const SAMPLE_DEPLOYMENT = '20261125-091500-5f2c1a9e';
export const SAMPLE_TASK = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/shop-staging/9f3c2b1a4d5e46f7a8b9c0d1e2f3a4b5`;

export const service: ServiceInfo = {
  clusterArn: CLUSTER_ARN,
  serviceName: 'shop-api',
  taskDefinitionArn: TD(42),
  image: OLD_IMAGE,
  network: {
    subnets: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f9e8d7c6b5a40312'],
    securityGroups: ['sg-0123456789abcdef0'],
    assignPublicIp: 'DISABLED',
  },
  launchType: 'FARGATE',
  platformVersion: 'LATEST',
};

export function idleState(overrides: Partial<ControllerState> = {}): ControllerState {
  return { env: { environment: 'staging', version: 3 }, deployments: {}, service, ...overrides };
}

/** A deployment as the launcher leaves it once its task runs: the one the task-* samples are about. */
export function runningDeployment(overrides: Partial<Running> = {}): Running {
  return {
    id: SAMPLE_DEPLOYMENT,
    revision: 2,
    environment: 'staging',
    kind: 'migration',
    status: 'running',
    trigger: { type: 'ecr-push', eventId: '13cde686-328b-6117-af20-0e5566167482', at: '2026-11-25T09:14:58Z', imageTag: 'v1.4.0' },
    work: { type: 'image', image: PUSHED_IMAGE, baseTaskDefinitionArn: TD(42) },
    taskDefinitionArn: TD(43),
    command: ['db-migrate'],
    taskArn: SAMPLE_TASK,
    taskVersion: 2,
    createdAt: '2026-11-25T09:15:00.000Z',
    launchedAt: '2026-11-25T09:15:01.000Z',
    history: [],
    ...overrides,
  };
}

/** The same deployment before RunTask answered: no task of its own yet. */
export function launchingDeployment(overrides: Partial<Launching> = {}): Launching {
  const { taskArn: _t, taskDefinitionArn: _d, launchedAt: _l, taskVersion: _v, status: _s, ...rest } = runningDeployment();
  return { ...rest, status: 'launching', launchStartedAt: '2026-11-25T09:15:00.500Z', ...overrides };
}

/** A STOPPED event of the sample task on revision 43, its migration container exited 0, kept before RunTask's answer. */
export const KEPT_EXIT_0: TaskObservation = {
  taskArn: SAMPLE_TASK,
  taskDefinitionArn: TD(43),
  version: 5,
  lastStatus: 'STOPPED',
  containers: [{ name: 'app', exitCode: 0 }],
};

/** The service on revision 43, the migration revision of deployment `id` (its `ecs-migrate:deployment` tag). */
export function serviceMigratedBy(id: string): ServiceInfo {
  return { ...service, taskDefinitionArn: TD(43), migratedBy: id };
}

/** The same deployment once it has ended with `outcome`. */
export function endedDeployment(outcome: Outcome, overrides: Partial<Ended> = {}): Ended {
  const { taskVersion: _v, status: _s, ...rest } = runningDeployment();
  const rollout = outcome === 'succeeded' ? 'continued' : outcome === 'superseded' ? 'not-applicable' : 'halted';
  return {
    ...rest,
    status: 'ended',
    outcome,
    reason: `it ended: ${outcome}`,
    finishedAt: '2026-11-25T09:17:59.000Z',
    rollout,
    ...overrides,
  };
}

/** State in which `d` holds the environment. */
export function activeState(d: Deployment, overrides: Partial<ControllerState> = {}): ControllerState {
  return {
    env: { environment: 'staging', version: 7, active: { deploymentId: d.id, lockExpiresAt: '2026-11-25T10:30:00.000Z' } },
    deployments: { [d.id]: d },
    service,
    ...overrides,
  };
}

/** A deployment waiting in the queue: no task, no registered revision yet. */
export function queuedDeployment(id: string, image: string): Queued {
  const { taskArn, taskDefinitionArn, taskVersion, launchedAt, status, ...rest } = runningDeployment({ id });
  return { ...rest, work: { type: 'image', image }, status: 'queued' };
}

/** State in which `active` holds the environment and `queued` waits behind it. */
export function queueState(active: Deployment, queued: Deployment): ControllerState {
  const state = activeState(active);
  return { ...state, env: { ...state.env, queued: queued.id }, deployments: { ...state.deployments, [queued.id]: queued } };
}

export const NOW = '2026-11-25T09:18:00.000Z';

export function ctx(overrides: Record<string, string | undefined> = {}, now = NOW): DecideContext {
  return decideContext(config(overrides), now);
}

export function parse(raw: unknown, c: Config = config()): Input {
  return parseInput(raw, { requestSource: c.EVENT_SOURCE, registry: c.REGISTRY });
}

/** Parse a sample (or any raw event) and decide on it. */
export function decideOn(raw: unknown, state: ControllerState, context: DecideContext = ctx()): Decision {
  return decide(parse(raw, context.config), state, context);
}

export function actionsOf<T extends Action['type']>(d: Decision, type: T): Extract<Action, { type: T }>[] {
  return d.actions.filter((a): a is Extract<Action, { type: T }> => a.type === type);
}

export function only<T extends Action['type']>(d: Decision, type: T): Extract<Action, { type: T }> {
  const found = actionsOf(d, type);
  if (found.length !== 1)
    throw new Error(`expected exactly one ${type} action, got ${found.length}: ${d.actions.map((a) => a.type).join(', ')}`);
  return found[0] as Extract<Action, { type: T }>;
}

/** Every event a decision sends: those a commit stores in an outbox (published after it), and plain ones. */
export function emitted(d: Decision): { detailType: string; detail: Record<string, unknown> }[] {
  return d.actions.flatMap((a) => (a.type === 'putEvent' ? [a] : a.type === 'publish' ? a.events : []));
}

export function eventTypes(d: Decision): string[] {
  return emitted(d).map((e) => e.detailType);
}

/** What a core test expects of a decision: its fields, the order of its action types and the events it sends. */
export interface Expected {
  decision?: Decision['decision'];
  reason?: string | RegExp;
  deploymentId?: string;
  actions?: Action['type'][];
  events?: string[];
}

/**
 * A core test as a specification: `given(state).when(input).then({ decision, reason, actions, events })`.
 * `then` returns the decision for checks the expectation does not cover.
 */
export function given(state: ControllerState, context: DecideContext = ctx()) {
  return {
    when(input: Input | Record<string, unknown>) {
      const parsed = typeof input.kind === 'string' ? (input as Input) : parse(input, context.config);
      const decision = decide(parsed, state, context);
      return {
        // biome-ignore lint/suspicious/noThenProperty: the given/when/then spelling of a specification; never awaited.
        then(expected: Expected): Decision {
          const { actions, events, ...fields } = expected;
          expectMatch(decision, fields);
          if (actions !== undefined)
            expectEqual(
              decision.actions.map((a) => a.type),
              actions,
              'action types',
            );
          if (events !== undefined) expectEqual(eventTypes(decision), events, 'events');
          return decision;
        },
      };
    },
  };
}

function expectMatch(decision: Decision, fields: Record<string, unknown>): void {
  for (const [key, want] of Object.entries(fields)) {
    const got = (decision as unknown as Record<string, unknown>)[key];
    const ok = want instanceof RegExp ? typeof got === 'string' && want.test(got) : got === want;
    if (!ok)
      throw new Error(`expected decision.${key} to ${want instanceof RegExp ? 'match' : 'be'} ${String(want)}, got ${JSON.stringify(got)}`);
  }
}

function expectEqual(got: string[], want: string[], what: string): void {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`expected ${what} ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

/** The committed version of a deployment in a decision. */
export function committed(d: Decision, id: string): Deployment {
  const found = actionsOf(d, 'commit')
    .flatMap((c) => c.deployments)
    .find((c) => c.deployment.id === id);
  if (found === undefined) throw new Error(`deployment ${id} not committed`);
  return found.deployment;
}

export function withEvent(
  raw: Record<string, unknown>,
  patch: { detail?: Record<string, unknown>; top?: Record<string, unknown> },
): Record<string, unknown> {
  return { ...raw, ...(patch.top ?? {}), detail: { ...(raw.detail as Record<string, unknown>), ...(patch.detail ?? {}) } };
}

/** An event of the request bus (an operator's request), or of the scheduler with `source` 'ecs-migrate.scheduler'. */
export function operatorEvent(
  detailType: string,
  id: string,
  time: string,
  detail: Record<string, unknown>,
  source = 'ecs-migrate',
): Record<string, unknown> {
  return { version: '0', id, 'detail-type': detailType, source, account: ACCOUNT, time, region: REGION, resources: [], detail };
}

/** A scheduled check as the watcher parses it (`purpose`: a launch retry or a wait's, a deadline, the rollout watch). */
export function scheduledCheck(
  deploymentId: string,
  attempt: number,
  purpose?: 'retry' | 'deadline' | 'rollout-watch',
): Extract<Input, { kind: 'timeout-check' }> {
  return {
    kind: 'timeout-check',
    eventId: `check-${attempt}`,
    environment: 'staging',
    deploymentId,
    attempt,
    ...(purpose !== undefined ? { purpose } : {}),
  };
}

/** An operator's cancel-request in staging, of `deploymentId` when given (else of the deployment holding the lock). */
export function cancelRequest(time: string, options: { id?: string; deploymentId?: string | undefined } = {}): Record<string, unknown> {
  const id = options.id ?? 'cancel-1';
  return operatorEvent('cancel-request', id, time, {
    environment: 'staging',
    requestId: id,
    requestedBy: 'ops@example.com',
    ...(options.deploymentId !== undefined ? { deploymentId: options.deploymentId } : {}),
  });
}

/** A cancel- or unlock-request of environment staging on the request bus, as an operator's CLI puts it there. */
export function operatorRequest(kind: 'cancel-request' | 'unlock-request', detail: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: `${kind}-1`,
    source: 'ecs-migrate',
    account: '123456789012',
    time: '2026-11-25T09:18:00Z',
    region: 'eu-west-1',
    resources: [],
    'detail-type': kind,
    detail: { environment: 'staging', requestId: 'op-1', requestedBy: 'arn:aws:iam::123456789012:user/ana', ...detail },
  };
}
