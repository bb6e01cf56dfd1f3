import { appendFile, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastLines } from '../../src/adapters/last-lines.js';
import { fileTail, LocalLogs } from '../../src/adapters/local/logs.js';
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

  // Was: the whole file was read into one string to keep its last lines: past ~512 MiB (a backfill logging each row)
  // V8 cannot make that string, past 2 GiB readFile refuses the file, and the deployment kept "(log tail
  // unavailable: …)" instead of the error the migration printed last. Now only the file's end is read.
  it('reads only the end of a log too big for one string (600 MiB and 2.2 GiB, sparse: no disk used)', async () => {
    const file = layout.taskLogFile('0123abcd');
    for (const mib of [600, 2200]) {
      await writeFile(file, 'applying 0001_backfill.sql\n');
      await truncate(file, mib * 1024 ** 2);
      await appendFile(file, '\nERROR: duplicate key value violates unique constraint "users_email_key"\nmigration failed\n');
      const tail = await new LocalLogs(layout).tail(ref, { lines: 40, bytes: 8192 });
      expect(tail.slice(-2)).toEqual(['ERROR: duplicate key value violates unique constraint "users_email_key"', 'migration failed']);
    }
  });

  it('reads the end of a file as the whole file would give it: the cut line never kept as if whole, no character split', async () => {
    const file = join(root, 'task.log');
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = ['a', 'é', '€', '😀', ' ', '\t'];
    for (let round = 0; round < 60; round++) {
      const lines: string[] = [];
      while (lines.join('\n').length < 6000 + random(20_000)) {
        const long = random(10) === 0 ? 3000 + random(9000) : random(80);
        lines.push(Array.from({ length: long }, () => pieces[random(pieces.length)]).join(''));
      }
      for (let blank = random(4); blank > 0; blank--) lines.push(random(2) === 0 ? '' : '  ');
      await writeFile(file, lines.join('\n'));
      const limits = { lines: 1 + random(60), bytes: 5 + random(9000) };
      const whole = lastLines((await readFile(file, 'utf8')).split('\n'), limits);
      expect(await fileTail(file, limits), `round ${round}, ${JSON.stringify(limits)}`).toEqual(whole);
    }
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
