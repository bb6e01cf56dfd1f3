import { describe, expect, it } from 'vitest';
import { outputRedactor, taskLines } from '../../cli/format.js';
import { REDACTED, redactor } from '../../src/core/redact.js';
import { keptTail, REDACT_LINE_CHARS } from '../../src/shell/load-state.js';

/**
 * The CLI prints a task's output redacted as the stored tail is (README: "redacted as the stored tail is, here and in
 * `logs` and local mode: the built-in rules and the stack's `RedactPatterns`"). Was: on a line longer than
 * REDACT_LINE_CHARS the CLI dropped REDACT_PATTERNS altogether (they may backtrack), so a custom-format secret at the
 * end of one long structured log line was hidden in the record and in Rollout Halted but printed in full into the CI
 * job's log by `deploy --wait`, `logs` and local mode.
 */
describe('the CLI prints a long line of task output redacted as the stored tail is', () => {
  const PATTERNS = ['shop_live_[0-9a-f]{32}'];
  const SECRET = 'shop_live_0123456789abcdef0123456789abcdef';
  const line = `{"level":"info","sql":"${'x'.repeat(REDACT_LINE_CHARS + 100)}","stripe":"${SECRET}"}`;

  it('the stored tail hides it (control)', () => {
    expect(line.length).toBeGreaterThan(REDACT_LINE_CHARS);
    expect(keptTail([line], redactor(PATTERNS)).join('\n')).not.toContain(SECRET);
  });

  it("deploy --wait / logs (taskLines with the stack's RedactPatterns) do not print it", () => {
    expect(taskLines('  │ ', line, outputRedactor(PATTERNS))).not.toContain(SECRET);
  });

  it('finds a match wherever it lies in a long line, across a window border too, and keeps the rest of the line', () => {
    const half = REDACT_LINE_CHARS / 2;
    for (const at of [0, half - 10, REDACT_LINE_CHARS - 10, 3 * half - 5, 5 * half]) {
      const long = `${'a'.repeat(at)} ${SECRET} ${'b'.repeat(3 * REDACT_LINE_CHARS - at)}`;
      const printed = outputRedactor(PATTERNS)(long);
      expect(printed, `secret at ${at}`).toBe(`${'a'.repeat(at)} ${REDACTED} ${'b'.repeat(3 * REDACT_LINE_CHARS - at)}`);
    }
  });

  it('overlapping matches of two patterns become one [REDACTED]', () => {
    const long = `${'a'.repeat(REDACT_LINE_CHARS)} key-1234-5678 end`;
    expect(outputRedactor(['key-1234', '1234-5678'])(long)).toBe(`${'a'.repeat(REDACT_LINE_CHARS)} ${REDACTED} end`);
  });
});
