import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTemplate } from '../../src/local/db-template.js';
import { openPostgres, startPostgres } from '../../src/local/postgres.js';
import { runToEnd } from '../../src/local/run-to-end.js';
import { localEnvelope } from '../../src/local/task-event.js';
import { copyExample, isAlive, openSession, scriptApp, TEMPLATE_CACHE } from './helpers.js';

let root: string;
const sessions: { close(): Promise<void> }[] = [];
/** Processes a test started outside the task's group, killed after it whatever it asserted. */
const strays: number[] = [];

beforeAll(async () => {
  await ensureTemplate(TEMPLATE_CACHE);
}, 120_000);
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecs-migrate-local-'));
});
afterEach(async () => {
  for (const pid of strays.splice(0))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  for (const s of sessions.splice(0)) await s.close();
  await rm(root, { recursive: true, force: true });
});

async function open(...args: Parameters<typeof openSession>) {
  const session = await openSession(...args);
  sessions.push(session);
  return session;
}

/** Settles with the promise, or with `late` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, late: string): Promise<T | string> {
  return Promise.race([promise, new Promise<string>((done) => setTimeout(() => done(late), ms).unref())]);
}

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('local mode', () => {
  it('migrates with node-pg-migrate over DATABASE_URL, moves the service, and the same app is then already deployed', async () => {
    const app = await copyExample('app', join(root, 'shop'));
    const first = await open(root, app);
    const run = await runToEnd(first.controller, first.push('push-1'));

    expect(run.decision.decision).toBe('launch');
    expect(run.deployment).toMatchObject({ outcome: 'succeeded', rollout: 'continued', stop: { exitCode: 0 } });
    expect(run.events.map((e) => e.detailType)).toEqual(['Migration Started', 'Migration Succeeded', 'Rollout Continued']);
    const service = await first.controller.ecs.describeService();
    expect(service).toMatchObject({
      taskDefinitionArn: run.deployment?.taskDefinitionArn,
      image: run.deployment?.work.type === 'image' ? run.deployment.work.image : undefined,
    });
    expect(await query(first.databaseUrl, 'select name from pgmigrations order by id')).toEqual([
      { name: '0001_create_customers' },
      { name: '0002_create_orders' },
      { name: '0003_add_orders_status_index' },
    ]);
    await first.close();

    const second = await open(root, app);
    const again = await runToEnd(second.controller, second.push('push-2'));
    expect(again.decision).toMatchObject({ decision: 'ignore', reason: expect.stringMatching(/^already deployed/) });
    const replay = await runToEnd(second.controller, second.push('push-2', { 'replay-name': 'again' }));
    expect(replay.deployment).toMatchObject({ outcome: 'succeeded', trigger: { replayName: 'again' } });
    await second.close();

    // Any changed file is a new image, so a new deployment (here: the README, nothing under migrations/).
    await appendFile(join(app, 'README.md'), '\nA line of documentation.\n');
    const third = await open(root, app);
    expect(third.digest).not.toBe(second.digest);
    const changed = await runToEnd(third.controller, third.push('push-3'));
    expect(changed.deployment).toMatchObject({ outcome: 'succeeded', work: { image: third.image } });
    // A success keeps no log tail in the record (it needs no evidence); the task's log has the tool's output.
    const taskId = changed.deployment?.taskArn?.split('/').pop() ?? '';
    expect(await readFile(third.controller.layout.taskLogFile(taskId), 'utf8')).toMatch(/No migrations to run!/);
  });

  it('makes a new image of any changed file, except what .dockerignore excludes and the state directory', async () => {
    const app = await scriptApp(join(root, 'app'), 'exit 0');
    await mkdir(join(app, 'db', 'migrations'), { recursive: true });
    await writeFile(join(app, 'db', 'migrations', '001.sql'), 'select 1;\n');
    const digest = async () => {
      const s = await openSession(root, app);
      await s.close();
      return s.digest;
    };
    const before = await digest();
    await writeFile(join(app, 'db', 'migrations', '002.sql'), 'select 2;\n');
    const added = await digest();
    expect(added).not.toBe(before);
    await appendFile(join(app, 'README.md'), 'docs change\n');
    const readme = await digest();
    expect(readme).not.toBe(added);

    await writeFile(join(app, '.dockerignore'), 'tmp\n*.log\n');
    const withIgnore = await digest();
    await mkdir(join(app, 'tmp'));
    await writeFile(join(app, 'tmp', 'scratch.txt'), 'x');
    await writeFile(join(app, 'debug.log'), 'x');
    await mkdir(join(app, 'node_modules', 'dep'), { recursive: true });
    await writeFile(join(app, 'node_modules', 'dep', 'index.js'), 'x');
    expect(await digest()).toBe(withIgnore);
    // The state directory lives inside the app here (root/app/.ecs-migrate when run from the app): not hashed.
    const inside = await openSession(app, app);
    await inside.close();
    expect(inside.digest).toBe(withIgnore);
  });

  it('hands the task only PATH, HOME, the database variables, its ids and what was declared', async () => {
    const app = await scriptApp(join(root, 'env-app'), 'env | sort');
    const s = await open(root, app, { declaredEnv: { FROM_FILE: '1', OVERRIDDEN: 'flag', EXTRA: 'x=y' } });
    process.env.AWS_SECRET_ACCESS_KEY = 'must-not-leak';
    const lines: string[] = [];
    const run = await runToEnd(s.controller, s.push('push-1'));
    delete process.env.AWS_SECRET_ACCESS_KEY;
    expect(run.deployment?.outcome).toBe('succeeded');
    const taskId = run.deployment?.taskArn?.split('/').pop() as string;
    for (const line of (await readFile(join(root, '.ecs-migrate', 'local-env-app', 'logs', `${taskId}.log`), 'utf8')).split('\n'))
      if (line !== '') lines.push(line);
    const env = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const url = new URL(s.databaseUrl);
    expect(env).toMatchObject({
      DATABASE_URL: s.databaseUrl,
      PGHOST: '127.0.0.1',
      PGPORT: url.port,
      PGUSER: 'postgres',
      PGPASSWORD: 'postgres',
      PGDATABASE: 'postgres',
      PGSSLMODE: 'disable',
      ECS_MIGRATE_DEPLOYMENT_ID: run.deployment?.id,
      ECS_MIGRATE_ENVIRONMENT: 'local-env-app',
      ECS_MIGRATE_TASK_ID: taskId,
      FROM_FILE: '1',
      OVERRIDDEN: 'flag',
      EXTRA: 'x=y',
    });
    expect(env.PATH?.split(':')[0]).toBe(join(app, 'bin'));
    // sh itself adds PWD (and SHLVL); nothing else of the host's environment reaches the task.
    const expected = ['PATH', 'HOME', 'DATABASE_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGSSLMODE'];
    expected.push(
      'ECS_MIGRATE_DEPLOYMENT_ID',
      'ECS_MIGRATE_ENVIRONMENT',
      'ECS_MIGRATE_TASK_ID',
      'FROM_FILE',
      'OVERRIDDEN',
      'EXTRA',
      'PWD',
      'SHLVL',
      '_',
    );
    expect(Object.keys(env).filter((k) => !expected.includes(k))).toEqual([]);
  });

  it('halts on a failing migration: service untouched, the SQL error in the log tail', async () => {
    const app = await copyExample('failing-app', join(root, 'failing-app'));
    const s = await open(root, app);
    const before = await s.controller.ecs.describeService();
    const run = await runToEnd(s.controller, s.push('push-1'));

    expect(run.deployment).toMatchObject({
      outcome: 'failed',
      rollout: 'halted',
      stop: { exitCode: 1, stopCode: 'EssentialContainerExited' },
    });
    expect(run.deployment?.logTail?.join('\n')).toMatch(/column o\.customer_uuid does not exist/);
    expect(run.events.map((e) => e.detailType)).toEqual(['Migration Started', 'Migration Failed', 'Rollout Halted']);
    expect((await s.controller.ecs.describeService()).taskDefinitionArn).toBe(before.taskDefinitionArn);
    expect((await s.controller.store.loadEnvironment('local-failing-app')).active).toBeUndefined();
    // node-pg-migrate runs the pending migrations in one transaction: 0001 is not applied either.
    expect(await query(s.databaseUrl, "select to_regclass('customers') as t")).toEqual([{ t: null }]);
  });

  it('reports a command that is not in the image as a task that failed to start', async () => {
    const app = join(root, 'empty-app');
    await mkdir(join(app, 'bin'), { recursive: true });
    const s = await open(root, app);
    const run = await runToEnd(s.controller, s.push('push-1'));
    expect(run.deployment).toMatchObject({ outcome: 'failed', rollout: 'halted', stop: { stopCode: 'TaskFailedToStart' } });
    expect(run.deployment?.reason).toContain('executable file not found in $PATH');
  });

  it('names the missing interpreter of a command that is in the image (its "#!" line), not "not found in $PATH"', async () => {
    const app = join(root, 'bad-shebang-app');
    await mkdir(join(app, 'bin'), { recursive: true });
    await writeFile(join(app, 'bin', 'db-migrate'), '#!/usr/bin/nonexistent-interpreter\necho migrating\n', { mode: 0o755 });
    const s = await open(root, app);
    const run = await runToEnd(s.controller, s.push('push-1'));
    expect(run.deployment).toMatchObject({ outcome: 'failed', rollout: 'halted', stop: { stopCode: 'TaskFailedToStart' } });
    expect(run.deployment?.reason).toContain(
      'CannotStartContainerError: exec: "db-migrate": its interpreter "/usr/bin/nonexistent-interpreter" (the #! line of bin/db-migrate) was not found',
    );
  });

  it('stops a migration that outlives TIMEOUT_MINUTES and halts', async () => {
    const app = await copyExample('slow-app', join(root, 'slow-app'));
    const s = await open(root, app, { overrides: { TIMEOUT_MINUTES: '0.1' }, declaredEnv: { SLOW_MIGRATION_SECONDS: '60' } });
    const run = await runToEnd(s.controller, s.push('push-1'));
    expect(run.deployment).toMatchObject({ outcome: 'timed_out', rollout: 'halted' });
    expect(run.deployment?.logTail?.join('\n')).toMatch(/0001_slow_backfill/);
    await expect.poll(() => s.controller.ecs.runningTasks(), { timeout: 5000 }).toEqual([]);
    // Nothing of the backfill was committed.
    expect(await query(s.databaseUrl, "select to_regclass('backfill_progress') as t")).toEqual([{ t: null }]);
  });

  it('ends when its main process exits, even if it left a process in a session of its own (setsid), which dies with it', async () => {
    const pidFile = join(root, 'daemon.pid');
    // A migration that starts a helper with setsid (as `ssh -f`, a daemonising tool does) and exits 0 at once.
    const app = await scriptApp(join(root, 'setsid-app'), `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 60' &\nsleep 0.5\necho migrated`);
    const s = await open(root, app);
    const outcome = await within(
      runToEnd(s.controller, s.push('push-1')).then((run) => run.deployment?.outcome),
      10_000,
      'the run had not ended 10 s after the main process exited',
    );
    const daemon = Number(await readFile(pidFile, 'utf8'));
    strays.push(daemon);
    expect(outcome).toBe('succeeded');
    expect(isAlive(daemon)).toBe(false);
  }, 30_000);

  // README, Stopping: "When the task's main process exits, whatever it left running is killed, as in a container".
  // Was: a helper daemonised the usual way (a session of its own, stdio on /dev/null: daemon(3), `setsid -f`,
  // `start-stop-daemon --background`) was neither in the task's session nor holding its output, so it outlived the
  // task and the session; now it is found by the ECS_MIGRATE_TASK_ID it inherited.
  it('kills with the task a helper it daemonised (its own session, stdio on /dev/null), as in a container', async () => {
    const pidFile = join(root, 'daemon.pid');
    const app = await scriptApp(
      join(root, 'daemon-app'),
      `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 60' </dev/null >/dev/null 2>&1 &\nsleep 0.5\necho migrated`,
    );
    const s = await open(root, app);
    const run = await runToEnd(s.controller, s.push('push-1'));
    expect(run.deployment?.outcome).toBe('succeeded');
    const daemon = Number(await readFile(pidFile, 'utf8'));
    strays.push(daemon);
    // The run is over and its session closed: nothing of the task may still run.
    await s.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(isAlive(daemon)).toBe(false);
  }, 30_000);

  it('runs an allowed command (db-rollback) without touching the service', async () => {
    const app = await copyExample('app', join(root, 'app'));
    const s = await open(root, app);
    await runToEnd(s.controller, s.push('push-1'));
    const service = await s.controller.ecs.describeService();
    const run = await runToEnd(s.controller, {
      ...localEnvelope('rollback-1'),
      'detail-type': 'run-command',
      source: s.controller.config.EVENT_SOURCE,
      detail: { environment: s.controller.config.ENVIRONMENT, command: ['db-rollback'], requestId: 'rollback-1', requestedBy: 'test' },
    });
    expect(run.deployment).toMatchObject({ kind: 'command', outcome: 'succeeded', taskDefinitionArn: service.taskDefinitionArn });
    expect((await s.controller.ecs.describeService()).taskDefinitionArn).toBe(service.taskDefinitionArn);
    expect(await query(s.databaseUrl, 'select name from pgmigrations order by id')).toHaveLength(2);
  });

  it('with a database URL migrates that database and starts no embedded one', async () => {
    const other = await startPostgres({ dataDir: join(root, 'other-db'), templateCacheDir: TEMPLATE_CACHE });
    sessions.push(other);
    const app = await copyExample('app', join(root, 'app'));
    const s = await open(root, app, { databaseUrl: other.url });
    expect(s.databaseUrl).toBe(other.url);
    const run = await runToEnd(s.controller, s.push('push-1'));
    expect(run.deployment?.outcome).toBe('succeeded');
    expect(await query(other.url, 'select count(*)::int as n from pgmigrations')).toEqual([{ n: 3 }]);
    await expect(stat(join(root, '.ecs-migrate', 'local-app', 'pgdata'))).rejects.toThrow(/ENOENT/);
  });
});

describe('the local Postgres endpoint', () => {
  it('has its address at once: a connection made while the database starts waits for it', async () => {
    const db = await openPostgres({ dataDir: join(root, 'db'), templateCacheDir: TEMPLATE_CACHE });
    sessions.push(db);
    let ready = false;
    void db.ready.then(() => {
      ready = true;
    });
    const early = query(db.url, 'select 42 as answer');
    expect(ready).toBe(false);
    expect(await early).toEqual([{ answer: 42 }]);
    expect(ready).toBe(true);
  });

  it('closes the waiting connections when the database cannot start', async () => {
    await writeFile(join(root, 'not-a-dir'), 'x');
    const db = await openPostgres({ dataDir: join(root, 'not-a-dir', 'db'), templateCacheDir: TEMPLATE_CACHE });
    sessions.push(db);
    const early = query(db.url, 'select 1');
    await expect(db.ready).rejects.toThrow(/ENOTDIR/);
    await expect(early).rejects.toThrow();
  });

  it('serves a pool: concurrent parameterised queries and transactions on several connections', async () => {
    const db = await startPostgres({ dataDir: join(root, 'db'), templateCacheDir: TEMPLATE_CACHE });
    sessions.push(db);
    const pool = new pg.Pool({ connectionString: db.url, max: 8 });
    try {
      await pool.query('create table accounts (id int primary key, balance int not null)');
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          pool.query<{ n: number; s: string }>('select $1::int as n, $2::text as s', [i, `v${i}`]).then((r) => r.rows[0]),
        ),
      );
      expect(answers).toEqual(Array.from({ length: 60 }, (_, i) => ({ n: i, s: `v${i}` })));
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const client = await pool.connect();
          try {
            await client.query('begin');
            await client.query('insert into accounts values ($1, 100)', [i]);
            await new Promise((r) => setTimeout(r, 10));
            if (i % 2 === 0) await client.query('commit');
            else await client.query('rollback');
          } finally {
            client.release();
          }
        }),
      );
      expect(pool.totalCount).toBeGreaterThan(1);
      expect((await pool.query('select array_agg(id order by id) as ids from accounts')).rows[0]).toEqual({ ids: [0, 2, 4, 6] });
    } finally {
      await pool.end();
    }
  });
});
