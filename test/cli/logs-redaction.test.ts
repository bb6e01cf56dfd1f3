import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../local/helpers.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ecs-migrate-logs-redaction-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/*
 * README: `--wait` streams the task's log "redacted as the stored tail is, here and in `logs` and local mode". Local
 * `logs` printed the task's output file with the built-in rules only, so what REDACT_PATTERNS hid from the run's own
 * output and from the record was printed in full.
 */
describe('local `logs` redacts the task output as the stored tail is (REDACT_PATTERNS included)', () => {
  const SECRET = 'shop_live_0123456789abcdef0123456789abcdef';
  let cwd: string;
  let id: string;

  beforeAll(async () => {
    cwd = join(work, 'redact');
    const app = join(cwd, 'secret-app');
    await mkdir(join(app, 'bin'), { recursive: true });
    await writeFile(join(app, 'bin', 'db-migrate'), `#!/bin/sh\necho "connecting with key ${SECRET}"\necho "boom"\nexit 1\n`);
    await chmod(join(app, 'bin', 'db-migrate'), 0o755);
    await writeFile(join(cwd, 'config.json'), JSON.stringify({ REDACT_PATTERNS: JSON.stringify(['shop_live_[0-9a-f]{32}']) }));
    const run = await cli(['local', '--app', 'secret-app', '--config', 'config.json'], cwd);
    expect(run.code, run.stderr).toBe(1);
    // The run itself redacts it (local mode applies the configured patterns) ...
    expect(run.stdout).toContain('connecting with key [REDACTED]');
    expect(run.stdout).not.toContain(SECRET);
    const history = await cli(['history', '--json'], cwd);
    expect(history.code, history.stderr).toBe(0);
    id = (JSON.parse(history.stdout) as { id: string; logTail?: string[] }[])[0]?.id ?? '';
    expect(id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{8}$/);
  }, 120_000);

  it('`logs ID` does not print what REDACT_PATTERNS redacts', async () => {
    const r = await cli(['logs', id], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('connecting with key');
    expect(r.stdout).not.toContain(SECRET);
  });

  it('`logs ID --json` does not print it either', async () => {
    const r = await cli(['logs', id, '--json'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('connecting with key');
    expect(r.stdout).not.toContain(SECRET);
  });
});
