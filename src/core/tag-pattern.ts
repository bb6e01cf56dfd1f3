/**
 * Matches an image tag against TAG_PATTERN, where `*` is any run of characters and everything else is
 * literal — the semantics of EventBridge's `wildcard` filter, which the stack's rule uses for the same pattern.
 */
export function matchesTagPattern(tag: string, pattern: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(tag);
}
