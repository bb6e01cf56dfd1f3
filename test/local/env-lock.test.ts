import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EnvironmentBusyError,
  EnvironmentLock,
  FileLockTimeoutError,
  type LockOwner,
  LockWaitAbortedError,
  lockHolder,
  UnreadableLockError,
  withFileLock,
} from '../../src/local/env-lock.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-lock-'));
  file = join(dir, 'lock.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const acquire = (options: Partial<Parameters<typeof EnvironmentLock.acquire>[1]> = {}) =>
  EnvironmentLock.acquire(file, { environment: 'local-app', what: 'test', wait: true, pollMs: 20, ...options });

describe('the environment lock', () => {
  it('records its owner, refuses a second holder with --no-wait, and is free once released', async () => {
    const lock = await acquire();
    const owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner;
    expect(owner).toMatchObject({ pid: process.pid, host: hostname(), what: 'test' });
    expect(owner.startTime).toMatch(/^\d+$/);
    await expect(acquire({ wait: false })).rejects.toThrow(EnvironmentBusyError);
    await expect(acquire({ wait: false })).rejects.toThrow(/^environment busy: local-app is held by pid \d+ \(test, since /);
    lock.release();
    (await acquire({ wait: false })).release();
  });

  it('makes a second run wait, telling it once who it waits for, until the first releases', async () => {
    const first = await acquire();
    const waited: LockOwner[] = [];
    const second = acquire({ onWait: (o) => waited.push(o) });
    await new Promise((r) => setTimeout(r, 150));
    expect(waited).toHaveLength(1);
    first.release();
    const lock = await second;
    expect(waited).toHaveLength(1);
    lock.release();
  });

  it('stops waiting when aborted', async () => {
    const first = await acquire();
    const abort = new AbortController();
    const second = acquire({ signal: abort.signal });
    abort.abort();
    await expect(second).rejects.toThrow(LockWaitAbortedError);
    first.release();
  });

  it('takes over a lock whose owner is gone, or whose pid now belongs to another process', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const stale: LockOwner[] = [];
    await writeFile(file, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), since: 'then', what: 'dead run' }));
    const lock = await acquire({ wait: false, onStale: (o) => stale.push(o) });
    expect(stale.map((o) => o.what)).toEqual(['dead run']);
    lock.release();

    // This process's pid, but another start time: a reused pid, not the owner.
    await writeFile(file, JSON.stringify({ pid: process.pid, startTime: '1', host: hostname(), since: 'then', what: 'reused pid' }));
    (await acquire({ wait: false })).release();
  });

  // Was: a lock written on another host name (a dev container since recreated, its state directory kept) failed
  // --no-wait with "try again when it has finished", which never comes, naming neither the file nor how to free it.
  it('keeps a lock of another host, which it cannot check, and names the host, the file and the way out', async () => {
    const owner = { pid: 4_000_000, host: 'f3a9c2d1e0b7', since: '2026-01-01T00:00:00.000Z', what: 'ecs-migrate local --app .' };
    await writeFile(file, JSON.stringify(owner));
    const busy = await acquire({ wait: false }).catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(EnvironmentBusyError);
    expect(String(busy)).toContain('is held by pid 4000000 on f3a9c2d1e0b7');
    expect(String(busy)).toContain(`if no run is active on f3a9c2d1e0b7, delete ${file}`);
    expect(String(busy)).not.toContain('try again when it has finished');

    const hints: (string | undefined)[] = [];
    const waiting = acquire({ onWait: (_owner, hint) => hints.push(hint) });
    await new Promise((r) => setTimeout(r, 150));
    expect(hints).toEqual([expect.stringContaining(`if no run is active on f3a9c2d1e0b7, delete ${file}`)]);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(owner);
    await rm(file);
    (await waiting).release();
  });

  it('records the task group, and a task that ends after the release does not bring the lock back', async () => {
    const lock = await acquire();
    lock.setTask(process.pid, 'a1b2', ['socket:[4242]', '/dev/null']);
    // The task id, which every process of the task inherits, and its output let a successor kill those that left
    // the group; a file is not recorded as output (every process holding it would be taken for the task's).
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({
      pid: process.pid,
      task: { pid: process.pid, id: 'a1b2', outputs: ['socket:[4242]'] },
    });
    lock.release();
    lock.setTask(undefined);
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('does not remove a lock that another run holds now', async () => {
    const lock = await acquire();
    await writeFile(file, JSON.stringify({ pid: process.pid, host: hostname(), since: 'later', what: 'someone else' }));
    lock.release();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ what: 'someone else' });
  });

  it('refuses a lock file it cannot read, naming it and the way out, instead of spinning or crashing', async () => {
    for (const content of [
      '',
      'garbage\n',
      'null',
      '[]',
      '{}',
      '{"pid":"1","host":"h","since":"s","what":"w"}',
      // A task group of 1 would be killed as -1: every process.
      '{"pid":5,"host":"elsewhere","since":"s","what":"w","task":{"pid":1}}',
      // An empty task id would match every process whose ECS_MIGRATE_TASK_ID is empty.
      '{"pid":5,"host":"elsewhere","since":"s","what":"w","task":{"pid":7,"id":""}}',
      // An output that is a file would match every process holding it.
      '{"pid":5,"host":"elsewhere","since":"s","what":"w","task":{"pid":7,"outputs":["/dev/null"]}}',
    ]) {
      await writeFile(file, content);
      const result = await Promise.race([
        acquire({ wait: false }).then(
          (lock) => {
            lock.release();
            return 'acquired';
          },
          (error: unknown) => error,
        ),
        new Promise((r) => setTimeout(() => r('still trying after 2 s'), 2000)),
      ]);
      expect(result, JSON.stringify(content)).toBeInstanceOf(UnreadableLockError);
      expect(String(result)).toContain(file);
      expect(String(result)).toMatch(/delete the file and run again$/);
      expect(String(result)).not.toContain('\n');
      expect(await readFile(file, 'utf8')).toBe(content);
    }
    await rm(file);
    await mkdir(file);
    await expect(acquire({ wait: true })).rejects.toBeInstanceOf(UnreadableLockError);
  });
});

