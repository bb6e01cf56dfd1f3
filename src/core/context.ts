import type { Config } from './config.js';

/** What every decision is given besides the input and the state: no clock and no environment inside the core. */
export interface DecideContext {
  config: Config;
  /** ISO-8601 time of the decision. */
  now: string;
}

/** Minutes the environment lock outlives the migration timeout before another deployment may take it over. */
export const LOCK_GRACE_MINUTES = 15;

export function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

export function lockExpiresAt(ctx: DecideContext): string {
  return addMinutes(ctx.now, ctx.config.TIMEOUT_MINUTES + LOCK_GRACE_MINUTES);
}
