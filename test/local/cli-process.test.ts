import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTemplate } from '../../src/local/db-template.js';
import { cli, cliInterleaved, cliWithFileLimit, isAlive, ROOT, scriptApp, startCli, TEMPLATE_CACHE } from './helpers.js';

/**
 * The CLI as a process: signals, the environment lock, concurrent runs. Each test starts real CLI processes
 * (tsx, the embedded Postgres), so they are few and share one app shape.
 */
let work: string;
beforeAll(async () => {
  await ensureTemplate(TEMPLATE_CACHE);
}, 120_000);
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'ecs-migrate-cli-process-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A migration whose process and its child both ignore SIGTERM; it prints both pids, then runs forever. */
const STUBBORN = `trap '' TERM
sh -c 'trap "" TERM; while :; do sleep 0.2; done' &
echo "pids $$ $!"
while :; do sleep 0.2; done`;

const lockFile = (state: string, env: string) => join(state, env, 'lock.json');
const absent = (path: string) =>
  stat(path).then(
    () => false,
    () => true,
  );

describe.each([
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const)('ecs-migrate local, on %s', (signal, code) => {
  it('stops the task group (SIGKILL after --stop-timeout), prints its verdict, releases the environment and exits', async () => {
    const app = await scriptApp(join(work, 'stubborn'), STUBBORN);
    const state = join(work, 'state');
    const run = startCli(['local', '--app', app, '--state-dir', state, '--stop-timeout', '1'], work);
    const [, leader, child] = (await run.waitFor(/pids (\d+) (\d+)/)).map(Number) as [number, number, number];
    expect(isAlive(leader) && isAlive(child)).toBe(true);
    run.child.kill(signal);
    const exit = await run.exited;

    expect(exit.code).toBe(code);
    expect(run.stdout()).toContain(`${signal}: stopping the task`);
    expect(run.stdout()).toMatch(/✘ rollout halted/);
    expect(run.stdout()).toContain(`interrupted (${signal})`);
    expect(isAlive(leader)).toBe(false);
    expect(isAlive(child)).toBe(false);
    expect(await absent(lockFile(state, 'local-stubborn'))).toBe(true);
    const history = await cli(['history', '--state-dir', state, '--json'], work);
    expect(JSON.parse(history.stdout)[0]).toMatchObject({ status: 'ended', outcome: 'failed' });
  });
});

describe('ecs-migrate local, on a timeout', () => {
  it('stops a task group that ignores SIGTERM and exits after its verdict', async () => {
    const app = await scriptApp(join(work, 'stubborn'), STUBBORN);
    const state = join(work, 'state');
    const run = startCli(['local', '--app', app, '--state-dir', state, '--timeout-minutes', '0.05', '--stop-timeout', '1'], work);
    const [, leader, child] = (await run.waitFor(/pids (\d+) (\d+)/)).map(Number) as [number, number, number];
    const exit = await run.exited;
    expect(exit.code).toBe(1);
    expect(run.stdout()).toMatch(/still running after 0.05 minutes \(TIMEOUT_MINUTES\)/);
    expect(run.stdout()).toMatch(/✘ rollout halted/);
    expect(isAlive(leader)).toBe(false);
    expect(isAlive(child)).toBe(false);
    expect(await absent(lockFile(state, 'local-stubborn'))).toBe(true);
  });

  // README, Stopping: "SIGTERM to its whole process group, SIGKILL after `--stop-timeout SECONDS` (default 30)". Was:
  // the deployment ends (timed_out) when StopTask goes out, so the run waited at most 15 s for the task before closing
  // the session, which SIGKILLs what still runs: a cleanup on SIGTERM longer than that was killed, even with the default.
  it('gives the task its whole --stop-timeout after SIGTERM (here 30 s, the default; its cleanup takes 16 s)', async () => {
    const marker = join(work, 'cleanup-done');
    const app = await scriptApp(
      join(work, 'graceful'),
      `trap 'echo "got TERM"; sleep 16; echo done > ${marker}; exit 1' TERM
echo "pid $$"
while :; do sleep 0.2; done`,
    );
    const run = startCli(['local', '--app', app, '--state-dir', join(work, 'state'), '--timeout-minutes', '0.05'], work);
    const [, leader] = (await run.waitFor(/pid (\d+)/)).map(Number) as [number, number];
    expect((await run.exited).code).toBe(1);
    expect(run.stdout()).toMatch(/still running after 0.05 minutes \(TIMEOUT_MINUTES\)/);
    expect((await readFile(marker, 'utf8').catch(() => 'killed before its cleanup ended')).trim()).toBe('done');
    expect(isAlive(leader)).toBe(false);
  }, 60_000);
});

describe('ecs-migrate local, an app directory holding a FIFO and a socket', () => {
  it('runs to its verdict: neither is part of the image, so neither is opened', async () => {
    const app = await scriptApp(join(work, 'odd'), 'echo migrated');
    execFileSync('mkfifo', [join(app, 'app.fifo')]);
    const server = createServer();
    await new Promise<void>((listening) => server.listen(join(app, 'app.sock'), listening));
    const state = join(work, 'state');
    const run = startCli(['local', '--app', app, '--state-dir', state], work);
    try {
      const hung = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000).unref());
      expect(await Promise.race([run.exited, hung]), run.stderr()).toEqual({ code: 0, signal: null });
      expect(run.stdout()).toContain('│ migrated');
      expect(await absent(lockFile(state, 'local-odd'))).toBe(true);
    } finally {
      run.child.kill('SIGKILL');
      await new Promise((closed) => server.close(closed));
    }
  });
});

