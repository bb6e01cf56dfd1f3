// A backfill that takes SLOW_MIGRATION_SECONDS (default 600): one small batch a second, printing its progress.
// It exists to exercise the controller's timeout; SIGTERM ends it at once (node's default), the transaction
// is never committed.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export async function up(pgm) {
  const seconds = Number(process.env.SLOW_MIGRATION_SECONDS ?? 600);
  await pgm.db.query(
    'CREATE TABLE IF NOT EXISTS backfill_progress (batch integer PRIMARY KEY, done_at timestamptz NOT NULL DEFAULT now())',
  );
  for (let batch = 1; batch <= seconds; batch++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await pgm.db.query('INSERT INTO backfill_progress (batch) VALUES ($1)', [batch]);
    console.log(`backfill: batch ${batch} of ${seconds}`);
  }
}

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export async function down(pgm) {
  pgm.dropTable('backfill_progress', { ifExists: true });
}
