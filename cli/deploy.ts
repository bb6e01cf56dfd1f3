import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { checkCommand } from '../src/core/command-policy.js';
import { splitCommand } from '../src/core/config.js';
import type { Work } from '../src/core/deployment.js';
import { redactor } from '../src/core/redact.js';
import { refuseInPauseHookMode } from '../src/core/request-policy.js';
import { type AwsClients, awsClients } from './aws-clients.js';
import { AWS_OPTIONS, clientConfig } from './aws-context.js';
import { callerArn } from './caller.js';
import { parseDuration } from './durations.js';
import { CliError, EXIT } from './failure.js';
import { CliUsageError } from './local-config.js';
import { requestEntry } from './request-entry.js';
import { requireTarget, resolveTarget, TARGET_OPTIONS, type Target, tableOf } from './stack.js';
import { checkWaitTable, type WaitDeps, waitForVerdict } from './wait.js';

const REQUEST_OPTIONS = {
  ...TARGET_OPTIONS,
  ...AWS_OPTIONS,
  image: { type: 'string' },
  tag: { type: 'string' },
  'task-definition': { type: 'string' },
  command: { type: 'string' },
  rerun: { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string' },
  'request-id': { type: 'string' },
  'requested-by': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

/** What tests change: how often records are read, the clock, the clients. */
export interface RequestDeps extends WaitDeps {
  clients?: AwsClients;
}

const DEFAULTS: RequestDeps = { pollMs: 2000, heartbeatMs: 60_000, now: Date.now };

/** `deploy (--image URI | --tag TAG | --task-definition ARN) [--wait] [--timeout 45m]` */
export function deployCommand(argv: string[], deps: Partial<RequestDeps> = {}): Promise<number> {
  return request('deploy', argv, { ...DEFAULTS, ...deps });
}

/** `run-command [--wait] -- ARGV…` (or `--command "CMD ARGS"`) */
export function runCommandCommand(argv: string[], deps: Partial<RequestDeps> = {}): Promise<number> {
  return request('run-command', argv, { ...DEFAULTS, ...deps });
}

async function request(kind: 'deploy' | 'run-command', argv: string[], deps: RequestDeps): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: REQUEST_OPTIONS, allowPositionals: true, strict: true });
  const timeoutMs = parseDuration(values.timeout ?? '45m', '--timeout');
  if (values.timeout !== undefined && !values.wait)
    throw new CliUsageError('--timeout goes with --wait (how long to wait for the verdict)');
  const sources = [values.image, values.tag, values['task-definition']].filter((v) => v !== undefined);
  if (kind === 'deploy' && sources.length !== 1)
    throw new CliUsageError(`deploy needs exactly one of --image, --tag or --task-definition (see ecs-migrate ${kind} --help)`);
  if (kind === 'run-command' && sources.length > 1)
    throw new CliUsageError('run-command takes at most one of --image, --tag or --task-definition');
  if (kind === 'run-command' && values.rerun) throw new CliUsageError('--rerun goes with deploy');
  if (kind === 'deploy' && positionals.length > 0)
    throw new CliUsageError(`unexpected arguments: ${positionals.join(' ')} (see ecs-migrate ${kind} --help)`);
  const command =
    kind === 'run-command'
      ? commandOf(values.command, positionals)
      : values.command !== undefined
        ? splitCommand(values.command)
        : undefined;

  // What the arguments lack is said before the region or the credentials the first AWS call needs.
  requireTarget(values, { table: values.wait && !values['dry-run'] });
  if (values.tag !== undefined && values.stack === undefined) throw new CliUsageError(TAG_NEEDS_STACK);
  const clients = deps.clients ?? awsClients(clientConfig(values));
  const offline = values['dry-run'] && values.stack === undefined;
  if (!offline) await clients.region();
  const target = await resolveTarget(values, () => clients.cloudFormation());
  const image = values.tag !== undefined ? imageOfTag(target, values.tag) : values.image;
  const work: Work | undefined =
    image !== undefined
      ? { type: 'image', image }
      : values['task-definition'] !== undefined
        ? { type: 'task-definition', taskDefinitionArn: values['task-definition'] }
        : undefined;
  const modeRefused = pauseHookRefusal(kind, work, target);
  if (modeRefused !== undefined) throw new CliError(modeRefused, EXIT.usage);
  const refused = command !== undefined ? refusal(kind, command, target) : undefined;
  if (refused !== undefined) throw new CliError(`${refused}: the controller would refuse it; nothing was sent`, EXIT.usage);
  const requestId = values['request-id'] ?? `cli-${randomUUID()}`;
  const requestedBy = values['requested-by'] ?? (offline ? 'ecs-migrate-cli' : await callerArn(clients));
  const entry = {
    ...requestEntry({
      kind,
      environment: target.environment,
      rerun: values.rerun,
      source: target.source,
      requestId,
      requestedBy,
      ...(image !== undefined ? { image } : {}),
      ...(values['task-definition'] !== undefined ? { taskDefinitionArn: values['task-definition'] } : {}),
      ...(command !== undefined ? { command } : {}),
    }),
    EventBusName: target.requestBus,
  };
  if (values['dry-run']) {
    process.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
    return EXIT.ok;
  }
  // The table is read before sending, so --wait never sends a request it cannot follow.
  const table = values.wait ? tableOf(target) : undefined;
  const startedAt = deps.now();
  if (table !== undefined)
    await checkWaitTable(clients, target, table, { deadline: startedAt + timeoutMs, now: deps.now }).catch((error: unknown) => {
      clients.destroy(); // a read that never answered holds the process open
      throw error;
    });
  const events = await clients.eventBridge();
  const result = await events.send(new PutEventsCommand({ Entries: [entry] }));
  const failed = result.Entries?.find((e) => e.ErrorCode !== undefined);
  if ((result.FailedEntryCount ?? 0) > 0 || failed !== undefined) {
    throw new CliError(
      `the bus ${target.requestBus} did not accept the request: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim(),
    );
  }
  const print = values.json ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  print(
    `sent ${entry.DetailType} ${requestId} for ${target.environment} (event ${result.Entries?.[0]?.EventId ?? '?'}) to bus ${target.requestBus}`,
  );
  if (table === undefined) {
    if (values.json) process.stdout.write(`${JSON.stringify({ requestId, environment: target.environment, sent: true }, null, 2)}\n`);
    return EXIT.ok;
  }
  // A repeat is recognised by its work (image or task definition) for the stack's own migration command only (a
  // --command or --rerun is new work).
  const repeatable = kind === 'deploy' && !values.rerun && values.command === undefined ? work : undefined;
  try {
    return await waitForVerdict({
      kind,
      requestId,
      work: repeatable,
      target,
      table,
      timeoutMs,
      startedAt,
      json: values.json,
      print,
      clients,
      deps,
    });
  } finally {
    // Whatever the verdict (124 included), nothing of the wait keeps the process open.
    clients.destroy();
  }
}

/**
 * Why the controller would refuse `command`, by its own policy (`checkCommand`) on what the stack says, or undefined
 * to send it. As the controller does, a run-command's command is checked against AllowedCommands alone, a deploy's
 * also against MigrationCommand. The secret check redacts as the controller does: the built-in rules and the stack's
 * RedactPatterns when it says them (an older stack does not: the built-in rules alone, so nothing the controller would
 * accept is refused here). It runs whatever the stack says: a command carrying a secret is never put on the bus, whose
 * archive keeps it. Only the allowlist needs the stack's outputs (a deploy's, MigrationCommand too: without it the
 * controller's default applies): when they are unknown, the command is taken as allowed and the controller judges.
 */
function refusal(kind: 'deploy' | 'run-command', command: string[], target: Target): string | undefined {
  const redact = redactor(target.redactPatterns ?? []);
  const migrationCommand = kind === 'deploy' ? target.migrationCommand : undefined;
  const allowlistKnown = target.allowedCommands !== undefined && (kind === 'run-command' || migrationCommand !== undefined);
  const check = checkCommand(
    command,
    allowlistKnown
      ? { allowed: target.allowedCommands ?? [], redact, ...(migrationCommand !== undefined ? { migrationCommand } : {}) }
      : // The secret check alone: MIGRATION_COMMAND is allowed exactly as configured, so the command as its own passes the allowlist.
        { allowed: [], migrationCommand: command, redact },
  );
  return check.ok ? undefined : check.reason;
}

/**
 * Why a stack whose RolloutMode output says pause-hook would refuse this request, by the controller's own rule
 * (`refuseInPauseHookMode`): a deploy, and a run-command naming an image, would register a revision. Undefined to
 * send it, and always for a stack that does not say its mode (one older than the output).
 */
function pauseHookRefusal(kind: 'deploy' | 'run-command', work: Work | undefined, target: Target): string | undefined {
  if (target.rolloutMode !== 'pause-hook') return undefined;
  const redact = redactor(target.redactPatterns ?? []);
  const reason = refuseInPauseHookMode({ kind: kind === 'deploy' ? 'deploy-request' : 'run-command', work }, redact);
  if (reason === undefined) return undefined;
  const instead =
    kind === 'deploy'
      ? "the service's own ECS deployment starts the migration when it pauses at its hook"
      : 'pass --task-definition ARN, or neither --image nor --tag to run the task definition the service runs';
  return `${reason}: the controller would refuse it; nothing was sent (the stack's RolloutMode is pause-hook: ${instead})`;
}

const TAG_NEEDS_STACK = '--tag needs --stack NAME (its RepositoryUri output); or pass --image URI';

function imageOfTag(target: Target, tag: string): string {
  if (target.repositoryUri === undefined) throw new CliUsageError(TAG_NEEDS_STACK);
  if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new CliUsageError(`--tag ${tag}: not a valid image tag`);
  return `${target.repositoryUri}:${tag}`;
}

function commandOf(line: string | undefined, positionals: string[]): string[] {
  if (line !== undefined && positionals.length > 0) throw new CliUsageError('give the command either after -- or with --command, not both');
  const argv = line !== undefined ? splitCommand(line) : positionals;
  if (argv.length === 0)
    throw new CliUsageError('run-command needs a command: ecs-migrate run-command [options] -- CMD ARGS… (see --help)');
  return argv;
}
