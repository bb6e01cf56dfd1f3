/**
 * Redaction of secrets in text the controller stores or emits (a migration's log tail, a command). It errs on
 * the side of hiding: a false positive costs a `[REDACTED]` in a log line, a false negative leaks a credential
 * into events, the deployment history and the halted-migrations queue.
 */

export const REDACTED = '[REDACTED]';

export type Redactor = (text: string) => string;

type Rule =
  | { pattern: RegExp; replace: string | ((match: string, ...groups: string[]) => string) }
  /** A rule a single regular expression cannot say (`sqlPasswords`). */
  | { apply: (text: string) => string };

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
  // Tokens whose format names them, with no key before them: GitHub (`ghp_…`, `github_pat_…`), GitLab (`glpat-…`),
  // Slack (`xoxb-…`), Stripe secret and restricted keys (`sk_live_…`), npm (`npm_…`) and Google API keys (`AIza…`).
  // Each prefix is rare in prose; the lengths are the formats' own.
  {
    pattern:
      /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}|glpat-[A-Za-z0-9_-]{20,255}|xox[abposr]-[A-Za-z0-9-]{10,255}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,255}|npm_[A-Za-z0-9]{36}|AIza[0-9A-Za-z_-]{35})\b/g,
    replace: REDACTED,
  },
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
  { apply: sqlPasswords },
  // A bare AWS secret access key (`isSecretKey`).
  { pattern: BARE_SECRET_KEY, replace: (m: string) => (isSecretKey(m) ? REDACTED : m) },
];

/** Whether `text` holds a bare AWS secret access key, as the redactor finds one: for ids stored as sent (`requestId`). */
export function holdsSecretKey(text: string): boolean {
  for (const [m] of text.matchAll(BARE_SECRET_KEY)) if (isSecretKey(m)) return true;
  return false;
}

/**
 * Where SQL sets a password (`CREATE ROLE app LOGIN PASSWORD 'x'`, `PASSWORD = N'x'`, `PASSWORD E'x'`, MySQL's
 * `IDENTIFIED BY 'x'` or `"x"` and `SET PASSWORD FOR u = 'x'`), as a failed migration's error or a database's statement
 * log echoes it: up to the literal's opening quote.
 */
const SQL_PASSWORD = /\b((?:PASSWORD(?:\s+FOR\s+\S{1,256}?\s*=\s*|\s*=\s*|\s+)|IDENTIFIED(?:\s+WITH\s+\w+)?\s+BY\s+)[NE]?)(['"])/gi;
/** The longest literal read to its closing quote; a longer one (or one that never closes) is hidden to the end of its line. */
const LITERAL_CHARS = 1024;
/** Each quote's two readings, sticky at the opening quote: a doubled quote (`''`) only, or backslash escapes too. */
const LITERAL_READINGS: Record<string, readonly RegExp[]> = Object.fromEntries(
  ["'", '"'].map((q) => [
    q,
    [
      new RegExp(`${q}(?:[^${q}]|${q}${q}){0,${LITERAL_CHARS}}${q}`, 'y'),
      new RegExp(`${q}(?:[^${q}\\\\]|${q}${q}|\\\\[\\s\\S]){0,${LITERAL_CHARS}}${q}`, 'y'),
    ],
  ]),
);

/**
 * Hides the literal of each SQL password (`SQL_PASSWORD`). Whether a backslash escapes a quote depends on the dialect
 * and its settings (MySQL reads `'it\'s'` as one literal by default, PostgreSQL's standard strings read `'a\'` as
 * `a\`), which the log does not say: the literal is hidden to the farther of the two readings' ends, so no part of the
 * password stays (at worst a little of what follows it goes too). Linear: each literal is read at most
 * `LITERAL_CHARS` far, and the scan goes on after what it hid.
 */
function sqlPasswords(text: string): string {
  let out = '';
  let from = 0;
  SQL_PASSWORD.lastIndex = 0;
  for (let m = SQL_PASSWORD.exec(text); m !== null; m = SQL_PASSWORD.exec(text)) {
    const quote = m[2] ?? "'";
    const open = m.index + m[0].length - 1;
    let close = -1;
    for (const reading of LITERAL_READINGS[quote] ?? []) {
      reading.lastIndex = open;
      if (reading.test(text)) close = Math.max(close, reading.lastIndex);
    }
    const lineEnd = text.indexOf('\n', open);
    const end = close >= 0 ? close : lineEnd >= 0 ? lineEnd : text.length;
    out += `${text.slice(from, open + 1)}${REDACTED}${close >= 0 ? quote : ''}`;
    from = end;
    SQL_PASSWORD.lastIndex = Math.max(end, open + 1);
  }
  return from === 0 ? text : out + text.slice(from);
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
      if ('apply' in rule) {
        out = rule.apply(out);
        continue;
      }
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
