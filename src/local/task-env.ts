import { delimiter, join } from 'node:path';
import { TASK_ID_VARIABLE } from './task-marker.js';

/** What the CLI hands down from its own environment: nothing else of it reaches a task. */
export interface HostEnvironment {
  PATH: string;
  HOME?: string;
}

export interface TaskEnvironmentInput {
  host: HostEnvironment;
  environment: string;
  /** DATABASE_URL and the PG* variables of the database the task migrates (see `postgresEnvironment()`). */
  database: Record<string, string>;
  /** What the user declared (`--env-file`, then `--env`), as a task definition's `environment` would. */
  declared: Record<string, string>;
}

/**
 * The whole environment of a local task, as a task definition would give it: the app's `bin/` first on the
 * host's PATH (the image's PATH), HOME, the database variables, what the user declared (which may override
 * those), and ECS_MIGRATE_DEPLOYMENT_ID / ECS_MIGRATE_ENVIRONMENT / ECS_MIGRATE_TASK_ID, which nothing overrides
 * (the task id is what finds the task's daemons: see `TASK_ID_VARIABLE`). The CLI's own environment (AWS
 * credentials included) is not passed through.
 */
export function taskEnvironment(
  input: TaskEnvironmentInput,
  appDir: string,
  task: { deploymentId: string | undefined; taskId: string },
): Record<string, string> {
  return {
    PATH: [join(appDir, 'bin'), input.host.PATH].join(delimiter),
    ...(input.host.HOME !== undefined ? { HOME: input.host.HOME } : {}),
    ...input.database,
    ...input.declared,
    ...(task.deploymentId !== undefined ? { ECS_MIGRATE_DEPLOYMENT_ID: task.deploymentId } : {}),
    ECS_MIGRATE_ENVIRONMENT: input.environment,
    [TASK_ID_VARIABLE]: task.taskId,
  };
}

/** DATABASE_URL and the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE) of a URL. */
export function postgresEnvironment(databaseUrl: string): Record<string, string> {
  const url = new URL(databaseUrl);
  const sslmode = url.searchParams.get('sslmode');
  const env: Record<string, string> = { DATABASE_URL: databaseUrl };
  const set = (key: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined && value !== '') env[key] = value;
  };
  set('PGHOST', url.hostname.replace(/^\[|\]$/g, ''));
  set('PGPORT', url.port === '' ? '5432' : url.port);
  set('PGUSER', decodeURIComponent(url.username));
  set('PGPASSWORD', decodeURIComponent(url.password));
  set('PGDATABASE', decodeURIComponent(url.pathname.replace(/^\//, '')));
  set('PGSSLMODE', sslmode);
  return env;
}
