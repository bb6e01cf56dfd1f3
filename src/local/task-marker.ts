import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { procStat } from './proc-stat.js';

/**
 * The variable every local task is given its task id in (random, so unique to the task). Every process the task
 * starts inherits it, daemons included (a session of their own, stdio on /dev/null), so it is what finds them
 * once they left the task's group, session and output: by the CLI when the task ends, and by a run taking over
 * from a dead one, which knows the task only from the lock file.
 */
export const TASK_ID_VARIABLE = 'ECS_MIGRATE_TASK_ID';

/**
 * How much of /proc/PID/environ is read: the kernel caps an environment at a quarter of the stack limit (2 MiB by
 * default), so a variable past this is missed rather than a huge environment read in every scan.
 */
const MAX_ENVIRON_BYTES = 256 * 1024;

/** Whether the process's environment (as it was exec'd) holds ECS_MIGRATE_TASK_ID=`taskId`; false if unreadable. */
export function holdsTaskId(pid: number, taskId: string): boolean {
  const environ = readEnviron(pid);
  if (environ === undefined) return false;
  // Entries are NUL-terminated: a leading NUL keeps a longer name ending in the variable's from matching.
  return `\0${environ}`.includes(`\0${TASK_ID_VARIABLE}=${taskId}\0`);
}

/** The processes `matches`, never init, this process or one of its ancestors. Linux only: [] where there is no /proc. */
export function scanProcesses(matches: (pid: number) => boolean): number[] {
  const spared = selfAndAncestors();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid > 1 && !spared.has(pid) && matches(pid));
}

/** This process and its ancestors (below init): what a scan of the task's processes must never kill. */
export function selfAndAncestors(): Set<number> {
  const spared = new Set<number>();
  for (let pid: number | undefined = process.pid; pid !== undefined && pid > 1 && !spared.has(pid); pid = procStat(pid)?.ppid)
    spared.add(pid);
  return spared;
}

/** Reused by every read: the reads are synchronous. */
let environBuffer: Buffer | undefined;

/** At most MAX_ENVIRON_BYTES of /proc/PID/environ; undefined for a process gone or not readable (another user's). */
function readEnviron(pid: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/environ`, 'r');
  } catch {
    return undefined;
  }
  try {
    environBuffer ??= Buffer.allocUnsafe(MAX_ENVIRON_BYTES);
    let length = 0;
    // A /proc file may come in pieces: read until its end or the bound.
    while (length < environBuffer.length) {
      const n = readSync(fd, environBuffer, length, environBuffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return environBuffer.toString('utf8', 0, length);
  } catch {
    return undefined; // ESRCH/EACCES: gone, or exited between open and read
  } finally {
    closeSync(fd);
  }
}
