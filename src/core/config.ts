import * as z from 'zod/mini';
import { checkRedactPattern } from './redact.js';
import './zod-messages.js';

/** Names accepted for an environment: they end up in resource names, tags and the ECS `startedBy` field. */
const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).check(z.trim(), z.minLength(1, { error: `expected ${what}` }));

const optionalText = z.pipe(
  z.optional(z.string().check(z.trim())),
  z.transform((v: string | undefined) => (v === undefined || v === '' ? undefined : v)),
);

/** An optional key turned into its typed value; `fail` reports a problem with the value given. */
function optionalValue<T>(parse: (value: string | undefined, fail: (message: string) => void) => T) {
  return z.pipe(
    optionalText,
    z.transform((v: string | undefined, ctx) => parse(v, (message) => ctx.issues.push({ code: 'custom', message, input: v }))),
  );
}

/** The keys of the configuration; `configSchema` adds the checks across keys (SERVICE / SERVICES). */
const configFields = z.object({
  ENVIRONMENT: nonEmpty('an environment name such as "staging"').check(
    z.regex(ENVIRONMENT_NAME, { error: 'expected lower-case letters, digits and "-", starting with a letter, at most 32 characters' }),
  ),
  CLUSTER: nonEmpty('the ECS cluster name or ARN'),
  /** The one gated service; SERVICES names several. Exactly one of the two is set. */
  SERVICE: optionalText,
  CONTAINER: nonEmpty('the name of the container in the task definition that runs the migration'),
  REPOSITORY: nonEmpty('the ECR repository name whose pushes trigger a migration'),
  TAG_PATTERN: optionalText,
  MIGRATION_COMMAND: optionalValue((v, fail) => {
    const argv = splitCommand(v ?? 'db-migrate');
    if (argv.length === 0) fail('expected a command such as "db-migrate"');
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
    if (!Number.isFinite(n) || n <= 0 || n > 24 * 60) fail('expected a number of minutes between 0 and 1440 (default 60)');
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
    let patterns: unknown = [v];
    if (v.startsWith('[')) {
      try {
        patterns = JSON.parse(v);
      } catch {
        fail('expected a JSON array of regular expressions, e.g. ["shop_live_[0-9a-f]{32}"], or one regular expression');
        return [];
      }
    }
    if (!Array.isArray(patterns) || !patterns.every((p): p is string => typeof p === 'string')) {
      fail('expected a JSON array of strings');
      return [];
    }
    for (const p of patterns) {
      const problem = checkRedactPattern(p);
      if (problem !== undefined) fail(`pattern ${JSON.stringify(p)}: ${problem}`);
    }
    return patterns;
  }),
  /** Launches retried when the task never started for a reason that can pass (no capacity, image pull, resource init). */
  LAUNCH_RETRIES: optionalValue((v, fail) => {
    const n = Number(v ?? '2');
    if (!Number.isInteger(n) || n < 0 || n > 5) fail('expected a whole number of retries between 0 and 5 (default 2)');
    return n;
  }),
  ...rolloutKeys(),
});

/**
 * One configuration contract for Lambda environment variables, `explain --config FILE` and local mode.
 * Keys are the environment variable names. Values are strings, as in `process.env`. In the output, `SERVICES`
 * lists every gated service (SERVICE alone gives one) and `SERVICE` is the first of them.
 */
export const configSchema = z.pipe(
  configFields.check(
    z.superRefine(
      (c, ctx) => {
        const one = typeof c.SERVICE === 'string';
        const several = Array.isArray(c.SERVICES);
        if (one && several) {
          ctx.addIssue({
            code: 'custom',
            path: ['SERVICES'],
            input: c.SERVICES,
            message: 'set SERVICE (one service) or SERVICES (several), not both',
          });
        } else if (!one && !several) {
          ctx.addIssue({
            code: 'custom',
            path: ['SERVICE'],
            input: undefined,
            message: 'missing; expected the ECS service name (or SERVICES: comma-separated service names)',
          });
        }
      },
      // Also when other keys are invalid, so every problem is named at once.
      { when: () => true },
    ),
  ),
  z.transform(({ SERVICE, SERVICES, ...rest }) => {
    const services = SERVICES ?? (SERVICE !== undefined ? [SERVICE] : []);
    return { ...rest, SERVICE: services[0] ?? '', SERVICES: services };
  }),
);

/** Local mode's registry (the images it builds); the default REGISTRY outside a stack. */
export const LOCAL_REGISTRY = '000000000000.dkr.ecr.local.amazonaws.com';

export type Config = z.output<typeof configSchema>;

/** Every key of the configuration contract (what a stack sets on its functions). */
export const CONFIG_KEYS = Object.keys(configFields.shape) as (keyof z.input<typeof configFields>)[];
export type ConfigInput = z.input<typeof configSchema>;

/** Settings only the AWS adapters need; validated by the handlers at cold start. */
export const awsConfigSchema = z.object({
  DEPLOYMENTS_TABLE: nonEmpty('the DynamoDB table of deployments, history and the environment lock'),
  IDEMPOTENCY_TABLE: nonEmpty('the DynamoDB table of Powertools idempotency records'),
  EVENT_BUS: nonEmpty('the EventBridge bus name or ARN that outcome events go to'),
  SCHEDULER_GROUP: nonEmpty('the EventBridge Scheduler schedule group for timeout checks'),
  SCHEDULER_ROLE_ARN: nonEmpty('the IAM role ARN EventBridge Scheduler assumes to invoke the watcher'),
  WATCH_FUNCTION_ARN: nonEmpty('the ARN of the watcher Lambda function'),
  /** Where EventBridge Scheduler puts a timeout check it could not deliver (optional; without it, it is dropped). */
  SCHEDULER_DLQ_ARN: optionalText,
});
export type AwsConfig = z.output<typeof awsConfigSchema>;

export type ConfigResult<T> = { ok: true; config: T } | { ok: false; problems: string[] };

/** Validates a key/value record; every problem names the key and what it expects. */
export function parseConfig(values: Record<string, unknown>): ConfigResult<Config> {
  return validate(configSchema, values);
}

export function parseAwsConfig(values: Record<string, unknown>): ConfigResult<AwsConfig> {
  return validate(awsConfigSchema, values);
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
    /** Minutes a rollout is followed for an `ECS Deployment State Change` verdict before it is recorded as unconfirmed. */
    ROLLOUT_WATCH_MINUTES: optionalValue((v, fail) => {
      const n = Number(v ?? '30');
      if (!Number.isFinite(n) || n <= 0 || n > 24 * 60) fail('expected a number of minutes between 0 and 1440 (default 30)');
      return n;
    }),
  };
}

function validate<S extends z.ZodMiniType>(schema: S, values: Record<string, unknown>): ConfigResult<z.output<S>> {
  const result = schema.safeParse(values);
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(config)';
      const message = issue.code === 'invalid_type' && values[key] === undefined ? `missing; ${issue.message}` : issue.message;
      return `${key}: ${message}`;
    }),
  };
}

/**
 * Splits a command line on white space, honouring single and double quotes.
 * A JSON array (`["db-migrate","--verbose"]`) is taken as the argv itself.
 */
export function splitCommand(line: string): string[] {
  const trimmed = line.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) return parsed;
    } catch {
      // not JSON: split it as words below
    }
  }
  const argv: string[] = [];
  const word = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of trimmed.matchAll(word)) argv.push(m[1] ?? m[2] ?? m[3] ?? '');
  return argv;
}
