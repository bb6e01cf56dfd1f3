import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { procStat } from './proc-stat.js';
import { OUTPUT_LINK, strays } from './task-process.js';

/** Who holds an environment: a live `ecs-migrate local` process, and the task process group it runs, if any. */
export interface LockOwner {
  pid: number;
  /** The process's start time as the kernel tells it (Linux), so a reused pid is not taken for the owner. */
  startTime?: string;
  host: string;
  since: string;
  /** What it is doing, for the message a waiting run prints. */
  what: string;
  /** The task it runs, what a successor kills if the owner died and left it running. */
  task?: LockTask;
}

/**
 * A task as its lock records it: its leader's pid (its process group's and session's id) and start time, its id (the
 * ECS_MIGRATE_TASK_ID every process of the task inherits) and its output as /proc links it ('socket:[inode]'), which
 * processes that left the task's group and session may still hold. `id` and `outputs` are absent from lock files
 * written before they were recorded.
 */
export interface LockTask {
  pid: number;
  startTime?: string;
  id?: string;
  outputs?: string[];
}

export class EnvironmentBusyError extends Error {
  override name = 'EnvironmentBusyError';
  constructor(
    readonly environment: string,
    readonly owner: LockOwner,
    readonly file: string,
  ) {
    super(
      `environment busy: ${environment} is held by ${describeOwner(owner)}; ${foreignOwnerHint(owner, file) ?? 'try again when it has finished'}`,
    );
  }
}

/**
 * The lock file holds no owner this code could have written (every write is whole: a link or a rename), so who
 * holds the environment cannot be told: the run stops and says how to free it, rather than wait forever.
 */
export class UnreadableLockError extends Error {
  override name = 'UnreadableLockError';
  constructor(
    readonly environment: string,
    readonly file: string,
    problem: string,
  ) {
    super(
      `environment ${environment}: its lock file ${file} is unreadable (${problem}); if no "ecs-migrate local" runs for this environment, delete the file and run again`,
    );
  }
}

export class LockWaitAbortedError extends Error {
  override name = 'LockWaitAbortedError';
}

export function describeOwner(owner: LockOwner): string {
  return `pid ${owner.pid}${owner.host !== hostname() ? ` on ${owner.host}` : ''} (${owner.what}, since ${owner.since})`;
}

/**
 * How to free an environment whose lock was written on another host: whether that run still lives cannot be checked
 * from here, so the lock is never taken over; undefined for an owner on this host. The host may be gone for good: a
 * dev container or `docker run` gets a new host name each time, while the state directory is kept.
 */
export function foreignOwnerHint(owner: LockOwner, file: string): string | undefined {
  if (owner.host === hostname()) return undefined;
  return `a run on ${owner.host} cannot be checked from ${hostname()} (another machine, or a container since recreated); if no run is active on ${owner.host}, delete ${file}`;
}

export interface AcquireOptions {
  environment: string;
  what: string;
  /** false: throw EnvironmentBusyError instead of waiting (`--no-wait`). */
  wait: boolean;
  /**
   * Told once when the run has to wait, and whenever the owner changes; `hint` is `foreignOwnerHint` for an owner on
   * another host.
   */
  onWait?: (owner: LockOwner, hint: string | undefined) => void;
  /** Told when a stale lock is taken over; `killedTask` when processes of its orphaned task were still running. */
  onStale?: (owner: LockOwner, killedTask: boolean) => void;
  signal?: AbortSignal;
  pollMs?: number;
  now?: () => Date;
}

/**
 * One environment, one migration: a lock file held by a live `ecs-migrate local` process. A second run waits
 * for it (or fails with `EnvironmentBusyError`); a lock whose owner is gone is taken over, and the owner's task
 * (its group, and the processes in its session, holding its output or its task id), if it outlived the owner
 * (SIGKILL of the CLI), is killed first, so two migrations never overlap.
 */
export class EnvironmentLock {
  private owner: LockOwner;
  private released = false;

  private constructor(
    readonly file: string,
    owner: LockOwner,
  ) {
    this.owner = owner;
  }

  static async acquire(file: string, options: AcquireOptions): Promise<EnvironmentLock> {
    const now = options.now ?? (() => new Date());
    await mkdir(dirname(file), { recursive: true });
    let lastWaitedFor: string | undefined;
    for (;;) {
      if (options.signal?.aborted) throw new LockWaitAbortedError(`stopped while waiting for environment ${options.environment}`);
      const mine: LockOwner = {
        pid: process.pid,
        ...optional('startTime', processStartTime(process.pid)),
        host: hostname(),
        since: now().toISOString(),
        what: options.what,
      };
      if (await createExclusive(file, mine)) return new EnvironmentLock(file, mine);
      const read = await readLock(file);
      if (read === undefined) continue; // released meanwhile: try again
      if (typeof read === 'string') throw new UnreadableLockError(options.environment, file, read);
      const owner = read;
      if (!isAlive(owner)) {
        let killedTask = false;
        const killFirst = () => {
          killedTask = owner.task !== undefined && owner.host === hostname() && killOrphanedTask(owner.task);
        };
        if (await takeOverStale(file, owner, killFirst)) options.onStale?.(owner, killedTask);
        continue;
      }
      if (!options.wait) throw new EnvironmentBusyError(options.environment, owner, file);
      const key = `${owner.pid}/${owner.since}`;
      if (key !== lastWaitedFor) options.onWait?.(owner, foreignOwnerHint(owner, file));
      lastWaitedFor = key;
      await sleep(options.pollMs ?? 200, options.signal);
    }
  }

