import type * as z from 'zod/mini';
import type { $ZodError } from 'zod/v4/core';
import { clip, LIMITS, quote, redactForEcho, wellFormed } from './bounds.js';
import {
  CANCEL_REQUEST,
  DEPLOY_REQUEST,
  ECR_DETAIL_TYPE,
  ECR_SOURCE,
  ECS_DEPLOYMENT_DETAIL_TYPE,
  ECS_HOOK_DETAIL_TYPE,
  ECS_SOURCE,
  ECS_TASK_DETAIL_TYPE,
  envelope,
  RUN_COMMAND,
  TIMEOUT_DETAIL_TYPE,
  TIMEOUT_SOURCE,
  UNLOCK_REQUEST,
} from './events.js';
import type { Input, InvalidInput } from './inputs.js';
import { lazy } from './lazy.js';
import { type Redactor, redact } from './redact.js';

export interface ParseOptions {
  /** The `source` of custom deploy-request / run-command events (EVENT_SOURCE). */
  requestSource: string;
  /** REGISTRY: an ECR push names an image of this registry (never one built from the event's account and region). */
  registry: string;
  /** The configured redactor (REDACT_PATTERNS); the built-in rules without it. Applied to what is echoed, before it is cut. */
  redact?: Redactor;
}

/** A validated EventBridge envelope; its `detail` is not read yet. */
export type Envelope = z.output<typeof envelope>;

/** What an `invalid` input echoes of its event, bounded. */
export type EventIds = Omit<InvalidInput, 'kind' | 'reason'>;

/** Reads the detail of an event recognised by its source and detail-type; undefined for an event it does not know. */
export type ReadEvent = (e: Envelope, ids: EventIds, options: ParseOptions) => Input | undefined;

/**
 * Turns any value into a typed input, reading the detail with `read`: the envelope is checked here, the detail by the
 * parser of the events it is (parse-launch-event.ts, parse-watch-event.ts). It never throws: what does not validate
 * becomes an `invalid` input whose reason names the field and what was expected, and deciding on it yields `reject`.
 */
export function parseEvent(untrusted: unknown, options: ParseOptions, read: ReadEvent): Input {
  // Lone surrogates become U+FFFD before anything is read, so whatever is echoed, stored or emitted is well-formed.
  const raw = wellFormed(untrusted);
  const env = envelope.safeParse(raw);
  if (!env.success) return invalid(`not an EventBridge event: ${describe(env.error)}`, raw, echoOf(options.redact ?? redact));
  const e = env.data;
  const echo = echoOf(options.redact ?? redact);
  const ids: EventIds = lazy(() => ({ eventId: echo(e.id), source: echo(e.source), detailType: echo(e['detail-type']) }));
  return read(e, ids, options) ?? unsupported(ids, options);
}

/** How a value of the event is echoed: redacted (`redactForEcho`), then cut to `LIMITS.echoChars`. */
function echoOf(redact: Redactor): (s: string) => string {
  return (s) => clip(redactForEcho(s, redact));
}

/** The `replay-name` of an EventBridge archive replay, as the trigger keeps it. */
export function replayOf(e: Envelope): { replayName?: string } {
  return e['replay-name'] !== undefined ? { replayName: e['replay-name'] } : {};
}

/** An event neither function takes: the reason lists every event the controller reads. */
function unsupported(ids: EventIds, options: ParseOptions): InvalidInput {
  return {
    kind: 'invalid',
    ...ids,
    reason: `unsupported event: source "${ids.source}" with detail-type "${ids.detailType}" (expected ${ECR_SOURCE}/${ECR_DETAIL_TYPE}, ${ECS_SOURCE}/${ECS_TASK_DETAIL_TYPE}|${ECS_HOOK_DETAIL_TYPE}|${ECS_DEPLOYMENT_DETAIL_TYPE}, ${TIMEOUT_SOURCE}/${TIMEOUT_DETAIL_TYPE}, or ${options.requestSource}/${DEPLOY_REQUEST}|${RUN_COMMAND}|${CANCEL_REQUEST}|${UNLOCK_REQUEST})`,
  };
}

export function invalidDetail(error: $ZodError, ids: EventIds): InvalidInput {
  return {
    kind: 'invalid',
    ...ids,
    reason: clip(`invalid ${quote(ids.detailType)} event: ${describe(error, 'detail')}`, LIMITS.reasonChars),
  };
}

function invalid(reason: string, raw: unknown, echo: (s: string) => string): InvalidInput {
  const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'string' ? { eventId: echo(raw.id) } : {};
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
