import { readFile } from 'node:fs/promises';
import type { LocalLayout } from '../../local/layout.js';
import type { LogRef, Logs } from '../../ports.js';
import { lastLines } from '../last-lines.js';

/** The task log of a local task is the file its output was written to. */
export class LocalLogs implements Logs {
  constructor(private readonly layout: LocalLayout) {}

  async tail(ref: LogRef, limits: { lines: number; bytes: number }): Promise<string[]> {
    const taskId = ref.taskArn.split('/').pop() ?? '';
    const text = await readFile(this.layout.taskLogFile(taskId), 'utf8');
    return lastLines(text.split('\n'), limits);
  }
}
