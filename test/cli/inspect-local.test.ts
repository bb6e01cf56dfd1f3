import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logsCommand } from '../../cli/inspect.js';
import { LocalStore } from '../../src/adapters/local/store.js';
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

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecs-migrate-logs-'));
  layout = new LocalLayout(root, ENVIRONMENT);
  store = new LocalStore(layout);
  await store.commit({ deployments: [{ deployment: running, expectedRevision: 0 }] });
  await mkdir(dirname(taskLog()), { recursive: true });
  await writeFile(taskLog(), 'applying 0001_init.sql\napplying 0002_ord');
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(root, { recursive: true, force: true });
});

describe('ecs-migrate logs ID in local mode', () => {
  it('--follow prints the task output as it is written, each line once and whole, until the deployment ends', async () => {
    let returned = false;
    const follow = logsCommand([SAMPLE_DEPLOYMENT, '--state-dir', root, '--follow'], { pollMs: 5 }).finally(() => {
      returned = true;
    });
    await vi.waitFor(() => expect(printed()).toContain('    │ applying 0001_init.sql\n'));
    await new Promise((r) => setTimeout(r, 30));
    expect(returned).toBe(false);
    // A line being written is not printed in pieces.
    expect(printed()).not.toContain('0002_ord\n');

    await appendFile(taskLog(), 'ers.sql\ndone: 2 applied\n');
    await vi.waitFor(() => expect(printed()).toContain('    │ done: 2 applied\n'));
    expect(returned).toBe(false);
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
  });

  it('--json prints { deployment, log, lines } as on a stack, not text', async () => {
    expect(await logsCommand([SAMPLE_DEPLOYMENT, '--state-dir', root, '--json'])).toBe(0);
    const printedJson = JSON.parse(printed());
    expect(printedJson).toEqual({
      deployment: expect.objectContaining({ id: SAMPLE_DEPLOYMENT, status: 'running', taskArn: SAMPLE_TASK, command: ['db-migrate'] }),
      log: { file: taskLog() },
      lines: [{ message: 'applying 0001_init.sql' }, { message: 'applying 0002_ord' }],
    });
  });
});
