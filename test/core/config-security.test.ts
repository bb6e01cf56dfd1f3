import { describe, expect, it } from 'vitest';
import { LOCAL_REGISTRY, parseConfig } from '../../src/core/config.js';
import { sampleConfigValues } from '../support/fixtures.js';

const parse = (overrides: Record<string, string | undefined>) => parseConfig({ ...sampleConfigValues, ...overrides });

describe('REGISTRY', () => {
  it('defaults to local mode registry (so no real registry is trusted by accident) and is lower-cased', () => {
    expect(parse({ REGISTRY: undefined })).toMatchObject({ ok: true, config: { REGISTRY: LOCAL_REGISTRY } });
    expect(parse({ REGISTRY: 'Registry.Example.com:5000' })).toMatchObject({ ok: true, config: { REGISTRY: 'registry.example.com:5000' } });
  });

  it.each(['https://registry.example.com', 'registry.example.com/shop', 'a b'])('refuses %s', (value) => {
    expect(parse({ REGISTRY: value })).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^REGISTRY: expected a registry host/)],
    });
  });
});

describe('REDACT_PATTERNS', () => {
  it('takes a JSON array or one pattern; empty means none', () => {
    expect(parse({ REDACT_PATTERNS: '["a+b", "c\\\\d{4}"]' })).toMatchObject({ ok: true, config: { REDACT_PATTERNS: ['a+b', 'c\\d{4}'] } });
    expect(parse({ REDACT_PATTERNS: 'shop_[a-z]+' })).toMatchObject({ ok: true, config: { REDACT_PATTERNS: ['shop_[a-z]+'] } });
    expect(parse({ REDACT_PATTERNS: '' })).toMatchObject({ ok: true, config: { REDACT_PATTERNS: [] } });
  });

  it('names every bad pattern', () => {
    const result = parse({ REDACT_PATTERNS: '["(", "x*"]' });
    expect(result).toMatchObject({
      ok: false,
      problems: [
        expect.stringContaining('pattern "(": not a regular expression'),
        expect.stringContaining('pattern "x*": it matches the empty string'),
      ],
    });
    expect(parse({ REDACT_PATTERNS: '[1]' })).toMatchObject({ ok: false, problems: ['REDACT_PATTERNS: expected a JSON array of strings'] });
  });
});

describe('ALLOWED_COMMANDS', () => {
  it('keeps pattern entries with their arguments', () => {
    expect(parse({ ALLOWED_COMMANDS: 'db-rollback --to *, db-seed' })).toMatchObject({
      ok: true,
      config: { ALLOWED_COMMANDS: ['db-rollback --to *', 'db-seed'] },
    });
  });
});
