import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/bounds.js';
import { checkCommand } from '../../src/core/command-policy.js';
import { redact } from '../../src/core/redact.js';
import { decideOn, idleState, sample, withEvent } from '../support/fixtures.js';

const rules = (allowed: string[], migrationCommand?: string[]) => ({ allowed, redact, ...(migrationCommand ? { migrationCommand } : {}) });

describe('checkCommand', () => {
  it('takes a bare entry as "this command, with safe arguments"', () => {
    expect(checkCommand(['db-seed', '--count=10', '-v', 'users', '2026-11-01T12:00:00'], rules(['db-seed']))).toEqual({ ok: true });
    expect(checkCommand(['db-seed', 'a b'], rules(['db-seed']))).toMatchObject({ ok: false, reason: expect.stringContaining('"a b"') });
    expect(checkCommand(['db-seed', '../etc/passwd'], rules(['db-seed'])).ok).toBe(false);
    expect(checkCommand(['db-seed', 'x'.repeat(257)], rules(['db-seed'])).ok).toBe(false);
  });

  it('holds a pattern entry to its words; * is a run of safe characters', () => {
    const r = rules(['db-rollback --to *', 'db-rollback --steps=*']);
    expect(checkCommand(['db-rollback', '--to', '0042'], r).ok).toBe(true);
    expect(checkCommand(['db-rollback', '--steps=3'], r).ok).toBe(true);
    expect(checkCommand(['db-rollback', '--to', '0042', '--force'], r).ok).toBe(false);
    expect(checkCommand(['db-rollback', '--from', '0042'], r).ok).toBe(false);
    expect(checkCommand(['db-rollback', '--steps=3;id'], r).ok).toBe(false);
    expect(checkCommand(['db-rollback', '--to', '$(id)'], r)).toEqual({
      ok: false,
      reason:
        'command "db-rollback --to $(id)" is not allowed: argument "$(id)" does not fit "*" of "db-rollback --to *"; or expected the form "db-rollback --steps=*"',
    });
  });

  // Pins "at most 256 characters each" for a pattern's "*" too (dropping `arg.length > 256 ||` in matchEntry,
  // src/core/command-policy.ts, went unnoticed before: only bare entries were held to 256 characters).
  it('refuses a pattern argument longer than 256 characters', () => {
    const r = rules(['db-rollback --to *']);
    expect(checkCommand(['db-rollback', '--to', '1'.repeat(256)], r)).toEqual({ ok: true });
    expect(checkCommand(['db-rollback', '--to', '1'.repeat(257)], r).ok).toBe(false);
  });

  it('treats regular-expression characters of an entry literally', () => {
    expect(checkCommand(['db-seed', '--only', 'a.b'], rules(['db-seed --only a.b'])).ok).toBe(true);
    expect(checkCommand(['db-seed', '--only', 'axb'], rules(['db-seed --only a.b'])).ok).toBe(false);
  });

  it('allows MIGRATION_COMMAND as configured, and its argv[0] like a bare entry', () => {
    const r = rules([], ['db-migrate', '--dir', '/app/migrations']);
    expect(checkCommand(['db-migrate', '--dir', '/app/migrations'], r).ok).toBe(true);
    expect(checkCommand(['db-migrate', '--verbose'], r).ok).toBe(true);
    expect(checkCommand(['db-migrate', '--dir', '/tmp/evil'], r).ok).toBe(false);
  });

  it('names the allowlist when argv[0] is not in it', () => {
    expect(checkCommand(['sh', '-c', 'id'], rules(['db-seed']))).toEqual({
      ok: false,
      reason: 'command "sh" is not in ALLOWED_COMMANDS (db-seed)',
    });
    expect(checkCommand(['sh'], rules([]))).toEqual({
      ok: false,
      reason: 'command "sh" is not in ALLOWED_COMMANDS (empty: no command may run)',
    });
    expect(checkCommand(['sh'], rules(['db-seed'], ['db-migrate']))).toEqual({
      ok: false,
      reason: 'command "sh" is neither MIGRATION_COMMAND nor in ALLOWED_COMMANDS (db-migrate, db-seed)',
    });
    // MIGRATION_COMMAND listed in ALLOWED_COMMANDS too (local mode's defaults) is named once.
    expect(checkCommand(['sh'], rules(['db-migrate', 'db-rollback'], ['db-migrate']))).toEqual({
      ok: false,
      reason: 'command "sh" is neither MIGRATION_COMMAND nor in ALLOWED_COMMANDS (db-migrate, db-rollback)',
    });
  });

  it('refuses an argument that looks like a secret, echoing it redacted', () => {
    const result = checkCommand(['db-seed', 'password=hunter2'], rules(['db-seed']));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('"password=[REDACTED]"') });
    if (!result.ok) expect(result.reason).not.toContain('hunter2');
  });

  it.each([
    ['a bearer token', ['db-seed', 'Bearer', 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ'], 'eyJhbGciOiJIUzI1NiJ9'],
    ['"password:" then its value', ['db-seed', 'password:', 'hunter2hunter2'], 'hunter2'],
    ['"--password=" then its value', ['db-seed', '--password=', 'hunter2hunter2'], 'hunter2'],
  ])('refuses a secret spread over two words (%s), echoing the command redacted', (_what, argv, secret) => {
    // Each word alone is harmless; the command as stored and emitted is not.
    const result = checkCommand(argv, rules(['db-seed']));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('carries a secret across its words') });
    if (!result.ok) expect(result.reason).not.toContain(secret);
  });

  it('refuses a command outside the allowlist as such, echoing it redacted', () => {
    // The allowlist is checked first: this command is refused for its "a b", not for the secret it spreads over two words.
    const result = checkCommand(['db-seed', '--password=', 'hunter2hunter2', 'a b'], rules(['db-seed']));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('"a b" has characters outside the safe set') });
    const url = checkCommand(['db-rollback', '--to', 'postgres://app:hunter2hunter2@db'], rules(['db-rollback --to *']));
    expect(url).toMatchObject({ ok: false, reason: expect.stringContaining('postgres://app:[REDACTED]@db') });
    if (!url.ok) expect(url.reason).not.toContain('hunter2');
  });

  // The redactor runs REDACT_PATTERNS too, which the operator writes and which may backtrack: a request's words (64 of
  // 4,096 characters) reach it only once the command fits the allowlist, where no word is longer than 256 characters.
  it.each([
    ['whose argv[0] is not allowed', ['not-allowed', ...Array.from({ length: 63 }, () => 'pwd'.repeat(1_365))]],
    ['with words longer than an allowed one', ['db-seed', ...Array.from({ length: 63 }, () => 'pwd'.repeat(1_365))]],
    ['with words outside the safe set', ['db-seed', ...Array.from({ length: 63 }, () => `${'pwd'.repeat(80)} x`)]],
  ])('reads no more than an echo of a command %s before refusing it', (_what, argv) => {
    let longest = 0;
    const spy = (text: string) => {
      longest = Math.max(longest, text.length);
      return redact(text);
    };
    expect(checkCommand(argv, { allowed: ['db-seed'], redact: spy }).ok).toBe(false);
    expect(longest).toBeLessThanOrEqual(LIMITS.echoChars * 4);
  });
});

