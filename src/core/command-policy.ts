import { quote, redactForEcho } from './bounds.js';
import { splitCommand } from './config.js';
import { REDACTED, type Redactor } from './redact.js';

/**
 * Which argv a request may run. An ALLOWED_COMMANDS entry is either a bare command (`db-seed`: any arguments
 * of the safe character set) or a pattern (`db-rollback --to *`: exactly these words, where `*` in a word
 * stands for a run of safe characters). A word of a pattern without `*` must be given literally.
 */

/** Letters, digits and `_ . , : = + -`: no shell syntax, no paths, no URLs, no quotes, no white space. */
export const SAFE_ARGUMENT = /^[A-Za-z0-9_.,:=+-]{1,256}$/;
const SAFE_RUN = '[A-Za-z0-9_.,:=+-]*';

export type CommandCheck = { ok: true } | { ok: false; reason: string };

export interface CommandRules {
  /** ALLOWED_COMMANDS entries. */
  allowed: readonly string[];
  /** MIGRATION_COMMAND: allowed exactly as configured, and its argv[0] like a bare entry. */
  migrationCommand?: readonly string[];
  /** The configured redactor: an argument it would change looks like a secret. */
  redact: Redactor;
}

const SECRETS_ADVICE = `pass secrets to the task through the task definition's "secrets", never in a command, which is stored and emitted`;

/**
 * Whether `argv` may run under `rules`; the reason names the first offending word, quoted and bounded. The allowlist
 * and the safe character set are checked first, so the redactor only ever reads a command that fits them (words of at
 * most 256 characters), never the hostile words a request may carry (its patterns include REDACT_PATTERNS).
 */
export function checkCommand(argv: readonly string[], rules: CommandRules): CommandCheck {
  const allowed = checkAllowed(argv, rules);
  if (!allowed.ok) return allowed;
  const secret = argv.findIndex((word) => rules.redact(word) !== word);
  if (secret !== -1) {
    return {
      ok: false,
      reason: `argument ${secret} of the command looks like a secret (${quote(rules.redact(argv[secret] ?? ''))}): ${SECRETS_ADVICE}`,
    };
  }
  // An option or key word (`keyOfValue`) whose name holds a secret word, and its value as the next word: `--password
  // <value>`, the usual CLI spelling, or `DB_PASSWORD <value>`, which the redactor's key=value rule does not see as a pair.
  const option = argv.findIndex((word, i) => i > 0 && keyOfValue(word) && secretPair(word, argv[i + 1], rules));
  if (option !== -1) {
    return {
      ok: false,
      reason: `arguments ${option} and ${option + 1} of the command look like a secret option or key and its value (${quote(`${rules.redact(argv[option] ?? '')} ${REDACTED}`)}): ${SECRETS_ADVICE}`,
    };
  }
  // A secret can span words ("Bearer" "<token>", "--password=" "<value>"): the command as stored and echoed is checked too.
  const line = argv.join(' ');
  if (rules.redact(line) !== line) {
    return {
      ok: false,
      reason: `the command looks like it carries a secret across its words (${quote(rules.redact(line))}): ${SECRETS_ADVICE}`,
    };
  }
  return { ok: true };
}

/** A word that may name a key, with or without dashes (`--password`, `DB_PASSWORD`): what the redactor reads before `=`. */
const KEY_WORD = /^[\w.-]{1,256}$/;

/**
 * Whether `word` names a key whose value may be the next word: an option (`--password`), or a bare key written as an
 * environment variable (`DB_PASSWORD`). A bare lowercase word is an argument (`manage.py migrate auth 0012`: the app
 * `auth`), not a key: refusing those would refuse ordinary rollback commands.
 */
function keyOfValue(word: string): boolean {
  return KEY_WORD.test(word) && (word.startsWith('-') || /^[A-Z][A-Z0-9_.]*$/.test(word));
}

/**
 * Whether option `name` with `value` (the next word) would be redacted as `name=value`: a secret option. A value that
 * starts with `--` is the next option; any other, whatever safe-set punctuation it starts with (`-x`, `,x`), is read
 * without that punctuation.
 */
function secretPair(name: string, value: string | undefined, rules: CommandRules): boolean {
  if (value === undefined || value.startsWith('--')) return false;
  const bare = value.replace(/^[-,]+/, '');
  if (bare === '') return false;
  const pair = `${name}=${bare}`;
  return rules.redact(pair) !== pair;
}

