import type { Config } from './config.js';
import { type Redactor, redactor } from './redact.js';

/** What every decision is given besides the input and the state: no clock and no environment inside the core. */
export interface DecideContext {
  config: Config;
  /** ISO-8601 time of the decision. */
  now: string;
  /**
   * The configured redactor (built-in rules plus REDACT_PATTERNS), built once by whoever builds contexts, for what
   * a decision echoes (a rejection's detail).
   */
  redact: Redactor;
  /**
   * The decision is made with no check of the deployment still to come (a timeout check judging its task, RunTask's
   * answer judging a kept event with no timeout check scheduled): a deployment it ends with rollouts awaiting ECS's
   * verdict gets a rollout-watch check of its own (`watchWhenNoCheckLeft`).
   */
  lastCheck?: true;
}

/** A context for decisions at `now`; a controller passes the redactor it built once, others get one built here. */
export function decideContext(config: Config, now: string, redact: Redactor = redactor(config.REDACT_PATTERNS)): DecideContext {
  return { config, now, redact };
}

/** Minutes the environment lock outlives the migration timeout before another deployment may take it over. */
export const LOCK_GRACE_MINUTES = 15;

export function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

export function lockExpiresAt(ctx: DecideContext): string {
  return addMinutes(ctx.now, ctx.config.TIMEOUT_MINUTES + LOCK_GRACE_MINUTES);
}
