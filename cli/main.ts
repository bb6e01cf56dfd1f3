#!/usr/bin/env node
import { ConfigError } from '../src/errors.js';
import { endQuietlyOnClosedPipe } from './epipe.js';
import { CliUsageError } from './local-config.js';
import { EXPLAIN_USAGE, INSPECT_USAGE, LOCAL_USAGE, REPLAY_USAGE, REQUEST_USAGE } from './usage.js';

const USAGE = `ecs-migrate — run database migrations as an ECS task; roll the service out only when they succeed.

${LOCAL_USAGE}

${EXPLAIN_USAGE}

${INSPECT_USAGE}

${REQUEST_USAGE}

${REPLAY_USAGE}

Exit codes: 0 done (rollout continued), 1 rollout halted or command failed, 2 usage or unreadable input.`;

/** Each command is loaded when it is used: `local` and `explain` never load the AWS SDK. */
const commands: Record<string, (argv: string[]) => Promise<number>> = {
  local: async (argv) => (await import('./local.js')).localCommand(argv),
  explain: async (argv) => (await import('./explain.js')).explainCommand(argv),
  status: async (argv) => (await import('./inspect.js')).statusCommand(argv),
  history: async (argv) => (await import('./inspect.js')).historyCommand(argv),
  logs: async (argv) => (await import('./inspect.js')).logsCommand(argv),
  request: async (argv) => (await import('./request.js')).requestCommand(argv),
  replay: async (argv) => (await import('./replay.js')).replayCommand(argv),
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

endQuietlyOnClosedPipe();
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
