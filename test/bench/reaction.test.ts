/**
 * Reaction latency (issue 14: "measured with the example app the README ships (examples/app), reported with its
 * teardown"): "the migration's last output line → rollout decision recorded (its process's teardown included)".
 *
 * Was: bench/reaction.ts started the span at the migration's last output line *as the controller received it*
 * (`onOutput`). The controller also serves the app's database (PGlite, same event loop), and read the last line only
 * after the migration process had already fired its `exit` event: BENCHMARKS.md showed "last output line → the
 * migration process's `exit` event: -0.34 ms / -0.11 ms / 0.08 ms", and runs gave -0.6 to -5.5 ms (e.g.
 * [-5.11, -5.46, -1.16]). So the span started after the process exited, and the part of its teardown before the read
 * was not in it. The span now starts at the process's own last write (a preload records it).
 *
 * A measurement (like the bench itself): each sample's exit must come after the span's start.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReactionSample } from '../../bench/reaction.js';

const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'bench-reaction-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bench: the reaction span starts no later than the migration process exits', () => {
  it('every sample has its exit event at or after the span start (exitedMs ≥ 0)', () => {
    const child = spawnSync(process.execPath, ['--no-warnings', '--import', 'tsx', join(root, 'bench', 'reaction.ts'), work, '3'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 170_000,
    });
    const line = child.stdout
      .trim()
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{'));
    if (child.status !== 0 || line === undefined) throw new Error(`bench/reaction.ts failed: ${child.stderr}`);
    const { app, spanStart, samples } = JSON.parse(line) as { app: string; spanStart?: string; samples: ReactionSample[] };
    expect(app).toBe('examples/app');
    const exited = samples.map((s) => Number(s.exitedMs.toFixed(2)));
    // Was e.g. [-5.11, -5.46, -1.16]: the controller saw the last line after the process had exited.
    expect(exited.filter((ms) => ms < 0)).toEqual([]);
    // The results say where the span starts, so the report can label results taken the old way.
    expect(spanStart).toBe('last-write');
  }, 180_000);
});
