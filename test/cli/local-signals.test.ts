import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { interruptCounter } from '../../cli/local.js';
import { ensureTemplate } from '../../src/local/db-template.js';
import { isAlive, scriptApp, startCli, TEMPLATE_CACHE } from '../local/helpers.js';

/** `ecs-migrate local` as a process, interrupted: how many interrupts it counts. */
let work: string;
beforeAll(async () => {
  await ensureTemplate(TEMPLATE_CACHE);
}, 120_000);
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'ecs-migrate-signals-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A migration that ignores SIGTERM (so only SIGKILL stops it): it prints its pid, then runs forever. */
const STUBBORN = `trap '' TERM
echo "pid $$"
while :; do sleep 0.2; done`;

/** `local` on a migration that ignores SIGTERM, sent SIGINT twice `gapMs` apart. */
async function interrupted(gapMs: number, stopTimeout: string) {
  const app = await scriptApp(join(work, 'stubborn'), STUBBORN);
  const run = startCli(['local', '--app', app, '--state-dir', join(work, 'state'), '--stop-timeout', stopTimeout], work);
  const pid = Number((await run.waitFor(/pid (\d+)/))[1]);
  run.child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, gapMs));
  run.child.kill('SIGINT');
  const exit = await run.exited;
  return { exit, stdout: run.stdout(), pid };
}

describe('interrupts counted', () => {
  it('counts a signal repeated within 250 ms once (GNU timeout sends it to the process and its group)', () => {
    const count = interruptCounter();
    expect(count('SIGINT', 1000)).toBe(1);
    expect(count('SIGINT', 1030)).toBeUndefined();
    expect(count('SIGINT', 1249)).toBeUndefined();
    // A human's second Ctrl-C, and another signal at once, count.
    expect(count('SIGINT', 1400)).toBe(2);
    expect(count('SIGTERM', 1401)).toBe(3);
  });
});

describe('ecs-migrate local, interrupted twice', () => {
  it("honours a human's second Ctrl-C: the task is killed now", async () => {
    const started = Date.now();
    const { exit, stdout, pid } = await interrupted(400, '60');
    expect(exit.code).toBe(130);
    expect(stdout).toContain('SIGINT again: killing the task now');
    expect(Date.now() - started).toBeLessThan(50_000);
    expect(isAlive(pid)).toBe(false);
  });
});

describe('ecs-migrate local, interrupted before it has a task', () => {
  it('says that no task was started (not that it stops one) when interrupted waiting for the environment, and exits 130', async () => {
    const gate = join(work, 'gate');
    const app = await scriptApp(join(work, 'busy'), `echo migrating; while [ ! -e ${gate} ]; do sleep 0.1; done`);
    const state = join(work, 'state');
    const first = startCli(['local', '--app', app, '--state-dir', state], work);
    try {
      await first.waitFor(/migrating/);
      const second = startCli(['local', '--app', app, '--state-dir', state], work);
      await second.waitFor(/waiting for environment local-busy/);
      second.child.kill('SIGINT');
      expect((await second.exited).code).toBe(130);
      expect(second.stdout()).toContain('SIGINT: no task started; stopping');
      expect(second.stdout()).not.toContain('stopping the task');
    } finally {
      await writeFile(gate, '');
      await first.exited;
    }
  });
});
