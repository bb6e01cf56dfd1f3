import { CliUsageError } from './local-config.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `45m`, `2h`, `90s` (or `1h30m`) in milliseconds; anything else is a usage error naming the flag. */
export function parseDuration(text: string, flag: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)([smh])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new CliUsageError(`${flag} ${text}: expected a duration such as 45m, 2h or 90s`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2] as keyof typeof UNIT_MS], 0);
}

/**
 * An ISO-8601 date or time with its zone (`2026-11-25`, `2026-11-25T09:15:00Z`, `…+01:00`) as `toISOString()` gives it;
 * anything else (`0`, `Nov 25 2026`, a time without a zone, read in this machine's zone) is a usage error naming the flag.
 */
export function isoTime(text: string, flag: string): string {
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
  const ms = iso.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new CliUsageError(`${flag} ${text.slice(0, 80)}: expected an ISO-8601 time such as 2026-11-25T09:15:00Z`);
  return new Date(ms).toISOString();
}

/** `1h 2m 3s`, `4m 5s`, `6s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return [h > 0 ? `${h}h` : '', h > 0 || m > 0 ? `${m}m` : '', `${rest}s`].filter(Boolean).join(' ');
}
