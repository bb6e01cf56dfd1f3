import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { loadTemplate, repoRoot, templateAccepts } from './template.js';

/**
 * What `sam deploy --config-env <env>` passes to CloudFormation for the parameter_overrides entries docs/deploy.md
 * tells the reader to write, and what the template refuses when SAM cut a value short.
 */

const { template: sam } = loadTemplate();

/**
 * How SAM CLI reads each entry of `parameter_overrides` (samconfig.toml) or `--parameter-overrides`:
 * samcli/cli/types.py, CfnParameterOverridesType (its `_pattern_2` and `_unquote_wrapped_quotes`). An entry is
 * split into `Key=Value` pairs at spaces; an unquoted value ends at the first space or double quote. Whatever
 * follows is dropped without an error.
 */
function samParameterOverrides(entries: string[]): Record<string, string> {
  const key = `([A-Za-z0-9"']+)`;
  const value = `("(?:\\\\.|[^"\\\\]+)*"|'(?:\\\\.|[^'\\\\]+)*'|(?:\\\\.|[^ "\\\\]+)+)`;
  const pair = new RegExp(`(?: )${key}=${value}`, 'g');
  const unquote = (v: string) => {
    const inner = v.length > 1 && v[0] === v.at(-1) && (v[0] === '"' || v[0] === "'") ? v.slice(1, -1) : v;
    return inner.replaceAll('\\ ', ' ').replaceAll('\\"', '"').replaceAll("\\'", "'");
  };
  const result: Record<string, string> = {};
  for (const entry of entries) {
    for (const m of ` ${entry.trim()}`.matchAll(pair)) result[unquote(m[1] ?? '')] = unquote(m[2] ?? '');
  }
  return result;
}

describe('samconfig.toml parameter_overrides as SAM CLI reads them', () => {
  it('the port of SAM CLI’s parser reads plain entries as written (sanity check of the helper)', () => {
    expect(samParameterOverrides(['Environment=staging', 'TagPattern=v*', 'AllowedCommands=db-rollback,db-seed'])).toEqual({
      Environment: 'staging',
      TagPattern: 'v*',
      AllowedCommands: 'db-rollback,db-seed',
    });
    // The fix for a value with spaces or double quotes: wrap it in single quotes inside the entry.
    expect(samParameterOverrides(["AllowedCommands='db-rollback --to *,db-seed'", `RedactPatterns='["a b"]'`])).toEqual({
      AllowedCommands: 'db-rollback --to *,db-seed',
      RedactPatterns: '["a b"]',
    });
  });

  it('every `Parameter=value` example of docs/deploy.md reaches CloudFormation unchanged when written as a parameter_overrides entry', () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'deploy.md'), 'utf8');
    const examples = [...doc.matchAll(/`([A-Za-z]+)=([^`]+)`/g)]
      .filter((m) => (m[1] ?? '') in sam.Parameters)
      .map((m) => ({ entry: `${m[1]}=${m[2]}`, name: m[1] ?? '', value: m[2] ?? '' }));
    expect(examples.map((e) => e.name)).toContain('AllowedCommands');
    for (const { entry, name, value } of examples) {
      // `AllowedCommands=db-rollback --to *,db-seed` reached the stack as "db-rollback": the pattern entry and db-seed
      // were lost, silently, and the stack deployed. Written in single quotes, the value arrives whole.
      const meant = /^'.*'$/.test(value) ? value.slice(1, -1) : value;
      expect(samParameterOverrides([entry])[name], entry).toBe(meant);
    }
  });

  it('RedactPatterns written as the JSON array docs/deploy.md asks for is not deployed to fail every cold start', () => {
    // docs/deploy.md: "`RedactPatterns` | optional extra regular expressions (a JSON array)". Written into
    // samconfig.toml as "RedactPatterns=[\"shop_live_[0-9a-f]{32}\"]", SAM CLI passes "[" (the value ends at the
    // first double quote).
    const passed = samParameterOverrides(['RedactPatterns=["shop_live_[0-9a-f]{32}"]']).RedactPatterns ?? '';
    expect(passed).toBe('[');
    const coldStart = parseConfig({
      ENVIRONMENT: 'staging',
      CLUSTER: 'shop-staging',
      SERVICE: 'shop-api',
      CONTAINER: 'app',
      REPOSITORY: 'shop-api',
      REDACT_PATTERNS: passed,
    });
    // Either the template refuses the value (the deploy fails with a reason) or the functions start with it; without
    // an AllowedPattern the stack deployed and every invocation failed its cold start.
    expect(templateAccepts(sam, 'RedactPatterns', passed) === false || coldStart.ok, `RedactPatterns=${passed}`).toBe(true);
    // The same for a MigrationCommand written as a JSON array; whole arrays and plain values still pass.
    expect(
      templateAccepts(sam, 'MigrationCommand', samParameterOverrides(['MigrationCommand=["npm","run","migrate"]']).MigrationCommand ?? ''),
    ).toBe(false);
    for (const [name, value] of [
      ['RedactPatterns', '["shop_live_[0-9a-f]{32}"]'],
      ['RedactPatterns', 'shop_live_[0-9a-f]{32}'],
      ['RedactPatterns', ''],
      ['MigrationCommand', '["npm","run","migrate"]'],
      ['MigrationCommand', 'npm run migrate'],
    ] as const)
      expect(templateAccepts(sam, name, value), `${name}=${value}`).toBe(true);
  });
});
