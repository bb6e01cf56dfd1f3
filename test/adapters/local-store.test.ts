import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readJson, writeJson } from '../../src/adapters/local/json-file.js';
import { LocalStore } from '../../src/adapters/local/store.js';
import type { Deployment } from '../../src/core/deployment.js';
import { encodeDeployment, encodeEnvironment } from '../../src/core/records.js';
import type { EnvironmentState } from '../../src/core/state.js';
import { CommitConflictError, InvalidRecordError } from '../../src/errors.js';
import { processStartTime } from '../../src/local/env-lock.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { CommitRequest } from '../../src/ports.js';
import {
  ACCOUNT,
  endedDeployment,
  launchingDeployment,
  queuedDeployment,
  REGION,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
} from '../support/fixtures.js';

/** A rename onto `target` never finishes: the process stopped there (killed, power lost) as far as the disk can tell. */
const stop = vi.hoisted(() => ({ target: undefined as string | undefined, reached: false, calls: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    open: async (...args: Parameters<typeof actual.open>) => {
      const handle = await actual.open(...args);
      const sync = handle.sync.bind(handle);
      handle.sync = () => {
        stop.calls.push(`sync ${String(args[0])}`);
        return sync();
      };
      return handle;
    },
    rename: (from: string, to: string) => {
      stop.calls.push(`rename ${from} ${to}`);
      if (to !== stop.target) return actual.rename(from, to);
      stop.reached = true;
      return new Promise<void>(() => {});
    },
  };
});

let dir: string;
let layout: LocalLayout;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-local-store-'));
  layout = new LocalLayout(dir, 'staging');
  stop.target = undefined;
  stop.reached = false;
  stop.calls = [];
});
afterEach(async () => {
  stop.target = undefined;
  await rm(dir, { recursive: true, force: true });
});

