import { open } from 'node:fs/promises';
import type { LocalLayout } from '../../local/layout.js';
import type { LogRef, Logs } from '../../ports.js';
import { lastLines } from '../last-lines.js';

/**
 * The task log of a local task is the file its output was written to. `inMemory` gives a task's last lines when
 * its file could not be written (a full disk): the file then stops short, and the tail would be stale.
 */
export class LocalLogs implements Logs {
  constructor(
    private readonly layout: LocalLayout,
    private readonly inMemory: (taskArn: string) => string[] | undefined = () => undefined,
  ) {}

  async tail(ref: LogRef, limits: { lines: number; bytes: number }): Promise<string[]> {
    const kept = this.inMemory(ref.taskArn);
    if (kept !== undefined) return lastLines(kept, limits);
    const taskId = ref.taskArn.split('/').pop() ?? '';
    return fileTail(this.layout.taskLogFile(taskId), limits);
  }
}

/** What is read past the byte budget at first: room for the cut first line and trailing blank lines. */
const TAIL_MARGIN = 4096;
/** A tail read no further back than this: past it, only blank lines (which a tail drops) could be in the way. */
const TAIL_MAX_READ = 16 * 1024 ** 2;

/**
 * `lastLines` of a file, reading only its end: a task that printed a lot has a log too big for one string (over
 * ~512 MiB). The read starts inside a line, so that first line counts only when the tail stops before it (by the
 * line count or the byte budget) or keeps it cut anyway (a line longer than the budget); otherwise the read goes
 * further back.
 */
export async function fileTail(path: string, limits: { lines: number; bytes: number }): Promise<string[]> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    for (let want = limits.bytes + TAIL_MARGIN; ; want *= 4) {
      const start = Math.max(0, size - want);
      const bytes = Buffer.alloc(size - start);
      const { bytesRead } = await file.read(bytes, 0, bytes.length, start);
      let read = bytes.subarray(0, bytesRead);
      // Never inside a character: a continuation byte (10xxxxxx) would decode as U+FFFD.
      let skip = 0;
      while (start > 0 && skip < read.length && ((read[skip] ?? 0) & 0xc0) === 0x80) skip++;
      read = read.subarray(skip);
      const lines = read.toString('utf8').split('\n');
      if (start === 0) return lastLines(lines, limits);
      const tail = lastLines(lines, limits);
      const walked = nonBlankCount(lines);
      // Kept whole, the cut line would be shown as if it were the whole line; blank lines only say nothing yet.
      if (walked > 0 && !(tail.length === walked && tail[0] === lines[0])) return tail;
      if (want >= TAIL_MAX_READ) return lastLines(lines.slice(1), limits);
    }
  } finally {
    await file.close();
  }
}

/** The lines `lastLines` walks: all but the trailing blank ones. */
function nonBlankCount(lines: string[]): number {
  let n = lines.length;
  while (n > 0 && lines[n - 1]?.trim() === '') n--;
  return n;
}
