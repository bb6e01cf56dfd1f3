import { assertNever, type Decision, reject } from './actions.js';
import type { Input } from './inputs.js';

/** The two functions: the launcher starts deployments, the watcher follows their tasks. */
export type Role = 'launch' | 'watch';

/** Which function an input belongs to; undefined for what any function may see (invalid input, its own feedback). */
export function roleOf(input: Input): Role | undefined {
  switch (input.kind) {
    case 'ecr-image-action':
    case 'deploy-request':
    case 'run-command':
    case 'cancel-request':
    case 'unlock-request':
    case 'hook-state':
      return 'launch';
    case 'task-state':
    case 'timeout-check':
    case 'deployment-state':
      return 'watch';
    case 'launch-result':
    case 'rollout-result':
    case 'invalid':
      return undefined;
    default:
      return assertNever(input);
  }
}

/** An input routed to the wrong function is refused, naming the function that should get it. */
export function misrouted(input: Input, role: Role, environment: string): Decision | undefined {
  const owner = roleOf(input);
  if (owner === undefined || owner === role) return undefined;
  const reason = `a "${input.kind}" event belongs to the ${owner} function, not the ${role} function: check the EventBridge rules that target it`;
  return reject(reason, { environment, reason, input: input.kind });
}
