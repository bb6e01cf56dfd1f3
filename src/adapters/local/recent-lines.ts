/**
 * The last lines of a task's output, bounded by count and characters (a UTF-16 unit is at least one UTF-8 byte, so
 * `chars` also bounds the bytes a tail may ask for). The newest line is always kept, however long.
 */
export class RecentLines {
  private readonly kept: string[] = [];
  private chars = 0;

  constructor(private readonly limits: { lines: number; chars: number }) {}

  push(line: string): void {
    this.kept.push(line);
    this.chars += line.length;
    // Drop the oldest while what is left still holds `chars`: the tail may start inside the line that crosses it.
    while (this.kept.length > 1 && (this.kept.length > this.limits.lines || this.chars - (this.kept[0]?.length ?? 0) >= this.limits.chars))
      this.chars -= this.kept.shift()?.length ?? 0;
  }

  lines(): string[] {
    return [...this.kept];
  }
}
