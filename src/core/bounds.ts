/**
 * Size limits on everything the controller echoes, emits and stores, and truncation that keeps strings
 * well-formed (no lone surrogates: they are replaced by U+FFFD, and a cut never splits a surrogate pair).
 * Input is hostile until judged: a 1 MB field must not become a 2 MB reason, an over-limit event, or a record
 * DynamoDB refuses (which would fail the invocation on every retry).
 */

export const LIMITS = {
  /** EventBridge accepts 256 KB per entry (detail, detail-type, source, resources); the rest leaves room for those. */
  eventDetailBytes: 200 * 1024,
  /** DynamoDB accepts 400 KB per item, attribute names and keys included. */
  recordBytes: 300 * 1024,
  /** One value of input quoted in a reason. */
  echoChars: 200,
  /** A whole reason. */
  reasonChars: 2_000,
  /** Free text from an event that is kept (an ECS stopped reason). */
  textChars: 2_000,
  /** Deeper values of input are dropped (nothing the controller reads is nested that deep). */
  depth: 32,
} as const;

/**
 * A value of input as an echo of it begins: redacted before anything cuts it (a cut can split a secret from its key,
 * which the redactor then no longer sees), within a window of 4 × `LIMITS.echoChars` taken first (`headToRedact`), so
 * the redactor's patterns never scan a huge value. The caller then clips or quotes it.
 */
export function redactForEcho(s: string, redact: (s: string) => string): string {
  return redact(headToRedact(s, LIMITS.echoChars * 4));
}

/** What ends a word, as the redactor delimits a value (`[^\s,;&"'}\]]+`). */
const WORD_END = /[\s,;&"'}\]]/;
/**
 * What a cut at the start may have split from its key: the rest of the word it cuts (a key or a value), and when a
 * separator follows, the value after it (`WORD = value` of `PASSWORD = value`, `WORD":"value"` of `"PASSWORD":"value"`).
 */
const PAIR_AT_START = /^[\s:="']*[^\s,;&"'}\]:=]*["']?\s*(?:[:=]\s*(?:"(?:[^"\\]|\\.)*"?|'[^']*'?|[^\s,;&"'}\]]*))?/;

/**
 * The first `max` characters of `s`, to be redacted, marked `…` as cut (so a word longer than `max` shows as `…`, not
 * as an empty value): when the cut splits a word, that word is left out, so no part of a secret reaches the redactor
 * without what makes it one (a connection string without its `@`). A quoted secret of several words cut between its
 * words is the exception: its first words stay.
 */
export function headToRedact(s: string, max: number): string {
  if (s.length <= max) return s;
  if (WORD_END.test(s.charAt(max))) return `${s.slice(0, max)}…`;
  // Back to where the split word began (a loop: a regular expression anchored at the end retries every start).
  let start = max;
  while (start > 0 && !WORD_END.test(s.charAt(start - 1))) start--;
  return `${s.slice(0, start)}…`;
}

/**
 * The last `max` characters of `s`, to be redacted, marked `…` as cut: the word the cut splits and the value of a
 * key it splits are left out (see `headToRedact`), so the redactor never sees a secret's value without its key.
 */
export function tailToRedact(s: string, max: number): string {
  if (s.length <= max) return s;
  return `…${s.slice(-(max - 1)).replace(PAIR_AT_START, '')}`;
}

/** `s` made well-formed and cut to at most `max` UTF-16 units, saying how much was cut. */
export function clip(s: string, max: number = LIMITS.echoChars): string {
  const text = s.toWellFormed();
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not split a surrogate pair
  return `${text.slice(0, end)}…(${text.length - end} more characters)`;
}

/** A value of input as it appears in a reason: quoted, bounded, well-formed. */
export function quote(value: unknown): string {
  return `"${clip(typeof value === 'string' ? value : show(value))}"`;
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value); // a BigInt or a cycle
  }
}

