import * as z from 'zod/mini';
import type { $ZodError } from 'zod/v4/core';
import { type Deployment, type Outcome, type RolloutOutcome, UNKNOWN_WORK, type Work } from './deployment.js';
import type { EnvironmentState } from './state.js';
import './zod-messages.js';

/**
 * The stored shape of deployment and environment records, read back through one codec by both stores. Records
 * are kept forever, so every record carries `schemaVersion`; a record written before versions existed (version 1,
 * a flat `status` string) is upgraded on read. A record that does not validate is reported with its key and the
 * field, never cast.
 */
export const SCHEMA_VERSION = 2;

export type Decoded<T> = { ok: true; value: T } | { ok: false; problem: string };

/** A stored record that could not be read: where it is and what is wrong with it. */
export interface RecordProblem {
  key: string;
  problem: string;
}

export function encodeDeployment(d: Deployment): Record<string, unknown> {
  return { schemaVersion: SCHEMA_VERSION, ...d };
}

export function encodeEnvironment(env: EnvironmentState): Record<string, unknown> {
  return { schemaVersion: SCHEMA_VERSION, ...env };
}

export function decodeDeployment(item: Record<string, unknown>): Decoded<Deployment> {
  const upgraded = item.schemaVersion === undefined ? upgradeV1(item) : item;
  if (upgraded.schemaVersion !== SCHEMA_VERSION)
    return { ok: false, problem: `schemaVersion: expected ${SCHEMA_VERSION}, got ${String(upgraded.schemaVersion)}` };
  const result = schemas().deployment.safeParse(upgraded);
  if (!result.success) return { ok: false, problem: describe(result.error) };
  const { schemaVersion: _v, earlyTaskEvent, ...record } = upgraded;
  // A launching record written before early task events were kept per task holds one, as `earlyTaskEvent`.
  if (earlyTaskEvent !== undefined && record.earlyTaskEvents === undefined) record.earlyTaskEvents = [earlyTaskEvent];
  // Validated above against the union's schema: the fields each state requires are there.
  return { ok: true, value: record as unknown as Deployment };
}

export function decodeEnvironment(item: Record<string, unknown>): Decoded<EnvironmentState> {
  const version = item.schemaVersion ?? 1;
  if (version !== 1 && version !== SCHEMA_VERSION)
    return { ok: false, problem: `schemaVersion: expected ${SCHEMA_VERSION}, got ${String(version)}` };
  const result = schemas().environment.safeParse(item);
  if (!result.success) return { ok: false, problem: describe(result.error) };
  const { schemaVersion: _v, ...record } = item;
  return { ok: true, value: record as unknown as EnvironmentState };
}

const FINAL_V1: readonly string[] = ['succeeded', 'failed', 'timed_out', 'superseded'];

/** A version-1 record (one flat record keyed by a `status` string) in today's shape. */
function upgradeV1(item: Record<string, unknown>): Record<string, unknown> {
  const { status, image, baseTaskDefinitionArn, taskDefinitionArn, taskArn, launchedAt, finishedAt, reason, rollout, ...rest } = item;
  const work: Work | undefined =
    typeof image === 'string'
      ? { type: 'image', image, ...(typeof baseTaskDefinitionArn === 'string' ? { baseTaskDefinitionArn } : {}) }
      : typeof taskDefinitionArn === 'string'
        ? { type: 'task-definition', taskDefinitionArn }
        : // Release 0.1.0 recorded a command that failed before the service could be read with neither.
          UNKNOWN_WORK;
  const common = { ...rest, schemaVersion: SCHEMA_VERSION, work };
  const when = (launchedAt ?? item.createdAt) as string;
  if (typeof status === 'string' && FINAL_V1.includes(status)) {
    const migration = item.kind === 'migration';
    const derived: RolloutOutcome = !migration
      ? 'not-applicable'
      : status === 'succeeded'
        ? 'continued'
        : status === 'superseded'
          ? 'not-applicable'
          : 'halted';
    return {
      ...common,
      status: 'ended',
      outcome: status as Outcome,
      reason: reason ?? `(${status}; no reason was recorded)`,
      finishedAt: finishedAt ?? item.createdAt,
      rollout: rollout ?? derived,
      ...(taskArn !== undefined ? { taskArn } : {}),
      ...(taskDefinitionArn !== undefined ? { taskDefinitionArn } : {}),
      ...(launchedAt !== undefined ? { launchedAt } : {}),
    };
  }
  // A version-1 "running" deployment was not guaranteed its task: without one it is still launching.
  if (status === 'running' && typeof taskArn === 'string' && typeof taskDefinitionArn === 'string') {
    return { ...common, status: 'running', taskArn, taskDefinitionArn, launchedAt: when };
  }
  if (status === 'running' || status === 'launching') {
    const { taskVersion: _t, startedAt: _s, ...launching } = common as Record<string, unknown>;
    return { ...launching, status: 'launching', launchStartedAt: when };
  }
  return { ...common, status };
}

