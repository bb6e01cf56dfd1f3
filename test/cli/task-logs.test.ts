import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  StartLiveTailCommand,
  type StartLiveTailResponseStream,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { taskLines } from '../../cli/format.js';
import { filterEvents, TaskLogFollower } from '../../cli/task-logs.js';

const logs = mockClient(CloudWatchLogsClient);
const location = { group: '/ecs/shop-api', stream: 'ecs/app/abc' };
const ARN = 'arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop-api';

async function* session(events: StartLiveTailResponseStream[]): AsyncIterable<StartLiveTailResponseStream> {
  for (const e of events) yield e;
}
const update = (...lines: [number, string][]): StartLiveTailResponseStream => ({
  sessionUpdate: { sessionResults: lines.map(([timestamp, message]) => ({ timestamp, message, logStreamName: location.stream })) },
});
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
};

beforeEach(() => logs.reset());

describe('TaskLogFollower', () => {
  it('reads from the task start, then live-tails, starting a new session when one times out; each line once', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [{ timestamp: 1, message: 'starting\n' }] });
    logs
      .on(StartLiveTailCommand)
      .resolvesOnce({
        responseStream: session([
          { sessionStart: {} },
          update([1, 'starting'], [2, 'applying 0042']),
          { SessionTimeoutException: { name: 'SessionTimeoutException', message: '3 hours', $fault: 'client', $metadata: {} } as never },
        ]),
      })
      .resolves({ responseStream: session([update([3, 'done'])]) });
    const lines: string[] = [];
    const follower = new TaskLogFollower(new CloudWatchLogsClient({ region: 'eu-west-1' }), location, {
      startTime: 0,
      pollMs: 5,
      logGroupArn: ARN,
      onLine: (l) => lines.push(l.message),
    });
    follower.start();
    await until(() => lines.includes('done'));
    await follower.stop();

    expect(lines).toEqual(['starting', 'applying 0042', 'done']);
    expect(logs.commandCalls(StartLiveTailCommand).length).toBeGreaterThanOrEqual(2);
    expect(logs.commandCalls(StartLiveTailCommand)[0]?.args[0].input).toEqual({
      logGroupIdentifiers: [ARN],
      logStreamNames: [location.stream],
    });
    expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toMatchObject({
      logGroupName: location.group,
      logStreamNames: [location.stream],
      startTime: 0,
    });
  });

  it('falls back to FilterLogEvents polling on a live-tail error, from the newest line seen', async () => {
    let polls = 0;
    logs.on(FilterLogEventsCommand).callsFake(() => {
      polls++;
      return polls === 1
        ? { events: [{ timestamp: 10, message: 'one' }] }
        : {
            events: [
              { timestamp: 10, message: 'one' },
              { timestamp: 11, message: 'two' },
            ],
          };
    });
    logs
      .on(StartLiveTailCommand)
      .rejects(Object.assign(new Error('not authorized to perform logs:StartLiveTail'), { name: 'AccessDeniedException' }));
    const lines: string[] = [];
    const fallbacks: string[] = [];
    const follower = new TaskLogFollower(new CloudWatchLogsClient({ region: 'eu-west-1' }), location, {
      startTime: 5,
      pollMs: 5,
      logGroupArn: ARN,
      onLine: (l) => lines.push(l.message),
      onFallback: (reason) => fallbacks.push(reason),
    });
    follower.start();
    await until(() => lines.includes('two'));
    await follower.stop();

    expect(lines).toEqual(['one', 'two']);
    expect(fallbacks).toEqual(['AccessDeniedException: not authorized to perform logs:StartLiveTail']);
    // After the first line, polls start from its timestamp: nothing already printed is fetched from the start again.
    expect(logs.commandCalls(FilterLogEventsCommand).at(-1)?.args[0].input.startTime).toBe(11);
  });

  it('says once why the log cannot be read (a missing permission), and keeps trying', async () => {
    logs
      .on(FilterLogEventsCommand)
      .rejects(Object.assign(new Error('not authorized to perform logs:FilterLogEvents'), { name: 'AccessDeniedException' }));
    const problems: string[] = [];
    const follower = new TaskLogFollower(new CloudWatchLogsClient({ region: 'eu-west-1' }), location, {
      startTime: 0,
      pollMs: 5,
      onLine: () => {},
      onReadError: (reason) => problems.push(reason),
    });
    follower.start();
    await until(() => logs.commandCalls(FilterLogEventsCommand).length >= 3);
    await follower.stop();
    expect(problems).toEqual(['AccessDeniedException: not authorized to perform logs:FilterLogEvents']);
  });

  // Was: each poll's pause added an abort listener it never removed: after 11 polls Node printed a
  // MaxListenersExceededWarning into the CLI's output, and a long wait kept every listener.
  it('polls as long as the task runs without piling up listeners (no MaxListenersExceededWarning)', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const follower = new TaskLogFollower(new CloudWatchLogsClient({ region: 'eu-west-1' }), location, {
        startTime: 0,
        pollMs: 1,
        onLine: () => {},
      });
      follower.start();
      await until(() => logs.commandCalls(FilterLogEventsCommand).length >= 20);
      await follower.stop();
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('a stream that does not exist yet has no lines (the task has not written)', async () => {
    logs
      .on(FilterLogEventsCommand)
      .rejects(Object.assign(new Error('The specified log stream does not exist.'), { name: 'ResourceNotFoundException' }));
    const lines: string[] = [];
    const follower = new TaskLogFollower(new CloudWatchLogsClient({ region: 'eu-west-1' }), location, {
      startTime: 0,
      pollMs: 5,
      onLine: (l) => lines.push(l.message),
    });
    await follower.catchUp();
    expect(lines).toEqual([]);
  });
});

