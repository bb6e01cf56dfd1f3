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

/** PutEvents accepts at most 10 entries per call. */
const BATCH = 10;

/** The `Bus` port on EventBridge. PutEvents can answer 200 and still drop entries: every answer is checked. */
export class EventBridgeBus implements Bus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly options: EventBridgeBusOptions,
  ) {}

  async put(events: OutgoingEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += BATCH) await this.putBatch(events.slice(i, i + BATCH));
  }

  private async putBatch(events: OutgoingEvent[]): Promise<void> {
    const entries: PutEventsRequestEntry[] = events.map((e) => ({
      EventBusName: this.options.bus,
      Source: this.options.source,
      DetailType: e.detailType,
      Detail: JSON.stringify(e.detail),
    }));
    const { bus } = this.options;
    let response: PutEventsCommandOutput;
    try {
      response = await this.send(entries);
    } catch (error) {
      throw awsFailure(error, 'events:PutEvents', `check EVENT_BUS ("${bus}")`, `the function's role events:PutEvents on bus "${bus}"`);
    }
    if ((response.FailedEntryCount ?? 0) === 0) return;
    const failed = (response.Entries ?? [])
      .map((entry, index) => ({ entry, event: events[index] }))
      .filter(({ entry }) => entry.ErrorCode !== undefined)
      .map(({ entry, event }) => `"${event?.detailType ?? '?'}" (${entry.ErrorCode}: ${entry.ErrorMessage ?? 'no message'})`);
    throw new EventPublishError(
      `EventBridge did not accept ${response.FailedEntryCount} of ${events.length} events on bus "${this.options.bus}": ${failed.join('; ')}; the invocation fails so the event is retried`,
    );
  }

  private send(entries: PutEventsRequestEntry[]) {
    return this.client.send(new PutEventsCommand({ Entries: entries }));
  }
}