describe('ecs-migrate local, the task environment', () => {
  it('is --env-file then --env over the database variables and ids, with nothing else of the CLI environment', async () => {
    const app = await scriptApp(join(work, 'env-app'), 'env | sort | sed "s/^/ENV /"');
    await writeFile(join(work, 'task.env'), '# the app settings\nLOG_LEVEL=debug\nFEATURE="on"\n');
    const r = await cli(
      ['local', '--app', app, '--state-dir', join(work, 'state'), '--env-file', join(work, 'task.env'), '--env', 'LOG_LEVEL=info'],
      work,
      { AWS_SECRET_ACCESS_KEY: 'host-secret', SOME_HOST_SETTING: 'x' },
    );
    expect(r.code).toBe(0);
    const env = Object.fromEntries([...r.stdout.matchAll(/│ ENV ([A-Z_0-9]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(env).toMatchObject({ LOG_LEVEL: 'info', FEATURE: 'on', PGSSLMODE: 'disable', ECS_MIGRATE_ENVIRONMENT: 'local-env-app' });
    // Printed redacted, as every line of task output the CLI prints; the task log file has it as the task saw it.
    expect(env.DATABASE_URL).toMatch(/^postgresql:\/\/postgres:\[REDACTED\]@127\.0\.0\.1:\d+\/postgres\?sslmode=disable$/);
    const logs = join(work, 'state', 'local-env-app', 'logs');
    const written = await Promise.all((await readdir(logs)).map((f) => readFile(join(logs, f), 'utf8')));
    expect(written.join('')).toMatch(/^ENV DATABASE_URL=postgresql:\/\/postgres:postgres@127\.0\.0\.1:\d+\/postgres\?sslmode=disable$/m);
    expect(Object.keys(env)).not.toContain('AWS_SECRET_ACCESS_KEY');
    expect(Object.keys(env)).not.toContain('SOME_HOST_SETTING');
  });
});

describe('ecs-migrate local, one environment at a time', () => {
  it('runs a second run for the same app after the first, records both, and --no-wait fails at once', async () => {
    // The migration runs until the test opens the gate, so the second run surely finds the first one running.
    const gate = join(work, 'gate');
    const app = await scriptApp(
      join(work, 'steady'),
      `echo "migrating as $ECS_MIGRATE_DEPLOYMENT_ID"; while [ ! -e ${gate} ]; do sleep 0.1; done`,
    );
    const state = join(work, 'state');
    const first = startCli(['local', '--app', app, '--state-dir', state], work);
    await first.waitFor(/migrating as/);
    const second = startCli(['local', '--app', app, '--state-dir', state, '--rerun'], work);
    await second.waitFor(/waiting for environment local-steady: it is busy with pid \d+/);
    const busy = await cli(['local', '--app', app, '--state-dir', state, '--no-wait'], work);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/environment busy: local-steady is held by pid \d+/);
    expect(second.stdout()).not.toMatch(/migrating as/);
    await writeFile(gate, '');

    const [a, b] = await Promise.all([first.exited, second.exited]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const history = JSON.parse((await cli(['history', '--state-dir', state, '--json'], work)).stdout) as {
      status: string;
      outcome: string;
      createdAt: string;
      endedAt: string;
    }[];
    expect(history.map((d) => `${d.status}:${d.outcome}`)).toEqual(['ended:succeeded', 'ended:succeeded']);
    const [later, earlier] = history as [(typeof history)[0], (typeof history)[0]];
    expect(Date.parse(later.createdAt)).toBeGreaterThanOrEqual(Date.parse(earlier.endedAt));
    expect(await absent(lockFile(state, 'local-steady'))).toBe(true);
  });

  it('after a run was SIGKILLed, kills its orphaned task, takes the lock over and ends the deployment as interrupted', async () => {
    const app = await scriptApp(join(work, 'orphan'), STUBBORN);
    const state = join(work, 'state');
    const first = startCli(['local', '--app', app, '--state-dir', state], work);
    const [, leader] = (await first.waitFor(/pids (\d+) (\d+)/)).map(Number) as [number, number];
    first.child.kill('SIGKILL');
    await first.exited;
    expect(isAlive(leader)).toBe(true);

    await writeFile(join(app, 'bin', 'db-migrate'), '#!/bin/sh\necho fixed\n');
    const second = await cli(['local', '--app', app, '--state-dir', state], work);
    expect(second.stdout).toMatch(
      /taking over environment local-orphan from pid \d+ .*which is gone; its task was still running and is killed/,
    );
    expect(second.stdout).toMatch(/a previous run was interrupted: deployment \S+ ended as failed/);
    expect(second.code).toBe(0);
    await expect.poll(() => isAlive(leader)).toBe(false);
    expect(await readFile(join(state, 'local-orphan', 'events.jsonl'), 'utf8')).toContain('"detailType":"Rollout Halted"');
  });

  // Was: the recovery waited on a promise only the unlock's steps settled; its failed commit went to onError, which no
  // one heard, so with --database-url the CLI exited 0 with no verdict (the deployment left running), and with the
  // embedded Postgres it hung holding the environment. Now the failure ends the run: one error line, exit 1, lock freed.
  it('after a run was SIGKILLed, fails (exit 1, one error line) when ending its deployment cannot be written (a full disk)', async () => {
    const app = await scriptApp(join(work, 'recover'), 'echo started\nwhile :; do sleep 0.2; done');
    const state = join(work, 'state');
    const args = ['local', '--app', app, '--state-dir', state, '--database-url', 'postgres://u:p@127.0.0.1:1/db'];
    const first = startCli(args, work);
    await first.waitFor(/started/);
    first.child.kill('SIGKILL');
    await first.exited;

    // `ulimit -f` (EFBIG) stands in for a full disk: the unlock's commit cannot be written.
    const second = await cliWithFileLimit(args, work, 1);
    expect(second.stdout).toMatch(/taking over environment/);
    expect(second.stdout).not.toMatch(/ended as failed/);
    expect(second.stderr).toMatch(/^ecs-migrate: could not end deployment \S+, left active by an interrupted run: .*run again\n$/);
    expect(second.code).toBe(1);
    expect(await absent(lockFile(state, 'local-recover'))).toBe(true);

    // With space again, the next run ends it.
    await writeFile(join(app, 'bin', 'db-migrate'), '#!/bin/sh\necho fixed\n');
    const third = await cli(args, work);
    expect(third.stdout).toMatch(/a previous run was interrupted: deployment \S+ ended as failed/);
  }, 60_000);

  it("after a run was SIGKILLed, kills what is left of its task group even when the group's leader has exited since", async () => {
    const gate = join(work, 'gate');
    // The leader starts a helper in its process group, then exits once the test opens the gate; the helper stays.
    const app = await scriptApp(
      join(work, 'leftover'),
      `sh -c 'trap "" TERM; while :; do sleep 0.2; done' &\necho "pids $$ $!"\nwhile [ ! -e ${gate} ]; do sleep 0.1; done`,
    );
    const state = join(work, 'state');
    const first = startCli(['local', '--app', app, '--state-dir', state], work);
    const [, leader, helper] = (await first.waitFor(/pids (\d+) (\d+)/)).map(Number) as [number, number, number];
    try {
      first.child.kill('SIGKILL');
      await first.exited;
      await writeFile(gate, '');
      // Exited and reaped (by init, which adopted it): its pid is gone, its group lives on in the helper.
      await expect.poll(() => existsSync(`/proc/${leader}`), { timeout: 10_000 }).toBe(false);
      expect(isAlive(helper)).toBe(true);

      await writeFile(join(app, 'bin', 'db-migrate'), '#!/bin/sh\necho fixed\n');
      const second = await cli(['local', '--app', app, '--state-dir', state], work);
      expect(second.stdout).toMatch(
        /taking over environment local-leftover from pid \d+ .*which is gone; its task was still running and is killed/,
      );
      expect(second.code).toBe(0);
      // README: "if that run's task still runs, it is killed first"; the helper is that task.
      await expect.poll(() => isAlive(helper), { timeout: 3000 }).toBe(false);
    } finally {
      try {
        process.kill(helper, 'SIGKILL');
      } catch {}
    }
  });

  // README, Stopping and One run per environment: a task's processes include one that left its group and session but
  // holds its task id or its output, and "if that run's task still runs, it is killed first". Was: the successor killed
  // only the dead run's task group (then also the holders of ECS_MIGRATE_TASK_ID), so a helper in a session of its own,
  // or holding only the task's output with a clean environment (`env -i`, as sudo, `su -` or systemd-run leave it),
  // which the live run kills, survived the takeover and ran beside the new run's migration; now the lock records the
  // task's id and output, and the successor kills their holders too.
  it.each([
    // The helper keeps the task's stdout (no redirection): the live CLI would find and kill it by that.
    { left: "the group (setsid, still holding the task's output)", helper: 'setsid sh -c', takeover: /taking over environment/ },
    {
      left: 'all but its output (setsid env -i)',
      helper: 'setsid env -i /bin/sh -c',
      takeover: /taking over environment .*its task was still running and is killed/,
    },
  ])(
    "after a run was SIGKILLed, kills its task's processes that left $left",
    async ({ helper: spawn, takeover }) => {
      const pidFile = join(work, 'helper.pid');
      const app = await scriptApp(
        join(work, 'helper-app'),
        `${spawn} 'echo $$ > ${pidFile}; exec sleep 60' &\necho "leader $$"\nwhile :; do sleep 0.2; done`,
      );
      const state = join(work, 'state');
      const first = startCli(['local', '--app', app, '--state-dir', state], work);
      await first.waitFor(/leader (\d+)/);
      await new Promise((r) => setTimeout(r, 500));
      const helper = Number(await readFile(pidFile, 'utf8'));
      try {
        first.child.kill('SIGKILL');
        await first.exited;
        expect(isAlive(helper)).toBe(true);
        // A new run takes the environment over: every process of the dead run's task must be gone first.
        const second = await cli(['local', '--app', app, '--state-dir', state, '--timeout-minutes', '0.02', '--stop-timeout', '1'], work);
        expect(second.stdout).toMatch(takeover);
        expect(isAlive(helper)).toBe(false);
      } finally {
        try {
          process.kill(helper, 'SIGKILL');
        } catch {}
      }
    },
    60_000,
  );
});

describe('ecs-migrate local --database-url', () => {
  // README: "**2** bad usage or unreadable input … Errors are one line naming the cause and the fix". Was: a "%" that
  // is not a percent-escape (a generated password, "p%zz") passed the CLI's check, and the task's environment threw
  // decodeURIComponent's bare URIError once the environment was locked: "ecs-migrate: URI malformed", exit 1.
  it('with a "%" that is not a percent-escape is a usage error naming it and the fix (exit 2)', async () => {
    const app = await scriptApp(join(work, 'app'), 'echo migrated');
    const run = await cli(
      ['local', '--app', app, '--state-dir', join(work, 'state'), '--database-url', 'postgres://app:p%zz@127.0.0.1:1/shop'],
      work,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /--database-url postgres:\/\/app:\[REDACTED\]@127\.0\.0\.1:1\/shop: a "%" in it is not a percent-escape: write "%" as "%25"/,
    );
    expect(run.stderr).not.toContain('p%zz');
  });

  it("runs in that database's own environment: the embedded database's deployments say nothing of it", async () => {
    const app = await scriptApp(join(work, 'app'), 'echo "migrating in $ECS_MIGRATE_ENVIRONMENT"');
    const state = join(work, 'state');
    const embedded = await cli(['local', '--app', app, '--state-dir', state], work);
    expect(embedded.code).toBe(0);
    expect(embedded.stdout).toContain('migrating in local-app\n');

    // A database nothing listens on: the app's migration is what would connect to it (this one only prints).
    const url = 'postgres://u:p@127.0.0.1:1/db';
    const own = await cli(['local', '--app', app, '--state-dir', state, '--database-url', url], work);
    expect(own.stdout).not.toMatch(/nothing to do/);
    const env = /environment (local-app-[0-9a-f]{6}) · app/.exec(own.stdout)?.[1];
    expect(env).toBeDefined();
    expect(own.stdout).toContain(`migrating in ${env}\n`);
    expect(own.code).toBe(0);

    // The same database with another user and password: the same environment, migrated already.
    const again = await cli(['local', '--app', app, '--state-dir', state, '--database-url', 'postgres://v:q@127.0.0.1:1/db'], work);
    expect(again.stdout).toContain(`environment ${env} · app`);
    expect(again.stdout).toMatch(/nothing to do: .*already deployed/s);
    const history = await cli(['history', '--state-dir', state, '--environment', env as string, '--json'], work);
    expect(JSON.parse(history.stdout)).toHaveLength(1);
  });

  it('never prints any part of a password that holds an "@" (node-postgres reads the password up to the last "@")', async () => {
    // Was: the header line cut the password at its first "@" (`bob:***@ret1XYZ@127.0.0.1`); the controller's own
    // redaction (src/core/redact.ts) hides all of it, and now says the line too.
    const app = await scriptApp(join(work, 'app'), 'echo migrating');
    const url = 'postgres://bob:Sec@ret1XYZ@127.0.0.1:1/db';
    const run = await cli(['local', '--app', app, '--state-dir', join(work, 'state'), '--database-url', url], work);
    expect(run.stdout).toContain('· database postgres://bob:[REDACTED]@127.0.0.1:1/db');
    expect(`${run.stdout}${run.stderr}`).not.toContain('ret1XYZ');
  });
});

describe('ecs-migrate local, its last line', () => {
  it('is the verdict: the database says it is ready only before it, never with its password; "already deployed" names --rerun', async () => {
    // The migration connects, so the database is surely ready before the first run's verdict; the second run's
    // verdict ("already deployed") comes before the database has started, then it closes.
    const pg = join(ROOT, 'node_modules', 'pg');
    const app = await scriptApp(
      join(work, 'app'),
      `node -e "const c = new (require('${pg}').Client)(process.env.DATABASE_URL); c.connect().then(() => c.query('select 1')).then(() => c.end())"`,
    );
    const args = ['local', '--app', app, '--state-dir', join(work, 'state')];
    const first = await cliInterleaved(args, work, join(work, 'first.txt'));
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/Postgres ready at postgresql:\/\/postgres:\[REDACTED\]@127\.0\.0\.1:\d+\//);
    const second = await cliInterleaved(args, work, join(work, 'second.txt'));
    expect(second.code).toBe(0);
    // Local mode's way to run it again is --rerun (the decision line and the verdict both say so), not a request.
    expect(second.output.match(/already deployed: .*; run it again with --rerun$/gm)).toHaveLength(2);
    expect(second.output).not.toContain('rerun request');

    for (const [run, verdict] of [
      [first.output, /✔ rollout continued/],
      [second.output, /nothing to do: .*already deployed/],
    ] as const) {
      expect(run).not.toContain('postgres:postgres@');
      const lines = run.trimEnd().split('\n');
      expect(lines.at(-1), run).toMatch(verdict);
    }
  });
});

describe('ecs-migrate local, what it prints of the task output', () => {
  it('is redacted as the controller redacts the tail it stores, live and in logs; the task log file keeps the output as written', async () => {
    const script = `echo "connecting to postgres://app:Sup3rS3cretPw@localhost/app"\necho "token=abcdefghijklmnop1234"\nexit 1`;
    const app = await scriptApp(join(work, 'leaky'), script);
    const state = join(work, 'state');
    const run = await cli(['local', '--app', app, '--state-dir', state], work);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('│ connecting to postgres://app:[REDACTED]@localhost/app');
    const id = /deployment (\d{8}-\d{6}-[0-9a-f]{8})/.exec(run.stdout)?.[1] ?? '';
    for (const args of [[], ['--json']]) {
      const logs = await cli(['logs', id, '--state-dir', state, ...args], work);
      expect(logs.code).toBe(0);
      expect(logs.stdout).toContain('[REDACTED]');
      expect(`${run.stdout}${logs.stdout}`).not.toMatch(/Sup3rS3cretPw|abcdefghijklmnop1234/);
    }
  }, 60_000);

  // cli/format.ts taskLines: "none starts a line of the CLI's output bare, so a task cannot print what a CI runner
  // reads as its own command". Was: local mode's live output and `logs` printed a line holding "\r" as it is, so what
  // followed the \r started a line bare for a runner that reads \r as a line end (.NET's ReadLine does).
  it('never starts a line bare, a carriage return in it included (live and in logs)', async () => {
    const bareCommands = (output: string) => output.split(/\r\n|\n|\r/).filter((line) => line.startsWith('::'));
    const app = await scriptApp(join(work, 'cr-app'), `printf 'migrating 10%%\\r::stop-commands::token\\n'\necho done`);
    const state = join(work, 'state');
    const run = await cli(['local', '--app', app, '--state-dir', state, '--database-url', 'postgres://u:p@127.0.0.1:1/db'], work);
    expect(run.stdout).toContain('done');
    expect(bareCommands(run.stdout)).toEqual([]);
    const id = (await cli(['history', '--state-dir', state], work)).stdout.split(/\s+/)[0] as string;
    const logs = await cli(['logs', id, '--state-dir', state], work);
    expect(logs.stdout).toContain('stop-commands');
    expect(bareCommands(logs.stdout)).toEqual([]);
  }, 60_000);
});

describe('ecs-migrate local, when the task log file cannot be written (a full disk)', () => {
  // Was: the log's WriteStream had no 'error' listener, so a failed write (ENOSPC; EFBIG here, `ulimit -f` standing in
  // for a full disk) killed the CLI with Node's "Unhandled 'error' event" stack trace: no verdict, and the deployment
  // stayed "running" until a later run recovered it as interrupted.
  it('runs the task to its verdict, says once why the file stops short, and keeps the stored tail and logs', async () => {
    // About 1 MB of output, more than the 256 KiB the log file may hold. No database needed: --database-url, unused.
    const script = `yes 'applying batch: some log line of migration output' | head -n 20000\necho 'last line: boom'\nexit 1`;
    const app = await scriptApp(join(work, 'chatty'), script);
    const state = join(work, 'state');
    const run = await cliWithFileLimit(
      ['local', '--app', app, '--state-dir', state, '--database-url', 'postgres://u:p@127.0.0.1:1/db'],
      work,
      256,
    );
    expect(run.stderr).not.toContain("Unhandled 'error' event");
    expect(run.code).toBe(1);
    expect(run.stdout.match(/cannot write the task log .*\(EFBIG: file too large, write\).*raise the file size limit/g)).toHaveLength(1);
    // The output goes on past the failure, live and into the tail the deployment keeps (not the file's stale end).
    expect(run.stdout).toContain('│ last line: boom');
    expect(run.stdout).toMatch(/✘ rollout halted/);

    const history = await cli(['history', '--state-dir', state, '--json'], work);
    const [deployment] = JSON.parse(history.stdout);
    expect(deployment).toMatchObject({ status: 'ended', outcome: 'failed' });
    expect(deployment.logTail.at(-1)).toBe('last line: boom');
    // The file holds what was written before the failure; `logs` prints that.
    const logs = await cli(['logs', deployment.id, '--state-dir', state], work);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('│ applying batch: some log line of migration output');
  }, 60_000);
});

describe('ecs-migrate local, an app directory named with a leading or trailing "_"', () => {
  // Was: its REPOSITORY was the name as it is ("_app"), which the controller's own image grammar (PATH_COMPONENT in
  // src/core/image-ref.ts) refuses, so every run whose request names the app's image (--rerun, --command, a first
  // --run) exited 1, "rejected: … has a malformed repository "_app"; expected …/_app@sha256:<digest>".
  it('--rerun runs the app (exit 0), instead of "rejected: … has a malformed repository"', async () => {
    const app = await scriptApp(join(work, '_app'), 'echo migrated');
    const r = await cli(['local', '--app', app, '--rerun', '--state-dir', join(work, 'state')], work);
    expect(r.stdout).not.toContain('malformed repository');
    expect(r.code).toBe(0);
  }, 60_000);

  it('--run before any migration runs the command on the app as built (exit 0)', async () => {
    const app = await scriptApp(join(work, 'worker_'), 'echo migrated');
    const r = await cli(['local', '--app', app, '--run', 'db-migrate', '--state-dir', join(work, 'state')], work);
    expect(r.stdout).not.toContain('malformed repository');
    expect(r.code).toBe(0);
  }, 60_000);
});

describe('ecs-migrate local, an app directory whose path holds a ":"', () => {
  // Was: the app's bin/ went on the task's PATH split at its ":" (release-10 and 30/bin), so its own db-migrate was
  // never found: exit 1, "CannotStartContainerError: exec: "db-migrate": executable file not found in $PATH".
  it("runs the app's own bin/db-migrate", async () => {
    const app = await scriptApp(join(work, 'release-10:30'), 'echo "migrated by the app"');
    const r = await cli(['local', '--app', app, '--state-dir', join(work, 'state')], work);
    expect(r.stdout).not.toContain('executable file not found in $PATH');
    expect(r.stdout).toContain('│ migrated by the app');
    expect(r.code).toBe(0);
  }, 60_000);
});

describe('ecs-migrate local, an environment locked by a run on another host name (a dev container since recreated)', () => {
  // Was: exit 1, "environment busy: … held by pid 4000000 on f3a9c2d1e0b7 (…); try again when it has finished", which
  // never comes, naming neither lock.json nor how to free it.
  it('--no-wait names the host, the lock file and the way out, and leaves the lock', async () => {
    const app = await scriptApp(join(work, 'app'), 'echo migrated');
    const state = join(work, 'state');
    const lock = lockFile(state, 'local-app');
    await mkdir(join(state, 'local-app'), { recursive: true });
    const owner = JSON.stringify({
      pid: 4_000_000,
      host: 'f3a9c2d1e0b7',
      since: '2026-01-01T00:00:00.000Z',
      what: 'ecs-migrate local --app .',
    });
    await writeFile(lock, owner);
    const r = await cli(['local', '--app', app, '--state-dir', state, '--no-wait'], work);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`if no run is active on f3a9c2d1e0b7, delete ${lock}`);
    expect(r.stderr).not.toContain('try again when it has finished');
    expect(await readFile(lock, 'utf8')).toBe(owner);
  }, 60_000);
});
