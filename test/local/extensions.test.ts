import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTemplate } from '../../src/local/db-template.js';
import { startPostgres } from '../../src/local/postgres.js';
import { runToEnd } from '../../src/local/run-to-end.js';
import { openSession, scriptApp, TEMPLATE_CACHE } from './helpers.js';

let root: string;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  await ensureTemplate(TEMPLATE_CACHE);
}, 120_000);
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecs-migrate-extensions-'));
});
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
  await rm(root, { recursive: true, force: true });
});

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Each extension local mode offers, with a query that only works once it is created. */
const uses: Record<string, string> = {
  'uuid-ossp': "select uuid_generate_v5(uuid_ns_url(), 'https://example.com')::text as v",
  citext: "select 'Ada@Example.com'::citext = 'ada@example.com'::citext as v",
  pg_trgm: "select similarity('Lovelace', 'Lovelac') > 0.5 as v",
  hstore: "select 'plan=>pro'::hstore -> 'plan' as v",
  pgcrypto: "select encode(digest('abc', 'sha256'), 'hex') as v",
};
const answers: Record<string, unknown> = {
  // Python's uuid.uuid5(uuid.NAMESPACE_URL, 'https://example.com')
  'uuid-ossp': '4fd35a71-71ef-5a55-a9d9-aa75c889a6d0',
  citext: true,
  pg_trgm: true,
  hstore: 'pro',
  // sha256("abc"), FIPS 180-2's example
  pgcrypto: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
};

/**
 * A migration as a tool runs one: the SQL file in one transaction over DATABASE_URL (node-pg-migrate would do
 * the same; `pg` is imported by path, the app has no node_modules of its own).
 */
async function sqlApp(dir: string, sql: string): Promise<string> {
  const pgUrl = pathToFileURL(createRequire(import.meta.url).resolve('pg')).href;
  await scriptApp(dir, 'exec node migrate.mjs');
  await mkdir(join(dir, 'migrations'), { recursive: true });
  await writeFile(join(dir, 'migrations', '0001_extensions.sql'), sql);
  await writeFile(
    join(dir, 'migrate.mjs'),
    [
      `import { readFileSync } from 'node:fs';`,
      `import pg from ${JSON.stringify(pgUrl)};`,
      `const client = new pg.Client({ connectionString: process.env.DATABASE_URL });`,
      `await client.connect();`,
      `try {`,
      `  await client.query('begin');`,
      `  await client.query(readFileSync('migrations/0001_extensions.sql', 'utf8'));`,
      `  await client.query('commit');`,
      `  console.log('migrated 0001_extensions');`,
      `} finally {`,
      `  await client.end();`,
      `}`,
    ].join('\n'),
  );
  return dir;
}

describe('contrib extensions in local mode', () => {
  it('a migration that creates each of them and uses it succeeds', async () => {
    const app = await sqlApp(
      join(root, 'shop'),
      `CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SELECT gen_random_bytes(4), uuid_generate_v4(), 'A'::citext = 'a', similarity('word', 'words'), 'a=>1'::hstore -> 'a';
CREATE TABLE customers (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  email citext UNIQUE NOT NULL,
  name text NOT NULL,
  attributes hstore NOT NULL DEFAULT ''
);
CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops);
INSERT INTO customers (email, name, attributes) VALUES ('Ada@Example.com', 'Ada Lovelace', 'plan=>pro');
`,
    );
    const s = await openSession(root, app);
    open.push(s);
    const run = await runToEnd(s.controller, s.push('push-1'));
    const taskId = run.deployment?.taskArn?.split('/').pop() ?? '';
    const log = await readFile(s.controller.layout.taskLogFile(taskId), 'utf8').catch(() => '');
    expect(run.deployment?.outcome, log).toBe('succeeded');
    expect(log).toContain('migrated 0001_extensions');
    expect(
      await query(
        s.databaseUrl,
        `select id::text ~ '^[0-9a-f-]{36}$' as uuid, attributes -> 'plan' as plan, similarity(name, 'Ada Lovelac') > 0.5 as similar
         from customers where email = 'ada@example.com'`,
      ),
    ).toEqual([{ uuid: true, plan: 'pro', similar: true }]);
  }, 60_000);

  it('are the ones the database lists as available, and stay usable when the same database is started again', async () => {
    const dataDir = join(root, 'db');
    const first = await startPostgres({ dataDir, templateCacheDir: TEMPLATE_CACHE });
    open.push(first);
    expect(await query(first.url, 'select name from pg_available_extensions order by name')).toEqual(
      ['citext', 'hstore', 'pg_trgm', 'pgcrypto', 'plpgsql', 'uuid-ossp'].map((name) => ({ name })),
    );
    for (const [name, use] of Object.entries(uses)) {
      await query(first.url, `create extension if not exists "${name}"`);
      expect(await query(first.url, use), name).toEqual([{ v: answers[name] }]);
    }
    await first.close();

    // The next run of the same environment opens that data directory again: the extensions are still there.
    const second = await startPostgres({ dataDir, templateCacheDir: TEMPLATE_CACHE });
    open.push(second);
    for (const [name, use] of Object.entries(uses)) expect(await query(second.url, use), name).toEqual([{ v: answers[name] }]);
  }, 60_000);
});