/**
 * `value` itself when every string and key in it is well-formed and it is no deeper than `LIMITS.depth` (the
 * common case, checked without copying), otherwise `wellFormedCopy(value)`.
 */
export function wellFormed(value: unknown): unknown {
  return isClean(value, 0) ? value : wellFormedCopy(value);
}

function isClean(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= LIMITS.depth) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isClean(value[i], depth + 1)) return false;
    return true;
  }
  for (const key of Object.keys(value)) {
    if (!key.isWellFormed() || !isClean((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

/**
 * A deep copy of JSON-like input in which every string (and key) is well-formed. Objects are rebuilt with
 * `Object.fromEntries`, so a `__proto__` key stays an own data property and never changes a prototype.
 * Values nested deeper than `LIMITS.depth` become null.
 */
export function wellFormedCopy(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= LIMITS.depth) return null;
  // Array.from, not map: an array of foreign origin may carry an own `constructor` that map would call.
  if (Array.isArray(value)) return Array.from(value, (v) => wellFormedCopy(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toWellFormed(), wellFormedCopy(v, depth + 1)]));
}

/** UTF-8 size of a value as JSON. */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value) ?? '');
}

/**
 * A well-formed copy of `value` (an object or array) whose JSON is at most `maxBytes`: the longest strings are cut first (to half,
 * or by the excess), then the longest arrays lose their oldest entries (a log tail keeps its end). Everything
 * short stays as it was, so identifiers survive and only bulk text is cut.
 */
export function boundJson<T>(value: T, maxBytes: number): T {
  const copy = wellFormedCopy(value);
  for (let round = 0; round < 200; round++) {
    const size = jsonBytes(copy);
    if (size <= maxBytes) break;
    const excess = size - maxBytes;
    const { string, array } = largest(copy);
    if (string !== undefined && string.length > 64) {
      const text = string.get();
      string.set(clip(text, Math.max(32, Math.min(Math.floor(text.length / 2), text.length - excess))));
    } else if (array !== undefined && array.items.length > 0) {
      array.items.splice(0, Math.ceil(array.items.length / 2));
    } else break;
  }
  return copy as T;
}

/** An event detail within the EventBridge limit; what cannot be cut small enough is replaced by a note. */
export function boundDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const bounded = boundJson(detail, LIMITS.eventDetailBytes);
  if (jsonBytes(bounded) <= LIMITS.eventDetailBytes) return bounded;
  return { truncated: true, note: `the detail was larger than ${LIMITS.eventDetailBytes} bytes and was dropped` };
}

interface StringSlot {
  length: number;
  get(): string;
  set(s: string): void;
}

/** The longest string and the longest array in a JSON-like tree. */
function largest(root: unknown): { string?: StringSlot; array?: { items: unknown[] } } {
  let string: StringSlot | undefined;
  let array: { items: unknown[] } | undefined;
  const visit = (container: Record<string, unknown> | unknown[], key: string | number, v: unknown) => {
    if (typeof v === 'string') {
      if (string === undefined || v.length > string.length) {
        const c = container as Record<string | number, unknown>;
        // defineProperty, not assignment: a "__proto__" key must stay a plain property.
        const set = (s: string) => void Object.defineProperty(c, key, { value: s, writable: true, enumerable: true, configurable: true });
        string = { length: v.length, get: () => c[key] as string, set };
      }
      return;
    }
    if (Array.isArray(v)) {
      if (array === undefined || v.length > array.items.length) array = { items: v };
      for (const [i, item] of v.entries()) visit(v, i, item);
      return;
    }
    if (typeof v === 'object' && v !== null) {
      for (const [k, item] of Object.entries(v)) visit(v as Record<string, unknown>, k, item);
    }
  };
  visit({ root }, 'root', root);
  return { ...(string !== undefined ? { string } : {}), ...(array !== undefined ? { array } : {}) };
}

/** UTF-8 length without Buffer (the core has no Node APIs). */
function utf8Bytes(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
