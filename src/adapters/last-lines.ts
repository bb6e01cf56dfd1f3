/**
 * The last `lines` lines whose UTF-8 size adds up to at most `bytes`, oldest first; trailing blank lines
 * are dropped. A single line longer than the budget is cut from its start, keeping its end.
 */
export function lastLines(all: string[], limits: { lines: number; bytes: number }): string[] {
  const lines = [...all];
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  const out: string[] = [];
  let budget = limits.bytes;
  for (let i = lines.length - 1; i >= 0 && out.length < limits.lines; i--) {
    const line = lines[i] ?? '';
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (size <= budget) {
      out.unshift(line);
      budget -= size;
      continue;
    }
    if (out.length === 0 && budget > 4) out.unshift(`…${endOf(line, budget - 4)}`);
    break;
  }
  return out;
}

/** The end of `line` in at most `bytes` UTF-8 bytes, cut at a character's start (never inside one). */
function endOf(line: string, bytes: number): string {
  const buf = Buffer.from(line, 'utf8');
  let start = Math.max(0, buf.length - bytes);
  // A continuation byte (10xxxxxx) would decode as U+FFFD, 3 bytes: start at the next character.
  while (start < buf.length && ((buf[start] ?? 0) & 0xc0) === 0x80) start++;
  return buf.subarray(start).toString('utf8');
}
