import { assertNever } from './actions.js';
import type { Trigger, TriggerType, Work } from './deployment.js';
import {
  CANCEL_REQUEST,
  cancelRequestDetail,
  DEPLOY_REQUEST,
  deployRequestDetail,
  ECR_DETAIL_TYPE,
  ECR_SOURCE,
  ECS_HOOK_DETAIL_TYPE,
  ECS_SOURCE,
  ecrImageActionDetail,
  hookStateDetail,
  RUN_COMMAND,
  runCommandDetail,
  UNLOCK_REQUEST,
  unlockRequestDetail,
} from './events.js';
import { imageByDigest } from './image-ref.js';
import type { Input, LaunchInput } from './inputs.js';
import { type Envelope, type EventIds, invalidDetail, type ParseOptions, replayOf } from './parse-event.js';

/**
 * Which launcher input an event is, by its source and detail-type alone: no schema is built, so the watcher uses it
 * to recognise (and refuse) the launcher's events without carrying their parsers.
 */
export function launchEventKind(e: Pick<Envelope, 'source' | 'detail-type'>, options: ParseOptions): LaunchInput['kind'] | undefined {
  const type = e['detail-type'];
  if (e.source === ECR_SOURCE && type === ECR_DETAIL_TYPE) return 'ecr-image-action';
  if (e.source === ECS_SOURCE && type === ECS_HOOK_DETAIL_TYPE) return 'hook-state';
  if (e.source !== options.requestSource) return undefined;
  if (type === DEPLOY_REQUEST) return 'deploy-request';
  if (type === RUN_COMMAND) return 'run-command';
  if (type === CANCEL_REQUEST) return 'cancel-request';
  if (type === UNLOCK_REQUEST) return 'unlock-request';
  return undefined;
}

/** Reads the detail of a launcher event (`launchEventKind`): its input, or `invalid` naming the field that does not validate. */
export function parseLaunchEvent(kind: LaunchInput['kind'], e: Envelope, ids: EventIds, options: ParseOptions): Input {
  switch (kind) {
    case 'ecr-image-action':
      return parseEcrImageAction(e, ids, options);
    case 'deploy-request':
      return parseDeployRequest(e, ids);
    case 'run-command':
      return parseRunCommand(e, ids);
    case 'cancel-request': {
      const d = cancelRequestDetail.safeParse(e.detail);
      if (!d.success) return invalidDetail(d.error, ids);
      return { kind: 'cancel-request', eventId: e.id, ...d.data };
    }
    case 'unlock-request': {
      const d = unlockRequestDetail.safeParse(e.detail);
      if (!d.success) return invalidDetail(d.error, ids);
      return { kind: 'unlock-request', eventId: e.id, ...d.data };
    }
    case 'hook-state':
      return parseHookState(e, ids);
    default:
      return assertNever(kind);
  }
}

function parseEcrImageAction(e: Envelope, ids: EventIds, options: ParseOptions): Input {
  const d = ecrImageActionDetail.safeParse(e.detail);
  if (!d.success) return invalidDetail(d.error, ids);
  const tag = d.data['image-tag'] || undefined;
  const repository = d.data['repository-name'];
  return {
    kind: 'ecr-image-action',
    trigger: { type: 'ecr-push', eventId: e.id, at: e.time, ...replayOf(e), ...(tag !== undefined ? { imageTag: tag } : {}) },
    actionType: d.data['action-type'],
    result: d.data.result,
    repository,
    digest: d.data['image-digest'],
    ...(tag !== undefined ? { tag } : {}),
    image: imageByDigest(options.registry, repository, d.data['image-digest']),
  };
}

function parseDeployRequest(e: Envelope, ids: EventIds): Input {
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
    trigger: requestTrigger('deploy-request', e, d.data, rerun === true),
    environment,
    work,
    ...(command !== undefined ? { command } : {}),
  };
}

function parseRunCommand(e: Envelope, ids: EventIds): Input {
  const d = runCommandDetail.safeParse(e.detail);
  if (!d.success) return invalidDetail(d.error, ids);
  const { environment, image, taskDefinitionArn, command } = d.data;
  return {
    kind: 'run-command',
    trigger: requestTrigger('run-command', e, d.data, false),
    environment,
    command,
    ...optional('work', workOf(image, taskDefinitionArn)),
  };
}

/** `ECS Hook State Change` (pause-hook mode). */
function parseHookState(e: Envelope, ids: EventIds): Input {
  const d = hookStateDetail.safeParse(e.detail);
  if (!d.success) return invalidDetail(d.error, ids);
  const { eventType: _eventType, expiresAt, updatedAt, ...rest } = d.data;
  return {
    kind: 'hook-state',
    eventId: e.id,
    at: e.time,
    ...replayOf(e),
    ...rest,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(updatedAt !== undefined ? { updatedAt } : {}),
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

function requestTrigger(type: TriggerType, e: Envelope, d: { requestId: string; requestedBy: string }, rerun: boolean): Trigger {
  return {
    type,
    eventId: e.id,
    at: e.time,
    requestId: d.requestId,
    requestedBy: d.requestedBy,
    ...replayOf(e),
    ...(rerun ? { rerun } : {}),
  };
}
