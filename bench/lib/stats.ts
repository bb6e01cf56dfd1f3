import { type SpawnOptions, spawn } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

/** min / median / max of a list of numbers (median of an even count: the mean of the two middle values). */
export interface Summary {
  n: number;
  min: number;
  median: number;
  max: number;
}

export function summary(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('no values to summarise');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const at = (i: number) => sorted[i] as number;
  const median = sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  return { n: sorted.length, min: at(0), median, max: at(sorted.length - 1) };
}

export interface Machine {
  cores: number;
  memoryGiB: number;
  cpu: string;
  node: string;
  platform: string;
  date: string;
  loadAverageAtStart: number;
  loadAverageAtEnd?: number;
  benchSeconds?: number;
}

/** The machine the numbers were measured on. */
export function machine(): Machine {
  const list = cpus();
  return {
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpu: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    loadAverageAtStart: loadavg()[0] ?? 0,
  };
}

/** The 1-minute load average now (other work on the machine shows in the spread of the timings). */
export function loadNow(): number {
  return loadavg()[0] ?? 0;
}

export interface RunResult {
  code: number;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to the close of the child's output. */
  ms: number;
}

export interface RunOptions extends SpawnOptions {
  timeoutMs?: number;
  /** Called with each complete stdout line as it arrives, with the wall-clock time (ms since the epoch) it arrived. */
  onLine?: (line: string, atMs: number) => void;
}

/** Wall-clock milliseconds since the epoch, with sub-millisecond precision (comparable across processes). */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Runs a command to its end and collects its output. Never rejects: a failure to start or a non-zero exit is
 * in the result, because the benchmark reports rather than fails.
 */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const { timeoutMs, onLine, ...spawnOptions } = options;
  return new Promise((resolve) => {
    const started = performance.now();
    let stdout = '';
    let stderr = '';
    let partial = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (onLine === undefined) return;
      const at = wallClock();
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line, at);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = timeoutMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}${error.message}`, ms: performance.now() - started });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal !== null ? 128 : -1), signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** The last JSON object line a child printed (its result), or undefined. */
export function lastJsonLine(stdout: string): unknown {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as unknown;
    } catch {
      // not the result line
    }
  }
  return undefined;
}

/** A short, one-line reason from a failed child's output. */
export function failureReason(result: RunResult): string {
  const text = `${result.stderr}\n${result.stdout}`.trim().split('\n').filter(Boolean);
  const line = text.find((l) => /error|Error|not found|ENOENT/.test(l)) ?? text.at(-1) ?? `exit code ${result.code}`;
  return line.trim().slice(0, 200);
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
