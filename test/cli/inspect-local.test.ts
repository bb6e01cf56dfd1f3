import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logsCommand, statusCommand } from '../../cli/inspect.js';
import { LocalStore } from '../../src/adapters/local/store.js';
import { EnvironmentLock } from '../../src/local/env-lock.js';
import { LocalLayout } from '../../src/local/layout.js';
import { endedDeployment, runningDeployment, SAMPLE_DEPLOYMENT, SAMPLE_TASK } from '../support/fixtures.js';

/** `logs` in local mode: the state `ecs-migrate local` keeps, written here as its controller writes it. */
let root: string;
let layout: LocalLayout;
let store: LocalStore;
let out: string[];
const ENVIRONMENT = 'local-app';
const running = runningDeployment({ environment: ENVIRONMENT });
const taskLog = () => layout.taskLogFile(SAMPLE_TASK.split('/').pop() ?? '');
const printed = () => out.join('');
/** The environment held as the `ecs-migrate local` run of `running` holds it (this live process as its owner). */
const holdEnvironment = () => EnvironmentLock.acquire(layout.lockFile, { environment: ENVIRONMENT, what: 'test', wait: false });

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecs-migrate-logs-'));
  layout = new LocalLayout(root, ENVIRONMENT);
  store = new LocalStore(layout);
  await store.commit({
    env: {
      state: { environment: ENVIRONMENT, version: 1, active: { deploymentId: running.id, lockExpiresAt: '2026-11-25T10:30:00.000Z' } },
      expectedVersion: 0,
    },
    deployments: [{ deployment: running, expectedRevision: 0 }],
  });
  await mkdir(dirname(taskLog()), { recursive: true });
  await writeFile(taskLog(), 'applying 0001_init.sql\napplying 0002_ord');
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(root, { recursive: true, force: true });
});

/** `logs ID --follow` while a run holds the environment, once it printed the first line and is still following. */
async function followWhileHeld() {
  const lock = await holdEnvironment();
  let done = false;
  const follow = logsCommand([SAMPLE_DEPLOYMENT, '--state-dir', root, '--follow'], { pollMs: 5 }).finally(() => {
    done = true;
  });
  await vi.waitFor(() => expect(printed()).toContain('    │ applying 0001_init.sql\n'));
  await new Promise((r) => setTimeout(r, 30));
  expect(done).toBe(false);
  return { lock, follow, returned: () => done };
}

describe('ecs-migrate logs ID in local mode', () => {
  it('--follow prints the task output as it is written, each line once and whole, until the deployment ends', async () => {
    const { lock, follow, returned } = await followWhileHeld();
    // A line being written is not printed in pieces.
    expect(printed()).not.toContain('0002_ord\n');

    await appendFile(taskLog(), 'ers.sql\ndone: 2 applied\n');
    await vi.waitFor(() => expect(printed()).toContain('    │ done: 2 applied\n'));
    expect(returned()).toBe(false);
    await appendFile(taskLog(), 'bye');
    const ended = endedDeployment('succeeded', { environment: ENVIRONMENT, revision: 3, reason: 'migrated' });
    await store.commit({ deployments: [{ deployment: ended, expectedRevision: running.revision }] });

    expect(await follow).toBe(0);
    const lines = printed().split('\n');
    expect(lines.filter((l) => l.startsWith('    │ '))).toEqual([
      '    │ applying 0001_init.sql',
      '    │ applying 0002_orders.sql',
      '    │ done: 2 applied',
      '    │ bye',
    ]);
    expect(lines.at(-2)).toBe('succeeded — migrated');
    lock.release();
  });

  // Was: it polled forever: a local deployment ends only in the run that owns it (or in the next run's recovery), and
  // that run had died (SIGKILL, a crash), leaving the deployment running on disk and the environment's lock free.
  it('--follow ends (exit 1) once no live run holds the environment, saying the next run ends the deployment', async () => {
    const { lock, follow } = await followWhileHeld();
    // The run dies (SIGKILL): its lock stays, its owner gone.
    const owner = await readFile(layout.lockFile, 'utf8');
    lock.release();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(layout.lockFile, JSON.stringify({ ...JSON.parse(owner), pid: Number(dead.stdout) }));

    expect(await follow).toBe(1);
    // The line being written when the run died is printed too: nothing more will come.
    expect(printed()).toContain('    │ applying 0002_ord\n');
    expect(printed().split('\n').at(-2)).toBe(
      `running — the "ecs-migrate local" run of it is gone (killed or crashed), so it was interrupted: the next "ecs-migrate local" run for ${ENVIRONMENT} ends it`,
    );
  });

  it('--json prints { deployment, log, lines } as on a stack, not text', async () => {
    expect(await logsCommand([SAMPLE_DEPLOYMENT, '--state-dir', root, '--json'])).toBe(0);
    const printedJson = JSON.parse(printed());
    expect(printedJson).toEqual({
      deployment: expect.objectContaining({ id: SAMPLE_DEPLOYMENT, status: 'running', taskArn: SAMPLE_TASK, command: ['db-migrate'] }),
      log: { file: taskLog() },
      lines: [{ message: 'applying 0001_init.sql' }, { message: 'applying 0002_ord' }],
    });
    // Streamed line by line, yet printed exactly as JSON.stringify(…, null, 2) prints it.
    expect(printed()).toBe(`${JSON.stringify(printedJson, null, 2)}\n`);
  });

  // Was: the whole task log was read into one string (too big past ~512 MiB), and a file that could not be read
  // (any error) was passed over in silence for the stored tail. Now it is read a chunk at a time, and an unreadable
  // one is said on stderr, naming the file and the error, before the stored tail.
  it('prints a task log bigger than a read, lines and characters whole across reads', async () => {
    const lines = Array.from({ length: 60_000 }, (_, i) => `row ${i} €€€ ${'x'.repeat(i % 97)}`);
    await writeFile(taskLog(), `${lines.join('\n')}\n`);
    expect(await logsCommand([SAMPLE_DEPLOYMENT, '--state-dir', root])).toBe(0);
    const log = printed().split('  task log:\n')[1] ?? '';
    expect(log).toBe(lines.map((line) => `    │ ${line}\n`).join(''));
  });

  it('says when the task log cannot be read, on stderr, and prints the stored tail instead', async () => {
    const errors: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => errors.push(String(chunk)) > 0);
    await unlink(taskLog());
    await symlink(taskLog(), taskLog()); // ELOOP: there, but not readable
    expect(await logsCommand([SAMPLE_DEPLOYMENT, '--state-dir', root])).toBe(0);
    expect(errors.join('')).toBe(`ecs-migrate: cannot read the task log ${taskLog()} (ELOOP); printing the tail the deployment stored\n`);
    expect(printed()).not.toContain('task log:');
  });
});

describe('ecs-migrate status in local mode', () => {
  it('says of a running deployment whose run is gone that the next run ends it, and nothing of one whose run lives', async () => {
    expect(await statusCommand(['--state-dir', root])).toBe(0);
    expect(printed()).toMatch(
      /^running +\S+ running — the "ecs-migrate local" run of it is gone .*the next "ecs-migrate local" run for local-app ends it$/m,
    );

    const lock = await holdEnvironment();
    out = [];
    expect(await statusCommand(['--state-dir', root])).toBe(0);
    expect(printed()).toMatch(new RegExp(`^running +${SAMPLE_DEPLOYMENT} running$`, 'm'));
    lock.release();
  });
});
