import { readFile } from 'node:fs/promises';
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
    const text = await readFile(this.layout.taskLogFile(taskId), 'utf8');
    return lastLines(text.split('\n'), limits);
  }
}
