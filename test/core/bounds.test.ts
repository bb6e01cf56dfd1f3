import { describe, expect, it } from 'vitest';
import {
  boundDetail,
  boundJson,
  clip,
  headToRedact,
  jsonBytes,
  LIMITS,
  quote,
  tailToRedact,
  wellFormed,
  wellFormedCopy,
} from '../../src/core/bounds.js';
import { redact } from '../../src/core/redact.js';

describe('clip', () => {
  it('keeps short text and cuts long text, saying how much', () => {
    expect(clip('abc', 10)).toBe('abc');
    expect(clip('x'.repeat(1000), 10)).toBe(`${'x'.repeat(10)}…(990 more characters)`);
  });

  it('never splits a surrogate pair and replaces lone surrogates', () => {
    const emoji = '😀'.repeat(10);
    const cut = clip(emoji, 5);
    expect(cut.isWellFormed()).toBe(true);
    expect(cut.startsWith('😀😀')).toBe(true);
    expect(clip('a\uD800b')).toBe('a\uFFFDb');
  });

  it('quotes any value bounded', () => {
    expect(quote('x'.repeat(1_000_000)).length).toBeLessThan(LIMITS.echoChars + 50);
    expect(quote({ a: 1 })).toBe('"{"a":1}"');
    expect(quote(10n)).toBe('"[object BigInt]"');
  });
});

describe('wellFormedCopy', () => {
  it('keeps a __proto__ key as data and never touches a prototype', () => {
    const raw = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}') as object;
    const copy = wellFormedCopy(raw) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('fixes lone surrogates in keys and values and drops what is nested too deep', () => {
    expect(wellFormedCopy({ 'k\uDC00': ['v\uD800'] })).toEqual({ 'k\uFFFD': ['v\uFFFD'] });
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(JSON.stringify(wellFormedCopy(deep))).toContain('null');
  });
});

describe('wellFormed', () => {
  it('returns clean input itself, without copying, and a repaired copy otherwise', () => {
    const clean = { a: ['b', { c: 1 }] };
    expect(wellFormed(clean)).toBe(clean);
    const dirty = { a: ['b', { c: 'x\uD800' }] };
    expect(wellFormed(dirty)).toEqual({ a: ['b', { c: 'x\uFFFD' }] });
    expect(dirty.a[1]).toEqual({ c: 'x\uD800' });
  });
});

describe('boundJson', () => {
  it('cuts the longest strings first and keeps short fields intact', () => {
    const value = { id: 'd-1', reason: 'r'.repeat(500_000), logTail: ['a'.repeat(100_000), 'b'] };
    const bounded = boundJson(value, 20_000);
    expect(jsonBytes(bounded)).toBeLessThanOrEqual(20_000);
    expect(bounded.id).toBe('d-1');
    expect(bounded.logTail[1]).toBe('b');
  });

  it('drops the oldest entries of a long array of short strings', () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `line ${i}`);
    const bounded = boundJson({ lines }, 10_000);
    expect(jsonBytes(bounded)).toBeLessThanOrEqual(10_000);
    expect(bounded.lines.at(-1)).toBe('line 99999');
  });

  it('counts bytes, not characters', () => {
    const bounded = boundJson({ text: 'é'.repeat(100_000) }, 10_000);
    expect(Buffer.byteLength(JSON.stringify(bounded))).toBeLessThanOrEqual(10_000);
  });

  it('sets a cut string of a __proto__ key as data', () => {
    const raw = JSON.parse(`{"__proto__": "${'p'.repeat(50_000)}"}`) as Record<string, unknown>;
    const bounded = boundJson(raw, 1_000);
    expect(Object.getPrototypeOf(bounded)).toBe(Object.prototype);
    expect(jsonBytes(bounded)).toBeLessThanOrEqual(1_000);
  });
});

describe('boundDetail', () => {
  it('keeps an event detail under the EventBridge limit', () => {
    const detail = boundDetail({ reason: 'x'.repeat(3_000_000), logTail: Array.from({ length: 50 }, () => 'y'.repeat(100_000)) });
    expect(jsonBytes(detail)).toBeLessThan(256 * 1024);
  });
});

describe('a cut before redaction leaves out what it splits', () => {
  const secret = 'hunter2-Sup3rS3cret';
  // Each line cut 40 characters from its end, at every place a cut can split a key from its value.
  it.each([
    ['inside the key', `x DB_PASS|WORD=${secret} tail`],
    ['inside a spaced key', `x DB_PASS|WORD = ${secret} tail`],
    ['between key and separator', `x DB_PASSWORD| = ${secret} tail`],
    ['after the separator', `x DB_PASSWORD =| ${secret} tail`],
    ['inside a JSON key', `{"DB_PASS|WORD":"${secret}","next":1}`],
    ['inside the value', `x DB_PASSWORD=hun|ter2-Sup3rS3cret tail`],
  ])('at the start, %s', (_where, marked) => {
    const line = marked.replace('|', '');
    const cut = tailToRedact(`${'y '.repeat(100)}${line}`, line.length - marked.indexOf('|') + 1);
    expect(cut.startsWith('…')).toBe(true);
    expect(redact(cut)).not.toMatch(/Sup3r|ter2/);
  });

  it('at the end, a connection string cut before its @', () => {
    const text = `postgres://admin:${secret}@db.internal:5432/shop`;
    const head = headToRedact(`migrate ${text}`, 'migrate postgres://admin:hunter2'.length);
    expect(head).toBe('migrate …');
    expect(headToRedact('migrate --all now', 'migrate --all'.length)).toBe('migrate --all…');
    // One word longer than the window shows as cut, not as an empty value.
    expect(headToRedact('x'.repeat(900), 800)).toBe('…');
    expect(tailToRedact('short', 10)).toBe('short');
  });
});
