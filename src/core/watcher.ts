import { assertNever, type Decision } from './actions.js';
import type { DecideContext } from './context.js';
import { decideCommonInput } from './decide-common.js';
import { decideWatchInput } from './decide-watcher.js';
import type { Input } from './inputs.js';
import { type ParseOptions, parseEvent } from './parse-event.js';
import { launchEventKind } from './parse-launch-event.js';
import { parseWatchEvent, watchEventKind } from './parse-watch-event.js';
import { type RoleCore, refuseMisrouted, route } from './route.js';
import type { ControllerState } from './state.js';

/**
 * The watcher's parser: its own events are read in full; the launcher's are only recognised by source and
 * detail-type, so none of their schemas (nor image references) is in the watcher's bundle, and become a
 * `misrouted` input to refuse.
 */
export function parseWatcherInput(untrusted: unknown, options: ParseOptions): Input {
  return parseEvent(untrusted, options, (e, ids) => {
    const own = watchEventKind(e);
    if (own !== undefined) return parseWatchEvent(own, e, ids);
    const other = launchEventKind(e, options);
    return other !== undefined ? { kind: 'misrouted', eventId: e.id, event: other, owner: 'launch', receiver: 'watch' } : undefined;
  });
}

/** The watcher's decider: its own inputs and the common ones; a launcher input is refused (the controller does so before loading). */
export function decideWatcherInput(input: Input, state: ControllerState, ctx: DecideContext): Decision {
  const routed = route(input);
  switch (routed.role) {
    case 'watch':
      return decideWatchInput(routed.input, state, ctx);
    case 'launch':
      return refuseMisrouted(routed.input.kind, 'launch', 'watch', ctx.config.ENVIRONMENT);
    case undefined:
      return decideCommonInput(routed.input, state, ctx);
    default:
      return assertNever(routed);
  }
}

/** What the watch function parses and decides (handlers/watch.ts). */
export const WATCHER: RoleCore = { role: 'watch', parse: parseWatcherInput, decide: decideWatcherInput };
