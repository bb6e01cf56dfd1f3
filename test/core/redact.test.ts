import { describe, expect, it } from 'vitest';
import { checkRedactPattern, REDACTED, redact, redactor } from '../../src/core/redact.js';
import { keptTail } from '../../src/shell/load-state.js';

describe('redact', () => {
  it.each([
    ['a connection-string password', 'postgres://shop:S3cr3t@db.internal:5432/shop', `postgres://shop:${REDACTED}@db.internal:5432/shop`],
    ['a mysql URL', 'mysql://root:pa55@10.0.0.1/app', `mysql://root:${REDACTED}@10.0.0.1/app`],
    // WHATWG URL, node-postgres and Prisma end the password at the last "@" before the host: the app connects with all of it.
    [
      'a connection-string password holding a raw "@"',
      'DATABASE_URL=postgres://app:p@ss-w0rd@db.internal:5432/app',
      `DATABASE_URL=postgres://app:${REDACTED}@db.internal:5432/app`,
    ],
    [
      'a connection-string password, not an "@" of its path',
      'https://bot:pw@git.internal/users/@me',
      `https://bot:${REDACTED}@git.internal/users/@me`,
    ],
    ['an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE used', `key ${REDACTED} used`],
    ['a temporary access key id', 'ASIAY34FZKBOKMUTVV7A', REDACTED],
    ['a bare AWS secret key', 'secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end', `secret ${REDACTED} end`],
    // As `env` and dotenv files print it, under a key the key=value rule does not know.
    ['a bare AWS secret key after "="', 'S3_UPLOAD_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `S3_UPLOAD_KEY=${REDACTED}`],
    ['password=', 'retry password=hunter2 now', `retry password=${REDACTED} now`],
    ['PGPASSWORD=', 'PGPASSWORD=hunter2', `PGPASSWORD=${REDACTED}`],
    ['token: ', 'token: abc.def.ghi', `token: ${REDACTED}`],
    ['--db-password=', '--db-password=x1', `--db-password=${REDACTED}`],
    ['aws_secret_access_key = ', 'aws_secret_access_key = abc', `aws_secret_access_key = ${REDACTED}`],
    ['a JSON secret', '{"secretAccessKey":"abc","user":"bob"}', `{"secretAccessKey":"${REDACTED}","user":"bob"}`],
    ['a single-quoted value', "api_key='k-123'", `api_key='${REDACTED}'`],
    ['a bearer token', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y', `Authorization: ${REDACTED}`],
    ['a bearer token without the header name', 'curl -H "Bearer eyJhbGciOiJIUzI1NiJ9"', `curl -H "Bearer ${REDACTED}"`],
    // RFC 7235: the scheme is case-insensitive.
    ['a bearer token, the scheme in capitals', 'curl -H "BEARER eyJhbGciOiJIUzI1NiJ9"', `curl -H "BEARER ${REDACTED}"`],
    ['a bearer token, the scheme in lower case', 'auth header: bearer eyJhbGciOiJIUzI1NiJ9', `auth header: bearer ${REDACTED}`],
  ])('hides %s', (_what, text, expected) => {
    expect(redact(text)).toBe(expected);
    // Redacting again changes nothing (a rejection's echo is redacted, then the event that carries it).
    expect(redact(expected)).toBe(expected);
  });

  it.each([
    'ERROR: relation "orders" already exists',
    'Applied migration 0042_add_orders in 12 ms',
    'password authentication failed for user "shop"',
    // A git SHA and an image digest are not secrets.
    'commit 3f05c6b25bd17fd921bedaa19354adf978dcb7f6',
    'sha256:3f05c6b25bd17fd921bedaa19354adf978dcb7f6d165a5d1c96097bdcf6a25f3',
    'https://example.com/path?page=2',
    'GIT_COMMIT=3f05c6b25bd17fd921bedaa19354adf978dcb7f6',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(redact(text)).toBe(text);
  });

  // A rule that backtracks on a long run of key words with no ":" or "=" (`[\w.-]*pwd[\w.-]*` before "=") took about
  // 4 s on 4 KB and minutes on 16 KB: one line of migration output, or one run-command word, held a decision up past
  // the Lambda timeout. In linear time 256 KB takes milliseconds; the bound is generous for a slow shared machine.
  it.each([
    ['a run of key words', 'pwd'],
    ['a run of longer key words', 'token'],
    ['a run of scheme characters', 'a.'],
    ['schemes with a user and no "@"', 'a://b:'],
    ['passwords holding many "@"', 'a://b:c@@'],
    ['keys with an unclosed quote', 'password="'],
    ['base64 runs', 'A/b1='],
    ['SQL escape strings that never close', "PASSWORD E'\\'"],
    ['SQL double-quoted strings that never close', 'IDENTIFIED BY "\\"'],
    ['token prefixes', 'ghp_xoxb-glpat-'],
  ])('redacts 256 KB of %s in linear time', (_what, unit) => {
    const text = unit.repeat(Math.ceil((256 * 1024) / unit.length));
    const started = performance.now();
    redact(text);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('adds the configured patterns', () => {
    const r = redactor(['shop_live_[0-9a-f]{8}']);
    expect(r('key shop_live_0123abcd ok')).toBe(`key ${REDACTED} ok`);
    expect(r('password=x')).toBe(`password=${REDACTED}`);
  });

  it('is repeatable: a global pattern used twice redacts both times', () => {
    const r = redactor(['s3cr3t']);
    expect([r('a s3cr3t'), r('b s3cr3t')]).toEqual([`a ${REDACTED}`, `b ${REDACTED}`]);
  });

  it('refuses patterns that do not compile or match the empty string', () => {
    expect(checkRedactPattern('(')).toMatch(/not a regular expression/);
    expect(checkRedactPattern('a*')).toMatch(/empty string/);
    expect(checkRedactPattern('shop_[a-z]+')).toBeUndefined();
  });
});

/**
 * Was: the key=value rule took `=` as the separator and then "redacted" the `>` of `=>` alone (`"password"=[REDACTED]"hunter2"`,
 * which looks redacted and is not); an escaped quote after the key (JSON inside a JSON string, as a structured logger
 * writes a serialized config) matched nothing; and a connection string whose user holds a raw `@` (Azure single
 * server's `user@servername`, which WHATWG URL and node-postgres read up to the last `@`) kept its whole password.
 */
describe('secrets in the forms other languages and loggers write them', () => {
  it.each([
    [
      'a Ruby hash with string keys',
      '{"adapter"=>"postgresql", "password"=>"hunter2", "host"=>"db"}',
      `{"adapter"=>"postgresql", "password"=>"${REDACTED}", "host"=>"db"}`,
    ],
    [
      'a Ruby hash with symbol keys',
      '{:adapter=>"postgresql", :password=>"hunter2"}',
      `{:adapter=>"postgresql", :password=>"${REDACTED}"}`,
    ],
    ['a PHP / Perl array', "    'password' => 'hunter2',", `    'password' => '${REDACTED}',`],
    ['a token in a Ruby hash', '{"api_token"=>"hunter2"}', `{"api_token"=>"${REDACTED}"}`],
    ['a Go assignment', 'password := hunter2', `password := ${REDACTED}`],
    [
      'JSON inside a JSON string',
      String.raw`{"msg":"failed","config":"{\"user\":\"app\",\"password\":\"hunter2\"}"}`,
      String.raw`{"msg":"failed","config":"{\"user\":\"app\",\"password\":\"` + REDACTED + String.raw`\"}"}`,
    ],
    [
      'a connection string whose user holds a raw "@"',
      'DATABASE_URL=postgres://app@myserver:hunter2@myserver.postgres.database.azure.com:5432/shop',
      `DATABASE_URL=postgres://app@myserver:${REDACTED}@myserver.postgres.database.azure.com:5432/shop`,
    ],
  ])('%s', (_what, line, redacted) => {
    expect(new URL('postgres://app@myserver:hunter2@myserver.postgres.database.azure.com:5432/shop').password).toBe('hunter2');
    expect(redact(line)).toBe(redacted);
    expect(redact(redact(line))).toBe(redacted);
  });

  it('a backslash in an unquoted value is redacted with the rest of it', () => {
    expect(redact(String.raw`password=ab\cd next`)).toBe(`password=${REDACTED} next`);
  });
});

/** Was: SQL that sets a password (a failed migration's error, a statement log) and `DB_PASS=`/`passphrase=` kept the secret. */
describe('passwords set in SQL, and pass/passphrase keys', () => {
  it.each([
    ["CREATE ROLE app WITH LOGIN PASSWORD 'hun''ter2';", `CREATE ROLE app WITH LOGIN PASSWORD '${REDACTED}';`],
    [
      "ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY 'hunter2';",
      `ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY '${REDACTED}';`,
    ],
    ["CREATE USER app IDENTIFIED BY 'hunter2'", `CREATE USER app IDENTIFIED BY '${REDACTED}'`],
    ['DB_PASS=hunter2', `DB_PASS=${REDACTED}`],
    ['smtp.pass: hunter2', `smtp.pass: ${REDACTED}`],
    ['passphrase=hunter2', `passphrase=${REDACTED}`],
  ])('%s', (line, redacted) => {
    expect(redact(line)).toBe(redacted);
    expect(redact(redacted)).toBe(redacted);
  });

  it.each(['bypass_cache=true tests_passed=3 compass=north', 'ALTER ROLE app PASSWORD NULL'])('leaves %s as it is', (line) => {
    expect(redact(line)).toBe(line);
  });
});

/**
 * Was (9728d6d, found by the review of it): letting the URL's user hold a raw `@` made a URL with a user and no
 * password (`postgres://app@db:5432/shop`) match up to a later `@`: its port, path and the next JSON keys became
 * `[REDACTED]`, and a `password` key eaten that way kept the rest of its value in clear. And a password holding a
 * quote, in JSON inside a JSON string (`\\\"`), was hidden only up to that quote.
 */
describe('a user holding "@", and JSON in JSON, without eating what follows', () => {
  it.each([
    [
      'a structured JSON log line',
      '{"level":"info","msg":"connected","url":"postgres://app@db.internal:5432/shop","user":"ops@example.com"}',
    ],
    ['a query holding an e-mail address', 'sending via smtp://noreply@mail.example.com:587/?from=noreply@example.com'],
    ['a git URL pinned to a ref', 'fetching ssh://git@github.com:22/acme/shop.git@v1.4.0'],
  ])('a URL with a user and no password is left alone: %s', (_what, line) => {
    const url = line.match(/[a-z]+:\/\/\S+/)?.[0]?.replace(/",".*$/, '') ?? '';
    expect(new URL(url).password).toBe('');
    expect(redact(line)).toBe(line);
  });

  it.each([
    ['a password holding "@"', '{"db":{"url":"postgres://app@db.internal:5432/shop","password":"Xk9@vT2#qLm7"}}', 'vT2#qLm7'],
    ['a token holding "@"', '{"url":"redis://default@cache:6379/0","token":"abc@def123456ghi"}', 'def123456ghi'],
  ])('the key after such a URL is redacted whole: %s', (_what, line, tail) => {
    expect(redact(line)).toContain(REDACTED);
    expect(redact(line)).not.toContain(tail);
  });

  it('a password holding a quote, in JSON inside a JSON string, is hidden whole', () => {
    const inner = JSON.stringify({ user: 'app', password: 'ab"cdSup3rS3cret' });
    const line = JSON.stringify({ msg: 'failed', config: inner });
    expect(redact(inner)).not.toContain('Sup3rS3cret');
    expect(line).toContain(String.raw`\"password\":\"ab\\\"cdSup3rS3cret\"`);
    expect(redact(line)).toBe(JSON.stringify({ msg: 'failed', config: `{"user":"app","password":"${REDACTED}"}` }));
  });

  it('a bare PASS key (test output) and --pass-through are not secrets; DB_PASS is', () => {
    expect(redact('--- PASS: TestMigrate (0.00s) --pass-through=x')).toBe('--- PASS: TestMigrate (0.00s) --pass-through=x');
    expect(redact('DB_PASS=hunter2')).toBe(`DB_PASS=${REDACTED}`);
  });
});

/**
 * Was (found by the review of d4a6689 and 1623e60): a literal glued to a prefix or a function call (`N'x'`, `E'x'`,
 * `crypt('x', …)`) after `password =` came out `[REDACTED]'hunter2'`, which looks redacted and is not; MySQL's `SET
 * PASSWORD FOR u = 'x'` matched no rule; and a password holding `,`, `;` or a quote in a URL whose user holds `@` was
 * not hidden at all.
 */
describe('SQL literals and punctuation in passwords', () => {
  it.each([
    ["SQL Server's N'' literal", "CREATE LOGIN app WITH PASSWORD = N'hunter2'"],
    ["PostgreSQL's E'' literal", "ALTER ROLE app WITH PASSWORD E'hunter2'"],
    ['a seed that hashes a literal', "UPDATE users SET password = crypt('hunter2', gen_salt('bf')) WHERE id = 1"],
    ["MySQL's SET PASSWORD", "SET PASSWORD FOR 'app'@'%' = 'hunter2';"],
    ['an Azure URL, a "," in the password', 'DATABASE_URL=postgres://app@myserver:hun,ter2@myserver.postgres.database.azure.com:5432/shop'],
    ['an Azure URL, a ";" in the password', 'DATABASE_URL=postgres://app@myserver:hun;ter2@myserver.postgres.database.azure.com:5432/shop'],
    [
      'an Azure URL, a quote in the password',
      "DATABASE_URL=postgres://app@myserver:hun'ter2@myserver.postgres.database.azure.com:5432/shop",
    ],
  ])('%s', (_what, line) => {
    const redacted = redact(line);
    expect(redacted).not.toMatch(/hunter2|ter2/);
    expect(redact(redacted)).toBe(redacted);
  });

  it("keeps the user's quotes and the host of a MySQL SET PASSWORD", () => {
    expect(redact("SET PASSWORD FOR 'app'@'%' = 'hunter2';")).toBe(`SET PASSWORD FOR 'app'@'%' = '${REDACTED}';`);
  });
});

/**
 * Was: the SQL rule knew only single-quoted literals read without escapes: MySQL's `IDENTIFIED BY "x"` (double quotes,
 * valid unless ANSI_QUOTES) kept the whole password, and PostgreSQL's `E'it\'s-x'` came out `E'[REDACTED]'s-x'`, the
 * literal taken to end at its escaped quote; the watcher stores that tail (`keptTail`) and emits it.
 */
describe('SQL literals in double quotes and with backslash escapes', () => {
  it.each([
    [
      "MySQL's IDENTIFIED BY with a double-quoted string",
      `CREATE USER 'app'@'%' IDENTIFIED BY "Sup3rS3cret";`,
      `CREATE USER 'app'@'%' IDENTIFIED BY "${REDACTED}";`,
    ],
    [
      'a double-quoted string holding an escaped quote',
      String.raw`CREATE USER 'app'@'%' IDENTIFIED BY "it\"s-Sup3rS3cret";`,
      `CREATE USER 'app'@'%' IDENTIFIED BY "${REDACTED}";`,
    ],
    [
      "MySQL's SET PASSWORD with a double-quoted string",
      `SET PASSWORD FOR 'app'@'%' = "Sup3rS3cret";`,
      `SET PASSWORD FOR 'app'@'%' = "${REDACTED}";`,
    ],
    [
      "PostgreSQL's E'' literal holding an escaped quote",
      String.raw`ALTER ROLE app WITH PASSWORD E'it\'s-Sup3rS3cret'`,
      `ALTER ROLE app WITH PASSWORD E'${REDACTED}'`,
    ],
    [
      "an e'' literal ending in an escaped backslash",
      String.raw`ALTER ROLE app PASSWORD e'Sup3rS3cret\\' VALID UNTIL 'infinity'`,
      `ALTER ROLE app PASSWORD e'${REDACTED}' VALID UNTIL 'infinity'`,
    ],
    // Read with escapes it never closes: read as a plain literal, as before.
    ["an E'' literal ending in a backslash", String.raw`ALTER ROLE app PASSWORD E'Sup3rS3cret\'`, `ALTER ROLE app PASSWORD E'${REDACTED}'`],
  ])('%s', (_what, line, redacted) => {
    expect(redact(line)).toBe(redacted);
    expect(redact(redacted)).toBe(redacted);
  });

  it('hides the password in the tail the watcher keeps', () => {
    const line = String.raw`STATEMENT:  ALTER ROLE app WITH PASSWORD E'it\'s-Sup3rS3cret'`;
    expect(keptTail([line], redact).join('\n')).not.toContain('Sup3rS3cret');
  });
});

/**
 * Was: a single-quoted literal was read without backslash escapes, as PostgreSQL's standard strings are, so MySQL's
 * `IDENTIFIED BY 'it\'s-x'` (one literal: MySQL reads escapes by default) came out `'[REDACTED]'s-x'`; and a literal
 * that never closed on its line (a log line cut at its size limit) kept the whole password. Now a literal is hidden to
 * the farther end of its two readings, and one that never closes to the end of its line.
 */
describe('SQL password literals whatever the dialect reads in them', () => {
  it.each([
    ["MySQL's single-quoted literal holding an escaped quote", String.raw`CREATE USER 'app'@'%' IDENTIFIED BY 'it\'s-Sup3rS3cret';`],
    ["PostgreSQL's standard string holding a backslash before a doubled quote", String.raw`ALTER ROLE app PASSWORD 'ab\''cd-Sup3rS3cret'`],
    ['a literal cut with its line', "ALTER ROLE app WITH LOGIN PASSWORD 'Sup3rS3cret"],
    ['the second password of a line', "ALTER ROLE a PASSWORD 'x1'; ALTER ROLE b PASSWORD 'Sup3rS3cret'"],
  ])('%s', (_what, line) => {
    const redacted = redact(line);
    expect(redacted).not.toContain('Sup3rS3cret');
    expect(redact(redacted)).toBe(redacted);
  });

  it('keeps what follows a closed literal, and the next line after one that never closes', () => {
    expect(redact("ALTER ROLE app PASSWORD 'hunter2' VALID UNTIL 'infinity'")).toBe(
      `ALTER ROLE app PASSWORD '${REDACTED}' VALID UNTIL 'infinity'`,
    );
    expect(redact("PASSWORD 'hunter2\nnext line")).toBe(`PASSWORD '${REDACTED}\nnext line`);
  });
});

/** Was: a token whose format names it (no key before it: an error printing a URL or a command line) was kept. */
describe('tokens known by their format', () => {
  const alnum = (n: number) => 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC2dF4gH6jK8mN0pQ2sT4vW6xY8zA1cD3fG5hJ7k'.slice(0, n);
  it.each([
    ['a GitHub token', `git clone https://github.com/org/repo (token ghp_${alnum(36)})`],
    ['a fine-grained GitHub token', `GITHUB_AUTH github_pat_${alnum(22)}_${alnum(30)} rejected`],
    ['a GitLab token', `error: glpat-${alnum(20)} expired`],
    ['a Slack token', `posting with xoxb-1234567890-${alnum(24)} failed`],
    ['a Stripe key', `Stripe::AuthenticationError sk_live_${alnum(24)}`],
    ['an npm token', `npm ERR! npm_${alnum(36)} invalid`],
    ['a Google API key', `maps: AIza${alnum(35)} denied`],
  ])('hides %s', (_what, line) => {
    const redacted = redact(line);
    expect(redacted).toContain(REDACTED);
    expect(redacted).not.toContain(alnum(20));
  });

  it('keeps words that only start like one', () => {
    for (const line of ['the gh_pages branch', 'sk_live is off', 'xoxb- prefix', 'npm_config_cache=/tmp']) expect(redact(line)).toBe(line);
  });
});

/** Was: an unquoted value starting with `,`, `;`, `&`, `}` or `]` (a random password may) was not redacted. */
describe('a secret value that starts with punctuation', () => {
  it.each([
    ['password=,Sup3rS3cret', `password=${REDACTED}`],
    ['DB_PASSWORD=;Sup3rS3cret next', `DB_PASSWORD=${REDACTED} next`],
    ['token: &}]Sup3rS3cret', `token: ${REDACTED}`],
  ])('%s', (line, redacted) => {
    expect(redact(line)).toBe(redacted);
    expect(redact(redacted)).toBe(redacted);
  });

  it.each(['Config{user=app, password=}', 'export DB_PASSWORD=; run'])('leaves an empty value as it is: %s', (line) => {
    expect(redact(line)).toBe(line);
  });
});
