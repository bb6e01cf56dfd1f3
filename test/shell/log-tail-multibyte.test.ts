import { describe, expect, it } from 'vitest';
import { redact } from '../../src/core/redact.js';
import { keptTail, LOG_TAIL } from '../../src/shell/load-state.js';

/**
 * README "Event contracts": `logTail` (last 50 lines, ≤ 8 KB, redacted). A last line longer than the budget is cut
 * from its start at a byte offset (src/adapters/last-lines.ts). Was: a cut inside a multi-byte character left orphan
 * UTF-8 continuation bytes, each decoded as U+FFFD (3 bytes), so the kept tail was larger than 8 KB.
 */
describe('the log tail of one long line of multi-byte output', () => {
  it('stays within 8 KB and holds no replacement characters the migration never printed', () => {
    const line = `${'😀'.repeat(3000)}ab`; // 12,002 bytes: the 8 KB cut falls inside an emoji
    const tail = keptTail([line], redact);
    const bytes = Buffer.byteLength(tail.join('\n'), 'utf8');
    expect(bytes).toBeLessThanOrEqual(LOG_TAIL.bytes);
    expect(tail.join('\n')).not.toContain('\uFFFD');
  });
});