describe('who holds an environment (lockHolder), as `logs --follow` and `status` ask', () => {
  it('is free, live (also another host, which cannot be checked), gone (a dead owner) or unreadable', async () => {
    expect(await lockHolder(file)).toEqual({ state: 'free' });
    const lock = await acquire();
    expect(await lockHolder(file)).toMatchObject({ state: 'live', owner: { pid: process.pid } });
    lock.release();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(file, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), since: 'then', what: 'dead run' }));
    expect(await lockHolder(file)).toMatchObject({ state: 'gone', owner: { what: 'dead run' } });
    await writeFile(file, JSON.stringify({ pid: Number(dead.stdout), host: 'elsewhere', since: 'then', what: 'far run' }));
    expect(await lockHolder(file)).toMatchObject({ state: 'live', owner: { what: 'far run' } });
    await writeFile(file, 'garbage');
    expect(await lockHolder(file)).toMatchObject({ state: 'unreadable' });
  });
});

describe('the lock of a shared file (withFileLock)', () => {
  const shared = () => join(dir, 'images.json');
  const lockOf = () => `${shared()}.lock`;

  it('runs one change at a time, and is free afterwards, also when the change throws', async () => {
    let running = 0;
    let most = 0;
    const change = async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    };
    await Promise.all(Array.from({ length: 8 }, () => withFileLock(shared(), change)));
    expect(most).toBe(1);
    await expect(withFileLock(shared(), () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(readFile(lockOf(), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('takes over a lock whose owner is gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(lockOf(), JSON.stringify({ pid: Number(dead.stdout), host: hostname(), since: 'then', what: 'dead run' }));
    expect(await withFileLock(shared(), async () => 'changed', { timeoutMs: 500 })).toBe('changed');
    await expect(readFile(lockOf(), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('waits a bounded time for a live owner, then fails naming the lock file and the way out', async () => {
    await writeFile(lockOf(), JSON.stringify({ pid: process.pid, host: hostname(), since: 'now', what: 'updating images.json' }));
    const failed = withFileLock(shared(), async () => 'changed', { timeoutMs: 100 });
    await expect(failed).rejects.toBeInstanceOf(FileLockTimeoutError);
    await expect(failed).rejects.toThrow(`delete ${lockOf()} and run again`);
    expect(JSON.parse(await readFile(lockOf(), 'utf8'))).toMatchObject({ since: 'now' });
  });
});
