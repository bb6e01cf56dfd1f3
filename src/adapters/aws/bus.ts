import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { EventPublishError } from '../../errors.js';
import type { Bus, OutgoingEvent } from '../../ports.js';
import { awsFailure } from './aws-error.js';

export interface EventBridgeBusOptions {
  /** Bus name or ARN (EVENT_BUS). */
  bus: string;
  /** `source` of every emitted event (EVENT_SOURCE). */
  source: string;
}

/** PutEvents accepts at most 10 entries per call, */
const BATCH = 10;
/** and less than 256 KB of them (eb-putevent-size): the core bounds one event's detail to 200 KB, not a batch. */
const BATCH_BYTES = 256 * 1024 - 1;

/** An entry's size as EventBridge counts it: Source, DetailType and Detail in UTF-8 (no Time or Resources are sent). */
function entryBytes(e: PutEventsRequestEntry): number {
  return Buffer.byteLength(e.Source ?? '') + Buffer.byteLength(e.DetailType ?? '') + Buffer.byteLength(e.Detail ?? '');
}

/** Entries in batches within both PutEvents limits, in order (one entry is always within the size). */
export function batches(entries: PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const out: PutEventsRequestEntry[][] = [];
  let batch: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (batch.length > 0 && (batch.length === BATCH || bytes + size > BATCH_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/** The `Bus` port on EventBridge. PutEvents can answer 200 and still drop entries: every answer is checked. */
export class EventBridgeBus implements Bus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly options: EventBridgeBusOptions,
  ) {}

  async put(events: OutgoingEvent[]): Promise<void> {
    const entries = events.map(
      (e): PutEventsRequestEntry => ({
        EventBusName: this.options.bus,
        Source: this.options.source,
        DetailType: e.detailType,
        Detail: JSON.stringify(e.detail),
      }),
    );
    for (const batch of batches(entries)) await this.putBatch(batch);
  }

  private async putBatch(entries: PutEventsRequestEntry[]): Promise<void> {
    const { bus } = this.options;
    let response: PutEventsCommandOutput;
    try {
      response = await this.send(entries);
    } catch (error) {
      throw awsFailure(error, 'events:PutEvents', `check EVENT_BUS ("${bus}")`, `the function's role events:PutEvents on bus "${bus}"`);
    }
    if ((response.FailedEntryCount ?? 0) === 0) return;
    const failed = (response.Entries ?? [])
      .map((result, index) => ({ result, sent: entries[index] }))
      .filter(({ result }) => result.ErrorCode !== undefined)
      .map(({ result, sent }) => `"${sent?.DetailType ?? '?'}" (${result.ErrorCode}: ${result.ErrorMessage ?? 'no message'})`);
    throw new EventPublishError(
      `EventBridge did not accept ${response.FailedEntryCount} of ${entries.length} events on bus "${this.options.bus}": ${failed.join('; ')}; the invocation fails so the event is retried`,
    );
  }

  private send(entries: PutEventsRequestEntry[]) {
    return this.client.send(new PutEventsCommand({ Entries: entries }));
  }
}
