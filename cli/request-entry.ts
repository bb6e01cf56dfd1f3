import { LOCAL_REGISTRY } from '../src/core/config.js';
import { parseInput } from '../src/core/parse.js';
import { type RequestFields, requestEvent } from '../src/local/trigger-events.js';
import { CliUsageError } from './local-config.js';

export type RequestOptions = RequestFields & { source: string };

/**
 * The request as an EventBridge entry. It is checked with the controller's own parser first, so the CLI never
 * sends what the controller would reject for its shape (the allowlist is the stack's to judge).
 */
export function requestEntry(o: RequestOptions): { Source: string; DetailType: string; Detail: string } {
  const event = requestEvent(o);
  // `registry` matters only for ECR pushes, never for a request's shape.
  const parsed = parseInput(event, { requestSource: o.source, registry: LOCAL_REGISTRY });
  if (parsed.kind === 'invalid') throw new CliUsageError(parsed.reason);
  return { Source: o.source, DetailType: String(event['detail-type']), Detail: JSON.stringify(event.detail) };
}
