import type { PublishedEvent } from '../src/adapters/local/bus.js';
import { assertNever, type Decision } from '../src/core/actions.js';
import { type Deployment, imageOf, type ServiceRollout, taskDefinitionOf } from '../src/core/deployment.js';
import { secondsBetween } from '../src/core/event-detail.js';
import type { RecordProblem } from '../src/core/records.js';
import { redact as builtInRedact, REDACTED, type Redactor, redactor } from '../src/core/redact.js';
import type { EnvironmentState } from '../src/core/state.js';
import { REDACT_LINE_CHARS } from '../src/shell/load-state.js';
import { failedServices } from './deployment-view.js';

const useColor = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: number) => (s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
export const dim = paint(2);

/**
 * A line of a task's output as the CLI prints it: redacted as the controller redacts the tail it stores (with the
 * built-in rules, and local mode's REDACT_PATTERNS too), so a CI log that follows a migration holds no more than its
 * records do. The log group (or local mode's task log file) keeps the output as written.
 */
export function taskOutput(line: string, redact: Redactor = builtInRedact): string {
  return redact(line);
}

/**
 * A log event of the task's output as printed: redacted (`taskOutput`), every line of it after `prefix`. A CloudWatch
 * event may hold several lines (a multi-line pattern): none starts a line of the CLI's output bare, so a task cannot
 * print what a CI runner reads as its own command (GitHub Actions' `::add-mask::`, `::stop-commands::`).
 */
export function taskLines(prefix: string, message: string, redact?: Redactor): string {
  return taskOutput(message, redact)
    .split(/\r\n|\n|\r/)
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/**
 * The log tail a deployment record keeps, as printed: each line after `prefix` as `taskLines` prints a task's line, so
 * a `\r` the controller kept (it splits on `\n` only: progress output, `50%\r100%`) starts no bare line either. Not
 * redacted again: the controller stored it redacted.
 */
export function storedTailLines(prefix: string, tail: readonly string[]): string[] {
  return tail.flatMap((line) => taskLines(prefix, line, (l) => l).split('\n'));
}

/**
 * How the CLI redacts a line of the task's output it prints (`deploy --wait`, `logs`, local mode): the built-in
 * linear rules on the whole line, and REDACT_PATTERNS (which may backtrack) on no more than REDACT_LINE_CHARS at a
 * time, as the controller bounds its tail's: a longer line is read in windows of that size that overlap by half, so
 * a match of up to half a window is found whole wherever it lies.
 */
export function outputRedactor(patterns: readonly string[]): Redactor {
  const configured = redactor(patterns);
  const expressions = patterns.map((p) => new RegExp(p, 'g'));
  return (line) => (line.length <= REDACT_LINE_CHARS ? configured(line) : builtInRedact(redactInWindows(line, expressions)));
}

function redactInWindows(line: string, expressions: readonly RegExp[]): string {
  const found: [number, number][] = [];
  const step = REDACT_LINE_CHARS / 2;
  for (let start = 0; start < line.length; start += step) {
    const window = line.slice(start, start + REDACT_LINE_CHARS);
    for (const re of expressions)
      for (const m of window.matchAll(re)) if (m[0].length > 0) found.push([start + m.index, start + m.index + m[0].length]);
    if (start + REDACT_LINE_CHARS >= line.length) break;
  }
  if (found.length === 0) return line;
  found.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [from, to] of found) {
    if (to <= at) continue;
    out += `${line.slice(at, Math.max(at, from))}${from >= at ? REDACTED : ''}`;
    at = to;
  }
  return out + line.slice(at);
}
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const bold = paint(1);

export function decisionLine(d: Decision, elapsedMs: number): string {
  const colour =
    d.decision === 'halt' || d.decision === 'reject'
      ? red
      : d.decision === 'continue'
        ? green
        : d.decision === 'ignore'
          ? yellow
          : (s: string) => s;
  return `${dim(`+${(elapsedMs / 1000).toFixed(2)}s`)} ${colour(d.decision.padEnd(8))} ${d.reason}`;
}

export function eventLine(e: PublishedEvent): string {
  const failed = /Failed|Halted|Timed Out|Rejected/.test(e.detailType);
  return `${dim('        event')}  ${failed ? red(e.detailType) : e.detailType}`;
}

export function deploymentSummary(d: Deployment): string[] {
  const lines = [
    `${bold('deployment')} ${d.id}  ${statusText(d)}`,
    `  kind       ${d.kind}  (${d.trigger.type}${d.trigger.replayName ? `, replay ${d.trigger.replayName}` : ''}${d.trigger.rerun ? ', rerun' : ''})`,
    `  image      ${imageOf(d) ?? '-'}`,
    `  task def   ${taskDefinitionOf(d) ?? '-'}`,
    `  command    ${d.command.join(' ')}`,
  ];
  if (d.status !== 'ended') return lines;
  const took = secondsBetween(d.launchedAt ?? d.createdAt, d.stoppedAt ?? d.finishedAt);
  if (took !== undefined) lines.push(`  took       ${took} s`);
  if (d.stop !== undefined) {
    const s = d.stop;
    lines.push(`  exit code  ${s.exitCode ?? 'none'}   stop code ${s.stopCode ?? '-'}`);
  }
  lines.push(`  reason     ${d.reason}`);
  lines.push(`  rollout    ${d.rollout}`);
  for (const s of d.services ?? []) lines.push(serviceLine(s));
  return lines;
}

/** A gated service: what the end did to it and, once ECS said so, how its rollout ended. */
export function serviceLine(s: ServiceRollout): string {
  const completion =
    s.completion !== undefined ? `, rollout ${s.completion}${s.completionReason !== undefined ? ` (${s.completionReason})` : ''}` : '';
  return `  service    ${s.service}: ${s.result}${s.reason !== undefined ? ` (${s.reason})` : ''}${completion}`;
}

/** A deployment's outcome as status and history show it: a migration that left a gated service unmoved is no success. */
export function statusText(d: Deployment): string {
  if (d.status !== 'ended') return d.status;
  switch (d.outcome) {
    case 'succeeded':
      return d.kind === 'migration' && failedServices(d).length > 0 ? red('rollout failed') : green('succeeded');
    case 'failed':
    case 'timed_out':
    case 'cancelled':
      return red(d.outcome);
    case 'superseded':
      return yellow(d.outcome);
    default:
      return assertNever(d.outcome);
  }
}

export function logTailLines(d: Deployment): string[] {
  if (d.status !== 'ended' || d.logTail === undefined || d.logTail.length === 0) return [];
  return [`  log tail (last ${d.logTail.length} lines):`, ...storedTailLines('    │ ', d.logTail).map(dim)];
}

/** The environment's last successful deployment for `status`, locally and on a stack. */
export function lastSuccessText(env: EnvironmentState): string {
  const last = env.lastSucceeded;
  return last !== undefined ? `${last.deploymentId} at ${last.at} (${last.image ?? last.taskDefinitionArn})` : 'none';
}

/** Told of a stored record that `history`/`status` skip because it does not validate: never skipped silently. */
export function warnSkipped(problem: RecordProblem): void {
  process.stderr.write(`ecs-migrate: skipped record ${problem.key}, which does not validate: ${problem.problem}\n`);
}
