import { readFile } from 'node:fs/promises';
import { type Config, parseConfig } from '../src/core/config.js';
import { isJsonObject } from '../src/core/json-value.js';
import { ConfigError } from '../src/errors.js';

/** Local mode's defaults: the same keys as on AWS, filled for one app on this machine. */
export function localDefaults(app: string): Record<string, string> {
  return {
    ENVIRONMENT: localEnvironment(app),
    CLUSTER: 'local',
    SERVICE: app,
    CONTAINER: 'app',
    REPOSITORY: app,
    MIGRATION_COMMAND: 'db-migrate',
    ALLOWED_COMMANDS: 'db-migrate,db-rollback',
    TIMEOUT_MINUTES: '60',
    EVENT_SOURCE: 'ecs-migrate',
  };
}

/** Each app gets its own local environment, so two apps never share a service, lock or database. */
function localEnvironment(app: string): string {
  return `local-${app}`
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 32)
    .replace(/-+$/, '');
}

/** A file's text; an unreadable file is a CliUsageError saying which `what` ("event file") it was. */
export async function readTextFile(path: string, what: string): Promise<string> {
  return readFile(path, 'utf8').catch((error: Error) => {
    throw new CliUsageError(`cannot read ${what} ${path}: ${error.message}`);
  });
}

/** A file's JSON; unreadable or not JSON is a CliUsageError saying which `what` ("state file") it was. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = await readTextFile(path, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(`${what} ${path} is not JSON: ${(error as Error).message}`);
  }
}

/** Reads a `--config FILE`: a JSON object with the configuration keys. Unreadable or non-object → CliUsageError. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  const value = await readJsonFile(path, 'config file');
  if (!isJsonObject(value)) throw new CliUsageError(`config file ${path} must hold a JSON object of configuration keys`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]));
}

export function validConfig(values: Record<string, unknown>): Config {
  const result = parseConfig(values);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

/** Wrong arguments, or a file that cannot be read: exit code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
