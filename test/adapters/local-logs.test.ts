import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalLogs } from '../../src/adapters/local/logs.js';
import { RecentLines } from '../../src/adapters/local/recent-lines.js';
import { LocalLayout } from '../../src/local/layout.js';

const TASK = 'arn:aws:ecs:local:000000000000:task/local/0123abcd';
const ref = { taskArn: TASK, taskDefinitionArn: 'arn:aws:ecs:local:000000000000:task-definition/app:2', container: 'app' };
const LIMITS = { lines: 50, bytes: 8 * 1024 };

let root: string;
let layout: LocalLayout;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecs-migrate-local-logs-'));
  layout = new LocalLayout(root, 'local-app');
  await mkdir(dirname(layout.taskLogFile('0123abcd')), { recursive: true });
  // The file as a failed write left it: it stops short, inside a line.
  await writeFile(layout.taskLogFile('0123abcd'), 'first\nsecond\nthi');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('LocalLogs', () => {
  it('reads the task log file', async () => {
    expect(await new LocalLogs(layout).tail(ref, LIMITS)).toEqual(['first', 'second', 'thi']);
  });

  it('takes the lines kept in memory when the file could not be written, not its stale end', async () => {
    const logs = new LocalLogs(layout, (arn) => (arn === TASK ? ['third', 'last'] : undefined));
    expect(await logs.tail(ref, LIMITS)).toEqual(['third', 'last']);
  });
});

describe('RecentLines', () => {
  it('keeps the last lines, bounded by count', () => {
    const recent = new RecentLines({ lines: 3, chars: 1000 });
    for (let i = 1; i <= 10; i++) recent.push(`line ${i}`);
    expect(recent.lines()).toEqual(['line 8', 'line 9', 'line 10']);
  });

  it('keeps at least `chars` characters (the tail may start inside the oldest), and always the newest line', () => {
    const recent = new RecentLines({ lines: 100, chars: 10 });
    for (const line of ['aaaa', 'bbbb', 'cccc', 'dddd']) recent.push(line);
    expect(recent.lines()).toEqual(['bbbb', 'cccc', 'dddd']);
    recent.push('x'.repeat(50));
    expect(recent.lines()).toEqual(['x'.repeat(50)]);
  });
});
