import { AWS_CONFIG_KEYS, CONFIG_KEYS } from '../src/core/config.js';
import { CliUsageError, shorten } from './local-config.js';

/**
 * Refuses a key of a `local --config FILE` that local mode does not read: ignored, a typo (`TIMEOUT_MINUTE`) would
 * run with the default it meant to change. The keys are those of the configuration contract; a deployed stack's
 * own settings (DEPLOYMENTS_TABLE, …) are known but have no meaning here, and are refused saying so, as is REGISTRY.
 */
export function checkLocalConfigKeys(values: Record<string, unknown>, path: string): void {
  const keys = Object.keys(values);
  const stack = keys.find((key) => (AWS_CONFIG_KEYS as readonly string[]).includes(key));
  if (stack !== undefined)
    throw new CliUsageError(`key ${stack} in ${path} is a deployed stack's setting, which local mode does not use; remove it`);
  // Local images live in local mode's own registry (src/local/task-event.ts): a push named in another would never pull.
  if (keys.includes('REGISTRY'))
    throw new CliUsageError(`key REGISTRY in ${path}: local mode builds and pulls its images in its own registry; remove it`);
  const unknown = keys.filter((key) => !(CONFIG_KEYS as readonly string[]).includes(key));
  const [first, ...more] = unknown;
  if (first === undefined) return;
  const near = closestKey(first, CONFIG_KEYS);
  const others =
    more.length > 0 ? ` (and ${more.length} more: ${more.slice(0, 3).map(keyName).join(', ')}${more.length > 3 ? ', …' : ''})` : '';
  throw new CliUsageError(
    `unknown key ${keyName(first)} in ${path}${others}; ${near !== undefined ? `did you mean ${near}?` : `expected keys: ${CONFIG_KEYS.join(', ')}`}`,
  );
}

/** A key as an error line names it: on one line, at most 40 characters (a file's key may be anything). */
function keyName(key: string): string {
  return shorten(key, 40);
}

/**
 * The key of `known` closest to `key` (case aside), when it is close enough to be a typo of it: at most a third of
 * its characters (at least 2) inserted, deleted or changed. Undefined when none is.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const wanted = key.toUpperCase();
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(wanted, candidate.toUpperCase());
    if (best === undefined || distance < best.distance) best = { key: candidate, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(wanted.length / 3)) ? best.key : undefined;
}

/** Levenshtein distance: the fewest single-character insertions, deletions and changes from `a` to `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length] ?? 0;
}
