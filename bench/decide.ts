/**
 * Decision cost: the pure core's `decide` (and `parseInput` before it) on a mix of real-shaped events from
 * events/, each paired with the state it would meet (an idle environment for triggers, a running migration
 * for task and timeout events, a running migration for a push that gets queued).
 *
 * Run: npx tsx bench/decide.ts [total] [batches]. Prints one JSON line: µs per event for each batch,
 * with parse included and excluded, and how often each decision came out.
 */
import type { Config } from '../src/core/config.js';
import { type DecideContext, decideContext } from '../src/core/context.js';
import { decide } from '../src/core/decide.js';
import type { Input } from '../src/core/inputs.js';
import { parseInput } from '../src/core/parse.js';
import type { ControllerState } from '../src/core/state.js';
import { busyState, idleState, NOW, sample, sampleConfig } from './fixtures/states.js';

/** A push of another image while a migration runs: it waits in the queue. */
function newerPush(): Record<string, unknown> {
  const raw = sample('ecr-push');
  const detail = { ...(raw.detail as Record<string, unknown>), 'image-digest': `sha256:${'7'.repeat(64)}`, 'image-tag': 'v1.4.1' };
  return { ...raw, id: '5e1d9a4c-0b7f-4a3e-9c2d-8f6b1e0a7c35', detail };
}

const config: Config = sampleConfig();
const ctx: DecideContext = decideContext(config, NOW);
const idle: ControllerState = idleState();
/** The task-* and timeout-check samples belong to this running migration (their startedBy / deploymentId). */
const busy: ControllerState = busyState();

/** Weighted like a real week: mostly pushes and the task events of their migrations, some requests and noise. */
const mix: [event: string, state: ControllerState, weight: number][] = [
  ['ecr-push', idle, 4],
  ['ecr-push', busy, 1],
  ['ecr-push (newer image)', busy, 1],
  ['ecr-push-by-digest', idle, 1],
  ['ecr-push-replay', idle, 1],
  ['ecr-push-failure', idle, 1],
  ['ecr-push-other-repository', idle, 1],
  ['ecr-push-untagged-pattern-miss', idle, 1],
  ['ecr-delete', idle, 1],
  ['deploy-request', idle, 2],
  ['deploy-request-rerun', idle, 1],
  ['deploy-request-task-definition', idle, 1],
  ['deploy-request-other-environment', idle, 1],
  ['deploy-request-invalid', idle, 1],
  ['run-command', idle, 1],
  ['run-command-not-allowed', idle, 1],
  ['task-running', busy, 4],
  ['task-stopped-success', busy, 4],
  ['task-stopped-exit-1', busy, 1],
  ['task-stopped-oom', busy, 1],
  ['task-stopped-by-user', busy, 1],
  ['task-stopped-failed-to-start', busy, 1],
  ['task-stopped-no-exit-code', busy, 1],
  ['task-stopped-sidecar-first', busy, 1],
  ['task-stopped-not-ours', busy, 1],
  ['timeout-check', busy, 1],
];

interface Case {
  event: string;
  raw: unknown;
  input: Input;
  state: ControllerState;
}
const cases: Case[] = mix.flatMap(([event, state, weight]) => {
  const raw = event === 'ecr-push (newer image)' ? newerPush() : sample(event);
  const input = parseInput(raw, { requestSource: config.EVENT_SOURCE, registry: config.REGISTRY });
  return Array.from({ length: weight }, () => ({ event, raw, input, state }));
});

const total = Number(process.argv[2] ?? 100_000);
const batches = Number(process.argv[3] ?? 20);
const perBatch = Math.floor(total / batches);

/** Keeps results alive so the JIT cannot drop the work. */
let sink = 0;

function withParse(i: number): void {
  const c = cases[i % cases.length] as Case;
  const input = parseInput(c.raw, { requestSource: config.EVENT_SOURCE, registry: config.REGISTRY });
  sink += decide(input, c.state, ctx).actions.length;
}
function decideOnly(i: number): void {
  const c = cases[i % cases.length] as Case;
  sink += decide(c.input, c.state, ctx).actions.length;
}

function measure(fn: (i: number) => void): number[] {
  for (let i = 0; i < 5_000; i++) fn(i); // warm-up, not counted
  const usPerEvent: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < perBatch; i++) fn(b * perBatch + i);
    usPerEvent.push(((performance.now() - start) * 1000) / perBatch);
  }
  return usPerEvent;
}

const decisions: Record<string, number> = {};
for (const c of cases) {
  const d = decide(c.input, c.state, ctx).decision;
  decisions[d] = (decisions[d] ?? 0) + 1;
}

const parseAndDecide = measure(withParse);
const decideAlone = measure(decideOnly);
process.stdout.write(
  `${JSON.stringify({ total: perBatch * batches, batches, perBatch, kinds: mix.length, cases: cases.length, decisions, parseAndDecide, decideAlone, sink })}\n`,
);