const QUEUED = '20261125-091600-cccccccc';
const QUEUED_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api@sha256:${'c'.repeat(64)}`;
const journal = () => join(layout.envDir, 'commit-journal.json');
const LOCK = { deploymentId: SAMPLE_DEPLOYMENT, lockExpiresAt: '2026-11-25T10:30:00.000Z' };

/** D runs and holds the environment (version 1), Q waits behind it. */
async function prepare(store: LocalStore): Promise<void> {
  await store.commit({
    env: { state: { environment: 'staging', version: 1, active: LOCK, queued: QUEUED }, expectedVersion: 0 },
    deployments: [
      { deployment: runningDeployment({ revision: 1 }), expectedRevision: 0 },
      { deployment: { ...queuedDeployment(QUEUED, QUEUED_IMAGE), revision: 1 }, expectedRevision: 0 },
    ],
  });
}

/** D's task exited 1: D ends and hands the environment to Q, which is launching, in one commit (version 2). */
const handover: CommitRequest = {
  env: {
    state: { environment: 'staging', version: 2, active: { deploymentId: QUEUED, lockExpiresAt: '2026-11-25T10:45:00.000Z' } },
    expectedVersion: 1,
  },
  deployments: [
    { deployment: endedDeployment('failed', { revision: 2 }), expectedRevision: 1 },
    {
      deployment: launchingDeployment({
        id: QUEUED,
        revision: 2,
        work: { type: 'image', image: QUEUED_IMAGE },
        handedOverBy: SAMPLE_DEPLOYMENT,
      }),
      expectedRevision: 1,
    },
  ],
};

/** What a load shows: the environment's version and holder, and each deployment's status. */
async function seen(store: LocalStore) {
  const { env, deployments } = await store.loadEnvironmentWith('staging', [SAMPLE_DEPLOYMENT, QUEUED]);
  return {
    version: env.version,
    active: env.active?.deploymentId,
    queued: env.queued,
    d: (deployments[SAMPLE_DEPLOYMENT] as Deployment | undefined)?.status,
    q: (deployments[QUEUED] as Deployment | undefined)?.status,
  };
}
const BEFORE = { version: 1, active: SAMPLE_DEPLOYMENT, queued: QUEUED, d: 'running', q: 'queued' };
const AFTER = { version: 2, active: QUEUED, queued: undefined, d: 'ended', q: 'launching' };

/** The record files as they are on disk, read without a store (which would apply a journal first). */
async function onDisk() {
  const status = async (id: string) => (await readJson<{ status?: string }>(layout.deploymentFile(id)))?.status;
  return {
    version: (await readJson<{ version?: number }>(layout.stateFile))?.version,
    d: await status(SAMPLE_DEPLOYMENT),
    q: await status(QUEUED),
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
}

describe('LocalStore: a commit is all or nothing', () => {
  it.each([
    ['the environment file', () => layout.stateFile],
    ['the second deployment file', () => layout.deploymentFile(QUEUED)],
  ])('a commit that cannot write %s leaves nothing of it visible (no stranded queued deployment)', async (_name, file) => {
    // Prepare: the file's temporary file is a directory, so writing it fails after the files before it were written.
    const store = new LocalStore(layout);
    await prepare(store);
    const blocker = `${file()}.${process.pid}.tmp`;
    await mkdir(blocker);

    // Act
    await expect(store.commit(handover)).rejects.toThrow();
    const undone = await onDisk();
    await rm(blocker, { recursive: true });

    // Assess: the files it had written are put back at once; the next load shows the commit not made at all, by this
    // store or by another process's (the CLI's, which reads a rollback journal left behind and writes nothing).
    expect(undone).toEqual({ version: 1, d: 'running', q: 'queued' });
    expect(await seen(new LocalStore(layout))).toEqual(BEFORE);
    expect(await seen(store)).toEqual(BEFORE);
    // ... and the same commit, retried, is made whole (applying any journal left first), leaving no journal.
    await store.commit(handover);
    expect(await seen(store)).toEqual(AFTER);
    expect(await readJson(journal())).toBeUndefined();
  });

  it('a commit interrupted between its files (deployments written, environment file not) is completed whole by the next load', async () => {
    // Prepare
    await prepare(new LocalStore(layout));
    stop.target = layout.stateFile;

    // Act: the process stops while renaming the environment file into place; a new process opens the state.
    void new LocalStore(layout).commit(handover);
    await until(() => stop.reached);
    const interrupted = await onDisk();
    stop.target = undefined;
    const history = await new LocalStore(layout).listDeployments('staging', 10);

    // Assess: half of the commit was on disk; a read (here `history`'s) sees it whole from its journal, writing nothing;
    // the next write completes it on disk: Q launching and holding the environment, D ended.
    expect(interrupted).toEqual({ version: 1, d: 'ended', q: 'launching' });
    expect(Object.fromEntries(history.map((d) => [d.id, d.status]))).toEqual({ [SAMPLE_DEPLOYMENT]: 'ended', [QUEUED]: 'launching' });
    expect(await seen(new LocalStore(layout))).toEqual(AFTER);
    expect(await onDisk()).toEqual({ version: 1, d: 'ended', q: 'launching' });
    await new LocalStore(layout).commit({ deployments: [] });
    expect(await onDisk()).toEqual({ version: 2, d: 'ended', q: 'launching' });
    expect(await readJson(journal())).toBeUndefined();
  });

  /** The handover's journal as a process writes it, and its first file written (the process stopped there). */
  async function halfApplied(writer: { pid: number; host: string; startTime?: string }): Promise<void> {
    const records = handover.deployments.map(({ deployment }) => ({
      file: `deployments/${deployment.id}.json`,
      item: encodeDeployment(deployment),
    }));
    records.push({ file: 'environment.json', item: encodeEnvironment(handover.env?.state as EnvironmentState) });
    await writeFile(journal(), JSON.stringify({ kind: 'commit', writer, records }));
    await writeJson(layout.deploymentFile(SAMPLE_DEPLOYMENT), records[0]?.item);
  }

  it('a journal left by a process that has died is seen whole by a read (`status`), which writes nothing', async () => {
    // Prepare
    await prepare(new LocalStore(layout));
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    await halfApplied({ pid: gone, host: hostname(), startTime: '1' });
    const interrupted = await onDisk();

    // Act
    const env = await new LocalStore(layout).loadEnvironment('staging');

    // Assess
    expect(interrupted).toEqual({ version: 1, d: 'ended', q: 'queued' });
    expect(env.active?.deploymentId).toBe(QUEUED);
    // A reader never writes: it cannot race the controller completing that commit, then making a newer one.
    expect(await onDisk()).toEqual(interrupted);
    expect(await readJson(journal())).toBeDefined();
  });

  it('a read sees a commit another live process is making whole, and leaves it alone; the next commit applies it first', async () => {
    // Prepare: the journal of a process that runs (this one's parent), half applied.
    const store = new LocalStore(layout);
    await prepare(store);
    const startTime = processStartTime(process.ppid);
    await halfApplied({ pid: process.ppid, host: hostname(), ...(startTime !== undefined ? { startTime } : {}) });

    // Act
    const read = await seen(store);
    const untouched = await onDisk();
    await store.commit({ deployments: [] });

    // Assess: the read saw the commit whole and wrote nothing (it is that process's to finish); a commit completes it first.
    expect(read).toEqual(AFTER);
    expect(untouched).toEqual({ version: 1, d: 'ended', q: 'queued' });
    expect(await seen(store)).toEqual(AFTER);
    expect(await readJson(journal())).toBeUndefined();
  });

  it('a commit stopped before its journal is in place is not visible at all', async () => {
    // Prepare
    await prepare(new LocalStore(layout));
    stop.target = journal();

    // Act
    void new LocalStore(layout).commit(handover);
    await until(() => stop.reached);
    stop.target = undefined;

    // Assess: no record file was touched, and the journal's temporary file is not taken for a journal.
    expect(await onDisk()).toEqual({ version: 1, d: 'running', q: 'queued' });
    expect(await seen(new LocalStore(layout))).toEqual(BEFORE);
  });

  it('a conflicting commit writes nothing, not even its journal', async () => {
    // Prepare
    const store = new LocalStore(layout);
    await prepare(store);
    const files = async () => [...(await readdir(layout.envDir)), ...(await readdir(layout.deploymentsDir))].sort();
    const listed = await files();

    // Act
    const stale = store.commit({
      ...handover,
      deployments: [{ ...(handover.deployments[0] as CommitRequest['deployments'][0]), expectedRevision: 0 }],
    });

    // Assess
    await expect(stale).rejects.toBeInstanceOf(CommitConflictError);
    expect(await files()).toEqual(listed);
    expect(await seen(store)).toEqual(BEFORE);
  });

  it('refuses a journal that names a file other than the environment file or a deployment file, and writes nothing', async () => {
    // Prepare
    const store = new LocalStore(layout);
    await prepare(store);
    await writeFile(journal(), JSON.stringify({ kind: 'commit', records: [{ file: '../../outside.json', item: {} }] }));

    // Act
    const load = store.loadEnvironment('staging');

    // Assess
    await expect(load).rejects.toBeInstanceOf(InvalidRecordError);
    expect(await readJson(join(dir, '..', 'outside.json'))).toBeUndefined();
  });
});

describe('writeJson', () => {
  it('flushes the temporary file to disk before renaming it into place, then flushes the directory', async () => {
    // Act
    const file = join(dir, 'a', 'record.json');
    await writeJson(file, { revision: 1 });

    // Assess
    const tmp = `${file}.${process.pid}.tmp`;
    expect(stop.calls).toEqual([`sync ${tmp}`, `rename ${tmp} ${file}`, `sync ${join(dir, 'a')}`]);
    expect(await readJson(file)).toEqual({ revision: 1 });
  });
});
