import type { $ZodError } from 'zod/v4/core';
import { clip, LIMITS, quote, wellFormed } from './bounds.js';
import type { Trigger, TriggerType, Work } from './deployment.js';
import {
  CANCEL_REQUEST,
  cancelRequestDetail,
  DEPLOY_REQUEST,
  deploymentStateDetail,
  deployRequestDetail,
  ECR_DETAIL_TYPE,
  ECR_SOURCE,
  ECS_DEPLOYMENT_DETAIL_TYPE,
  ECS_HOOK_DETAIL_TYPE,
  ECS_SOURCE,
  ECS_TASK_DETAIL_TYPE,
  ecrImageActionDetail,
  envelope,
  hookStateDetail,
  RUN_COMMAND,
  runCommandDetail,
  TIMEOUT_DETAIL_TYPE,
  TIMEOUT_SOURCE,
  taskStateDetail,
  timeoutCheckDetail,
  UNLOCK_REQUEST,
  unlockRequestDetail,
} from './events.js';
import { imageByDigest } from './image-ref.js';
import type { Input, InvalidInput } from './inputs.js';

export interface ParseOptions {
  /** The `source` of custom deploy-request / run-command events (EVENT_SOURCE). */
  requestSource: string;
  /** REGISTRY: an ECR push names an image of this registry (never one built from the event's account and region). */
  registry: string;
}

/**
 * Turns any value into a typed input. It never throws: what does not validate becomes an `invalid`
 * input whose reason names the field and what was expected, and deciding on it yields `reject`.
 */
export function parseInput(untrusted: unknown, options: ParseOptions): Input {
  // Lone surrogates become U+FFFD before anything is read, so whatever is echoed, stored or emitted is well-formed.
  const raw = wellFormed(untrusted);
  const env = envelope.safeParse(raw);
  if (!env.success) return invalid(`not an EventBridge event: ${describe(env.error)}`, raw);
  const e = env.data;
  const ids = { eventId: clip(e.id), source: clip(e.source), detailType: clip(e['detail-type']) };
  const replay = e['replay-name'] !== undefined ? { replayName: e['replay-name'] } : {};

  if (e.source === ECR_SOURCE && e['detail-type'] === ECR_DETAIL_TYPE) {
    const d = ecrImageActionDetail.safeParse(e.detail);
    if (!d.success) return invalidDetail(d.error, ids);
    const tag = d.data['image-tag'] || undefined;
    const repository = d.data['repository-name'];
    return {
      kind: 'ecr-image-action',
      trigger: { type: 'ecr-push', eventId: e.id, at: e.time, ...replay, ...(tag !== undefined ? { imageTag: tag } : {}) },
      actionType: d.data['action-type'],
      result: d.data.result,
      repository,
      digest: d.data['image-digest'],
      ...(tag !== undefined ? { tag } : {}),
      image: imageByDigest(options.registry, repository, d.data['image-digest']),
    };
  }

  if (e.source === ECS_SOURCE && e['detail-type'] === ECS_TASK_DETAIL_TYPE) {
    const d = taskStateDetail.safeParse(e.detail);
    if (!d.success) return invalidDetail(d.error, ids);
    // Free text ECS writes is kept, bounded; identifiers are bounded by the schema (longer ones are invalid).
    const { stoppedReason, containers } = d.data;
    return {
      kind: 'task-state',
      eventId: e.id,
      ...d.data,
      ...(stoppedReason !== undefined ? { stoppedReason: clip(stoppedReason, LIMITS.textChars) } : {}),
      containers: containers.map((c) => (c.reason !== undefined ? { ...c, reason: clip(c.reason, LIMITS.textChars) } : c)),
    };
  }

  if (e.source === TIMEOUT_SOURCE && e['detail-type'] === TIMEOUT_DETAIL_TYPE) {
    const d = timeoutCheckDetail.safeParse(e.detail);
    if (!d.success) return invalidDetail(d.error, ids);
    return { kind: 'timeout-check', eventId: e.id, ...d.data };
  }

  if (e.source === options.requestSource && e['detail-type'] === CANCEL_REQUEST) {
    const d = cancelRequestDetail.safeParse(e.detail);
    if (!d.success) return invalidDetail(d.error, ids);
    return { kind: 'cancel-request', eventId: e.id, ...d.data };
  }

  if (e.source === options.requestSource && e['detail-type'] === UNLOCK_REQUEST) {
    const d = unlockRequestDetail.safeParse(e.detail);
    if (!d.success) return invalidDetail(d.error, ids);
    return { kind: 'unlock-request', eventId: e.id, ...d.data };
  }

  if (e.source === options.requestSource && (e['detail-type'] === DEPLOY_REQUEST || e['detail-type'] === RUN_COMMAND)) {
    if (e['detail-type'] === DEPLOY_REQUEST) {
      const d = deployRequestDetail.safeParse(e.detail);
      if (!d.success) return invalidDetail(d.error, ids);
      const { environment, image, taskDefinitionArn, command, rerun } = d.data;
      const work = workOf(image, taskDefinitionArn);
      if (work === undefined)
        return {
          kind: 'invalid',
          ...ids,
          reason: 'invalid "deploy-request" event: detail.image: expected exactly one of "image" or "taskDefinitionArn"',
        };
      return {
        kind: 'deploy-request',
        trigger: requestTrigger('deploy-request', e.id, e.time, d.data, replay, rerun === true),
        environment,
        work,
        ...(command !== undefined ? { command } : {}),
      };
    }
    const d = runCommandDetail.safeParse(e.detail);
    if (!d.success) return invalidDetail(d.error, ids);
    const { environment, image, taskDefinitionArn, command } = d.data;
    return {
      kind: 'run-command',
      trigger: requestTrigger('run-command', e.id, e.time, d.data, replay, false),
      environment,
      command,
      ...optional('work', workOf(image, taskDefinitionArn)),
    };
  }

  if (e.source === ECS_SOURCE && (e['detail-type'] === ECS_HOOK_DETAIL_TYPE || e['detail-type'] === ECS_DEPLOYMENT_DETAIL_TYPE)) {
    return parseEcsDeploymentEvent(e, ids, replay);
  }

  return {
    kind: 'invalid',
    ...ids,
    reason: `unsupported event: source ${quote(e.source)} with detail-type ${quote(e['detail-type'])} (expected ${ECR_SOURCE}/${ECR_DETAIL_TYPE}, ${ECS_SOURCE}/${ECS_TASK_DETAIL_TYPE}|${ECS_HOOK_DETAIL_TYPE}|${ECS_DEPLOYMENT_DETAIL_TYPE}, ${TIMEOUT_SOURCE}/${TIMEOUT_DETAIL_TYPE}, or ${options.requestSource}/${DEPLOY_REQUEST}|${RUN_COMMAND}|${CANCEL_REQUEST}|${UNLOCK_REQUEST})`,
  };
}

