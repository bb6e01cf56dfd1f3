// Runs the example apps' real bin/ scripts as child processes against real PGlite databases.
//
// Initialising a PGlite data directory (initdb) takes several seconds, opening one about a second, so the
// suite initialises one template directory up front and copies it wherever a test needs a fresh database.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const APP = join(EXAMPLES, 'app');
const FAILING_APP = join(EXAMPLES, 'failing-app');
const SLOW_APP = join(EXAMPLES, 'slow-app');
const APP_VERSIONS = ['0001_create_customers', '0002_create_orders', '0003_add_orders_status_index'];
const LOCK_FILE = '.db-migrate.lock';

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The parent's environment without the variables the scripts read, plus `env`. */
function scriptEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { PGLITE_DATA_DIR: _dataDir, MIGRATIONS_DIR: _migrationsDir, SLOW_MIGRATION_SECONDS: _seconds, ...rest } = process.env;
  return { ...rest, ...env };
}

function start(app: string, script: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(join(app, 'bin', script), args, { cwd: app, env: scriptEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

function collect(child: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function run(app: string, script: string, args: string[], env: Record<string, string>): Promise<Result> {
  return collect(start(app, script, args, env));
}

/** Opens the database the way the scripts do (they must have closed it) and always closes it again. */
async function withDb<T>(dataDir: string, fn: (db: PGlite) => Promise<T>): Promise<T> {
  const db = await PGlite.create(dataDir);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function appliedVersions(db: PGlite): Promise<string[]> {
  const result = await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
  return result.rows.map((row) => row.version);
}

async function relationExists(db: PGlite, name: string): Promise<boolean> {
  const result = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [name]);
  return result.rows[0]?.present === true;
}

function appliedLines(stdout: string): string[] {
  return [...stdout.matchAll(/^applying (\S+) … ok \(\d+ ms\)$/gm)].map((match) => match[1] ?? '');
}

let root: string;
let template: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecs-migrate-examples-'));
  const emptyMigrations = join(root, 'no-migrations');
  await mkdir(emptyMigrations);
  // A directory that does not exist yet: the script creates and initialises it.
  template = join(root, 'template', 'pgdata');
  const result = await run(APP, 'db-migrate', [], { PGLITE_DATA_DIR: template, MIGRATIONS_DIR: emptyMigrations });
  expect(result.stderr).toBe('');
  expect(result.stdout).toContain('database is up to date (0 migrations applied)');
  expect(result.code).toBe(0);
  expect(existsSync(join(template, 'PG_VERSION'))).toBe(true);
}, 120_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function freshDatabase(name: string): Promise<string> {
  const dir = join(root, name);
  await cp(template, dir, { recursive: true });
  return dir;
}

describe('configuration and usage errors', () => {
  it('exits 2 with a clear message when PGLITE_DATA_DIR is not set', async () => {
    for (const script of ['db-migrate', 'db-rollback']) {
      const result = await run(APP, script, [], {});
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${script}: PGLITE_DATA_DIR is not set`);
      expect(result.stdout).toBe('');
    }
  });

  it('exits 2 with usage on an unknown flag, without touching the database', async () => {
    const dataDir = join(root, 'never-created');
    const result = await run(APP, 'db-migrate', ['--force'], { PGLITE_DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--force'");
    expect(result.stderr).toContain('Usage: db-migrate');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('exits 2 when MIGRATIONS_DIR does not exist', async () => {
    const result = await run(APP, 'db-migrate', [], { PGLITE_DATA_DIR: join(root, 'never-created'), MIGRATIONS_DIR: join(root, 'nope') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`migrations directory ${join(root, 'nope')} does not exist`);
  });

  it('exits 2 on a bad rollback count', async () => {
    const result = await run(APP, 'db-rollback', ['0'], { PGLITE_DATA_DIR: join(root, 'never-created') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('N must be a positive integer');
  });

  it('lists pending migrations with --dry-run and does not create the database', async () => {
    const dataDir = join(root, 'dry-run');
    const result = await run(APP, 'db-migrate', ['--dry-run'], { PGLITE_DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`dry run: 3 pending migrations (0 applied):\n${APP_VERSIONS.map((v) => `  ${v}.sql\n`).join('')}`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a database that another live process holds', async () => {
    const dataDir = join(root, 'locked');
    await mkdir(dataDir);
    await writeFile(join(dataDir, LOCK_FILE), JSON.stringify({ pid: process.pid }));
    const result = await run(APP, 'db-migrate', [], { PGLITE_DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`is in use by process ${process.pid}`);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
  });
});

// These steps build on each other: one database goes up, down and up again.
describe('examples/app', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await freshDatabase('app');
  });

  it('applies every migration in order and records it', async () => {
    const result = await run(APP, 'db-migrate', [], { PGLITE_DATA_DIR: dataDir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(appliedLines(result.stdout)).toEqual(APP_VERSIONS.map((v) => `${v}.sql`));
    expect(result.stdout).toMatch(/^applied 3 migrations in \d+ ms; database is at 0003_add_orders_status_index/m);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    await withDb(dataDir, async (db) => {
      expect(await appliedVersions(db)).toEqual(APP_VERSIONS);
      expect(await relationExists(db, 'orders_open_by_placed_at_idx')).toBe(true);
      // The schema is real: constraints from 0001 and 0002 hold.
      const customer = await db.query<{ id: number }>(
        "INSERT INTO customers (email, full_name) VALUES ('ada@example.com', 'Ada') RETURNING id",
      );
      const customerId = customer.rows[0]?.id;
      await db.query('INSERT INTO orders (customer_id, total_cents) VALUES ($1, 1250)', [customerId]);
      await expect(db.query("INSERT INTO customers (email, full_name) VALUES ('ADA@example.com', 'Ada again')")).rejects.toThrow(
        /customers_email_key/,
      );
      await expect(db.query('INSERT INTO orders (customer_id, total_cents) VALUES (999, 1)')).rejects.toThrow(/foreign key/);
    });
  });

  it('does nothing on a second run, taking over a stale lock', async () => {
    const exited = spawnSync(process.execPath, ['-e', '']);
    await writeFile(join(dataDir, LOCK_FILE), JSON.stringify({ pid: exited.pid }));

    const result = await run(APP, 'db-migrate', [], { PGLITE_DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('database is up to date (3 migrations applied, latest 0003_add_orders_status_index)\n');
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it('rolls back the last migration', async () => {
    const result = await run(APP, 'db-rollback', [], { PGLITE_DATA_DIR: dataDir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^reverting 0003_add_orders_status_index\.sql … ok \(\d+ ms\)$/m);
    expect(result.stdout).toMatch(/^reverted 1 migration in \d+ ms; database is at 0002_create_orders$/m);

    await withDb(dataDir, async (db) => {
      expect(await appliedVersions(db)).toEqual(APP_VERSIONS.slice(0, 2));
      expect(await relationExists(db, 'orders_open_by_placed_at_idx')).toBe(false);
      expect(await relationExists(db, 'orders')).toBe(true);
    });
  });

  it('reverts nothing and exits 1 when a down file is missing', async () => {
    const migrationsDir = join(root, 'app-migrations-without-down-0002');
    await cp(join(APP, 'migrations'), migrationsDir, { recursive: true });
    await rm(join(migrationsDir, 'down', '0002_create_orders.sql'));

    const result = await run(APP, 'db-rollback', ['--to', '0001'], { PGLITE_DATA_DIR: dataDir, MIGRATIONS_DIR: migrationsDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`missing down migration ${join(migrationsDir, 'down', '0002_create_orders.sql')}`);
    expect(result.stdout).not.toContain('reverting');
  });

  it('rolls back to a version with --to and migrates up again', async () => {
    // 0002 is still applied after the refused rollback above, so this reverts exactly it.
    const down = await run(APP, 'db-rollback', ['--to', '0001'], { PGLITE_DATA_DIR: dataDir });
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^reverting 0002_create_orders\.sql … ok \(\d+ ms\)$/m);
    expect(down.stdout).toMatch(/^reverted 1 migration in \d+ ms; database is at 0001_create_customers$/m);

    const up = await run(APP, 'db-migrate', [], { PGLITE_DATA_DIR: dataDir });
    expect(up.code).toBe(0);
    expect(appliedLines(up.stdout)).toEqual(APP_VERSIONS.slice(1).map((v) => `${v}.sql`));

    await withDb(dataDir, async (db) => {
      expect(await appliedVersions(db)).toEqual(APP_VERSIONS);
      // Dropping orders on the way down took the order rows with it; the customer from 0001 survived.
      const counts = await db.query<{ customers: number; orders: number }>(
        'SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM orders)::int AS orders',
      );
      expect(counts.rows[0]).toEqual({ customers: 1, orders: 0 });
    });
  });
});

describe('examples/failing-app', () => {
  it('exits 1 with the Postgres error, rolls back the failed migration and keeps 0001 applied', async () => {
    const dataDir = await freshDatabase('failing-app');
    const result = await run(FAILING_APP, 'db-migrate', [], { PGLITE_DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(appliedLines(result.stdout)).toEqual(['0001_create_customers.sql']);
    expect(result.stdout).toMatch(/^applying 0002_create_orders\.sql … FAILED \(\d+ ms\)$/m);
    expect(result.stderr).toContain('db-migrate: error: 0002_create_orders.sql failed: column o.customer_uuid does not exist');
    expect(result.stderr).toContain(`at ${join(FAILING_APP, 'migrations', '0002_create_orders.sql')}:13:18`);
    expect(result.stderr).toContain('SQLSTATE 42703');
    expect(result.stderr).toContain('13 | JOIN orders o ON o.customer_uuid = c.id');
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    await withDb(dataDir, async (db) => {
      expect(await appliedVersions(db)).toEqual(['0001_create_customers']);
      expect(await relationExists(db, 'customers')).toBe(true);
      // The table created earlier in the failed file was rolled back with it.
      expect(await relationExists(db, 'orders')).toBe(false);
    });
  });
});

describe('stopping the runner', () => {
  it('rolls back the migration in flight on SIGTERM and exits 143', async () => {
    const dataDir = await freshDatabase('interrupted');
    const migrationsDir = join(root, 'interrupted-migrations');
    await mkdir(migrationsDir);
    await writeFile(join(migrationsDir, '0001_quick.sql'), 'CREATE TABLE quick (id int);\n');
    await writeFile(join(migrationsDir, '0002_slow.sql'), 'CREATE TABLE slow (id int);\nSELECT pg_sleep(2);\n');
    await writeFile(join(migrationsDir, '0003_never.sql'), 'CREATE TABLE never (id int);\n');

    const child = start(APP, 'db-migrate', [], { PGLITE_DATA_DIR: dataDir, MIGRATIONS_DIR: migrationsDir });
    const result = collect(child);
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stdout?.on('data', (chunk: string) => {
        seen += chunk;
        if (seen.includes('applying 0002_slow.sql')) resolve();
      });
    });
    child.kill('SIGTERM');
    const { code, stdout, stderr } = await result;
    expect(code).toBe(143);
    expect(stdout).toMatch(/^applying 0002_slow\.sql … interrupted \(\d+ ms\)$/m);
    expect(stderr).toContain('rolled back 0002_slow.sql');
    expect(stdout).not.toContain('0003_never');
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    await withDb(dataDir, async (db) => {
      expect(await appliedVersions(db)).toEqual(['0001_quick']);
      expect(await relationExists(db, 'slow')).toBe(false);
    });
  });
});

describe('examples/slow-app', () => {
  it('stops promptly on SIGTERM with exit 143', async () => {
    const child = start(SLOW_APP, 'db-migrate', [], {});
    const result = collect(child);
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    const signalled = Date.now();
    child.kill('SIGTERM');
    const { code, stdout } = await result;
    expect(code).toBe(143);
    expect(Date.now() - signalled).toBeLessThan(2_000);
    expect(stdout).toContain('(this takes 600 s)');
    expect(stdout).toContain('received SIGTERM');
  });

  it('exits 0 once SLOW_MIGRATION_SECONDS have passed', async () => {
    const started = Date.now();
    const result = await run(SLOW_APP, 'db-migrate', [], { SLOW_MIGRATION_SECONDS: '0.3' });
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(result.stdout).toContain('applied 1 migration');
  });
});
