import { checkRedactPattern } from './redact.js';

/*
 * The configuration is checked by a table of plain functions, not zod: it is checked once, at cold start, where
 * building a schema costs more than the check itself (BENCHMARKS.md, cold init). Events and records use zod/mini.
 */

/** Names accepted for an environment: they end up in resource names, tags and the ECS `startedBy` field. */
const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** One key: its raw value (a string, or undefined when unset) → its typed value; `fail` names a problem with it. */
type Field<T> = (raw: unknown, fail: (message: string) => void) => T;

/** A key that must be set: trimmed, non-empty, then `check`ed. */
function required(what: string, check?: (value: string, fail: (message: string) => void) => void): Field<string> {
  return (raw, fail) => {
    const value = typeof raw === 'string' ? raw.trim() : '';
    if (raw === undefined) fail(`missing; expected ${what}`);
    else if (value === '') fail(`expected ${what}`);
    else check?.(value, fail);
    return value;
  };
}

/** An optional key, trimmed; blank is unset. */
const optionalText: Field<string | undefined> = (raw, fail) => {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') {
    fail(`expected text, received ${raw === null ? 'null' : typeof raw}`);
    return undefined;
  }
  const value = raw.trim();
  return value === '' ? undefined : value;
};

/** An optional key turned into its typed value; `parse` reports a problem with the value given through `fail`. */
function optionalValue<T>(parse: (value: string | undefined, fail: (message: string) => void) => T): Field<T> {
  return (raw, fail) => {
    let wrongType = false;
    const text = optionalText(raw, (message) => {
      wrongType = true;
      fail(message);
    });
    // A value of the wrong type is reported once; the default stands in for it.
    return parse(text, wrongType ? () => {} : fail);
  };
}

/** The keys of the configuration; `parseConfig` adds the check across keys (SERVICE / SERVICES). */
const configFields = {
  ENVIRONMENT: required('an environment name such as "staging"', (v, fail) => {
    if (!ENVIRONMENT_NAME.test(v)) fail('expected lower-case letters, digits and "-", starting with a letter, at most 32 characters');
  }),
  CLUSTER: required('the ECS cluster name or ARN'),
  /** The one gated service; SERVICES names several. Exactly one of the two is set. */
  SERVICE: optionalText,
  CONTAINER: required('the name of the container in the task definition that runs the migration'),
  REPOSITORY: required('the ECR repository name whose pushes trigger a migration'),
  TAG_PATTERN: optionalText,
  MIGRATION_COMMAND: optionalValue((v, fail) => {
    const text = (v ?? 'db-migrate').trim();
    // A value written as a JSON argv must be one: split into words, a typo in it would run as the command.
    const argv = text.startsWith('[') ? jsonArgv(text) : splitCommand(text);
    if (argv === undefined) {
      fail('expected a JSON array of non-empty strings, e.g. ["db-migrate","--verbose"], or a command line such as "db-migrate --verbose"');
      return [];
    }
    if (argv.length === 0 || argv[0] === '') fail('expected a command such as "db-migrate"');
    return argv;
  }),
  ALLOWED_COMMANDS: optionalValue((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ),
  TIMEOUT_MINUTES: optionalValue((v, fail) => {
    const n = Number(v ?? '60');
    if (!Number.isFinite(n) || n <= 0 || n > 24 * 60) fail('expected a number of minutes greater than 0 and at most 1440 (default 60)');
    return n;
  }),
  EVENT_SOURCE: optionalValue((v, fail) => {
    const source = v ?? 'ecs-migrate';
    if (source.startsWith('aws.')) fail('expected a source that does not start with "aws." (reserved by AWS)');
    return source;
  }),
  /**
   * The registry images come from (host[:port]). The stack passes `<account>.dkr.ecr.<region>.amazonaws.com`;
   * without it (local mode, `explain`), local mode's registry, so a request naming any real registry is refused.
   */
  REGISTRY: optionalValue((v, fail) => {
    const registry = (v ?? LOCAL_REGISTRY).toLowerCase();
    if (!/^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::\d{1,5})?$/.test(registry))
      fail('expected a registry host such as "123456789012.dkr.ecr.eu-west-1.amazonaws.com" (no scheme, no path)');
    return registry;
  }),
  /** Extra regular expressions whose matches are redacted: a JSON array of strings, or one pattern. */
  REDACT_PATTERNS: optionalValue((v, fail) => {
    if (v === undefined) return [];
    const read = readRedactPatterns(v);
    for (const problem of read.problems) fail(problem);
    return read.problems.length === 0 ? read.patterns : [];
  }),
  /** Launches retried when the task never started for a reason that can pass (no capacity, image pull, resource init). */
  LAUNCH_RETRIES: optionalValue((v, fail) => {
    const n = Number(v ?? '2');
    if (!Number.isInteger(n) || n < 0 || n > 5) fail('expected a whole number of retries between 0 and 5 (default 2)');
    return n;
  }),
  ...rolloutKeys(),
} satisfies Record<string, Field<unknown>>;

