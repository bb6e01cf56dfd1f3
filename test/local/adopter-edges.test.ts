import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTemplate } from '../../src/local/db-template.js';
import { cli, scriptApp, TEMPLATE_CACHE } from '../local/helpers.js';

/**
 * Local mode as an adopter uses it, past the first run: the real CLI (tsx) against shell-script apps, state in a
 * temp directory.
 */
let work: string;
beforeAll(async () => {
  await ensureTemplate(TEMPLATE_CACHE);
}, 120_000);
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'ecs-migrate-local-edges-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const local = (app: string, state: string, ...more: string[]) => cli(['local', '--app', app, '--state-dir', state, ...more], work);
const imageOf = (stdout: string) => /^image (\S+)/m.exec(stdout)?.[1];

describe('local mode, past the first run', () => {
  it('an image deployed with --command is dated: a later push of an image built before it is refused without --rerun', async () => {
    // README Guarantees: "an image pushed before the one rolled out last runs only as a deliberate rerun". With B
    // deployed by --command, A rolled back over B: B's deploy-request had no push time (a local build is now dated).
    const app = await scriptApp(join(work, 'app'), 'echo migrated');
    const state = join(work, 'state');
    await writeFile(join(app, 'version.txt'), 'A\n');
    const a = await local(app, state);
    expect(a.code).toBe(0);
    await writeFile(join(app, 'version.txt'), 'B\n');
    const b = await local(app, state, '--command', 'db-migrate --verbose');
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('rollout continued');
    await writeFile(join(app, 'version.txt'), 'A\n'); // the edit reverted: image A again
    const again = await local(app, state);
    expect(imageOf(again.stdout)).toBe(imageOf(a.stdout));

    expect(again.stdout).toContain('was pushed before');
    const env = JSON.parse(await readFile(join(state, 'local-app', 'environment.json'), 'utf8')) as {
      lastSucceeded?: { image?: string };
    };
    expect(env.lastSucceeded?.image).toBe(imageOf(b.stdout));
  }, 60_000);

  it('logs of a deployment redacts what that run redacted, even after a later run with other REDACT_PATTERNS', async () => {
    // `logs` redacted with the patterns of the environment's *last* run, so a secret the first run printed as
    // [REDACTED] (and stored redacted in its log tail) came out in clear; it now uses every run's.
    const app = await scriptApp(join(work, 'app'), 'echo "token shop_live_abc123 in use"\nexit 1');
    const state = join(work, 'state');
    const config = join(work, 'config.json');
    await writeFile(config, JSON.stringify({ REDACT_PATTERNS: '["shop_live_[a-z0-9]+"]' }));
    const first = await local(app, state, '--config', config);
    expect(first.code).toBe(1);
    expect(first.stdout).not.toContain('shop_live_abc123');
    const id = /^deployment (\S+)/m.exec(first.stdout)?.[1] as string;
    const second = await local(app, state); // no REDACT_PATTERNS this time
    expect(second.code).toBe(1);

    const logs = await cli(['logs', id, '--state-dir', state], work);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('token');
    expect(logs.stdout).not.toContain('shop_live_abc123');
  }, 60_000);

  it('the state directory is left out of the image when --app reaches the app through a symbolic link', async () => {
    // Paths were compared without resolving links: the default .ecs-migrate in the app directory (cwd is physical)
    // was hashed when --app named a linked path (as /tmp is on macOS), so every run was a new image.
    const real = join(work, 'real');
    await scriptApp(join(real, 'app'), 'echo migrated');
    await symlink(real, join(work, 'link'));
    const linkedApp = join(work, 'link', 'app');
    const run = () => cli(['local', '--app', linkedApp], linkedApp);
    const first = await run();
    expect(first.code).toBe(0);
    const second = await run();
    expect(second.code).toBe(0);

    expect(imageOf(second.stdout)).toBe(imageOf(first.stdout));
    expect(second.stdout).toContain('already deployed');
  }, 60_000);

  it("the task log keeps stdout's and stderr's lines apart, as they are printed live", async () => {
    // Each chunk of either stream went to the one log file as it came: a stdout line still being written got a
    // stderr line glued into it, so the stored log tail and `logs` showed a line the task never wrote.
    const app = await scriptApp(
      join(work, 'app'),
      'printf "applying 0001_orders ... "\nsleep 0.3\necho "ERROR: relation orders already exists" >&2\nsleep 0.3\necho failed\nexit 1',
    );
    const state = join(work, 'state');
    const run = await local(app, state);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/│ ERROR: relation orders already exists\n/);
    expect(run.stdout).toMatch(/│ applying 0001_orders \.\.\. failed\n/);
    const id = /^deployment (\S+)/m.exec(run.stdout)?.[1] as string;

    const logs = await cli(['logs', id, '--state-dir', state, '--json'], work);
    const shown = JSON.parse(logs.stdout) as { deployment: { logTail: string[] }; lines: { message: string }[] };
    expect(shown.lines.map((l) => l.message)).toContain('ERROR: relation orders already exists');
    expect(shown.deployment.logTail).toContain('ERROR: relation orders already exists');
    expect(shown.deployment.logTail).not.toContain('applying 0001_orders ... ERROR: relation orders already exists');
  }, 60_000);

  it('history --json and status --json show deployments as logs --json does (DeploymentView), not as raw records', async () => {
    // history/status --json printed the stored records (finishedAt, work.image, eventId…) where logs --json, and
    // history/status --json on a stack, print views (endedAt, image, logTail).
    const app = await scriptApp(join(work, 'app'), 'echo migrated');
    const state = join(work, 'state');
    const run = await local(app, state);
    expect(run.code).toBe(0);
    const id = /^deployment (\S+)/m.exec(run.stdout)?.[1] as string;

    const logs = JSON.parse((await cli(['logs', id, '--state-dir', state, '--json'], work)).stdout) as {
      deployment: Record<string, unknown>;
    };
    const history = JSON.parse((await cli(['history', '--state-dir', state, '--json'], work)).stdout) as Record<string, unknown>[];
    expect(history[0]).toEqual(logs.deployment);
    const status = JSON.parse((await cli(['status', '--state-dir', state, '--json'], work)).stdout) as Record<string, unknown>;
    expect(status.environment).toBe('local-app');
    expect(status.last).toEqual(logs.deployment);
  }, 60_000);

  it('--run runs the files of the service image, not edits made to the app directory since it was built', async () => {
    // An image resolves to its app directory as it is now, so the service's image A ran B's files (the record said
    // it ran image A): an image whose directory changed since is now not found.
    const app = await scriptApp(join(work, 'app'), 'echo migrated');
    await mkdir(join(app, 'bin'), { recursive: true });
    await scriptApp(app, 'echo "rollback with $(cat marker.txt)"', 'db-rollback');
    await writeFile(join(app, 'marker.txt'), 'released-v1\n');
    const state = join(work, 'state');
    expect((await local(app, state)).code).toBe(0);
    await writeFile(join(app, 'marker.txt'), 'unreleased-v2\n');

    const rollback = await local(app, state, '--run', 'db-rollback');
    expect(rollback.stdout).not.toContain('rollback with unreleased-v2');
  }, 60_000);

  it('a run whose image is refused as older than the one rolled out does not exit 0 "nothing to do"', async () => {
    // Scenario: the state directory's registry (tags.json) is shared by its environments, and a push is now dated by
    // the image's first build there (enrichLaunchInput → LocalRegistry.describeImage), not by its event.
    //   1. app at X, run in environment "local-other" (here via --config ENVIRONMENT, as --database-url gives one):
    //      X is built (first push time) and deployed there.
    //   2. app at Y, run in local-app: Y deployed.
    //   3. app at X again, run in local-app, where X was never deployed: X is dated by its build in step 1, so it
    //      is "pushed before" Y and the push is ignored — its migration never runs on this database and the service
    //      stays on Y .
    // Was: exit 0 with a green "nothing to do: … was pushed before …" (report() takes every `ignore` as a success),
    //   the same as "already deployed"; --json says outcome "ignore".
    // Now: a non-zero exit (LOCAL_USAGE: "Exit code 0 when the rollout continued, 1 when it was halted"; on a
    //   stack, deploy --wait of a request refused as older ends 1): the app as it is was neither migrated nor rolled
    //   out, which a script or CI job running `ecs-migrate local` must be able to tell from success.
    const app = await scriptApp(join(work, 'app'), 'echo migrated');
    const state = join(work, 'state');
    const other = join(work, 'other.json');
    await writeFile(other, JSON.stringify({ ENVIRONMENT: 'local-other' }));

    await writeFile(join(app, 'version.txt'), 'X\n');
    const x = await local(app, state, '--config', other);
    expect(x.code).toBe(0);
    expect(x.stdout).toContain('rollout continued');

    await writeFile(join(app, 'version.txt'), 'Y\n');
    const y = await local(app, state);
    expect(y.code).toBe(0);
    expect(y.stdout).toContain('rollout continued');

    await writeFile(join(app, 'version.txt'), 'X\n');
    const again = await local(app, state);
    expect(imageOf(again.stdout)).toBe(imageOf(x.stdout));
    expect(again.stdout).toContain('was pushed before');
    // The service of local-app still runs Y's revision: X was not migrated here.
    const env = JSON.parse(await readFile(join(state, 'local-app', 'environment.json'), 'utf8')) as {
      lastSucceeded?: { image?: string };
    };
    expect(env.lastSucceeded?.image).toBe(imageOf(y.stdout));

    expect(again.stdout).not.toMatch(/^nothing to do: /m);
    expect(again.code).toBe(1);
  }, 90_000);
});
