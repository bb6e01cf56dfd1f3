import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesTagPattern } from '../../src/core/tag-pattern.js';

/** The pattern as the regular expression it used to be compiled to: the reference semantics. */
function byRegExp(tag: string, pattern: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(tag);
}

describe('TAG_PATTERN', () => {
  it('matches `*` as any run of characters and everything else literally', () => {
    expect(matchesTagPattern('v1.4.0', 'v*')).toBe(true);
    expect(matchesTagPattern('release-2026.11', 'release-*.*')).toBe(true);
    expect(matchesTagPattern('v1x4', 'v1.4')).toBe(false);
    expect(matchesTagPattern('latest', 'latest')).toBe(true);
    expect(matchesTagPattern('latest-rc', 'latest')).toBe(false);
    expect(matchesTagPattern('ab', 'a*b*')).toBe(true);
    expect(matchesTagPattern('aba', '*ab*ba')).toBe(false);
    expect(matchesTagPattern('abba', '*ab*ba')).toBe(true);
  });

  it('agrees with the regular expression it replaces, on any tag and pattern', () => {
    const chars = fc.constantFrom('a', 'b', '.', '-', '*');
    const text = fc.array(chars, { maxLength: 12 }).map((c) => c.join(''));
    fc.assert(
      fc.property(
        text,
        text,
        (tag, pattern) => matchesTagPattern(tag.replaceAll('*', 'x'), pattern) === byRegExp(tag.replaceAll('*', 'x'), pattern),
      ),
      { numRuns: 2000 },
    );
  });

  /** A dozen `*` against a 128-character tag (ECR's longest) that does not match: the regular expression backtracked for minutes. */
  it('decides a pattern of many `*` against a long tag that does not match without backtracking', () => {
    expect(matchesTagPattern('a'.repeat(128), `${'*a'.repeat(12)}*b`)).toBe(false);
  });
});
