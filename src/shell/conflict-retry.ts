import { CommitConflictError, deploymentOf, TooManyConflictsError } from '../errors.js';
import type { Log } from './logger.js';

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

/**
 * Runs `attempt` (load → decide → execute) again, from a fresh read, each time its commit lost a race; gives up
 * with `TooManyConflictsError` (so the event is retried later) after a few tries.
 */
export async function retryOnConflict<T>(
  what: string,
  attempt: (n: number) => Promise<T>,
  log: Log,
  sleep: (ms: number) => Promise<void> = wait,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof CommitConflictError)) throw error;
      if (n >= MAX_ATTEMPTS) {
        throw new TooManyConflictsError(`gave up after ${n} conflicting writes for ${what}; the event will be retried`, { cause: error });
      }
      const delayMs = conflictBackoffMs(n);
      const deploymentId = deploymentOf(error);
      log.warn('conflicting write: reloading and deciding again', {
        ...(deploymentId !== undefined ? { deploymentId } : {}),
        input: what,
        attempt: n,
        delayMs,
        error: error.message,
      });
      await sleep(delayMs);
    }
  }
}
