#!/usr/bin/env node
// The AWS SDK warns on every run under Node 20 that its 2027 releases will need Node 22: noise in a CLI's
// output (and in CI logs). Set before any client exists; a user who sets the variable (to anything) decides.
if (!process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { handleClosedOutput, type OnClosedOutput } from './epipe.js';
import { describeFailure, EXIT } from './failure.js';
import { CliUsageError } from './local-config.js';
import {
  CANCEL_USAGE,
  DEPLOY_USAGE,
  EXPLAIN_USAGE,
  HISTORY_USAGE,
  LOCAL_USAGE,
  LOGS_USAGE,
  REPLAY_USAGE,
  REQUEST_USAGE,
  RUN_COMMAND_USAGE,
  STATUS_USAGE,
  UNLOCK_USAGE,
} from './usage.js';
import { VERSION } from './version.js';

interface Command {
  usage: string;
  run: (argv: string[]) => Promise<number>;
  /** When the reader of its output (stdout, stderr) goes away: `run-on` for a command whose exit code is a verdict (cli/epipe.ts). */
  onClosedOutput?: OnClosedOutput;
}

/** Each command is loaded when it is used: `local`, `explain` and `--help` never load the AWS SDK. */
const commands: Record<string, Command> = {
  deploy: { usage: DEPLOY_USAGE, run: async (argv) => (await import('./deploy.js')).deployCommand(argv), onClosedOutput: 'run-on' },
  'run-command': {
    usage: RUN_COMMAND_USAGE,
    run: async (argv) => (await import('./deploy.js')).runCommandCommand(argv),
    onClosedOutput: 'run-on',
  },
  status: { usage: STATUS_USAGE, run: async (argv) => (await import('./inspect.js')).statusCommand(argv) },
  history: { usage: HISTORY_USAGE, run: async (argv) => (await import('./inspect.js')).historyCommand(argv) },
  logs: { usage: LOGS_USAGE, run: async (argv) => (await import('./inspect.js')).logsCommand(argv) },
  cancel: { usage: CANCEL_USAGE, run: async (argv) => (await import('./operator-requests.js')).cancelCommand(argv) },
  unlock: { usage: UNLOCK_USAGE, run: async (argv) => (await import('./operator-requests.js')).unlockCommand(argv) },
  local: { usage: LOCAL_USAGE, run: async (argv) => (await import('./local.js')).localCommand(argv), onClosedOutput: 'run-on' },
  explain: { usage: EXPLAIN_USAGE, run: async (argv) => (await import('./explain.js')).explainCommand(argv) },
  replay: { usage: REPLAY_USAGE, run: async (argv) => (await import('./replay.js')).replayCommand(argv) },
  // The earlier spellings of `deploy` and `run-command` (`request deploy …`): their exit code is a verdict too.
  request: { usage: REQUEST_USAGE, run: async (argv) => (await import('./request.js')).requestCommand(argv), onClosedOutput: 'run-on' },
};

const USAGE = `ecs-migrate ${VERSION} — run database migrations as an ECS task; roll the service out only when they succeed.

Usage: ecs-migrate COMMAND [options]     ecs-migrate COMMAND --help     ecs-migrate --version

On a deployed stack:
  deploy       send a deploy-request; --wait follows it to the verdict with the task's log
  run-command  run an allowed command as a task; --wait prints its log and exit code
  status       the environment: services, active and queued deployment, last result
  history      the environment's deployments, newest first
  logs         a deployment and the full log of its task (--follow)
  cancel       ask the controller to cancel a deployment
  unlock       ask the controller to release a lock whose deployment is lost
  replay       replay archived trigger events
On this machine:
  local        run the whole flow locally against an embedded Postgres
  explain      what the controller would do with an event, and why (dry run)

Global options: --help, --version, --debug (stack traces on errors).
Exit codes: 0 done (rollout continued; the command exited 0), 1 rollout halted or a gated service not moved,
command failed or an AWS call failed, 2 usage or unreadable input, 124 --timeout reached while waiting (the deployment goes on).`;

/** `--help`/`-h` before a `--` asks for help: the command's own options stay free to use anything after it. */
function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`ecs-migrate ${VERSION}\n`);
    return EXIT.ok;
  }
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && rest[0] !== undefined ? commands[rest[0]] : undefined;
    process.stdout.write(`${topic?.usage ?? USAGE}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = commands[name];
  if (command === undefined)
    throw new CliUsageError(`unknown command "${name}"; commands: ${Object.keys(commands).join(', ')} (see --help)`);
  if (wantsHelp(rest)) {
    process.stdout.write(`${command.usage}\n`);
    return EXIT.ok;
  }
  return command.run(rest);
}

const args = process.argv.slice(2);
// `ecs-migrate history | head` ends quietly; `local … | head` runs on to its verdict (cli/epipe.ts).
handleClosedOutput(() => commands[args[0] ?? '']?.onClosedOutput ?? 'end');
const debugAt = args.indexOf('--debug');
const debug = (debugAt !== -1 && (args.indexOf('--') === -1 || debugAt < args.indexOf('--'))) || process.env.ECS_MIGRATE_DEBUG === '1';
if (debugAt !== -1 && debug) args.splice(debugAt, 1);
// Commands print their own diagnostics (e.g. why live tail fell back to polling) under --debug.
if (debug) process.env.ECS_MIGRATE_DEBUG = '1';

main(args).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const { line, exitCode } = describeFailure(error);
    process.stderr.write(`ecs-migrate: ${line}\n`);
    if (debug && error instanceof Error)
      process.stderr.write(`${error.stack ?? ''}\n${error.cause instanceof Error ? `cause: ${error.cause.stack}\n` : ''}`);
    process.exitCode = exitCode;
  },
);
