import { readJson, writeJson } from '../src/adapters/local/json-file.js';
import { checkRedactPattern } from '../src/core/redact.js';
import type { LocalLayout } from '../src/local/layout.js';

/**
 * Every REDACT_PATTERNS a local run of the environment used: `logs` redacts a deployment's output with them all, so a
 * later run with other patterns (or none) never unmasks what an earlier run's output and stored tail hid.
 */
export async function localRedactPatterns(layout: LocalLayout): Promise<string[]> {
  const stored = (await readJson<{ REDACT_PATTERNS?: unknown }>(layout.redactPatternsFile).catch(() => undefined))?.REDACT_PATTERNS;
  if (!Array.isArray(stored)) return [];
  // Written only from checked configurations; a hand-edited entry that is not a usable pattern is left out.
  return stored.filter((p): p is string => typeof p === 'string' && checkRedactPattern(p) === undefined);
}

/** Adds a run's patterns to the environment's (`localRedactPatterns`). */
export async function rememberLocalRedactPatterns(layout: LocalLayout, patterns: readonly string[]): Promise<void> {
  const known = await localRedactPatterns(layout);
  const all = [...new Set([...known, ...patterns])];
  if (all.length !== known.length) await writeJson(layout.redactPatternsFile, { REDACT_PATTERNS: all });
}
