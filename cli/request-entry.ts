import { randomUUID } from 'node:crypto';
import { LOCAL_REGISTRY } from '../src/core/config.js';
import type { CANCEL_REQUEST, UNLOCK_REQUEST } from '../src/core/events.js';
import { parseInput } from '../src/core/parse.js';
import { localEnvelope } from '../src/local/task-event.js';
import { type RequestFields, requestEvent } from '../src/local/trigger-events.js';
import { CliUsageError } from './local-config.js';

export type RequestOptions = RequestFields & { source: string };

/** An operator request (`cancel`, `unlock`): who asks, and what of. */
export interface OperatorRequestOptions {
  detailType: typeof CANCEL_REQUEST | typeof UNLOCK_REQUEST;
  source: string;
  environment: string;
  requestId: string;
  requestedBy: string;
  deploymentId?: string;
  reason?: string;
}

/**
 * The request as an EventBridge entry. It is checked with the controller's own parser first, so the CLI never
 * sends what the controller would reject for its shape (the allowlist is the stack's to judge).
 */
export function requestEntry(o: RequestOptions): { Source: string; DetailType: string; Detail: string } {
  return checkedEntry(requestEvent(o), o.source);
}

/** A cancel- or unlock-request as an EventBridge entry, checked with the controller's own parser as `requestEntry` is. */
export function operatorEntry(o: OperatorRequestOptions): { Source: string; DetailType: string; Detail: string } {
  const detail = {
    environment: o.environment,
    requestId: o.requestId,
    requestedBy: o.requestedBy,
    ...(o.deploymentId !== undefined ? { deploymentId: o.deploymentId } : {}),
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
  };
  return checkedEntry({ ...localEnvelope(randomUUID()), source: o.source, 'detail-type': o.detailType, detail }, o.source);
}

/** The event as an entry, or the usage error with the parser's reason when the controller would reject its shape. */
function checkedEntry(event: Record<string, unknown> & { detail: Record<string, unknown> }, source: string) {
  // `registry` matters only for ECR pushes, never for a request's shape.
  const parsed = parseInput(event, { requestSource: source, registry: LOCAL_REGISTRY });
  if (parsed.kind === 'invalid') throw new CliUsageError(parsed.reason);
  return { Source: source, DetailType: String(event['detail-type']), Detail: JSON.stringify(event.detail) };
}
