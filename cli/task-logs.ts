import { setTimeout as delay } from 'node:timers/promises';
import {
  type CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
  StartLiveTailCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { LogLocation } from './deployment-view.js';

export interface LogLine {
  timestamp: number;
  message: string;
  /** FilterLogEvents' id of the event; live tail gives none. */
  eventId?: string;
  /** When CloudWatch ingested the event (both reads give it): two alike lines of one millisecond differ by it, a repeat does not. */
  ingestionTime?: number;
}

export interface FollowOptions {
  /** Epoch ms to read from: the task's start, so nothing it wrote is missed. */
  startTime: number;
  /** Between FilterLogEvents polls when live tail is not available. */
  pollMs: number;
  /** The log group's ARN, needed by StartLiveTail; without it only FilterLogEvents is used. */
  logGroupArn?: string;
  onLine: (line: LogLine) => void;
  /** Once, when live tail failed and polling took over (the reason). */
  onFallback?: (reason: string) => void;
  /** Once per distinct reason, when the log cannot be read (e.g. no logs:FilterLogEvents permission). */
  onReadError?: (reason: string) => void;
}

/**
 * Streams one task's CloudWatch log: FilterLogEvents from the task's start first (nothing is missed), then
 * StartLiveTail, a new session whenever one ends (sessions last at most three hours), and FilterLogEvents
 * polling from the first live-tail error on. `stop()` reads once more, so the lines written just before the
 * task stopped are printed too. Each event is printed once, yet two alike (same millisecond, same text) are two
 * lines: see {@link TaskLogFollower.emit}.
 */
export class TaskLogFollower {
  /** How many lines of each `${timestamp} ${ingestionTime} ${message}` were printed. */
  private readonly printed = new Map<string, number>();
  /** The FilterLogEvents ids of each such key read so far. */
  private readonly ids = new Map<string, Set<string>>();
  private from: number;
  private stopped = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: CloudWatchLogsClient,
    private readonly location: LogLocation,
    private readonly options: FollowOptions,
  ) {
    this.from = options.startTime;
  }

  start(): void {
    this.loop ??= this.run().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loop;
    await this.catchUp().catch((error: unknown) => this.readError(error));
  }

  private async run(): Promise<void> {
    await this.catchUp().catch((error: unknown) => this.readError(error));
    if (this.options.logGroupArn !== undefined) {
      try {
        while (!this.stopped) {
          await this.liveTail(this.options.logGroupArn);
          // A session that ended: a new one after a pause, so a session closed at once never spins.
          await sleep(this.options.pollMs, this.abort.signal);
        }
        return;
      } catch (error) {
        if (this.stopped) return;
        this.options.onFallback?.(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      }
    }
    while (!this.stopped) {
      await this.catchUp().catch((error: unknown) => this.readError(error));
      await sleep(this.options.pollMs, this.abort.signal);
    }
  }

  private readonly reported = new Set<string>();

  private readError(error: unknown): void {
    // A read the command aborted as it ended (AwsClients.destroy once --wait gave up): not the log's problem.
    if (error instanceof Error && error.name === 'AbortError') return;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (this.reported.has(reason)) return;
    this.reported.add(reason);
    this.options.onReadError?.(reason);
  }

  /** One live-tail session, until it ends (returns) or fails (throws). */
  private async liveTail(logGroupArn: string): Promise<void> {
    const { responseStream } = await this.client.send(
      new StartLiveTailCommand({ logGroupIdentifiers: [logGroupArn], logStreamNames: [this.location.stream] }),
      { abortSignal: this.abort.signal },
    );
    if (responseStream === undefined) throw new Error('StartLiveTail returned no stream');
    for await (const event of responseStream) {
      if (event.SessionStreamingException !== undefined)
        throw new Error(event.SessionStreamingException.message ?? 'SessionStreamingException');
      if (event.SessionTimeoutException !== undefined) return;
      const window = new Map<string, number>();
      for (const e of event.sessionUpdate?.sessionResults ?? [])
        this.emit(
          {
            timestamp: e.timestamp ?? 0,
            message: e.message ?? '',
            ...(e.ingestionTime !== undefined ? { ingestionTime: e.ingestionTime } : {}),
          },
          window,
        );
    }
  }

  /** FilterLogEvents from the newest line seen, every page. A stream that does not exist yet has no lines. */
  async catchUp(): Promise<void> {
    const window = new Map<string, number>();
    for await (const e of filterEvents(this.client, this.location, this.from)) this.emit(e, window);
  }

  /**
   * Prints an event unless it was printed already: reads overlap (a poll reads again from the newest timestamp seen,
   * live tail repeats what the first read printed, `stop()` reads again what live tail printed), yet two events alike
   * (same millisecond, same text) are two lines. Events are alike when their time, ingestion time and text are; an
   * event with an id (FilterLogEvents) is known by it; a new id for a line live tail printed (it gives no ids) is
   * matched to that line, not printed again. Without an id, the n-th event alike of one read (`window`: one
   * FilterLogEvents pass, one live-tail update) is printed only if fewer than n were.
   */
  private emit({ timestamp, message: raw, eventId, ingestionTime }: LogLine, window: Map<string, number>): void {
    const message = raw.replace(/\r?\n$/, '');
    const key = `${timestamp} ${ingestionTime ?? ''} ${message}`;
    const printed = this.printed.get(key) ?? 0;
    if (eventId !== undefined) {
      const ids = this.ids.get(key) ?? new Set<string>();
      this.ids.set(key, ids);
      if (ids.has(eventId)) return;
      ids.add(eventId);
      if (ids.size <= printed) return;
    } else {
      const nth = (window.get(key) ?? 0) + 1;
      window.set(key, nth);
      if (nth <= printed) return;
    }
    this.printed.set(key, printed + 1);
    if (timestamp > this.from) this.from = timestamp;
    this.options.onLine({ timestamp, message });
  }
}

/** Every line of one stream from `startTime` on, oldest first: `logs ID` prints the whole log with it. */
export async function* filterEvents(client: CloudWatchLogsClient, location: LogLocation, startTime = 0): AsyncGenerator<LogLine> {
  let nextToken: string | undefined;
  do {
    let page: FilterLogEventsCommandOutput;
    try {
      page = await client.send(
        new FilterLogEventsCommand({
          logGroupName: location.group,
          logStreamNames: [location.stream],
          startTime,
          ...(nextToken !== undefined ? { nextToken } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return;
      throw error;
    }
    for (const e of page.events ?? [])
      yield {
        timestamp: e.timestamp ?? 0,
        message: (e.message ?? '').replace(/\r?\n$/, ''),
        ...(e.eventId !== undefined ? { eventId: e.eventId } : {}),
        ...(e.ingestionTime !== undefined ? { ingestionTime: e.ingestionTime } : {}),
      };
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
}

/** A pause that ends early when `signal` aborts; its abort listener goes with it (a follow polls for hours). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
