#!/usr/bin/env node
import { ConfigError } from '../src/errors.js';
import { EXPLAIN_USAGE, explainCommand } from './explain.js';
import { historyCommand, INSPECT_USAGE, logsCommand, statusCommand } from './inspect.js';
import { LOCAL_USAGE, localCommand } from './local.js';
import { CliUsageError } from './local-config.js';

const USAGE = `ecs-migrate — run database migrations as an ECS task; roll the service out only when they succeed.

${LOCAL_USAGE}

${EXPLAIN_USAGE}

${INSPECT_USAGE}

Exit codes: 0 done (rollout continued), 1 rollout halted or command failed, 2 usage or unreadable input.`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  local: localCommand,
  explain: explainCommand,
  status: statusCommand,
  history: historyCommand,
  logs: logsCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) throw new CliUsageError(`unknown command "${name}"; commands: ${Object.keys(commands).join(', ')}`);
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof CliUsageError ||
      error instanceof ConfigError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`ecs-migrate: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`ecs-migrate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
