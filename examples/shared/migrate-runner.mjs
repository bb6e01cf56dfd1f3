// Shared implementation of the example apps' `db-migrate` and `db-rollback` commands.
//
// Each app ships thin `bin/` entry points that call `runCli()` with their own `import.meta.url`, so the
// default migrations directory (`../migrations` next to `bin/`) is the app's own. The database is an
// embedded Postgres (PGlite) kept in the directory named by PGLITE_DATA_DIR.
//
// Exit codes: 0 success (including "nothing to do"), 1 a migration failed or the database could not be
// used, 2 usage or configuration error, 128+N when stopped by signal N (143 for SIGTERM, 130 for SIGINT).

import { existsSync, unlinkSync } from 'node:fs';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** Signals that stop a run; it exits 128 + the signal's number, as a shell reports it. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'];
/** After a stop signal, give the in-flight migration this long to roll back before exiting anyway. */
const FORCE_EXIT_AFTER_MS = 10_000;
const LOCK_FILE = '.db-migrate.lock';
const MIGRATIONS_TABLE = 'schema_migrations';

const COMMANDS = {
  migrate: {
    name: 'db-migrate',
    usage: `Usage: db-migrate [--dry-run] [--verbose] [--help]

Applies migrations/*.sql in lexical order, each in its own transaction, and records them in ${MIGRATIONS_TABLE}.

Options:
  --dry-run   list pending migrations without applying them
  --verbose   print configuration, timings and Postgres notices
  --help      show this help

Environment:
  PGLITE_DATA_DIR  directory holding the PGlite database (required; created if missing)
  MIGRATIONS_DIR   directory of *.sql migrations (default: ../migrations relative to this script)

Exit codes: 0 ok or up to date, 1 migration failed, 2 usage/configuration error, 143 stopped by SIGTERM.`,
    options: {
      'dry-run': { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
    run: migrate,
  },
  rollback: {
    name: 'db-rollback',
    usage: `Usage: db-rollback [N | --steps N | --to VERSION] [--dry-run] [--verbose] [--help]

Reverts the last N applied migrations (default 1), newest first, each in its own transaction, using
migrations/down/<same file name>.sql, and removes them from ${MIGRATIONS_TABLE}.

Options:
  N, --steps N    number of migrations to revert (default 1)
  --to VERSION    revert every migration applied after VERSION (VERSION itself stays applied);
                  VERSION is a file name without .sql (0001_create_customers) or its prefix (0001)
  --dry-run       list the migrations that would be reverted without reverting them
  --verbose       print configuration, timings and Postgres notices
  --help          show this help

Environment:
  PGLITE_DATA_DIR  directory holding the PGlite database (required)
  MIGRATIONS_DIR   directory of *.sql migrations, down files in its down/ (default: ../migrations relative to this script)

Exit codes: 0 ok or nothing to revert, 1 revert failed or a down file is missing, 2 usage/configuration error,
143 stopped by SIGTERM.`,
    options: {
      steps: { type: 'string' },
      to: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    run: rollback,
  },
};

/** A problem with how the command was invoked or configured (exit 2). */
class UsageError extends Error {}

/** A failure the command has already explained on stderr (exit 1 unless `exitCode` says otherwise). */
class ReportedFailure extends Error {
  constructor(message, exitCode = EXIT_FAILED) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Raised between steps once a stop signal has arrived, so the current transaction is rolled back. */
class Interrupted extends Error {
  constructor(signal) {
    super(`interrupted by ${signal}`);
    this.signal = signal;
  }
}

/**
 * Entry point used by the apps' `bin/` scripts. Sets `process.exitCode` and returns it.
 * @param {'migrate' | 'rollback'} command
 * @param {string} scriptUrl `import.meta.url` of the calling bin script
 */
export async function runCli(command, scriptUrl) {
  const spec = COMMANDS[command];
  if (!spec) throw new Error(`unknown command ${command}`);
  const stop = installSignalHandlers(spec.name);
  let code;
  try {
    code = await main(spec, {
      argv: process.argv.slice(2),
      env: process.env,
      scriptDir: path.dirname(fileURLToPath(scriptUrl)),
      stop,
    });
  } finally {
    stop.dispose();
  }
  process.exitCode = code;
  return code;
}

async function main(spec, { argv, env, scriptDir, stop }) {
  const out = (line) => process.stdout.write(`${line}\n`);
  const err = (line) => process.stderr.write(`${spec.name}: ${line}\n`);
  let args;
  let config;
  try {
    args = parseCommandLine(spec, argv);
    if (args.values.help) {
      out(spec.usage);
      return EXIT_OK;
    }
    config = readConfig(env, scriptDir);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(error.message);
    process.stderr.write(`\n${spec.usage}\n`);
    return EXIT_USAGE;
  }

  const ctx = {
    ...config,
    args,
    dryRun: args.values['dry-run'],
    verbose: args.values.verbose,
    out,
    err,
    debug: args.values.verbose ? out : () => {},
    stop,
  };
  try {
    await spec.run(ctx);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      err(error.message);
      return EXIT_USAGE;
    }
    if (error instanceof Interrupted) {
      err(`stopped: ${error.message}`);
      return 128 + os.constants.signals[error.signal];
    }
    if (error instanceof ReportedFailure) return error.exitCode;
    err(`error: ${describeError(error)}`);
    if (ctx.verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return EXIT_FAILED;
  }
}

function parseCommandLine(spec, argv) {
  try {
    return parseArgs({ args: argv, options: spec.options, allowPositionals: spec.allowPositionals, strict: true });
  } catch (error) {
    // node:util parseArgs reports unknown flags, missing values and stray arguments as TypeErrors with ERR_PARSE_ARGS_* codes.
    if (error && typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS_')) throw new UsageError(error.message);
    throw error;
  }
}

function readConfig(env, scriptDir) {
  const dataDir = env.PGLITE_DATA_DIR?.trim();
  if (!dataDir) {
    throw new UsageError('PGLITE_DATA_DIR is not set: set it to the directory that holds the PGlite database (it is created if missing)');
  }
  const migrationsDir = env.MIGRATIONS_DIR?.trim() ? path.resolve(env.MIGRATIONS_DIR.trim()) : path.resolve(scriptDir, '..', 'migrations');
  return { dataDir: path.resolve(dataDir), migrationsDir, downDir: path.join(migrationsDir, 'down') };
}

// ---------------------------------------------------------------------------------------------------------
// db-migrate

async function migrate(ctx) {
  const { out, debug } = ctx;
  const files = await listMigrationFiles(ctx.migrationsDir);
  debug(`data dir: ${ctx.dataDir}`);
  debug(`migrations dir: ${ctx.migrationsDir} (${files.length} file${plural(files.length)})`);

  if (ctx.dryRun && !isInitialised(ctx.dataDir)) {
    // Do not create a database just to report that everything is pending.
    debug('database does not exist yet; every migration is pending');
    reportPending(ctx, files, []); // nothing applied: every file is pending
    return;
  }

  await withDatabase(ctx, async (db) => {
    if (!ctx.dryRun) await ensureMigrationsTable(db);
    const applied = await appliedVersions(db);
    const appliedSet = new Set(applied);
    const known = new Set(files.map(versionOf));
    for (const version of applied) {
      if (!known.has(version)) ctx.err(`warning: ${version} is recorded as applied but ${version}.sql is not in ${ctx.migrationsDir}`);
    }
    const pending = files.filter((file) => !appliedSet.has(versionOf(file)));
    const latestApplied = applied.at(-1);
    for (const file of pending) {
      if (latestApplied !== undefined && versionOf(file) < latestApplied) {
        ctx.err(`warning: ${file} sorts before the already applied ${latestApplied}; applying it out of order`);
      }
    }

    if (ctx.dryRun) {
      reportPending(ctx, pending, applied);
      return;
    }
    if (pending.length === 0) {
      out(`database is up to date (${applied.length} migration${plural(applied.length)} applied${latest(applied)})`);
      return;
    }

    const started = performance.now();
    let done = 0;
    for (const file of pending) {
      const sql = await readFile(path.join(ctx.migrationsDir, file), 'utf8');
      try {
        await runStep(ctx, db, { verb: 'applying', file, sql, record: recordApplied(versionOf(file)) });
      } catch (error) {
        if (error instanceof StepFailed) {
          const remaining = pending.length - done;
          const at = done > 0 ? versionOf(pending[done - 1]) : applied.at(-1);
          ctx.err(
            `${done} migration${plural(done)} applied in this run before the failure; ` +
              `${remaining} pending (including ${file}); ${databaseState(at)}`,
          );
          throw new ReportedFailure(error.message);
        }
        throw error;
      }
      done += 1;
    }
    const total = applied.length + done;
    out(
      `applied ${done} migration${plural(done)} in ${elapsed(started)}; database is at ${versionOf(pending.at(-1))} ` +
        `(${total} migration${plural(total)} applied)`,
    );
  });
}

function reportPending(ctx, pending, applied) {
  if (pending.length === 0) {
    ctx.out(`dry run: database is up to date (${applied.length} migration${plural(applied.length)} applied${latest(applied)})`);
    return;
  }
  ctx.out(`dry run: ${pending.length} pending migration${plural(pending.length)} (${applied.length} applied${latest(applied)}):`);
  for (const file of pending) ctx.out(`  ${file}`);
}

function recordApplied(version) {
  return async (db) => {
    await db.query(`INSERT INTO ${MIGRATIONS_TABLE} (version) VALUES ($1)`, [version]);
  };
}

// ---------------------------------------------------------------------------------------------------------
// db-rollback

async function rollback(ctx) {
  const { out, debug } = ctx;
  const target = parseRollbackTarget(ctx.args);
  debug(`data dir: ${ctx.dataDir}`);
  debug(`down migrations dir: ${ctx.downDir}`);

  if (!isInitialised(ctx.dataDir)) {
    out('no migrations are applied (the database does not exist yet); nothing to roll back');
    return;
  }

  await withDatabase(ctx, async (db) => {
    const applied = await appliedVersions(db);
    if (applied.length === 0) {
      out('no migrations are applied; nothing to roll back');
      return;
    }
    const newestFirst = [...applied].reverse();
    let toRevert;
    if (target.kind === 'steps') {
      toRevert = newestFirst.slice(0, target.steps);
      if (target.steps > applied.length) {
        ctx.err(`warning: asked to revert ${target.steps} but only ${applied.length} migration${plural(applied.length)} applied`);
      }
    } else {
      const keep = resolveVersion(target.version, applied);
      toRevert = newestFirst.filter((version) => version > keep);
      if (toRevert.length === 0) {
        out(`database is already at ${keep}; nothing to roll back`);
        return;
      }
    }

    // Check every down file before touching the database, so a missing one reverts nothing.
    const steps = [];
    const missing = [];
    for (const version of toRevert) {
      const downPath = path.join(ctx.downDir, `${version}.sql`);
      try {
        steps.push({ version, file: `${version}.sql`, sql: await readFile(downPath, 'utf8') });
      } catch (error) {
        if (error?.code !== 'ENOENT') throw error;
        missing.push(downPath);
      }
    }
    if (missing.length > 0) {
      for (const downPath of missing) ctx.err(`error: missing down migration ${downPath}`);
      ctx.err('nothing was reverted');
      throw new ReportedFailure('missing down migration');
    }

    const remainingAfter = applied.length - steps.length;
    const landsAt = remainingAfter > 0 ? applied[remainingAfter - 1] : undefined;
    if (ctx.dryRun) {
      out(`dry run: would revert ${steps.length} migration${plural(steps.length)} (newest first):`);
      for (const step of steps) out(`  ${step.file}`);
      out(`dry run: afterwards ${databaseState(landsAt)}`);
      return;
    }

    const started = performance.now();
    let done = 0;
    for (const step of steps) {
      try {
        await runStep(ctx, db, {
          verb: 'reverting',
          file: step.file,
          sourcePath: path.join(ctx.downDir, step.file),
          sql: step.sql,
          record: recordReverted(step.version),
        });
      } catch (error) {
        if (error instanceof StepFailed) {
          ctx.err(`${done} migration${plural(done)} reverted before the failure; database is at ${newestFirst[done]}`);
          throw new ReportedFailure(error.message);
        }
        throw error;
      }
      done += 1;
    }
    out(`reverted ${done} migration${plural(done)} in ${elapsed(started)}; ${databaseState(landsAt)}`);
  });
}

function parseRollbackTarget(args) {
  const { steps, to } = args.values;
  const positionals = args.positionals;
  if (positionals.length > 1) throw new UsageError(`expected at most one argument (N), got ${positionals.join(' ')}`);
  const stepsArg = steps ?? positionals[0];
  if (to !== undefined && stepsArg !== undefined) throw new UsageError('use either N/--steps or --to, not both');
  if (steps !== undefined && positionals.length > 0) throw new UsageError('use either N or --steps, not both');
  if (to !== undefined) {
    if (to.trim() === '') throw new UsageError('--to needs a VERSION');
    return { kind: 'to', version: to.trim().replace(/\.sql$/, '') };
  }
  if (stepsArg === undefined) return { kind: 'steps', steps: 1 };
  if (!/^[1-9]\d*$/.test(stepsArg)) throw new UsageError(`N must be a positive integer, got "${stepsArg}"`);
  return { kind: 'steps', steps: Number(stepsArg) };
}

/** Matches `--to` against applied versions: exactly, or by the prefix before the first `_`. */
function resolveVersion(wanted, applied) {
  if (applied.includes(wanted)) return wanted;
  const byPrefix = applied.filter((version) => version.split('_', 1)[0] === wanted);
  if (byPrefix.length === 1) return byPrefix[0];
  if (byPrefix.length > 1) throw new UsageError(`--to ${wanted} is ambiguous: ${byPrefix.join(', ')}`);
  throw new UsageError(`--to ${wanted} is not an applied migration (applied: ${applied.join(', ')})`);
}

function recordReverted(version) {
  return async (db) => {
    const result = await db.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE version = $1`, [version]);
    if (result.affectedRows !== 1) throw new Error(`${version} was not recorded in ${MIGRATIONS_TABLE}`);
  };
}

// ---------------------------------------------------------------------------------------------------------
// One migration step: BEGIN, the file's SQL, the bookkeeping change, COMMIT; ROLLBACK on any error.

/** A step failed and was rolled back; the details are already on stderr. */
class StepFailed extends Error {}

/** The migration's own COMMIT or ROLLBACK ended the transaction the runner opened for it. */
class TransactionEnded extends Error {}

async function runStep(ctx, db, { verb, file, sql, sourcePath = path.join(ctx.migrationsDir, file), record }) {
  await ctx.stop.check();
  process.stdout.write(`${verb} ${file} … `);
  const started = performance.now();
  // Postgres notices arrive mid-line; print them after this step's status line.
  const notices = [];
  const printNotices = () => {
    for (const notice of notices) {
      if (notice.severity === 'WARNING') ctx.err(`postgres warning in ${file}: ${notice.message}`);
      else ctx.debug(`  ${notice.severity ?? 'NOTICE'}: ${notice.message}`);
    }
  };
  let phase = 'sql';
  try {
    await db.exec('BEGIN');
    await db.exec(sql, { onNotice: (notice) => notices.push(notice) });
    if (!db.isInTransaction()) {
      // The file ran its own COMMIT or ROLLBACK: whatever came before it is already committed, unrecorded.
      throw new TransactionEnded('the migration ended the surrounding transaction itself (remove COMMIT/ROLLBACK from the file)');
    }
    phase = 'record';
    await record(db);
    // A stop signal that arrived while the SQL ran: roll this step back instead of committing it.
    await ctx.stop.check();
    phase = 'commit';
    await db.exec('COMMIT');
  } catch (error) {
    const rollbackError = await rollbackQuietly(db);
    process.stdout.write(`${error instanceof Interrupted ? 'interrupted' : 'FAILED'} (${elapsed(started)})\n`);
    printNotices();
    if (error instanceof Interrupted) {
      ctx.err(`rolled back ${file}`);
      throw error;
    }
    reportSqlError(ctx, { file, sourcePath, sql: phase === 'sql' ? sql : undefined, error, phase });
    if (rollbackError) ctx.err(`rollback also failed: ${describeError(rollbackError)}`);
    else if (error instanceof TransactionEnded) {
      ctx.err(`some of ${file} ran outside the runner's transaction and may be committed; it is not recorded as applied`);
      ctx.err('check the database by hand before running it again');
    } else ctx.err(`rolled back ${file}; nothing from it was kept`);
    throw new StepFailed(`${file} failed`);
  }
  process.stdout.write(`ok (${elapsed(started)})\n`);
  printNotices();
}

async function rollbackQuietly(db) {
  try {
    if (db.isInTransaction()) await db.exec('ROLLBACK');
    return undefined;
  } catch (error) {
    return error;
  }
}

function reportSqlError(ctx, { file, sourcePath, sql, error, phase }) {
  const lines = [`error: ${file} failed: ${describeError(error)}`];
  if (phase === 'record') lines.push(`  while updating ${MIGRATIONS_TABLE} after the migration's SQL succeeded`);
  if (phase === 'commit') lines.push('  while committing');
  const position = sql !== undefined && error?.position ? locate(sql, Number(error.position)) : undefined;
  lines.push(position ? `  at ${sourcePath}:${position.line}:${position.column}` : `  in ${sourcePath}`);
  if (error?.code) lines.push(`  SQLSTATE ${error.code}${error.severity ? ` (${error.severity})` : ''}`);
  if (error?.detail) lines.push(`  detail: ${error.detail}`);
  if (error?.hint) lines.push(`  hint: ${error.hint}`);
  if (error?.where) lines.push(`  where: ${error.where}`);
  if (position) {
    const gutter = String(position.line);
    lines.push(`  ${gutter} | ${position.text}`);
    lines.push(`  ${' '.repeat(gutter.length)} | ${' '.repeat(position.caretColumn - 1)}^`);
  }
  ctx.err(lines[0]);
  for (const line of lines.slice(1)) process.stderr.write(`${line}\n`);
}

/**
 * Converts a Postgres error position (1-based, in characters, into the whole query string) to a 1-based line
 * and column in the migration file, plus that line's text (tabs expanded to keep the caret aligned).
 */
function locate(sql, position) {
  if (!Number.isInteger(position) || position < 1) return undefined;
  const chars = Array.from(sql);
  if (position > chars.length + 1) return undefined;
  const before = chars.slice(0, position - 1).join('');
  const lineStart = before.lastIndexOf('\n') + 1;
  const line = before.split('\n').length;
  const prefix = Array.from(before.slice(lineStart));
  const lineEnd = sql.indexOf('\n', lineStart);
  const text = sql.slice(lineStart, lineEnd === -1 ? undefined : lineEnd).replace(/\r$/, '');
  const column = prefix.length + 1;
  const tabs = prefix.filter((ch) => ch === '\t').length;
  return { line, column, text: text.replaceAll('\t', '  '), caretColumn: column + tabs };
}

// ---------------------------------------------------------------------------------------------------------
// Database access

async function withDatabase(ctx, fn) {
  await mkdir(ctx.dataDir, { recursive: true });
  const releaseLock = await acquireLock(ctx);
  let db;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const opening = performance.now();
    try {
      db = await PGlite.create(ctx.dataDir);
    } catch (error) {
      ctx.err(`error: cannot open the PGlite database in ${ctx.dataDir}: ${describeError(error)}`);
      throw new ReportedFailure('cannot open database');
    }
    ctx.debug(`opened PGlite database in ${elapsed(opening)}`);
    await ctx.stop.check();
    await fn(db);
  } finally {
    try {
      if (db && !db.closed) await db.close();
    } finally {
      await releaseLock();
    }
  }
}

async function ensureMigrationsTable(db) {
  await db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
}

/** Applied versions in application order (lexical, the order migrations are applied in). */
async function appliedVersions(db) {
  const exists = await db.query('SELECT to_regclass($1) IS NOT NULL AS present', [MIGRATIONS_TABLE]);
  if (!exists.rows[0]?.present) return [];
  const result = await db.query(`SELECT version FROM ${MIGRATIONS_TABLE}`);
  return result.rows.map((row) => row.version).sort(compareNames);
}

/** A PGlite data directory holds PG_VERSION once initdb has run. */
function isInitialised(dataDir) {
  return existsSync(path.join(dataDir, 'PG_VERSION'));
}

/**
 * Only one process may open a PGlite data directory at a time. A lock file in the directory records the
 * owner's pid; a lock left behind by a process that no longer exists is taken over.
 */
async function acquireLock(ctx) {
  const lockPath = path.join(ctx.dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    let handle;
    try {
      handle = await open(lockPath, 'wx');
    } catch (error) {
      if (error?.code !== 'EEXIST') throw error;
      const owner = await readLockOwner(lockPath);
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
        ctx.err(`error: the database in ${ctx.dataDir} is in use by process ${owner} (lock file ${lockPath})`);
        throw new ReportedFailure('database locked');
      }
      ctx.debug(`removing stale lock file ${lockPath}${owner === undefined ? '' : ` left by process ${owner}`}`);
      await unlink(lockPath).catch((unlinkError) => {
        if (unlinkError?.code !== 'ENOENT') throw unlinkError;
      });
      continue;
    }
    try {
      await handle.writeFile(`${JSON.stringify({ pid: process.pid, command: process.argv[1], startedAt: new Date().toISOString() })}\n`);
    } finally {
      await handle.close();
    }
    // Also release on a forced exit (second signal, or the force-exit timer), which skips `finally` blocks.
    const onExit = () => {
      try {
        unlinkSync(lockPath);
      } catch {
        // Already gone.
      }
    };
    process.once('exit', onExit);
    return async () => {
      process.removeListener('exit', onExit);
      await unlink(lockPath).catch(() => {});
    };
  }
  ctx.err(`error: could not take the lock ${lockPath}`);
  throw new ReportedFailure('database locked');
}

async function readLockOwner(lockPath) {
  try {
    const pid = JSON.parse(await readFile(lockPath, 'utf8')).pid;
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error?.code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Signals: finish or roll back the current step, close the database, exit 128+N. A second signal, or a
// step that does not yield within FORCE_EXIT_AFTER_MS, exits at once (Postgres recovers on the next open).

function installSignalHandlers(name) {
  let received;
  let timer;
  const handler = (signal) => {
    const code = 128 + os.constants.signals[signal];
    if (received) {
      process.stderr.write(`${name}: received ${signal} again; exiting now\n`);
      process.exit(code);
    }
    received = signal;
    process.stderr.write(`${name}: received ${signal}; stopping after rolling back the current step\n`);
    timer = setTimeout(() => {
      process.stderr.write(`${name}: still running ${FORCE_EXIT_AFTER_MS} ms after ${signal}; exiting now\n`);
      process.exit(code);
    }, FORCE_EXIT_AFTER_MS);
    timer.unref();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return {
    /**
     * Throws Interrupted once a stop signal has arrived. PGlite runs queries on this thread and its promises
     * settle as microtasks, so first yield to the event loop to let a signal that came in meanwhile be handled.
     */
    async check() {
      await new Promise((resolve) => setImmediate(resolve));
      if (received) throw new Interrupted(received);
    },
    dispose() {
      for (const signal of STOP_SIGNALS) process.removeListener(signal, handler);
      if (timer) clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

async function listMigrationFiles(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (error?.code === 'ENOENT' || error?.code === 'ENOTDIR') throw new UsageError(`migrations directory ${dir} does not exist`);
    throw error;
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.sql'))
    .map((entry) => entry.name)
    .sort(compareNames);
}

/** Plain code-unit order, independent of locale: "lexical order" as the file names are written. */
function compareNames(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function versionOf(file) {
  return file.replace(/\.sql$/, '');
}

function databaseState(version) {
  return version === undefined ? 'no migrations are applied' : `database is at ${version}`;
}

function latest(applied) {
  return applied.length > 0 ? `, latest ${applied.at(-1)}` : '';
}

function plural(n) {
  return n === 1 ? '' : 's';
}

function elapsed(since) {
  return `${Math.round(performance.now() - since)} ms`;
}

function describeError(error) {
  if (error instanceof Error) return error.message;
  return String(error);
}
