import type { Config } from './config.js';
import type { EcrImageActionInput } from './inputs.js';
import { matchesTagPattern } from './tag-pattern.js';

/** Why a push is ignored in pause-hook mode. */
export const PUSH_IN_PAUSE_HOOK_MODE =
  "in pause-hook mode a push is not acted on: the services' owner deploys the image, and its deployment's hook starts the migration";

/**
 * Why the launcher does not act on an ECR push, or undefined when it does: the one rule for deciding on a push
 * (`decideEcrImageAction`) and for reading what the decision needs first (`pushToDate`).
 */
export function ignoredPush(input: EcrImageActionInput, config: Config): string | undefined {
  // The stack's push rule is disabled in this mode (template.yaml ActOnPushes); a push that comes anyway is not a
  // rollout ecs-migrate may start: it could register no revision and update no service.
  if (config.ROLLOUT_MODE === 'pause-hook') return PUSH_IN_PAUSE_HOOK_MODE;
  if (input.actionType !== 'PUSH') return `ECR action "${input.actionType}" is not a push`;
  if (input.result !== 'SUCCESS') return `the push of ${input.repository} did not succeed (result ${input.result})`;
  if (input.repository !== config.REPOSITORY)
    return `repository "${input.repository}" is not the configured REPOSITORY "${config.REPOSITORY}"`;
  if (config.TAG_PATTERN !== undefined) {
    if (input.tag === undefined) return `a push by digest has no tag to match TAG_PATTERN "${config.TAG_PATTERN}"`;
    if (!matchesTagPattern(input.tag, config.TAG_PATTERN)) return `tag "${input.tag}" does not match TAG_PATTERN "${config.TAG_PATTERN}"`;
  }
  return undefined;
}
