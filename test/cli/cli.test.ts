import { execFile, execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAction } from '../../cli/explain.js';
import { activeState, cancelRequest, runningDeployment, SAMPLE_TASK, TD } from '../support/fixtures.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** tsx's loader by absolute URL, so the CLI also runs from another working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI from source, as `npm start` does. `endOfNodeOptions`: `node … -- main.ts ARGS`, so Node.js does
 * not take an `--env-file` among ARGS for its own (nodejs/node#54232: without it, Node.js reads that file first).
 */
function cli(args: string[], cwd = ROOT, endOfNodeOptions = false): Promise<Result> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', TSX, ...(endOfNodeOptions ? ['--'] : []), join(ROOT, 'cli', 'main.ts'), ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
      },
    );
  });
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ecs-migrate-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('ecs-migrate explain', () => {
  it('prints the decision, its reason and the actions as JSON, without doing them', async () => {
    const r = await cli(['explain', '--config', 'events/config.json', '--now', '2026-11-25T09:15:00Z', 'events/ecr-push.json', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ decision: 'launch', reason: expect.stringContaining('launching migration "db-migrate"') });
    expect(out.actions.map((a: { type: string }) => a.type)).toEqual(['commit', 'launchTask']);
  });

  it('answers for any file content, valid JSON or not', async () => {
    const garbage = join(work, 'garbage.txt');
    await writeFile(garbage, 'this is not json {');
    const r = await cli(['explain', '--config', 'events/config.json', garbage, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: 'reject', reason: expect.stringContaining('not JSON') });

    const invalid = await cli(['explain', '--config', 'events/config.json', 'events/deploy-request-invalid.json']);
    expect(invalid.code).toBe(0);
    expect(invalid.stdout).toMatch(/^reject: invalid "deploy-request" event: detail\.requestId/);
  });

  it('uses a state file: a STOPPED exit 1 for the running deployment halts', async () => {
    const state = join(work, 'state.json');
    // The deployment the task-* samples belong to, running and holding the environment.
    await writeFile(state, JSON.stringify(activeState(runningDeployment())));
    const r = await cli(['explain', '--config', 'events/config.json', '--state', state, 'events/task-stopped-exit-1.json', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ decision: 'halt', reason: expect.stringContaining('exited with code 1') });
    expect(out.actions.map((a: { type: string }) => a.type)).toEqual(['haltRollout', 'commit', 'publish']);
  });

  it('takes the default service when the state file names none, and an unreadable one for "service": null', async () => {
    const { service: _s, ...noService } = activeState(runningDeployment());
    const write = async (name: string, value: unknown) => {
      await writeFile(join(work, name), JSON.stringify(value));
      return join(work, name);
    };
    const run = async (state: string) =>
      (await cli(['explain', '--config', 'events/config.json', '--state', state, 'events/task-stopped-success.json'])).stdout;

    expect(await run(await write('no-service.json', noService))).toMatch(/^continue: container "app" exited with code 0/);
    expect(await run(await write('null-service.json', { ...noService, service: null }))).toMatch(/^halt: .*the service could not be read/);
  });

  it("takes the running deployment's task from the state file: a cancel after exit 0, the service on its revision, is refused", async () => {
    const state = join(work, 'rolled-out.json');
    const base = activeState(runningDeployment());
    const task = { taskArn: SAMPLE_TASK, containers: [{ name: 'app', exitCode: 0 }] };
    await writeFile(state, JSON.stringify({ ...base, service: { ...base.service, taskDefinitionArn: TD(43) }, task }));
    const cancel = join(work, 'cancel.json');
    await writeFile(cancel, JSON.stringify(cancelRequest('2026-11-25T09:20:00Z')));

    const r = await cli(['explain', '--config', 'events/config.json', '--state', state, cancel]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^reject: too late to cancel deployment/);

    await writeFile(state, JSON.stringify({ ...base, task: { taskArn: SAMPLE_TASK, containers: [{ name: 'app', exitCode: 'zero' }] } }));
    const bad = await cli(['explain', '--config', 'events/config.json', '--state', state, cancel]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/state file .*: task\.containers\.0: expected \{ name, exitCode\? \}/);
  });

  it('exits 2 for a state file that is not a ControllerState, naming the file and the bad key', async () => {
    const at = async (name: string, content: string) => {
      const path = join(work, name);
      await writeFile(path, content);
      return path;
    };
    const run = (state: string) => cli(['explain', '--config', 'events/config.json', '--state', state, 'events/task-stopped-success.json']);

    const empty = await at('null-state.json', 'null');
    const none = await run(empty);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(`ecs-migrate: state file ${empty}: expected a JSON object { env, deployments, service }, got null\n`);

    const envNull = await run(await at('env-null.json', JSON.stringify({ env: null })));
    expect(envNull.code).toBe(2);
    expect(envNull.stderr).toMatch(/state file .*env-null\.json: env: expected an environment record \(an object\), got null/);

    // A deployment record the stores' codec refuses: the key and the field it names.
    const { deployments, ...rest } = activeState(runningDeployment());
    const [id, record] = Object.entries(deployments)[0] ?? [];
    const broken = await run(
      await at('bad-deployment.json', JSON.stringify({ ...rest, deployments: { [id ?? '']: { ...record, taskArn: 7 } } })),
    );
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`state file ${join(work, 'bad-deployment.json')}: deployments.${id}: taskArn:`);

    const badEnv = await run(await at('bad-env.json', JSON.stringify({ ...rest, env: { environment: 'staging', version: -1 } })));
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/: env: version: /);
    expect(badEnv.stderr).not.toMatch(/Cannot read properties/);
  });

  it('takes --now only as an ISO-8601 time, never a number or a year past 9999 written into the records', async () => {
    for (const now of ['0', '1700000000000', '99999-01-01', 'yesterday']) {
      const r = await cli(['explain', '--config', 'events/config.json', '--now', now, 'events/ecr-push.json']);
      expect(r.code, now).toBe(2);
      expect(r.stderr).toBe(`ecs-migrate: --now ${now}: expected an ISO-8601 time such as 2026-11-25T09:15:00Z\n`);
    }
    const r = await cli([
      'explain',
      '--config',
      'events/config.json',
      '--now',
      '2026-11-25T10:15:00+01:00',
      'events/ecr-push.json',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"2026-11-25T09:15:00.000Z"');
  });

  it('exits 2 for an unreadable file and names a bad configuration key', async () => {
    const missing = await cli(['explain', '--config', 'events/config.json', join(work, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read event file .*nope\.json/);

    const config = join(work, 'bad-config.json');
    await writeFile(
      config,
      JSON.stringify({ ENVIRONMENT: 'staging', CLUSTER: 'c', SERVICE: 's', CONTAINER: 'app', REPOSITORY: 'r', TIMEOUT_MINUTES: 'soon' }),
    );
    const bad = await cli(['explain', '--config', config, 'events/ecr-push.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('TIMEOUT_MINUTES: expected a number of minutes');
  });
});

describe('ecs-migrate local', () => {
  it('exits 1 with the SQL error when the migration fails, then reports state with status and history', async () => {
    const r = await cli(['local', '--app', join(ROOT, 'examples', 'failing-app'), '--state-dir', join(work, 'state')], work);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✘ rollout halted: the service stays on its current revision');
    expect(r.stdout).toMatch(/log tail \(last \d+ lines\):/);
    expect(r.stdout).toMatch(/does not exist/);

    const history = await cli(['history', '--state-dir', join(work, 'state')], work);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/^\d{8}-\d{6}-[0-9a-f]{8} {2}failed/);
    const status = await cli(['status', '--state-dir', join(work, 'state')], work);
    expect(status.stdout).toMatch(/running\s+nothing/);
    // As the stack's status does: the last deployment that ended, and how.
    expect(status.stdout).toMatch(/last result\s+\d{8}-\d{6}-[0-9a-f]{8} failed — container "app" exited with code 1/);

    // A stored record that does not validate is skipped by history, never silently.
    const envDir = (await readdir(join(work, 'state'), { withFileTypes: true })).find((e) => e.isDirectory())?.name;
    await writeFile(join(work, 'state', envDir ?? '', 'deployments', '20261125-000000-00000000.json'), '{"id":"20261125-000000-00000000"}');
    const skipped = await cli(['history', '--state-dir', join(work, 'state')], work);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(/skipped record .*20261125-000000-00000000.*, which does not validate: /);
    expect(skipped.stdout).toMatch(/^\d{8}-\d{6}-[0-9a-f]{8} {2}failed/);
  });

  it('names a state file that is not a JSON object (a truncated write, a stray edit) and what to do, instead of a bare parse error', async () => {
    const state = join(work, 'damaged-state');
    const envDir = join(state, 'local-app');
    expect((await cli(['local', '--app', join(ROOT, 'examples', 'app'), '--state-dir', state], work)).code).toBe(0);
    const [deployment] = await readdir(join(envDir, 'deployments'));

    // history skips a deployment file that is not JSON, as it skips one that does not validate.
    await writeFile(join(envDir, 'deployments', deployment ?? ''), '{"id": "2026');
    const history = await cli(['history', '--state-dir', state], work);
    expect(history.code).toBe(0);
    expect(history.stderr).toMatch(/skipped record .*deployments.*\.json, which does not validate: not JSON/);

    const named = (file: string) =>
      new RegExp(
        `^ecs-migrate: stored record ${file.replace(/[.]/g, '\\.')} does not validate \\((not JSON|expected a JSON object).*: fix the field named \\(deleting an environment record drops its lock: stop any migration task of it first\\); nothing was changed$`,
      );
    for (const [file, content, command] of [
      [join(envDir, 'environment.json'), '', 'status'],
      [join(envDir, 'environment.json'), 'null', 'local'],
      [join(envDir, 'service.json'), '{"serviceName": ', 'status'],
      [join(envDir, 'service.json'), 'null', 'local'],
      [join(state, 'images.json'), '{', 'local'],
    ] as const) {
      const before = await readFile(file, 'utf8');
      await writeFile(file, content);
      const args =
        command === 'local' ? ['local', '--app', join(ROOT, 'examples', 'app'), '--state-dir', state] : [command, '--state-dir', state];
      const r = await cli(args, work);
      expect(r.code, `${command} with ${file}: ${JSON.stringify(content)}`).toBe(1);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('ecs-migrate:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(named(file));
      await writeFile(file, before);
    }
  }, 60_000);

  it('refuses an --environment that is not under the state directory, and a DEPLOYMENT_ID that is not one, with exit 2', async () => {
    const state = join(work, 'one-env');
    await mkdir(join(state, 'local-app', 'deployments'), { recursive: true });
    await writeFile(
      join(state, 'local-app', 'environment.json'),
      JSON.stringify({ schemaVersion: 2, environment: 'local-app', version: 1 }),
    );
    for (const environment of ['local-ap', '../one-env/local-app', '', 'x'.repeat(100_000)]) {
      for (const command of ['status', 'history']) {
        const r = await cli([command, '--state-dir', state, '--environment', environment]);
        expect(r.code, `${command} --environment ${environment.slice(0, 30)}`).toBe(2);
        expect(r.stderr).toMatch(
          /^ecs-migrate: no local environment ".{0,80}" under .*one-env \(there is: local-app\); see --environment\n$/,
        );
      }
    }
    for (const id of ['../environment', '../../one-env/local-app/environment', 'e'.repeat(300), '']) {
      const r = await cli(['logs', id, '--state-dir', state]);
      expect(r.code, `logs ${id.slice(0, 30)}`).toBe(2);
      expect(r.stderr).toMatch(
        /^ecs-migrate: logs ".{0,80}": not a deployment id \(YYYYMMDD-HHMMSS-xxxxxxxx, as "ecs-migrate history" lists them\)\n$/,
      );
    }
  });

  it('prints a JSON summary with --json and exits 0 when the rollout continued', async () => {
    const r = await cli(['local', '--app', join(ROOT, 'examples', 'app'), '--state-dir', join(work, 'json-state'), '--json'], work);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      outcome: 'continued',
      decision: 'launch',
      deployment: { status: 'ended', outcome: 'succeeded' },
      events: ['Migration Started', 'Migration Succeeded', 'Rollout Continued'],
    });
  });

  it('refuses a --stop-timeout a timer cannot hold (it would kill the task at once), with exit 2', async () => {
    for (const value of ['1e308', '2147484', '86401']) {
      const r = await cli([
        'local',
        '--app',
        join(ROOT, 'examples', 'failing-app'),
        '--state-dir',
        join(work, 'stop-state'),
        '--stop-timeout',
        value,
      ]);
      expect(r.code, value).toBe(2);
      expect(r.stderr).toBe(
        `ecs-migrate: --stop-timeout ${value}: expected a number of seconds from 0 to 86400 (SIGTERM, then SIGKILL after it)\n`,
      );
    }
  });

  it('refuses a --database-url that is not Postgres (exit 2) without echoing its password', async () => {
    const app = join(ROOT, 'examples', 'app');
    for (const [url, echoed] of [
      ['mysql://user:hunter2@db/x', 'mysql://user:[REDACTED]@db/x'],
      ['postgres:/user:hunter2@db/x', 'postgres:/user:[REDACTED]@db/x'],
      ['user:hunter2@db/x', 'user:[REDACTED]@db/x'],
      ['mysql://user:hun/ter@2@db/x', 'mysql://user:[REDACTED]@db/x'],
      ['postgresql//user:hun/ter@2@db/x', 'postgresql//user:[REDACTED]@db/x'],
    ] as const) {
      const r = await cli(['local', '--app', app, '--state-dir', join(work, 'url-state'), '--database-url', url]);
      expect(r.code, url).toBe(2);
      expect(r.stderr).toBe(`ecs-migrate: --database-url ${echoed}: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE\n`);
    }
    expect(await readdir(work)).not.toContain('url-state');
  });

  it('refuses an empty --command or --run and a --tag no registry takes as usage errors (exit 2), before anything runs', async () => {
    const app = join(ROOT, 'examples', 'app');
    for (const [flag, value, message] of [
      ['--command', '', '--command "": expected a command such as "db-migrate --verbose"'],
      ['--run', '  ', '--run " ": expected a command such as "db-rollback"'],
      ['--tag', '', '--tag "": not a valid image tag (letters, digits, "_", "." and "-", at most 128)'],
      ['--tag', 'a b', '--tag "a b": not a valid image tag (letters, digits, "_", "." and "-", at most 128)'],
    ] as const) {
      const r = await cli(['local', '--app', app, '--state-dir', join(work, 'flag-state'), flag, value]);
      expect(r.code, `${flag} ${value}`).toBe(2);
      expect(r.stderr).toBe(`ecs-migrate: ${message}\n`);
    }
    expect(await readdir(work)).not.toContain('flag-state');
  });

  it('names --timeout-minutes, not TIMEOUT_MINUTES, for a value it refuses, and says what it takes (0 is refused)', async () => {
    const app = join(ROOT, 'examples', 'app');
    for (const value of ['0', '1441', 'soon']) {
      const r = await cli(['local', '--app', app, '--state-dir', join(work, 'timeout-state'), '--timeout-minutes', value]);
      expect(r.code, value).toBe(2);
      expect(r.stderr).toBe(
        `ecs-migrate: --timeout-minutes ${value}: expected a number of minutes greater than 0 and at most 1440 (default 60)\n`,
      );
    }
    // Set in a --config file, the key is what the user wrote.
    const config = join(work, 'timeout-config.json');
    await writeFile(config, JSON.stringify({ TIMEOUT_MINUTES: '0' }));
    const fromFile = await cli(['local', '--app', app, '--state-dir', join(work, 'timeout-state'), '--config', config]);
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toBe(
      'ecs-migrate: TIMEOUT_MINUTES: expected a number of minutes greater than 0 and at most 1440 (default 60)\n',
    );
    expect(await readdir(work)).not.toContain('timeout-state');
  });

  it('refuses a --config key it does not know (a typo would run with the default), naming the key it meant (exit 2)', async () => {
    const app = join(ROOT, 'examples', 'app');
    const config = join(work, 'typo.json');
    await writeFile(config, JSON.stringify({ TIMEOUT_MINUTE: 0.05 }));
    const r = await cli(['local', '--app', app, '--state-dir', join(work, 'typo-state'), '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ecs-migrate: unknown key TIMEOUT_MINUTE in ${config}; did you mean TIMEOUT_MINUTES?\n`);
    expect(r.stdout).toBe('');
    expect(await readdir(work)).not.toContain('typo-state');
  });

  it('refuses several SERVICES before anything runs (exit 2): it ended "rollout continued", exit 0, with a service not moved', async () => {
    const app = join(ROOT, 'examples', 'app');
    const config = join(work, 'services.json');
    await writeFile(config, JSON.stringify({ SERVICE: '', SERVICES: 'web,worker' }));
    const r = await cli(['local', '--app', app, '--state-dir', join(work, 'services-state'), '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'ecs-migrate: SERVICES web, worker: local mode simulates one service; name one (SERVICE), or gate several on a deployed stack\n',
    );
    expect(r.stdout).toBe('');
  });

  it('refuses a --run or --command the controller would refuse before the database starts, with its reason (exit 2)', async () => {
    const app = join(ROOT, 'examples', 'app');
    const state = join(work, 'refused-state');
    for (const [flag, value, reason] of [
      ['--run', 'db-drop', 'command "db-drop" is not in ALLOWED_COMMANDS (db-migrate, db-rollback)'],
      ['--run', 'db-rollback password=hunter2hunter2', 'argument 1 of the command looks like a secret ("password=[REDACTED]")'],
      ['--command', 'db-drop --all', 'command "db-drop" is neither MIGRATION_COMMAND nor in ALLOWED_COMMANDS'],
    ] as const) {
      const r = await cli(['local', '--app', app, '--state-dir', state, flag, value]);
      expect(r.code, `${flag} ${value}`).toBe(2);
      expect(r.stderr).toMatch(/^ecs-migrate: .*: the controller would refuse it; nothing was run\n$/);
      expect(r.stderr).toContain(reason);
      expect(r.stdout).toBe('');
    }
    expect(await readdir(work)).not.toContain('refused-state');
  });

  it('explains its usage errors with exit code 2', async () => {
    const r = await cli(['local']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--app DIR is required');
    const unknown = await cli(['deploy-everything']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "deploy-everything"');
  });

  it('refuses an --env-file that is not a readable regular file, in one line with exit 2, before anything runs', async () => {
    const app = join(ROOT, 'examples', 'app');
    const fifo = join(work, 'fifo.env');
    execFileSync('mkfifo', [fifo]);
    try {
      for (const [file, problem] of [
        [join(work, 'missing.env'), 'not found'],
        [work, 'not a regular file (a directory)'],
        // Read, it would wait forever for a writer.
        [fifo, 'not a regular file (a FIFO, socket or device)'],
      ] as const) {
        const r = await Promise.race([
          cli(['local', '--app', app, '--state-dir', join(work, 'env-state'), '--env-file', file], work, true),
          new Promise<undefined>((late) => setTimeout(() => late(undefined), 15_000).unref()),
        ]);
        expect(r, `--env-file ${file}`).toEqual({
          code: 2,
          stdout: '',
          stderr: `ecs-migrate: --env-file ${file}: ${problem}; pass a readable dotenv file (NAME=VALUE lines)\n`,
        });
      }
    } finally {
      // A reader still blocked on the FIFO (the CLI before this check) gets end-of-file.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {}
    }
    expect(await readdir(work)).not.toContain('env-state');
  });

  it('refuses a --state-dir it cannot write, saying so, with exit 2 and before anything runs', async () => {
    const file = join(work, 'not-a-dir');
    await writeFile(file, 'x');

    const r = await cli(['local', '--app', join(ROOT, 'examples', 'app'), '--state-dir', join(file, 'state')], work);

    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--state-dir .*not-a-dir\/state: not a directory this user can write \(E\w+/);
    expect(r.stderr).toContain('pass a writable --state-dir');
    expect(r.stdout).not.toContain('│');
  });
});

describe('explain: the actions, one line each', () => {
  it('names what every gated service moves to, also for a task definition run as it is (never "undefined")', () => {
    const target = { mode: 'update-service' as const, cluster: 'shop-staging', service: 'shop-api', services: ['shop-api', 'shop-worker'] };
    const rollout = { type: 'continueRollout' as const, deploymentId: 'd', target, taskDefinitionArn: TD(43) };
    expect(describeAction({ ...rollout, image: 'registry/shop-api@sha256:1' })).toBe(
      'continueRollout shop-api, shop-worker → registry/shop-api@sha256:1',
    );
    expect(describeAction(rollout)).toBe(
      `continueRollout shop-api, shop-worker → ${TD(43)} (the others: the image its migration container runs)`,
    );
  });
});
