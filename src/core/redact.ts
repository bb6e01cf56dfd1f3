/**
 * Redaction of secrets in text the controller stores or emits (a migration's log tail, a command). It errs on
 * the side of hiding: a false positive costs a `[REDACTED]` in a log line, a false negative leaks a credential
 * into events, the deployment history and the halted-migrations queue.
 */

export const REDACTED = '[REDACTED]';

export type Redactor = (text: string) => string;

interface Rule {
  pattern: RegExp;
  replace: string | ((match: string, ...groups: string[]) => string);
}

/**
 * Key names whose value is a secret: `password=…`, `DB_PASSWORD: …`, `"secretAccessKey":"…"`, `--token=…`. A key name
 * is a whole run of `[\w.-]` holding one of these words.
 */
const SECRET_WORD =
  '(?:passw(?:or)?d|passphrase|(?<=[_.])pass(?![a-z])|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth(?:orization)?)';
/**
 * A whole key name holding a secret word, in linear time: it starts only where a run of `[\w.-]` starts (the
 * lookbehind), so each run is tried once, and the lookahead finds the word inside the run it then takes whole. Runs
 * on both sides of the word instead (`[\w.-]*word[\w.-]*`) backtrack cubically on a long run of words with no `:`/`=`.
 */
const SECRET_KEY = String.raw`(?<![\w.-])(?=[\w.-]*?${SECRET_WORD})[\w.-]+`;

/** The longest password, or part of one up to its first `@`, a connection string is checked for. */
const URL_PASSWORD_CHARS = 512;

/**
 * A run of 40 characters of base64 that may be a bare AWS secret access key: right after "=" too (`KEY=<secret>`, as
 * env and dotenv files print it); "=" right after it is base64 padding of a longer value.
 */
const BARE_SECRET_KEY = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
/** Such a run is a secret key when it holds both cases and a digit, `/` or `+`: not a hex hash, not a word. */
const isSecretKey = (run: string): boolean => /[a-z]/.test(run) && /[A-Z]/.test(run) && /[0-9/+]/.test(run);

