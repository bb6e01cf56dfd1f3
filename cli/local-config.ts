import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { type Config, parseConfig } from '../src/core/config.js';
import { isJsonObject } from '../src/core/json-value.js';
import { ConfigError } from '../src/errors.js';
import { appName } from '../src/local/images.js';

/**
 * Local mode's defaults for the app in `appDir`: the same keys as on AWS, filled for one app on this machine. With
 * `databaseUrl` (the user's own Postgres) the environment is that database's: see `localEnvironment`.
 */
export function localDefaults(appDir: string, databaseUrl?: string): Record<string, string> {
  const app = appName(appDir);
  return {
    ENVIRONMENT: localEnvironment(basename(resolve(appDir)), databaseUrl),
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

/** The longest an environment name may be (ENVIRONMENT_NAME in src/core/config.ts). */
const ENVIRONMENT_MAX = 32;

/** A directory name an environment name holds as it is: lower-case letters, digits and inner "-". */
const VERBATIM_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Each app gets its own local environment, so two apps never share a service, lock or database: `local-<dir>`,
 * `<dir>` the app directory's name. What an environment records (the image migrated, the service's revision) is
 * true of one database only, so a run against the user's own Postgres gets an environment of its own per database:
 * `local-<dir>-<hash>`, the hash 6 hex digits of its host, port and database name (never the user or password: the
 * same database with other credentials is the same environment).
 *
 * An environment name is at most 32 lower-case letters, digits and "-". A directory name that does not fit as it is
 * (too long, or with other characters) would otherwise be cut or changed into another's (`…-migrations-one` and
 * `…-migrations-two` cut to one name; `My App_v2` and `my-app-v2`): it becomes `local-<dir, changed and cut>-<hash>`,
 * the hash 6 hex digits of the directory's name as written (and of the database, with `databaseUrl`), so distinct
 * names give distinct environments. A name that fits keeps its environment as before.
 */
function localEnvironment(dirName: string, databaseUrl?: string): string {
  const database = databaseUrl !== undefined ? databaseKey(databaseUrl) : undefined;
  const exact = `local-${dirName}${database !== undefined ? `-${shortHash(database)}` : ''}`;
  if (VERBATIM_NAME.test(dirName) && exact.length <= ENVIRONMENT_MAX) return exact;
  // NFC: the same name typed composed or decomposed (macOS) is the same directory, so the same environment.
  const name = dirName.normalize('NFC');
  const suffix = `-${shortHash(database !== undefined ? `${name}\0${database}` : name)}`;
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '');
  const base = `local-${slug}`.slice(0, ENVIRONMENT_MAX - suffix.length).replace(/-+$/, '');
  return `${base}${suffix}`;
}

/** What identifies a `--database-url`'s database: `host:port/database` (port 5432 when the URL names none). */
function databaseKey(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname.toLowerCase()}:${url.port === '' ? '5432' : url.port}/${decodeURIComponent(url.pathname.replace(/^\//, ''))}`;
  } catch {
    // Not quoted: it may hold a password.
    throw new CliUsageError('--database-url: not a URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE');
  }
}

/** 6 hex digits of a SHA-256 of `text`. */
function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 6);
}

/** A file's text; an unreadable file is a CliUsageError saying which `what` ("event file") it was. */
export async function readTextFile(path: string, what: string): Promise<string> {
  return readFile(path, 'utf8').catch((error: Error) => {
    throw new CliUsageError(`cannot read ${what} ${path}: ${error.message}`);
  });
}

/**
 * Refuses an `--env-file` that is not a readable regular file, before anything starts: a FIFO would block the read
 * forever, and a directory or a missing file is a mistyped path. (Node.js itself reads a missing or unusable
 * `--env-file` given after the script first, nodejs/node#54232; this is what says it when Node.js does not.)
 */
export async function checkEnvFile(path: string): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => error);
  const fix = 'pass a readable dotenv file (NAME=VALUE lines)';
  if (info instanceof Error)
    throw new CliUsageError(
      `--env-file ${path}: ${info.code === 'ENOENT' ? 'not found' : `cannot read it (${info.code ?? info.message})`}; ${fix}`,
    );
  if (!info.isFile())
    throw new CliUsageError(
      `--env-file ${path}: not a regular file (${info.isDirectory() ? 'a directory' : 'a FIFO, socket or device'}); ${fix}`,
    );
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

/**
 * Local mode's configuration: its defaults, then a `--config` file's keys. A file that names SERVICES (and not
 * SERVICE) replaces the default SERVICE. Local mode simulates one service, so SERVICES naming several is refused: the
 * run would report the others not moved, or never paused.
 */
export function localConfig(defaults: Record<string, string>, overrides: Record<string, unknown>): Config {
  const { SERVICE: _app, ...rest } = defaults;
  const config = validConfig(
    'SERVICES' in overrides && !('SERVICE' in overrides) ? { ...rest, ...overrides } : { ...defaults, ...overrides },
  );
  if (config.SERVICES.length > 1)
    throw new CliUsageError(
      `SERVICES ${config.SERVICES.join(', ')}: local mode simulates one service; name one (SERVICE), or gate several on a deployed stack`,
    );
  return config;
}

/** A value as an error line quotes it: on one line, at most `max` characters. */
export function shorten(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/** Wrong arguments, or a file that cannot be read: exit code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
