import { quote, redactForEcho } from './bounds.js';
import { checkCommand } from './command-policy.js';
import type { Config } from './config.js';
import { checkImage, checkTaskDefinition } from './image-ref.js';
import type { DeployRequestInput, RunCommandInput } from './inputs.js';
import type { Redactor } from './redact.js';
import type { ServiceInfo } from './state.js';

/**
 * The trust boundary for requests: what a deploy-request or run-command may run. A request names an image
 * only of REGISTRY/REPOSITORY, a task definition only of the service's family in its account and region,
 * and a command only as ALLOWED_COMMANDS (or MIGRATION_COMMAND) allows it. In pause-hook mode nothing is
 * registered and no service is updated: a deploy-request and a run-command naming an image cannot work there.
 * Returns why the request is refused, or undefined when it may go on. Pure; the caller rejects with the reason.
 */
export function refuseRequest(
  input: DeployRequestInput | RunCommandInput,
  service: ServiceInfo | undefined,
  config: Config,
  redact: Redactor,
): string | undefined {
  const work = input.work;
  if (config.ROLLOUT_MODE === 'pause-hook') {
    const refused = refuseInPauseHookMode(input, redact);
    if (refused !== undefined) return refused;
  }
  if (work?.type === 'image') {
    const image = checkImage(work.image, { registry: config.REGISTRY, repository: config.REPOSITORY }, redact);
    if (!image.ok) return image.reason;
  }
  if (work?.type === 'task-definition') {
    const td = checkTaskDefinition(work.taskDefinitionArn, service?.taskDefinitionArn, redact);
    if (!td.ok) return td.reason;
  }
  if (input.command !== undefined) {
    const rules = {
      allowed: config.ALLOWED_COMMANDS,
      redact,
      ...(input.kind === 'deploy-request' ? { migrationCommand: config.MIGRATION_COMMAND } : {}),
    };
    const command = checkCommand(input.command, rules);
    if (!command.ok) return command.reason;
  }
  return undefined;
}

/**
 * pause-hook mode: the services' owner deploys, and the stack may neither register a task definition revision nor
 * update a service. A deploy-request would do both; a run-command that names an image registers a revision for it.
 * A run-command with no image, or with a taskDefinitionArn, runs a task definition as it is and may go on.
 * Also the CLI's check before sending to a stack whose RolloutMode output says pause-hook (cli/deploy.ts).
 */
export function refuseInPauseHookMode(
  input: Pick<DeployRequestInput | RunCommandInput, 'kind' | 'work'>,
  redact: Redactor,
): string | undefined {
  if (input.kind === 'deploy-request')
    return "in pause-hook mode the services' owner deploys; ecs-migrate answers their paused deployments: deploy the service instead";
  if (input.work?.type === 'image')
    return `in pause-hook mode a run-command cannot name an image (${quote(redactForEcho(input.work.image, redact))}): running it would register a task definition revision, which this mode does not do; name a taskDefinitionArn of the service's family, or none to run the service's task definition as it is`;
  return undefined;
}