type Values<F> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

/**
 * One configuration contract for Lambda environment variables, `explain --config FILE` and local mode. Keys are
 * the environment variable names; values are strings, as in `process.env`. `SERVICES` lists every gated service
 * (SERVICE alone gives one) and `SERVICE` is the first of them.
 */
export type Config = Omit<Values<typeof configFields>, 'SERVICE' | 'SERVICES'> & { SERVICE: string; SERVICES: string[] };

/** Local mode's registry (the images it builds); the default REGISTRY outside a stack. */
export const LOCAL_REGISTRY = '000000000000.dkr.ecr.local.amazonaws.com';

/** Every key of the configuration contract (what a stack sets on its functions). */
export const CONFIG_KEYS = Object.keys(configFields) as (keyof typeof configFields)[];

/** Settings only the AWS adapters need; validated by the handlers at cold start. */
const awsConfigFields = {
  DEPLOYMENTS_TABLE: required('the DynamoDB table of deployments, history and the environment lock'),
  IDEMPOTENCY_TABLE: required('the DynamoDB table of Powertools idempotency records'),
  EVENT_BUS: required('the EventBridge bus name or ARN that outcome events go to'),
  SCHEDULER_GROUP: required('the EventBridge Scheduler schedule group for timeout checks'),
  SCHEDULER_ROLE_ARN: required('the IAM role ARN EventBridge Scheduler assumes to invoke the watcher'),
  WATCH_FUNCTION_ARN: required('the ARN of the watcher Lambda function'),
  /** Where EventBridge Scheduler puts a timeout check it could not deliver (optional; without it, it is dropped). */
  SCHEDULER_DLQ_ARN: optionalText,
} satisfies Record<string, Field<unknown>>;
export type AwsConfig = Values<typeof awsConfigFields>;

/** Every key the AWS adapters read. */
export const AWS_CONFIG_KEYS = Object.keys(awsConfigFields) as (keyof AwsConfig)[];

export type ConfigResult<T> = { ok: true; config: T } | { ok: false; problems: string[] };

/** Validates a key/value record; every problem names the key and what it expects. */
export function parseConfig(values: Record<string, unknown>): ConfigResult<Config> {
  const problems: string[] = [];
  const { SERVICE, SERVICES, ...rest } = check(configFields, values, problems);
  // Also when other keys are invalid, so every problem is named at once.
  if (SERVICE !== undefined && SERVICES !== undefined) problems.push('SERVICES: set SERVICE (one service) or SERVICES (several), not both');
  else if (SERVICE === undefined && SERVICES === undefined)
    problems.push('SERVICE: missing; expected the ECS service name (or SERVICES: comma-separated service names)');
  if (problems.length > 0) return { ok: false, problems };
  const services = SERVICES ?? (SERVICE !== undefined ? [SERVICE] : []);
  return { ok: true, config: { ...rest, SERVICE: services[0] ?? '', SERVICES: services } };
}

export function parseAwsConfig(values: Record<string, unknown>): ConfigResult<AwsConfig> {
  const problems: string[] = [];
  const config = check(awsConfigFields, values, problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

/** Runs every field on its key; each problem is `KEY: message`, in the order of the table. */
function check<F extends Record<string, Field<unknown>>>(fields: F, values: Record<string, unknown>, problems: string[]): Values<F> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fields)) out[key] = field(values[key], (message) => problems.push(`${key}: ${message}`));
  return out as Values<F>;
}

/** ECS deployment lifecycle stages where a PAUSE hook may wait (not TEST_ or PRODUCTION_TRAFFIC_SHIFT). */
export const PAUSE_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
] as const;
export type PauseStage = (typeof PAUSE_STAGES)[number];

