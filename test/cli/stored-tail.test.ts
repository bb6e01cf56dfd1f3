import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deployCommand } from '../../cli/deploy.js';
import { logTailLines } from '../../cli/format.js';
import { logsCommand } from '../../cli/inspect.js';
import { endedDeployment, TD } from '../support/fixtures.js';
import { mockTable } from '../support/stack-table.js';

/**
 * The log tail a deployment record keeps, as the CLI prints it (`deploy --wait` when it streamed no line, `logs` when
 * the log is unknown or gone, local `status`/`logs`/a failed run). The controller splits the tail on `\n` only
 * (src/adapters/aws/logs.ts), so it keeps a lone `\r` (progress output: `50%\r100%`), which a CI runner reads as a
 * line end: what follows it must not start a line of the output bare (`::stop-commands::`).
 * Was: each stored line went out as `  │ ${line}`, not through taskLines, so the text after a `\r` was a bare line of
 * the job log, read by the runner as its own command.
 */

const TARGET = ['--environment', 'staging', '--table', 'ecs-migrate-staging-DeploymentsTable-ABC123', '--region', 'eu-west-1'];

// What the migration printed: a progress line, then (after a carriage return) text a runner reads as its command.
const TAIL = ['backfilling 50%\r::stop-commands::pwned', 'done'];

// A task-definition deploy: without ecs:DescribeTaskDefinition its log is unknown, and the stored tail is printed.
const ended = endedDeployment('failed', {
  trigger: { type: 'deploy-request', eventId: 'e-1', at: '2026-11-25T09:15:00Z', requestId: 'gh-5-1-deploy', requestedBy: 'ci' },
  work: { type: 'task-definition', taskDefinitionArn: TD(43) },
  taskDefinitionArn: TD(43),
  stop: { exitCode: 1, stopCode: 'EssentialContainerExited' },
  logTail: TAIL,
});

/** Output as a CI runner splits it into lines (`\r\n`, `\n` or `\r`). */
const runnerLines = (text: string) => text.split(/\r\n|\n|\r/);

describe('the stored log tail, as printed on a stack, starts no bare line', () => {
  const makeMocks = () => ({ dynamodb: mockClient(DynamoDBClient), events: mockClient(EventBridgeClient), ecs: mockClient(ECSClient) });
  let mocks: ReturnType<typeof makeMocks>;
  let out: string[];
  beforeEach(() => {
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    mocks = makeMocks();
    mocks.ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    mocks.events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] });
    mockTable(mocks.dynamodb, { environment: 'staging', version: 3 }, [ended]);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    for (const m of Object.values(mocks)) m.restore();
  });

  it('deploy --wait', async () => {
    const code = await deployCommand(
      [...TARGET, '--requested-by', 'ci', '--wait', '--timeout', '30s', '--request-id', 'gh-5-1-deploy', '--task-definition', TD(43)],
      { pollMs: 5, heartbeatMs: 3_600_000 },
    );
    const text = out.join('');
    expect(code, text).toBe(1);
    expect(text).toContain('  │ ::stop-commands::pwned');
    expect(runnerLines(text).filter((l) => l.startsWith('::'))).toEqual([]);
  });

  it('logs ID', async () => {
    await logsCommand([ended.id, ...TARGET]);
    const text = out.join('');
    expect(text).toContain('  │ ::stop-commands::pwned');
    expect(runnerLines(text).filter((l) => l.startsWith('::'))).toEqual([]);
  });
});

describe('the stored log tail, as local mode prints it (logTailLines)', () => {
  it('prefixes the text after a carriage return too', () => {
    const lines = logTailLines(ended);
    expect(lines.slice(1)).toEqual(['    │ backfilling 50%', '    │ ::stop-commands::pwned', '    │ done']);
    expect(runnerLines(lines.join('\n')).filter((l) => l.startsWith('::'))).toEqual([]);
  });
});
