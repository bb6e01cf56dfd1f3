import { checkCommand } from './command-policy.js';
import type { Config } from './config.js';
import { checkImage, checkTaskDefinition } from './image-ref.js';
import type { DeployRequestInput, RunCommandInput } from './inputs.js';
import { redactor } from './redact.js';
import type { ServiceInfo } from './state.js';

/**
 * The trust boundary for requests: what a deploy-request or run-command may run. A request names an image
 * only of REGISTRY/REPOSITORY, a task definition only of the service's family in its account and region,
 * and a command only as ALLOWED_COMMANDS (or MIGRATION_COMMAND) allows it. Returns why the request is refused,
 * or undefined when it may go on. Pure; the caller rejects with the reason.
 */
export function refuseRequest(
  input: DeployRequestInput | RunCommandInput,
  service: ServiceInfo | undefined,
  config: Config,
): string | undefined {
  const work = input.work;
  if (work?.type === 'image') {
    const image = checkImage(work.image, { registry: config.REGISTRY, repository: config.REPOSITORY });
    if (!image.ok) return image.reason;
  }
  if (work?.type === 'task-definition') {
    const td = checkTaskDefinition(work.taskDefinitionArn, service?.taskDefinitionArn);
    if (!td.ok) return td.reason;
  }
  if (input.command !== undefined) {
    const rules = {
      allowed: config.ALLOWED_COMMANDS,
      redact: redactor(config.REDACT_PATTERNS),
      ...(input.kind === 'deploy-request' ? { migrationCommand: config.MIGRATION_COMMAND } : {}),
    };
    const command = checkCommand(input.command, rules);
    if (!command.ok) return command.reason;
  }
  return undefined;
}