/*
 * Was: README (Event contracts): "An argument that looks like a secret, or a secret spread over two words (`Bearer`
 * `<token>`, `--password <value>`), is refused"; docs/RELIABILITY.md: "an option whose name holds a secret word
 * followed by its value as the next word (`--password <value>`, `--api-key <value>`)" is refused, "a rejection echoes
 * the command redacted". And "What the controller echoes of invalid input, and every decision's reason, is redacted".
 *
 * The `--password <value>` pair is recognised only after the allowlist and the safe character set passed
 * (src/core/command-policy.ts `checkCommand`: `checkAllowed` first). A real password usually holds a character outside
 * the safe set (`!`, `#`, `@`, `/`, `$`…), so `checkAllowed` refuses the command first and echoes both the whole
 * command and the offending argument through the redactor alone, whose key=value rule needs `:` or `=`: the password
 * is echoed in clear in the reason, the log line and the Event Rejected event.
 */
describe('a refused command echoes no `--password <value>` whose value has a character outside the safe set', () => {
  const PASSWORD = 'Hunter2!Sup3rS3cret';
  const seedRules = { allowed: ['db-seed'], redact, migrationCommand: ['db-migrate'] };

  it('checkCommand refuses it without echoing the password', () => {
    const checked = checkCommand(['db-seed', '--password', PASSWORD], seedRules);
    expect(checked.ok).toBe(false);
    expect(JSON.stringify(checked)).not.toContain('Sup3rS3cret');
  });

  it('a run-command with it is rejected, and neither the reason nor Event Rejected holds the password', () => {
    const decision = decideOn(withEvent(sample('run-command'), { detail: { command: ['db-seed', '--password', PASSWORD] } }), idleState());
    expect(decision.decision).toBe('reject');
    expect(decision.reason).not.toContain('Sup3rS3cret');
    expect(JSON.stringify(decision.actions)).not.toContain('Sup3rS3cret');
  });

  it('the same with `--api-key <value>` under a pattern entry', () => {
    const checked = checkCommand(['db-sync', '--api-key', 'sk/live+Abc123Sup3rS3cret'], {
      allowed: ['db-sync --api-key *'],
      redact,
    });
    expect(checked.ok).toBe(false);
    expect(JSON.stringify(checked)).not.toContain('Sup3rS3cret');
  });
});

