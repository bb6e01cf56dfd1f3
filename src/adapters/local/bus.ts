import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Bus, OutgoingEvent } from '../../ports.js';

export interface PublishedEvent extends OutgoingEvent {
  source: string;
  time: string;
}

/** The outcome events of local mode: appended to `events.jsonl` and handed to listeners (the CLI's display). */
export class LocalBus implements Bus {
  private readonly listeners: ((event: PublishedEvent) => void)[] = [];

  constructor(
    private readonly file: string,
    private readonly source: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  onEvent(listener: (event: PublishedEvent) => void): void {
    this.listeners.push(listener);
  }

  async put(events: OutgoingEvent[]): Promise<void> {
    const time = this.now().toISOString();
    const published = events.map((e) => ({ source: this.source, time, ...e }));
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, published.map((e) => `${JSON.stringify(e)}\n`).join(''));
    for (const event of published) for (const listener of this.listeners) listener(event);
  }
}
