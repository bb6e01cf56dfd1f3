import * as z from 'zod/mini';
import { lazy, lazyObject } from './lazy.js';
import './zod-messages.js';

/** Names accepted for an environment: they end up in resource names, tags and the ECS `startedBy` field. */
const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).check(z.trim(), z.minLength(1, { error: `expected ${what}` }));

const optionalText = lazy(() =>
  z.pipe(
    z.optional(z.string().check(z.trim())),
    z.transform((v: string | undefined) => (v === undefined || v === '' ? undefined : v)),
  ),
);

/** An optional key turned into its typed value; `fail` reports a problem with the value given. */
function optionalValue<T>(parse: (value: string | undefined, fail: (message: string) => void) => T) {
  return z.pipe(
    optionalText,
    z.transform((v: string | undefined, ctx) => parse(v, (message) => ctx.issues.push({ code: 'custom', message, input: v }))),
  );
}

/**
 * One configuration contract for Lambda environment variables, `explain --config FILE` and local mode.
 * Keys are the environment variable names. Values are strings, as in `process.env`.
 */
export const configSchema = lazyObject(() => ({
  ENVIRONMENT: nonEmpty('an environment name such as "staging"').check(
    z.regex(ENVIRONMENT_NAME, { error: 'expected lower-case letters, digits and "-", starting with a letter, at most 32 characters' }),
  ),
  CLUSTER: nonEmpty('the ECS cluster name or ARN'),
  SERVICE: nonEmpty('the ECS service name'),
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
}));

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Settings only the AWS adapters need; validated by the handlers at cold start. */
export const awsConfigSchema = lazyObject(() => ({
  DEPLOYMENTS_TABLE: nonEmpty('the DynamoDB table of deployments, history and the environment lock'),
  IDEMPOTENCY_TABLE: nonEmpty('the DynamoDB table of Powertools idempotency records'),
  EVENT_BUS: nonEmpty('the EventBridge bus name or ARN that outcome events go to'),
  SCHEDULER_GROUP: nonEmpty('the EventBridge Scheduler schedule group for timeout checks'),
  SCHEDULER_ROLE_ARN: nonEmpty('the IAM role ARN EventBridge Scheduler assumes to invoke the watcher'),
  WATCH_FUNCTION_ARN: nonEmpty('the ARN of the watcher Lambda function'),
  /** Where EventBridge Scheduler puts a timeout check it could not deliver (optional; without it, it is dropped). */
  SCHEDULER_DLQ_ARN: optionalText,
}));
export type AwsConfig = z.output<typeof awsConfigSchema>;

export type ConfigResult<T> = { ok: true; config: T } | { ok: false; problems: string[] };

/** Validates a key/value record; every problem names the key and what it expects. */
export function parseConfig(values: Record<string, unknown>): ConfigResult<Config> {
  return validate(configSchema, values);
}

export function parseAwsConfig(values: Record<string, unknown>): ConfigResult<AwsConfig> {
  return validate(awsConfigSchema, values);
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
