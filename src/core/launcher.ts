import { assertNever, type Decision } from './actions.js';
import type { DecideContext } from './context.js';
import { decideCommonInput } from './decide-common.js';
import { decideLaunchInput } from './decide-launcher.js';
import type { Input } from './inputs.js';
import { type ParseOptions, parseEvent } from './parse-event.js';
import { launchEventKind, parseLaunchEvent } from './parse-launch-event.js';
import { watchEventKind } from './parse-watch-event.js';
import { type RoleCore, refuseMisrouted, route } from './route.js';
import type { ControllerState } from './state.js';

/**
 * The launcher's parser: its own events are read in full; the watcher's are only recognised by source and
 * detail-type, so none of their schemas is in the launcher's bundle, and become a `misrouted` input to refuse.
 */
export function parseLauncherInput(untrusted: unknown, options: ParseOptions): Input {
  return parseEvent(untrusted, options, (e, ids) => {
    const own = launchEventKind(e, options);
    if (own !== undefined) return parseLaunchEvent(own, e, ids, options);
    const other = watchEventKind(e);
    return other !== undefined ? { kind: 'misrouted', eventId: e.id, event: other, owner: 'watch', receiver: 'launch' } : undefined;
  });
}

/** The launcher's decider: its own inputs and the common ones; a watcher input is refused (the controller does so before loading). */
export function decideLauncherInput(input: Input, state: ControllerState, ctx: DecideContext): Decision {
  const routed = route(input);
  switch (routed.role) {
    case 'launch':
      return decideLaunchInput(routed.input, state, ctx);
    case 'watch':
      return refuseMisrouted(routed.input.kind, 'watch', 'launch', ctx.config.ENVIRONMENT);
    case undefined:
      return decideCommonInput(routed.input, state, ctx);
    default:
      return assertNever(routed);
  }
}

/** What the launch function parses and decides (handlers/launch.ts). */
export const LAUNCHER: RoleCore = { role: 'launch', parse: parseLauncherInput, decide: decideLauncherInput };