/** `ECS Hook State Change` and `ECS Deployment State Change`. */
function parseEcsDeploymentEvent(
  e: { id: string; time: string; resources: string[]; 'detail-type': string; detail: unknown },
  ids: Omit<InvalidInput, 'kind' | 'reason'>,
  replay: { replayName?: string },
): Input {
  if (e['detail-type'] === ECS_HOOK_DETAIL_TYPE) {
    const d = hookStateDetail.safeParse(e.detail);
    if (!d.success) return invalidDetail(d.error, ids);
    const { eventType: _eventType, expiresAt, updatedAt, ...rest } = d.data;
    return {
      kind: 'hook-state',
      eventId: e.id,
      at: e.time,
      ...replay,
      ...rest,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      ...(updatedAt !== undefined ? { updatedAt } : {}),
    };
  }
  const d = deploymentStateDetail.safeParse(e.detail);
  if (!d.success) return invalidDetail(d.error, ids);
  const serviceArn = e.resources.find((r) => /^arn:aws[a-z-]*:ecs:[^:]+:\d{12}:service\//.test(r));
  if (serviceArn === undefined) {
    return { kind: 'invalid', ...ids, reason: `invalid "${ids.detailType}" event: resources: expected the service ARN` };
  }
  const { reason, ...rest } = d.data;
  return {
    kind: 'deployment-state',
    eventId: e.id,
    at: e.time,
    serviceArn,
    ...rest,
    ...(reason !== undefined ? { reason } : {}),
    rollingBack: rest.eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS' && /\broll(ing)? ?back\b/i.test(reason ?? ''),
  };
}

function workOf(image: string | undefined, taskDefinitionArn: string | undefined): Work | undefined {
  if (image !== undefined) return { type: 'image', image };
  if (taskDefinitionArn !== undefined) return { type: 'task-definition', taskDefinitionArn };
  return undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function requestTrigger(
  type: TriggerType,
  eventId: string,
  at: string,
  d: { requestId: string; requestedBy: string },
  replay: { replayName?: string },
  rerun: boolean,
): Trigger {
  return { type, eventId, at, requestId: d.requestId, requestedBy: d.requestedBy, ...replay, ...(rerun ? { rerun } : {}) };
}

function invalidDetail(error: $ZodError, ids: Omit<InvalidInput, 'kind' | 'reason'>): InvalidInput {
  return {
    kind: 'invalid',
    ...ids,
    reason: clip(`invalid ${quote(ids.detailType)} event: ${describe(error, 'detail')}`, LIMITS.reasonChars),
  };
}

function invalid(reason: string, raw: unknown): InvalidInput {
  const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'string' ? { eventId: clip(raw.id) } : {};
  return { kind: 'invalid', reason: clip(reason, LIMITS.reasonChars), ...id };
}

/** "detail.requestId: expected …; detail.image: …" */
function describe(error: $ZodError, prefix?: string): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
      return `${clip(path, LIMITS.echoChars) || '(event)'}: ${clip(issue.message, LIMITS.echoChars)}`;
    })
    .join('; ');
}
