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
    if (out.length === 0 && budget > 4)
      out.unshift(
        `…${Buffer.from(line, 'utf8')
          .subarray(-(budget - 4))
          .toString('utf8')}`,
      );
    break;
  }
  return out;
}
