/**
 * Matches an image tag against TAG_PATTERN, where `*` is any run of characters and everything else is
 * literal — the semantics of EventBridge's `wildcard` filter, which the stack's rule uses for the same pattern.
 * Each literal part is found leftmost after the one before, which is linear in the tag: a regular expression with a
 * `.*` per `*` backtracks polynomially in the tag per star (a pattern of a dozen `*` stalled on a 128-character tag).
 */
export function matchesTagPattern(tag: string, pattern: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  if (parts.length === 1) return tag === pattern;
  const last = parts[parts.length - 1] ?? '';
  if (tag.length < first.length + last.length || !tag.startsWith(first) || !tag.endsWith(last)) return false;
  const end = tag.length - last.length;
  let at = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = tag.indexOf(part, at);
    if (found === -1 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}