/**
 * Was: 9489c52 masked, in a refused command's echo, the word after an option whose name holds a secret word
 * (`--password <value>`, `withOptionValuesMasked`). The other secrets spread over two words that the policy knows
 * are not masked: `--password=` `<value>` and `Bearer` `<token>` (docs/RELIABILITY.md: "a secret spread over two
 * words (`Bearer` `<token>`, `--password=` `<value>`)"). With a value outside the safe set (a real password or a
 * standard-base64 token: `!`, `@`, `/`…), `checkAllowed` refuses first and names the offending argument: the whole
 * command's echo is redacted (the joined line shows the pair), but `argument "<value>" has characters outside the
 * safe set` quotes the word alone, which the redactor cannot recognise. The password reaches the reason, the log
 * line, the invocation's result and the `Event Rejected` event.
 *
 * docs/RELIABILITY.md: "a rejection echoes the command redacted"; "What the controller echoes of invalid input, and
 * every decision's reason, is redacted too".
 */
const splitRules = { allowed: ['db-seed'], redact, migrationCommand: ['db-migrate'] };

describe('a refused command echoes no secret spread over two words', () => {
  it.each([
    ['--password= <value>', ['db-seed', '--password=', 'Hunter2!Sup3rS3cret']],
    ['Bearer <token>', ['db-seed', '--header', 'Authorization:', 'Bearer', 'eyJhbGci/Sup3rS3cret+abc']],
    // Was: only a word after an option (`-…`) was read as a key; a key word alone (a positional key, then its value) echoed the value.
    ['DB_PASSWORD <value>', ['db-seed', 'DB_PASSWORD', 'Hunter2!Sup3rS3cret']],
    ['set api_token <value>', ['db-seed', 'set', 'api_token', 'Hunter2!Sup3rS3cret']],
    ['DB_PASSWORD ,<value>', ['db-seed', 'DB_PASSWORD', ',Hunter2!Sup3rS3cret']],
  ])('checkCommand: %s', (_what, argv) => {
    const checked = checkCommand(argv, splitRules);
    expect(checked.ok).toBe(false);
    expect(JSON.stringify(checked)).not.toContain('Sup3rS3cret');
  });

  it('a run-command with `--password= <value>` is rejected without the password in its reason or Event Rejected', () => {
    const command = ['db-seed', '--password=', 'Hunter2!Sup3rS3cret'];
    const decision = decideOn(withEvent(sample('run-command'), { detail: { command } }), idleState());
    expect(decision.decision).toBe('reject');
    expect(decision.reason).not.toContain('Sup3rS3cret');
    expect(JSON.stringify(decision.actions)).not.toContain('Sup3rS3cret');
  });
});

/**
 * Was: the redactor's unquoted value could not start with `,` (nor `;`, `&`, `}` or `]`), so `--password=,<value>` was
 * not a secret to it and checkCommand, which refuses what the redactor changes, accepted it: the command, password and
 * all, was stored in the deployment record and emitted in every event, while `--password ,<value>` was refused.
 */
describe('a secret value that starts with punctuation, in one word', () => {
  it.each([
    ['--password=,<value>', ['db-seed', '--password=,Sup3rS3cret']],
    ['DB_PASSWORD=,<value>', ['db-seed', 'DB_PASSWORD=,Sup3rS3cret']],
    ['--password ,<value>', ['db-seed', '--password', ',Sup3rS3cret']],
  ])('is refused, and not echoed: %s', (_what, argv) => {
    const checked = checkCommand(argv, rules(['db-seed']));
    expect(checked.ok).toBe(false);
    expect(JSON.stringify(checked)).not.toContain('Sup3rS3cret');
  });
});
