import { deployCommand, type RequestDeps, runCommandCommand } from './deploy.js';
import { CliUsageError } from './local-config.js';

export { requestEntry } from './request-entry.js';

/** `request deploy …` and `request run-command …`: the earlier spellings of `deploy` and `run-command`. */
export function requestCommand(argv: string[], deps: Partial<RequestDeps> = {}): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind === 'deploy') return deployCommand(rest, deps);
  if (kind === 'run-command') return runCommandCommand(rest, deps);
  throw new CliUsageError('request needs deploy or run-command: ecs-migrate request deploy … (see ecs-migrate deploy --help)');
}
