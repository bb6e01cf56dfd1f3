import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EnvironmentLock } from '../../src/local/env-lock.js';

/**
 * Several runs taking over the lock of a dead run at once (a CI matrix, a retry loop, two terminals after a crash).
 * Their file operations interleave freely; these tests fix one order with hooks on the real file operations.
 */
const hook = vi.hoisted(() => ({
  /** Told after each rename, link and readFile, with its paths (or the path and what was read). */
  after: undefined as undefined | ((op: 'rename' | 'link' | 'readFile', a: string, b: string) => Promise<void>),
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    rename: async (src: string, dst: string) => {
      await actual.rename(src, dst);
      await hook.after?.('rename', String(src), String(dst));
    },
    link: async (src: string, dst: string) => {
      await actual.link(src, dst);
      await hook.after?.('link', String(src), String(dst));
    },
    readFile: async (...args: Parameters<typeof actual.readFile>) => {
      const read = await actual.readFile(...args);
      await hook.after?.('readFile', String(args[0]), String(read));
      return read;
    },
  };
});

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-lock-takeover-'));
  file = join(dir, 'lock.json');
});
afterEach(async () => {
  hook.after = undefined;
  await rm(dir, { recursive: true, force: true });
});

const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
const acquire = (what: string, wait = false) => EnvironmentLock.acquire(file, { environment: 'local-app', what, wait, pollMs: 5 });

describe('taking over the lock of a dead run', () => {
  // Was: a taker moved the lock file aside, and one that had moved a fresh lock (taken meanwhile by a faster run)
  // linked it back, ignoring a failure; in between there was no lock file, a third run took the environment, the
  // link failed (EEXIST) and the fresh lock was deleted: two runs held the environment and ran two migrations at once.
  // Now takeovers of one stale lock are serialised by a marker, and a taker removes the lock file only if it still
  // holds the dead owner: the file never goes missing while a live run holds it.
  it('leaves the environment to one run when a third run tries while a slower taker is at work', async () => {
    await writeFile(file, JSON.stringify({ pid: deadPid(), host: hostname(), since: 'then', what: 'a run killed with SIGKILL' }));
    const holders: string[] = [];
    const take = (what: string) =>
      acquire(what).then(
        (lock) => {
          holders.push(what);
          return lock;
        },
        () => undefined,
      );
    let staleReads = 0;
    let bothRead!: () => void;
    const bothReadIt = new Promise<void>((r) => {
      bothRead = r;
    });
    let third: Promise<unknown> | undefined;
    let slowerTakesOver = false;
    hook.after = async (op, a, b) => {
      // A and B both read the dead run's lock; the first to read it goes on once the other has too, and takes the
      // environment; the other goes on only then.
      if (op === 'readFile' && a === file && b.includes('SIGKILL')) {
        staleReads++;
        if (staleReads === 1) return bothReadIt;
        if (staleReads === 2) {
          bothRead();
          await vi.waitFor(() => expect(holders).toHaveLength(1));
          slowerTakesOver = true;
        }
        return;
      }
      // The slower one's first change of a file in its takeover: run C tries now.
      if (slowerTakesOver && (op === 'rename' || op === 'link') && !b.endsWith('lock.json')) {
        slowerTakesOver = false;
        third = take('C');
        await third;
      }
    };
    const locks = await Promise.all([take('A'), take('B')]);
    await third;

    expect(third, 'run C tried while the slower run took over').toBeDefined();
    expect(holders).toHaveLength(1);
    for (const lock of locks) lock?.release();
  });

  it('holds it in one run at a time when many take it over at once', async () => {
    for (let round = 0; round < 5; round++) {
      await writeFile(file, JSON.stringify({ pid: deadPid(), host: hostname(), since: `then ${round}`, what: 'dead run' }));
      let holding = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const lock = await acquire(`run ${i}`, true);
          most = Math.max(most, ++holding);
          await new Promise((r) => setTimeout(r, 2));
          holding--;
          lock.release();
        }),
      );
      expect(most).toBe(1);
    }
    expect((await readdir(dir)).filter((f) => f !== 'lock.json')).toEqual([]);
  });

  it('is not blocked by the marker of a taker that died while taking it over', async () => {
    await writeFile(file, JSON.stringify({ pid: deadPid(), host: hostname(), since: 'then', what: 'dead run' }));
    // The first taker makes its marker, then "dies": its marker names a dead process, and it never goes on.
    let release!: () => void;
    const never = new Promise<void>((r) => {
      release = r;
    });
    let marker: string | undefined;
    hook.after = async (op, _a, b) => {
      if (op !== 'link' || !b.includes('.takeover-') || marker !== undefined) return;
      marker = b;
      await writeFile(b, JSON.stringify({ pid: deadPid(), host: hostname(), since: 'then', what: 'taking over lock.json' }));
      await never;
    };
    const dying = acquire('dying taker');
    await vi.waitFor(() => expect(marker).toBeDefined());

    const lock = await acquire('next run');
    expect(lock).toBeInstanceOf(EnvironmentLock);
    release();
    await expect(dying).rejects.toThrow(/environment busy/);
    lock.release();
  });
});