  /**
   * Records the task process group this run started, the task id its processes inherit and its output (or that it
   * ended), so a successor can stop an orphan. Synchronous, like `release()`, so a release can never come between
   * its check and its write.
   */
  setTask(pid: number | undefined, taskId?: string, outputs?: readonly string[]): void {
    if (this.released) return;
    const { task: _, ...rest } = this.owner;
    const recorded = outputs?.filter((link) => OUTPUT_LINK.test(link));
    this.owner =
      pid === undefined
        ? rest
        : {
            ...rest,
            task: {
              pid,
              ...optional('startTime', processStartTime(pid)),
              ...optional('id', taskId),
              ...optional('outputs', recorded !== undefined && recorded.length > 0 ? recorded : undefined),
            },
          };
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify(this.owner));
    renameSync(tmp, this.file);
  }

  /** Removes the lock if it is still this process's. Synchronous, so it also runs in a process 'exit' handler. */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      const current = JSON.parse(readFileSync(this.file, 'utf8')) as LockOwner;
      if (current.pid === this.owner.pid && current.since === this.owner.since) unlinkSync(this.file);
    } catch {
      // Gone already, or not ours any more: nothing to release.
    }
  }
}

/**
 * Who holds an environment now, as a run that wants it would find: `live` also for an owner on another host (which
 * cannot be checked from here), `gone` for an owner that died (the next run takes the lock over).
 */
export type LockHolder =
  | { state: 'free' }
  | { state: 'live'; owner: LockOwner }
  | { state: 'gone'; owner: LockOwner }
  | { state: 'unreadable'; problem: string };

/** Who holds the environment of `file` (its lock.json), without waiting for or taking it. */
export async function lockHolder(file: string): Promise<LockHolder> {
  const read = await readLock(file);
  if (read === undefined) return { state: 'free' };
  if (typeof read === 'string') return { state: 'unreadable', problem: read };
  return isAlive(read) ? { state: 'live', owner: read } : { state: 'gone', owner: read };
}

/** A file lock held by a live process for longer than a read-modify-write of its file could take. */
export class FileLockTimeoutError extends Error {
  override name = 'FileLockTimeoutError';
}

export interface FileLockOptions {
  /** How long to wait for a lock that a live process holds before failing; 30 s by default. */
  timeoutMs?: number;
  pollMs?: number;
}

/**
 * Runs `body` (a read, change and write of `file`) while holding `<file>.lock`, for files that every environment
 * of a state directory shares (images.json, tags.json): two runs changing one at once would each write back what
 * it read, losing the other's entry. The lock is made as the environment lock is (an owner file linked into
 * place), a lock whose owner is gone is taken over, and a wait is bounded: a lock held by a live process (or
 * unreadable) for longer than `timeoutMs` fails with FileLockTimeoutError naming it.
 */
export async function withFileLock<T>(file: string, body: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const lockFile = `${file}.lock`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  await mkdir(dirname(lockFile), { recursive: true });
  const mine: LockOwner = {
    pid: process.pid,
    ...optional('startTime', processStartTime(process.pid)),
    host: hostname(),
    since: new Date().toISOString(),
    what: `updating ${basename(file)}`,
  };
  for (;;) {
    if (await createExclusive(lockFile, mine)) break;
    const read = await readLock(lockFile);
    if (read === undefined) continue; // released meanwhile: try again
    if (typeof read !== 'string' && !isAlive(read)) {
      await takeOverStale(lockFile, read);
      continue;
    }
    if (Date.now() >= deadline) {
      const holder = typeof read === 'string' ? `an unreadable lock (${read})` : describeOwner(read);
      throw new FileLockTimeoutError(
        `${file} is locked by ${holder} for more than ${timeoutMs / 1000} s; if no "ecs-migrate local" runs with this state directory, delete ${lockFile} and run again`,
      );
    }
    const pollMs = options.pollMs ?? 10;
    await sleep(pollMs / 2 + Math.random() * pollMs, undefined);
  }
  try {
    return await body();
  } finally {
    // Still this call's own: no other run takes over a lock whose owner lives, and none is taken from it on a timeout.
    await unlink(lockFile).catch(() => undefined);
  }
}