/** Whether `argv` fits MIGRATION_COMMAND or an ALLOWED_COMMANDS entry; a refusal echoes what it names redacted. */
function checkAllowed(argv: readonly string[], rules: CommandRules): CommandCheck {
  const echo = echoOf(rules.redact);
  const migration = rules.migrationCommand;
  if (migration !== undefined && sameArgv(argv, migration)) return { ok: true };
  const entries = [...(migration?.[0] !== undefined ? [migration[0]] : []), ...rules.allowed].map((e) => splitCommand(e));
  const candidates = entries.filter((words) => words[0] === argv[0]);
  if (candidates.length === 0) return { ok: false, reason: notListed(echo(argv[0] ?? ''), rules) };

  const shown = withOptionValuesMasked(argv, rules.redact);
  const problems = candidates.map((words) => matchEntry(argv, words, (i) => echo(shown[i] ?? '')));
  if (problems.some((p) => p === undefined)) return { ok: true };
  return { ok: false, reason: `command ${echo(shown.join(' '))} is not allowed: ${problems.join('; or ')}` };
}

/**
 * `argv` as a refusal may echo it, whatever its characters (a real password rarely fits the safe set, so the allowlist
 * refuses it first and names it): masked, a word after an option or key word whose name holds a secret word
 * (`--password <value>`, `DB_PASSWORD <value>`), and a word the redactor changes when it reads it after the two words
 * before it (`--password=` `<value>`, `Bearer` `<token>`) and not alone. The redactor reads at most 256 characters of a word.
 */
function withOptionValuesMasked(argv: readonly string[], redact: Redactor): string[] {
  const cut = (word: string): string => word.slice(0, 256);
  const secretOption = (word: string | undefined): boolean => {
    if (word === undefined || !KEY_WORD.test(word)) return false;
    const probe = `${word}=x`;
    return redact(probe) !== probe;
  };
  const spreadSecret = (i: number): boolean => {
    const word = cut(argv[i] ?? '');
    // A word the redactor changes alone is echoed redacted anyway (a URL keeps its host readable).
    return redact(word) === word && !redact([...argv.slice(Math.max(1, i - 2), i).map(cut), word].join(' ')).endsWith(word);
  };
  return argv.map((word, i) => (i > 1 && (secretOption(argv[i - 1]) || spreadSecret(i)) ? REDACTED : word));
}

/** Why argv does not fit one entry, or undefined when it does; `echo(i)` quotes argv[i] as a refusal may show it. */
function matchEntry(argv: readonly string[], words: readonly string[], echo: (i: number) => string): string | undefined {
  const args = argv.slice(1);
  if (words.length === 1) {
    const bad = args.findIndex((a) => !SAFE_ARGUMENT.test(a));
    return bad === -1 ? undefined : `argument ${echo(bad + 1)} has characters outside the safe set (letters, digits and _ . , : = + -)`;
  }
  const pattern = words.join(' ');
  if (args.length !== words.length - 1) return `expected the form ${quote(pattern)}`;
  for (const [i, word] of words.slice(1).entries()) {
    const arg = args[i] ?? '';
    const re = new RegExp(`^${word.split('*').map(escapeRegExp).join(SAFE_RUN)}$`);
    if (arg.length > 256 || !re.test(arg)) return `argument ${echo(i + 1)} does not fit ${quote(word)} of ${quote(pattern)}`;
  }
  return undefined;
}

/** Why argv[0] is not listed; `argv0` quoted already. */
function notListed(argv0: string, rules: CommandRules): string {
  if (rules.migrationCommand !== undefined) {
    const listed = [...new Set([rules.migrationCommand[0], ...rules.allowed])].join(', ');
    return `command ${argv0} is neither MIGRATION_COMMAND nor in ALLOWED_COMMANDS (${listed})`;
  }
  const listed = rules.allowed.length > 0 ? rules.allowed.join(', ') : 'empty: no command may run';
  return `command ${argv0} is not in ALLOWED_COMMANDS (${listed})`;
}

/** A word of the request quoted as a refusal echoes it: redacted (`redactForEcho`), then quoted and cut. */
function echoOf(redact: Redactor): (s: string) => string {
  return (s) => quote(redactForEcho(s, redact));
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
