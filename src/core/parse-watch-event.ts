import { assertNever } from './actions.js';
import { clip, headToRedact, LIMITS } from './bounds.js';
import {
  deploymentStateDetail,
  ECS_DEPLOYMENT_DETAIL_TYPE,
  ECS_SOURCE,
  ECS_TASK_DETAIL_TYPE,
  TIMEOUT_DETAIL_TYPE,
  TIMEOUT_SOURCE,
  taskStateDetail,
  timeoutCheckDetail,
} from './events.js';
import type { Input, WatchInput } from './inputs.js';
import { type Envelope, type EventIds, invalidDetail } from './parse-event.js';

/**
 * Which watcher input an event is, by its source and detail-type alone: no schema is built, so the launcher uses it
 * to recognise (and refuse) the watcher's events without carrying their parsers.
 */
export function watchEventKind(e: Pick<Envelope, 'source' | 'detail-type'>): WatchInput['kind'] | undefined {
  const type = e['detail-type'];
  if (e.source === ECS_SOURCE && type === ECS_TASK_DETAIL_TYPE) return 'task-state';
  if (e.source === ECS_SOURCE && type === ECS_DEPLOYMENT_DETAIL_TYPE) return 'deployment-state';
  if (e.source === TIMEOUT_SOURCE && type === TIMEOUT_DETAIL_TYPE) return 'timeout-check';
  return undefined;
}

/** Reads the detail of a watcher event (`watchEventKind`): its input, or `invalid` naming the field that does not validate. */
export function parseWatchEvent(kind: WatchInput['kind'], e: Envelope, ids: EventIds): Input {
  switch (kind) {
    case 'task-state':
      return parseTaskState(e, ids);
    case 'timeout-check': {
      const d = timeoutCheckDetail.safeParse(e.detail);
      if (!d.success) return invalidDetail(d.error, ids);
      return { kind: 'timeout-check', eventId: e.id, ...d.data };
    }
    case 'deployment-state':
      return parseDeploymentState(e, ids);
    default:
      return assertNever(kind);
  }
}

function parseTaskState(e: Envelope, ids: EventIds): Input {
  const d = taskStateDetail.safeParse(e.detail);
  if (!d.success) return invalidDetail(d.error, ids);
  // Free text ECS writes is kept, bounded; identifiers are bounded by the schema (longer ones are invalid).
  const { stoppedReason, containers } = d.data;
  return {
    kind: 'task-state',
    eventId: e.id,
    ...d.data,
    ...(stoppedReason !== undefined ? { stoppedReason: keptText(stoppedReason) } : {}),
    containers: containers.map((c) => (c.reason !== undefined ? { ...c, reason: keptText(c.reason) } : c)),
  };
}

/**
 * ECS's free text as kept, bounded: it is redacted later (`enrichWatchInput`), so a cut leaves out the word it splits
 * (`headToRedact`: never a connection string without its `@`) and says it cut.
 */
function keptText(text: string): string {
  return text.length <= LIMITS.textChars ? clip(text, LIMITS.textChars) : clip(headToRedact(text, LIMITS.textChars - 1), LIMITS.textChars);
}

/** `ECS Deployment State Change`: how a service rollout ended (or is going); the service is one of the event's `resources`. */
function parseDeploymentState(e: Envelope, ids: EventIds): Input {
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