/** Writes the owner to a temporary file and links it into place: the lock appears whole, or not at all. */
async function createExclusive(file: string, owner: LockOwner): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, JSON.stringify(owner));
  try {
    await link(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  const read = await readLock(file);
  return typeof read === 'string' ? undefined : read;
}

/**
 * The owner in a lock file; undefined when there is no file; what is wrong with it when it holds no owner (a lock
 * file appears whole, so that is never a write in progress).
 */
async function readLock(file: string): Promise<LockOwner | undefined | string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return (error as Error).message;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${(error as Error).message.replace(/\s+/g, ' ')}`;
  }
  return isOwner(value) ? value : 'not a lock owner { pid, host, since, what }';
}

function isOwner(value: unknown): value is LockOwner {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  const task = o.task as Record<string, unknown> | undefined;
  return (
    Number.isInteger(o.pid) &&
    (o.pid as number) > 0 &&
    typeof o.host === 'string' &&
    typeof o.since === 'string' &&
    typeof o.what === 'string' &&
    (o.startTime === undefined || typeof o.startTime === 'string') &&
    // A task's group is killed by -pid: 0 and 1 would be this process's group and every process.
    (task === undefined ||
      (typeof task === 'object' &&
        task !== null &&
        Number.isInteger(task.pid) &&
        (task.pid as number) > 1 &&
        // Processes are killed by it: an empty id would match every process whose variable is empty.
        (task.id === undefined || (typeof task.id === 'string' && task.id !== '')) &&
        // And by these: a file (/dev/null) would match every process holding it.
        (task.outputs === undefined ||
          (Array.isArray(task.outputs) && task.outputs.every((link) => typeof link === 'string' && OUTPUT_LINK.test(link))))))
  );
}

/**
 * Removes the lock file if it still holds `stale` (a dead owner), under a marker only one run can hold, and runs
 * `beforeRemove` first (the orphaned task is killed while the lock still keeps every other run out); true if it did.
 * The marker is named after that owner (`<file>.takeover-<hash>`), so of several runs taking over the same stale lock
 * one removes it, and one that comes later finds another owner in the file and leaves it. While the marker is held
 * nothing else can change the file (a new lock is only linked where there is none, and its dead owner writes nothing),
 * so the lock file never goes missing while a live run holds it. A marker left by a taker that died is removed the
 * same way, under a marker of its own.
 */
async function takeOverStale(file: string, stale: LockOwner, beforeRemove?: () => void): Promise<boolean> {
  const marker = `${file}.takeover-${createHash('sha256').update(ownerKey(stale)).digest('hex').slice(0, 16)}`;
  const mine: LockOwner = {
    pid: process.pid,
    ...optional('startTime', processStartTime(process.pid)),
    host: hostname(),
    since: new Date().toISOString(),
    what: `taking over ${basename(file)}`,
  };
  if (!(await createExclusive(marker, mine))) {
    const taker = await readOwner(marker);
    // A taker that died (between its marker and its removal) holds the marker forever: its marker is stale too.
    if (taker !== undefined && !isAlive(taker)) await takeOverStale(marker, taker);
    else await sleep(5, undefined); // a live taker is at it: its removal takes a moment
    return false;
  }
  try {
    const current = await readOwner(file);
    if (current === undefined || ownerKey(current) !== ownerKey(stale)) return false;
    beforeRemove?.();
    await unlink(file);
    return true;
  } finally {
    await unlink(marker).catch(() => undefined);
  }
}

/** An owner's identity: its process (pid and start time), host and the time it took the lock. */
function ownerKey(owner: LockOwner): string {
  return JSON.stringify([owner.pid, owner.startTime ?? null, owner.host, owner.since]);
}

/** Whether the process still runs: a lock from another host is taken as alive (it cannot be checked from here). */
function isAlive(owner: { pid: number; startTime?: string; host: string }): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const startTime = processStartTime(owner.pid);
  return owner.startTime === undefined || startTime === undefined || startTime === owner.startTime;
}

/**
 * Kills what is left of a dead run's task; true if it had processes left. First its group (its pgid is the task's
 * pid), whether or not its leader still runs: a leader that exited may have left processes in its group. While any
 * of them lives, Linux does not give the pgid to a new process, so the group is the task's own. A leader pid that
 * runs with another start time was reused, which means the group (and the session) was gone. Then, on Linux, what
 * the dead run would have killed when the task ended (`strays`): the processes started since the task that are in
 * its session or group, hold its output or hold its task id (`setsid`, `env -i`, daemons), as far as the lock
 * recorded them.
 */
function killOrphanedTask(task: LockTask): boolean {
  let killed = false;
  const startTime = processStartTime(task.pid);
  const leaderIsTask = task.startTime === undefined || startTime === undefined || startTime === task.startTime;
  if (leaderIsTask)
    try {
      process.kill(-task.pid, 'SIGKILL');
      killed = true;
    } catch {
      // ESRCH: no process is left in the group (EPERM: a group not ours)
    }
  // Its start time spares reading older processes; unknown (no /proc when it was recorded), every process is read.
  const since = Number(task.startTime);
  const origin = {
    leader: leaderIsTask ? task.pid : undefined,
    startTime: Number.isFinite(since) ? since : 0,
    outputs: new Set(task.outputs),
    taskId: task.id,
  };
  for (const pid of strays(origin))
    try {
      process.kill(pid, 'SIGKILL');
      killed = true;
    } catch {
      // ESRCH: gone since the scan (EPERM: not ours)
    }
  return killed;
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat); undefined where there is no /proc. */
export function processStartTime(pid: number): string | undefined {
  const stat = procStat(pid);
  return stat !== undefined ? String(stat.startTime) : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
