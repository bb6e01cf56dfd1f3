import { assertNever, type Decision, reject } from './actions.js';
import type { DecideContext } from './context.js';
import type { CommonInput, Input, LaunchInput, WatchInput } from './inputs.js';
import type { ParseOptions } from './parse-event.js';
import { redact } from './redact.js';
import type { ControllerState } from './state.js';

/** The two functions: the launcher starts deployments, the watcher follows their tasks. */
export type Role = 'launch' | 'watch';

/** An input with the function that takes it; `undefined` for what either may see (`CommonInput`). */
export type Routed =
  | { role: 'launch'; input: LaunchInput }
  | { role: 'watch'; input: WatchInput }
  | { role: undefined; input: CommonInput };

/**
 * The one table of which function takes what. The full `decide` and each function's own decider dispatch on it, so
 * an input kind is routed here and decided in one place. The compiler checks it against `LaunchInput`, `WatchInput`
 * and `CommonInput`: a kind in the wrong group does not type.
 */
export function route(input: Input): Routed {
  switch (input.kind) {
    case 'ecr-image-action':
    case 'deploy-request':
    case 'run-command':
    case 'cancel-request':
    case 'unlock-request':
    case 'hook-state':
      return { role: 'launch', input };
    case 'task-state':
    case 'timeout-check':
    case 'deployment-state':
      return { role: 'watch', input };
    case 'launch-result':
    case 'rollout-result':
    case 'invalid':
    case 'misrouted':
      return { role: undefined, input };
    default:
      return assertNever(input);
  }
}

/**
 * Which function an input belongs to; undefined for what any function may see (invalid input, its own feedback).
 * A `misrouted` input belongs to the function of the event it stands for.
 */
export function roleOf(input: Input): Role | undefined {
  return input.kind === 'misrouted' ? input.owner : route(input).role;
}

/** An input routed to the wrong function is refused, naming the function that should get it. */
export function misrouted(input: Input, role: Role, environment: string): Decision | undefined {
  if (input.kind === 'misrouted') return refuseMisrouted(input.event, input.owner, input.receiver, environment);
  const owner = roleOf(input);
  if (owner === undefined || owner === role) return undefined;
  return refuseMisrouted(input.kind, owner, role, environment);
}

/** The refusal of a `kind` event that `receiver` got but `owner` takes: one text, whether the event was parsed or only recognised. */
export function refuseMisrouted(kind: Input['kind'], owner: Role, receiver: Role, environment: string): Decision {
  const reason = `a "${kind}" event belongs to the ${owner} function, not the ${receiver} function: check the EventBridge rules that target it`;
  // Nothing here echoes input: the built-in rules are enough.
  return reject(reason, { environment, reason, input: kind }, redact);
}

/** Raw event → input, never throwing (what does not validate is an `invalid` input). */
export type Parse = (untrusted: unknown, options: ParseOptions) => Input;
/** Input and state → decision: pure. */
export type Decide = (input: Input, state: ControllerState, ctx: DecideContext) => Decision;

/** A parser and a decider: every input's (`parseInput` and `decide`) or one function's (`RoleCore`). */
export interface Judgement {
  parse: Parse;
  decide: Decide;
}

/**
 * One function's parser and decider (`LAUNCHER` in launcher.ts, `WATCHER` in watcher.ts): its own inputs, its
 * feedback, and the other's events only recognised, to refuse them. A handler names one, so its bundle holds no
 * schema and no decider of the other function.
 */
export interface RoleCore extends Judgement {
  role: Role;
}
