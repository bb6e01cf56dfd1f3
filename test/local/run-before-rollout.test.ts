import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, scriptApp } from '../local/helpers.js';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'ecs-migrate-review-run-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('ecs-migrate local --run, before the service was ever rolled out', () => {
  it('runs the maintenance command after a failed migration (the rollback the README says a halted rollout calls for)', async () => {
    // A migration that fails halfway, and the app's own rollback command (ALLOWED_COMMANDS has db-rollback).
    const app = await scriptApp(join(work, 'app'), 'echo "applying 0002"; exit 1');
    await scriptApp(app, 'echo "rolled back 0002"', 'db-rollback');
    const state = join(work, 'state');

    const migrate = await cli(['local', '--app', app, '--state-dir', state], work);
    expect(migrate.code).toBe(1);
    expect(migrate.stdout).toMatch(/✘ rollout halted/);

    // The app directory is unchanged: the image just built (and its "ecs-migrate local --app DIR") is right there.
    const rollback = await cli(['local', '--app', app, '--state-dir', state, '--run', 'db-rollback'], work);
    // Was: "the task failed to start (CannotPullContainerError: image …/app:initial is not known on this machine
    // (build it with "ecs-migrate local --app DIR"))": the local service's first revision is a placeholder image that
    // no run can ever build, so no --run could start until a migration had succeeded. Now it runs the app as built.
    expect(rollback.stdout).not.toMatch(/CannotPullContainerError/);
    expect(rollback.stdout).toContain('no migration has been rolled out here yet: the command runs the app as built');
    expect(rollback.stdout).toContain('rolled back 0002');
    expect(rollback.code).toBe(0);
  }, 60_000);
});