export const ROLLOUT_MODES = ['update-service', 'pause-hook'] as const;
export type RolloutMode = (typeof ROLLOUT_MODES)[number];

/** Issue 11: how the rollout is gated, which services, and how long a rollout is followed. */
function rolloutKeys() {
  return {
    /** `update-service` (default): ecs-migrate updates the services itself. `pause-hook`: the owner's deployment pauses at HOOK_STAGE and waits. */
    ROLLOUT_MODE: optionalValue((v, fail): RolloutMode => {
      const mode = v ?? 'update-service';
      if (!(ROLLOUT_MODES as readonly string[]).includes(mode)) fail('expected update-service (default) or pause-hook');
      return mode as RolloutMode;
    }),
    /** The stage of the services' PAUSE lifecycle hook (pause-hook mode). */
    HOOK_STAGE: optionalValue((v, fail): PauseStage => {
      const stage = v ?? 'PRE_SCALE_UP';
      if (stage === 'TEST_TRAFFIC_SHIFT' || stage === 'PRODUCTION_TRAFFIC_SHIFT') {
        fail(`ECS does not allow PAUSE hooks at ${stage} (it is also run during rollback); expected one of ${PAUSE_STAGES.join(', ')}`);
      } else if (!(PAUSE_STAGES as readonly string[]).includes(stage)) {
        fail(`expected one of ${PAUSE_STAGES.join(', ')} (default PRE_SCALE_UP)`);
      }
      return stage as PauseStage;
    }),
    /** Several gated services, comma-separated (web and worker on one database). */
    SERVICES: optionalValue((v, fail) => {
      if (v === undefined) return undefined;
      const services = v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (services.length === 0) fail('expected comma-separated ECS service names');
      const twice = services.filter((s, i) => services.indexOf(s) !== i);
      if (twice.length > 0) fail(`expected each service once (${[...new Set(twice)].join(', ')} more than once)`);
      const bad = services.filter((s) => !/^[A-Za-z0-9_-]{1,255}$/.test(s));
      if (bad.length > 0) fail(`expected service names of letters, digits, "-" and "_" (not ${bad.map((b) => `"${b}"`).join(', ')})`);
      return services;
    }),
    /**
     * Minutes at least that a rollout is followed after the end for an `ECS Deployment State Change` verdict: without
     * one it is recorded as unconfirmed by the deployment's timeout check, or this long after the end when that is later.
     */
    ROLLOUT_WATCH_MINUTES: optionalValue((v, fail) => {
      const n = Number(v ?? '30');
      if (!Number.isFinite(n) || n <= 0 || n > 24 * 60) fail('expected a number of minutes greater than 0 and at most 1440 (default 30)');
      return n;
    }),
  };
}

/**
 * Splits a command line on white space, honouring single and double quotes.
 * A JSON array (`["db-migrate","--verbose"]`) is taken as the argv itself.
 */
export function splitCommand(line: string): string[] {
  const trimmed = line.trim();
  const json = trimmed.startsWith('[') ? jsonArgv(trimmed) : undefined;
  if (json !== undefined) return json;
  const argv: string[] = [];
  const word = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of trimmed.matchAll(word)) argv.push(m[1] ?? m[2] ?? m[3] ?? '');
  return argv;
}

/** `text` as a JSON array of non-empty strings (an argv), or undefined when it is not one. */
function jsonArgv(text: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.length > 0 && parsed.every((p) => typeof p === 'string' && p !== '') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * REDACT_PATTERNS as written: a JSON array of regular expressions, or one regular expression; what is wrong with it,
 * one problem per bad pattern (the stack CLI reads the stack's RedactPatterns output with it too).
 */
export function readRedactPatterns(text: string): { patterns: string[]; problems: string[] } {
  let patterns: unknown = [text];
  if (text.startsWith('[')) {
    try {
      patterns = JSON.parse(text);
    } catch {
      return {
        patterns: [],
        problems: ['expected a JSON array of regular expressions, e.g. ["shop_live_[0-9a-f]{32}"], or one regular expression'],
      };
    }
  }
  if (!Array.isArray(patterns) || !patterns.every((p): p is string => typeof p === 'string'))
    return { patterns: [], problems: ['expected a JSON array of strings'] };
  const problems = patterns.flatMap((p) => {
    const problem = checkRedactPattern(p);
    return problem !== undefined ? [`pattern ${JSON.stringify(p)}: ${problem}`] : [];
  });
  return { patterns, problems };
}