function describe(error: $ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(record)'}: ${issue.message}`)
    .join('; ');
}

type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;

/** Built on first use, not at module load: a cold start that reads no record pays nothing for them. */
function schemas(): Schemas {
  built ??= buildSchemas();
  return built;
}

function buildSchemas() {
  const text = z.string().check(z.minLength(1));
  const time = z.string().check(z.minLength(1));
  const work = z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('image'), image: text, baseTaskDefinitionArn: z.optional(text) }),
    z.looseObject({ type: z.literal('task-definition'), taskDefinitionArn: text }),
    z.looseObject({ type: z.literal('revision'), taskDefinitionArn: text, image: text, launch: z.looseObject({}) }),
  ]);
  // A detail is an object of any keys: z.looseObject({}) checks that as z.record(z.string(), z.unknown()) would,
  // without a schema type of its own in the Lambda bundles (2.8 KB each).
  // Judged against by every stop of the task (classifyStop): a damaged list is refused here.
  const essentialSidecars = z.optional(z.array(z.string()));
  const outbox = z.optional(z.array(z.looseObject({ detailType: text, detail: z.looseObject({}) })));
  const common = {
    schemaVersion: z.literal(SCHEMA_VERSION),
    id: text,
    revision: z.int().check(z.gte(1)),
    environment: text,
    kind: z.enum(['migration', 'command']),
    trigger: z.looseObject({ type: z.enum(['ecr-push', 'deploy-request', 'run-command', 'pause-hook']), eventId: z.string(), at: time }),
    waiters: z.optional(z.array(z.looseObject({ service: text, serviceDeploymentArn: text, hookId: text }))),
    work,
    command: z.array(z.string()),
    createdAt: time,
    history: z.array(z.looseObject({ at: time, status: z.string(), note: z.string() })),
    outbox,
  };
  const deployment = z.discriminatedUnion('status', [
    z.looseObject({ ...common, status: z.literal('queued') }),
    z.looseObject({
      ...common,
      status: z.literal('launching'),
      launchStartedAt: time,
      waitsFor: z.optional(z.looseObject({ deploymentId: text, taskArn: text })),
    }),
    z.looseObject({ ...common, status: z.literal('running'), taskArn: text, taskDefinitionArn: text, launchedAt: time, essentialSidecars }),
    z.looseObject({
      ...common,
      status: z.literal('ended'),
      outcome: z.enum(['succeeded', 'failed', 'timed_out', 'superseded', 'cancelled']),
      reason: z.string(),
      finishedAt: time,
      rollout: z.enum(['continued', 'already-current', 'moved-on', 'halted', 'not-applicable']),
      essentialSidecars,
    }),
  ]);
  const lock = z.looseObject({ deploymentId: text, lockExpiresAt: time });
  const requestSeen = z.looseObject({ requestId: text, deploymentId: text, replayName: z.optional(text) });
  const environment = z.looseObject({
    environment: text,
    version: z.int().check(z.gte(0)),
    active: z.optional(lock),
    queued: z.optional(text),
    lastSucceeded: z.optional(z.looseObject({ deploymentId: text, at: time, replayName: z.optional(text) })),
    lastCancel: z.optional(z.looseObject({ requestId: text, deploymentId: text, at: time })),
    // The lists the decisions walk: a damaged one is refused here, not met as a TypeError by every event.
    outbox,
    lastUnlock: z.optional(z.looseObject({ by: z.string(), at: time, reason: z.string() })),
    operatorRequests: z.optional(z.array(requestSeen)),
    seenImages: z.optional(z.array(z.looseObject({ image: text, pushedAt: time }))),
    seenRequests: z.optional(z.array(requestSeen)),
    rollouts: z.optional(z.array(z.looseObject({ ecsDeploymentId: text, deploymentId: text }))),
  });
  return { deployment, environment };
}