describe('a task log event of several lines, as the CLI prints it', () => {
  it('prefixes every line, so none can start a line of the output bare (a CI runner reads `::…::` as its own command)', () => {
    const message = 'migrating\n::add-mask::nothing\r\n::stop-commands::token\rpassword=hunter2';
    const printed = taskLines('  │ ', message).split('\n');
    expect(printed).toEqual(['  │ migrating', '  │ ::add-mask::nothing', '  │ ::stop-commands::token', '  │ password=[REDACTED]']);
    expect(printed.every((line) => line.startsWith('  │ '))).toBe(true);
  });
});

describe('TaskLogFollower: lines alike written in the same millisecond', () => {
  // Was: a line was known by `${timestamp} ${message}` across the whole stream, so of two events alike (a blank
  // line, a repeated "OK") written in one millisecond only the first was printed: --wait's log differed from `logs ID`.
  const T = 1_764_062_100_123;
  const BURST = [
    { eventId: 'e1', timestamp: T, message: 'applying 0041_orders.sql' },
    { eventId: 'e2', timestamp: T, message: 'OK' },
    { eventId: 'e3', timestamp: T, message: '' },
    { eventId: 'e4', timestamp: T, message: 'applying 0042_order_items.sql' },
    { eventId: 'e5', timestamp: T, message: 'OK' },
    { eventId: 'e6', timestamp: T, message: '' },
  ];

  /** The lines a follower prints (live-tailing when `liveTail`) until `done` holds; then it stops. */
  async function followUntil(liveTail: boolean, done: (followed: string[]) => boolean): Promise<string[]> {
    const followed: string[] = [];
    const follower = new TaskLogFollower(new CloudWatchLogsClient({ region: 'eu-west-1' }), location, {
      startTime: 0,
      pollMs: 5,
      ...(liveTail ? { logGroupArn: ARN } : {}),
      onLine: (l) => followed.push(l.message),
    });
    follower.start();
    await until(() => done(followed));
    await follower.stop();
    return followed;
  }

  it('prints every event of the task log, also two alike written in the same millisecond (as `logs ID` does)', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: BURST });
    const client = new CloudWatchLogsClient({ region: 'eu-west-1' });
    const all: string[] = [];
    for await (const l of filterEvents(client, location)) all.push(l.message);
    expect(all).toHaveLength(6);

    // Every poll reads the burst again (from its timestamp, the newest seen): each event is still printed once.
    const followed: string[] = [];
    const follower = new TaskLogFollower(client, location, { startTime: 0, pollMs: 5, onLine: (l) => followed.push(l.message) });
    follower.start();
    await until(() => logs.commandCalls(FilterLogEventsCommand).length >= 4);
    await follower.stop();
    expect(followed).toEqual(all);
  });

  it('without event ids, prints the second alike of one read but nothing of a read again', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: BURST.map(({ eventId: _id, ...e }) => e) });
    const followed = await followUntil(false, () => logs.commandCalls(FilterLogEventsCommand).length >= 4);
    expect(followed).toEqual(BURST.map((e) => e.message));
  });

  // Was: without ids, a line of a live-tail update was dropped when an alike one was printed before, so of two alike
  // lines that came in two updates only the first was printed. The time CloudWatch ingested each tells them apart.
  it('prints two alike lines that came in two live-tail updates, but not a live-tail repeat of a line read before', async () => {
    const withIngestion = (...lines: [number, string, number][]): StartLiveTailResponseStream => ({
      sessionUpdate: {
        sessionResults: lines.map(([timestamp, message, ingestionTime]) => ({
          timestamp,
          message,
          ingestionTime,
          logStreamName: location.stream,
        })),
      },
    });
    logs.on(FilterLogEventsCommand).resolves({ events: [{ eventId: 'e1', timestamp: T, message: 'OK', ingestionTime: T + 40 }] });
    logs
      .on(StartLiveTailCommand)
      .resolvesOnce({ responseStream: session([withIngestion([T, 'OK', T + 40]), withIngestion([T, 'OK', T + 90])]) })
      .resolves({ responseStream: session([]) });
    const followed = await followUntil(true, () => logs.commandCalls(StartLiveTailCommand).length >= 2);
    expect(followed).toEqual(['OK', 'OK']);
  });

  it('does not print again, when read with their ids, the lines live tail printed (without ids); prints one more alike', async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [] })
      .resolves({
        events: [
          { eventId: 'e1', timestamp: T, message: 'OK' },
          { eventId: 'e2', timestamp: T, message: 'OK' },
          { eventId: 'e3', timestamp: T, message: 'OK' },
        ],
      });
    logs
      .on(StartLiveTailCommand)
      .resolvesOnce({ responseStream: session([update([T, 'OK'], [T, 'OK'])]) })
      .resolves({ responseStream: session([]) });
    const followed = await followUntil(true, (lines) => lines.length >= 2);
    expect(followed).toEqual(['OK', 'OK', 'OK']);
  });
});
