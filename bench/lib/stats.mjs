import { spawn } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

/** min / median / max of a list of numbers (median of an even count: the mean of the two middle values). */
export function summary(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { n: sorted.length, min: sorted[0], median, max: sorted[sorted.length - 1] };
}

/** The machine the numbers were measured on. */
export function machine() {
  const list = cpus();
  return {
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpu: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    loadAverageAtStart: loadavg()[0],
  };
}

/**
 * Runs a command to its end and collects its output. Never rejects: a failure to start or a non-zero exit is
 * in the result, because the benchmark reports rather than fails.
 */
export function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    let stdout = '';
    let stderr = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = options.timeoutMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
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

/** The last JSON line a child printed (its result), or undefined. */
export function lastJsonLine(stdout) {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line);
    } catch {
      // not the result line
    }
  }
  return undefined;
}

/** A short, one-line reason from a failed child's output. */
export function failureReason(result) {
  const text = `${result.stderr}\n${result.stdout}`.trim().split('\n').filter(Boolean);
  const line = text.find((l) => /error|Error|not found|ENOENT/.test(l)) ?? text.at(-1) ?? `exit code ${result.code}`;
  return line.trim().slice(0, 200);
}

/** The 1-minute load average now (other work on the machine shows in the spread of the timings). */
export function loadNow() {
  return loadavg()[0];
}