const BUILT_IN: readonly Rule[] = [
  // scheme://user:password@host — the password only; user and host stay readable. The password runs to the last `@`
  // before the host (a raw `@` in it is read so by WHATWG URL, node-postgres and Prisma), the host ending at the first
  // `/`, `?`, `#` or white space. Linear: a match starts only at `://` (the scheme is a lookbehind after it), and the
  // part before the first `@` is bounded, so a `://` with no `@` after it costs at most that bound.
  {
    pattern: new RegExp(String.raw`(:\/\/(?<=\b[a-z][a-z0-9+.-]*:\/\/)[^\s:/@]*:)[^\s@]{1,${URL_PASSWORD_CHARS}}(?:@[^\s/?#@]*)*@`, 'gi'),
    replace: `$1${REDACTED}@`,
  },
  // The same with a raw `@` in the user (Azure's `user@servername`): WHATWG URL reads the user up to the first `:` of
  // the user info, which ends at the first `/`, `?` or `#`, so neither the user nor the password holds one of those
  // (`postgres://app@db:5432/shop` has no password: its port and path stay as they are), and its host holds no quote,
  // `,` or `;` (a URL with no password in a JSON line, the `@` of a later key's value taken for the host's).
  {
    pattern: new RegExp(
      String.raw`(:\/\/(?<=\b[a-z][a-z0-9+.-]*:\/\/)[^\s:/?#@]{0,${URL_PASSWORD_CHARS}}@[^\s:/?#]{0,${URL_PASSWORD_CHARS}}:)[^\s@/?#]{1,${URL_PASSWORD_CHARS}}(?:@[^\s/?#@]*)*@(?=[^\s/?#"',;@]*(?:[\s/?#]|$))`,
      'gi',
    ),
    replace: `$1${REDACTED}@`,
  },
  // AWS access key ids (long-term AKIA…, temporary ASIA…, and the other documented prefixes).
  { pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}\b/g, replace: REDACTED },
  // An Authorization header's credential, whatever its scheme (`token`, `basic`, a custom one; RFC 7235 schemes are
  // case-insensitive): the scheme and the credential after it, so a scheme the rule below does not know hides nothing.
  {
    pattern: /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?!\[REDACTED\])(?:[A-Za-z][A-Za-z0-9-]*\s+)?[^\s"',;}\]]+/gi,
    replace: `$1${REDACTED}`,
  },
  // Bearer and Basic credentials elsewhere; the scheme in any case for Bearer (RFC 7235), Basic only as written in
  // headers (the word "basic" is common in logs).
  { pattern: /\b([Bb][Ee][Aa][Rr][Ee][Rr]|Basic|BASIC)\s+[A-Za-z0-9._~+/=-]{8,}/g, replace: `$1 ${REDACTED}` },
  // key=value, key: value, "key": "value" with a secret-looking key; also `"key"=>"value"` (Ruby, PHP, Perl), `key :=
  // value` (Go), and JSON inside a JSON string, whose quotes are escaped (`{\"password\":\"…\"}`).
  {
    // Not a value redacted already: redacting twice (an echo, then its event) changes nothing.
    // A double-quoted value runs to its closing quote, past escaped ones (`"pass\"word"`, as JSON writes a quote in a
    // string), when it holds no white space: `password="s3cr3t\" token="abc"` is two values, each to its next quote.
    // A single-quoted one always runs to the next quote (`'s3cr3t\'`: bash has no escapes in single quotes).
    // An unquoted one may start with the punctuation that ends one (`password=,s3cr3t`): a random password does.
    pattern: new RegExp(
      String.raw`(\\?["']?${SECRET_KEY}\\?["']?\s*(?:=>|:=|:(?!=)|=(?!>))\s*)(?!\\?["']?\[REDACTED\])(\\"(?:\\\\\\\\|\\\\\\"|\\{0,2}[^"\\])*\\"|"(?:[^"\\\s]|\\\S)*"|"[^"]*"|'[^']*'|[A-Za-z_]\w{0,31}\(?'(?:[^']|'')*'|[,;&}\]]*[^\s,;&"'}\]]+)`,
      'gi',
    ),
    replace: (_m, key: string, value: string) =>
      `${key}${value.startsWith('\\"') ? `\\"${REDACTED}\\"` : value.startsWith('"') ? `"${REDACTED}"` : value.startsWith("'") ? `'${REDACTED}'` : REDACTED}`,
  },
  // SQL that sets a password (`CREATE ROLE app LOGIN PASSWORD 'x'`, `PASSWORD = N'x'`, `PASSWORD E'x'`, MySQL's
  // `IDENTIFIED BY 'x'` or `"x"` and `SET PASSWORD FOR u = 'x'`), as a failed migration's error or a database's
  // statement log echoes it. A quote in the string is doubled (`''`), or escaped with a backslash where the dialect
  // reads escapes: in PostgreSQL's `E'…'` and MySQL's `"…"` (`E'it\'s'` is one literal). An escaped reading that
  // finds no closing quote falls back to the plain one. Linear: an opening quote follows white space, `=` or a prefix
  // letter, never a backslash, so an escaped reading runs at most up to the next literal the rule opens with that quote.
  {
    pattern:
      /\b((?:PASSWORD(?:\s+FOR\s+\S{1,256}?\s*=\s*|\s*=\s*|\s+)|IDENTIFIED(?:\s+WITH\s+\w+)?\s+BY\s+)[NE]?)(?:(?<=E)'(?:[^'\\]|''|\\[\s\S])*'|'(?:[^']|'')*'|"(?:[^"\\]|""|\\[\s\S])*"|"(?:[^"]|"")*")/gi,
    replace: (m: string, prefix: string) => `${prefix}${m.charAt(prefix.length)}${REDACTED}${m.charAt(prefix.length)}`,
  },
  // A bare AWS secret access key (`isSecretKey`).
  { pattern: BARE_SECRET_KEY, replace: (m: string) => (isSecretKey(m) ? REDACTED : m) },
];

/** Whether `text` holds a bare AWS secret access key, as the redactor finds one: for ids stored as sent (`requestId`). */
export function holdsSecretKey(text: string): boolean {
  for (const [m] of text.matchAll(BARE_SECRET_KEY)) if (isSecretKey(m)) return true;
  return false;
}

/**
 * A redactor with the built-in rules plus `extra` patterns (REDACT_PATTERNS: regular expressions whose
 * matches are replaced by `[REDACTED]`). The patterns are checked by the configuration (`checkRedactPattern`).
 */
export function redactor(extra: readonly string[] = []): Redactor {
  const rules: Rule[] = [...extra.map((p) => ({ pattern: new RegExp(p, 'g'), replace: REDACTED })), ...BUILT_IN];
  return (text) => {
    let out = text;
    for (const rule of rules) {
      rule.pattern.lastIndex = 0;
      out = typeof rule.replace === 'string' ? out.replace(rule.pattern, rule.replace) : out.replace(rule.pattern, rule.replace);
    }
    return out;
  };
}

/** Redacts with the built-in rules only. */
export const redact: Redactor = redactor();

/** `value` (JSON-like) with every string in it redacted: for what echoes input, such as a rejection's detail. */
export function redactStrings(value: unknown, redact: Redactor): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, redact));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  // defineProperty, not assignment: a "__proto__" key stays a plain property.
  for (const [k, v] of Object.entries(value))
    Object.defineProperty(out, k, { value: redactStrings(v, redact), enumerable: true, writable: true, configurable: true });
  return out;
}

/** What is wrong with a REDACT_PATTERNS entry, or undefined when it can be used. */
export function checkRedactPattern(pattern: string): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (error) {
    return `not a regular expression (${error instanceof Error ? error.message : String(error)})`;
  }
  if (re.test('')) return 'it matches the empty string, so it would redact nothing useful and insert [REDACTED] everywhere';
  return undefined;
}
