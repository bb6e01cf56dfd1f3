import type { Decision } from '../core/actions.js';
import type { Config } from '../core/config.js';
import { decide } from '../core/decide.js';
import type { Input } from '../core/inputs.js';
import { parseInput } from '../core/parse.js';
import type { ControllerState } from '../core/state.js';
import { CommitConflictError, TooManyConflictsError } from '../errors.js';
import type { Ports } from '../ports.js';
import { applyCommit } from './apply-commit.js';
import { execute } from './execute.js';
import { enrich, loadState } from './load-state.js';
import type { Log } from './logger.js';

export interface RunDeps {
  config: Config;
  ports: Ports;
  log: Log;
  /** The clock, as an argument so tests and local mode control time. */
  now: () => Date;
  /** Called with each decision before its actions run (the CLI's live display). */
  onDecision?: (input: Input, decision: Decision) => void;
  /** Waits between conflicting attempts; tests pass one that records instead of waiting. */
  sleep?: (ms: number) => Promise<void>;
}

export interface StepRecord {
  input: Input['kind'];
  decision: Decision;
}

/** Attempts per input when conditional writes keep losing races (each attempt reloads the state). */
const MAX_ATTEMPTS = 5;
const BACKOFF = { baseMs: 40, capMs: 1000 };

/**
 * "Full jitter" backoff after the `attempt`-th conflicting write: a random wait up to 40, 80, 160… ms (at most 1 s).
 * Without it, invocations racing for one environment (a burst of pushes) reload and collide again in lockstep.
 */
export function conflictBackoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(BACKOFF.capMs, BACKOFF.baseMs * 2 ** attempt));
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Handles one raw event end to end: parse, load, decide, execute, and follow the results it asked for. */
export async function handleEvent(raw: unknown, deps: RunDeps): Promise<StepRecord[]> {
  return run(parseInput(raw, { requestSource: deps.config.EVENT_SOURCE, registry: deps.config.REGISTRY }), deps);
}

export async function run(first: Input, deps: RunDeps): Promise<StepRecord[]> {
  const { config, ports, log } = deps;
  const steps: StepRecord[] = [];
  const pending: Input[] = [first];
  let state: ControllerState | undefined;

  while (pending.length > 0) {
    const input = pending.shift() as Input;
    for (let attempt = 1; ; attempt++) {
      // Feedback continues from the state as this invocation left it; a conflict forces a fresh read.
      const current = state ?? (await loadState(input, ports, config));
      const enriched = await enrich(input, current, ports, config, log);
      const decision = decide(enriched, current, { config, now: deps.now().toISOString() });
      log.info(`decision: ${decision.decision}`, {
        deploymentId: decision.deploymentId,
        input: input.kind,
        decision: decision.decision,
        reason: decision.reason,
        actions: decision.actions.map((a) => a.type),
        ...(attempt > 1 ? { attempt } : {}),
      });
      deps.onDecision?.(enriched, decision);
      let next = current;
      try {
        const feedback = await execute(decision.actions, ports, log, { onCommit: (c) => (next = applyCommit(next, c)) });
        steps.push({ input: input.kind, decision });
        state = next;
        pending.push(...feedback);
        break;
      } catch (error) {
        if (!(error instanceof CommitConflictError)) throw error;
        if (attempt >= MAX_ATTEMPTS) {
          throw new TooManyConflictsError(`gave up after ${attempt} conflicting writes for ${input.kind}; the event will be retried`, {
            cause: error,
          });
        }
        const delayMs = conflictBackoffMs(attempt);
        log.warn('conflicting write: reloading and deciding again', {
          deploymentId: decision.deploymentId,
          attempt,
          delayMs,
          error: error.message,
        });
        await (deps.sleep ?? wait)(delayMs);
        state = undefined;
      }
    }
  }
  return steps;
}
