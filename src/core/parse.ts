import type { Input } from './inputs.js';
import { type ParseOptions, parseEvent } from './parse-event.js';
import { launchEventKind, parseLaunchEvent } from './parse-launch-event.js';
import { parseWatchEvent, watchEventKind } from './parse-watch-event.js';

export type { ParseOptions } from './parse-event.js';

/**
 * Turns any value into a typed input, whichever function's event it is (local mode, `explain`, tests; each Lambda
 * function parses only its own: launcher.ts, watcher.ts). It never throws: what does not validate becomes an
 * `invalid` input whose reason names the field and what was expected, and deciding on it yields `reject`.
 */
export function parseInput(untrusted: unknown, options: ParseOptions): Input {
  return parseEvent(untrusted, options, (e, ids) => {
    const launch = launchEventKind(e, options);
    if (launch !== undefined) return parseLaunchEvent(launch, e, ids, options);
    const watch = watchEventKind(e);
    return watch !== undefined ? parseWatchEvent(watch, e, ids) : undefined;
  });
}
