import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { splitCommand } from '../src/core/config.js';
import { type AwsClients, awsClients } from './aws-clients.js';
import { AWS_OPTIONS, clientConfig } from './aws-context.js';
import { type DeploymentView, logLocationOf, succeeded } from './deployment-view.js';
import { formatDuration, parseDuration } from './durations.js';
import { CliError, EXIT } from './failure.js';
import { followRequest } from './follow.js';
import { bold, dim, green, red, yellow } from './format.js';
import { CliUsageError } from './local-config.js';
import { requestEntry } from './request-entry.js';
import { resolveTarget, TARGET_OPTIONS, type Target, tableOf } from './stack.js';
import { TaskLogFollower } from './task-logs.js';
import { DEPLOY_USAGE, RUN_COMMAND_USAGE } from './usage.js';

const REQUEST_OPTIONS = {
  ...TARGET_OPTIONS,
  ...AWS_OPTIONS,
  image: { type: 'string' },
  tag: { type: 'string' },
  'task-definition': { type: 'string' },
  command: { type: 'string' },
  rerun: { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '45m' },
  'request-id': { type: 'string' },
  'requested-by': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

/** What tests change: how often records are read, the clock, the clients. */
export interface RequestDeps {
  pollMs: number;
  heartbeatMs: number;
  now: () => number;
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
  const usage = kind === 'deploy' ? DEPLOY_USAGE : RUN_COMMAND_USAGE;
  const timeoutMs = parseDuration(values.timeout, '--timeout');
  const sources = [values.image, values.tag, values['task-definition']].filter((v) => v !== undefined);
  if (kind === 'deploy' && sources.length !== 1)
    throw new CliUsageError(`deploy needs exactly one of --image, --tag or --task-definition\n${usage}`);
  if (kind === 'run-command' && sources.length > 1)
    throw new CliUsageError('run-command takes at most one of --image, --tag or --task-definition');
  if (kind === 'run-command' && values.rerun) throw new CliUsageError('--rerun goes with deploy');
  if (kind === 'deploy' && positionals.length > 0) throw new CliUsageError(`unexpected arguments: ${positionals.join(' ')}\n${usage}`);
  const command =
    kind === 'run-command'
      ? commandOf(values.command, positionals, usage)
      : values.command !== undefined
        ? splitCommand(values.command)
        : undefined;

  const clients = deps.clients ?? awsClients(clientConfig(values));
  const offline = values['dry-run'] && values.stack === undefined;
  if (!offline) await clients.region();
  const target = await resolveTarget(values, () => clients.cloudFormation());
  if (
    command !== undefined &&
    kind === 'run-command' &&
    target.allowedCommands !== undefined &&
    !target.allowedCommands.includes(command[0] ?? '')
  ) {
    throw new CliError(
      `"${command[0]}" is not in the stack's AllowedCommands (${target.allowedCommands.join(', ') || 'none'}): the controller would refuse it; nothing was sent`,
      EXIT.usage,
    );
  }
  const image = values.tag !== undefined ? imageOfTag(target, values.tag) : values.image;
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
  // The table is checked before sending, so --wait never sends a request it cannot follow.
  const table = values.wait ? tableOf(target) : undefined;
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
  return wait({ kind, requestId, target, table, timeoutMs, json: values.json, print, clients, deps });
}

async function wait(o: {
  kind: 'deploy' | 'run-command';
  requestId: string;
  target: Target;
  table: string;
  timeoutMs: number;
  json: boolean;
  print: (line: string) => void;
  clients: AwsClients;
  deps: RequestDeps;
}): Promise<number> {
  const { DynamoDbStore } = await import('../src/adapters/aws/store.js');
  const store = new DynamoDbStore(await o.clients.dynamodb(), { table: o.table, environment: o.target.environment });
  const started = o.deps.now();
  const result = await followRequest({
    store,
    environment: o.target.environment,
    requestId: o.requestId,
    pollMs: o.deps.pollMs,
    heartbeatMs: o.deps.heartbeatMs,
    deadline: started + o.timeoutMs,
    now: o.deps.now,
    print: (line) => o.print(dim(line)),
    onLogLine: (line) => o.print(`  │ ${line.message}`),
    followLog: (view, onLine) => followTaskLog(view, onLine, o.target, o.clients, o.deps.pollMs, o.print),
  });
  if (result.kind === 'timeout') {
    const where = o.target.stack !== undefined ? `--stack ${o.target.stack}` : `--environment ${o.target.environment} --table ${o.table}`;
    const state =
      result.view !== undefined
        ? `deployment ${result.view.id} is still ${result.view.status}`
        : `request ${o.requestId} is not recorded yet`;
    if (o.json)
      process.stdout.write(`${JSON.stringify({ requestId: o.requestId, result: 'timeout', deployment: result.view }, null, 2)}\n`);
    process.stderr.write(
      `ecs-migrate: stopped waiting after ${formatDuration(o.timeoutMs)}: ${state}; it goes on (see: ecs-migrate status ${where})\n`,
    );
    return EXIT.timeout;
  }
  const view = result.view;
  const ok = succeeded(view);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ requestId: o.requestId, result: ok ? 'succeeded' : 'failed', deployment: view }, null, 2)}\n`);
    return ok ? EXIT.ok : EXIT.failed;
  }
  if (result.logLines === 0 && view.logTail.length > 0) {
    o.print(`  log tail (last ${view.logTail.length} lines, from the record):`);
    for (const line of view.logTail) o.print(`  │ ${line}`);
  }
  for (const line of verdictLines(view)) o.print(line);
  return ok ? EXIT.ok : EXIT.failed;
}

/** The verdict: outcome, exit code, stop code, reason and rollout of an ended deployment. */
export function verdictLines(view: DeploymentView): string[] {
  const ok = succeeded(view);
  const took =
    view.endedAt !== undefined
      ? ` in ${formatDuration(Date.parse(view.endedAt) - Date.parse(view.startedAt ?? view.launchedAt ?? view.createdAt))}`
      : '';
  const lines: string[] = [];
  if (view.exitCode !== undefined || view.kind === 'command') lines.push(`exit code ${view.exitCode ?? 'none'}`);
  if (view.stopCode !== undefined) lines.push(`stop code ${view.stopCode}`);
  if (view.reason !== undefined) lines.push(`reason    ${view.reason}`);
  if (view.kind === 'migration' && view.rollout !== undefined) lines.push(`rollout   ${view.rollout}`);
  const headline =
    view.kind === 'command'
      ? ok
        ? green(`✔ command succeeded${took}`)
        : red(`✘ command ${view.outcome === 'succeeded' ? 'failed' : (view.outcome ?? 'failed')}${took}`)
      : ok
        ? green(`✔ migration succeeded${took}; rollout ${view.rollout ?? 'continued'}`)
        : view.outcome === 'superseded'
          ? yellow(`✘ superseded by ${view.supersededBy ?? 'a newer request'} before it ran`)
          : red(`✘ ${view.outcome ?? 'failed'}${took}: rollout halted, the service stays on its revision`);
  return [`${bold('deployment')} ${view.id}`, ...lines, headline];
}

async function followTaskLog(
  view: DeploymentView,
  onLine: (line: { timestamp: number; message: string }) => void,
  target: Target,
  clients: AwsClients,
  pollMs: number,
  print: (line: string) => void,
): Promise<(() => Promise<void>) | undefined> {
  const ecs = await clients.ecs();
  const { DescribeTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
  const location = await logLocationOf(view, target.container, (input) => ecs.send(new DescribeTaskDefinitionCommand(input))).catch(
    () => undefined,
  );
  if (location === undefined) {
    print(dim('(the task log location is unknown: the verdict will show the log tail the controller kept)'));
    return undefined;
  }
  const logs = await clients.logs();
  const identity = await callerIdentity(clients).catch(() => undefined);
  const region = location.region ?? (await clients.region());
  const partition = identity?.Arn?.split(':')[1] ?? 'aws';
  const follower = new TaskLogFollower(logs, location, {
    startTime: Date.parse(view.startedAt ?? view.launchedAt ?? view.createdAt) - 60_000,
    pollMs,
    ...(identity?.Account !== undefined
      ? { logGroupArn: `arn:${partition}:logs:${region}:${identity.Account}:log-group:${location.group}` }
      : {}),
    onLine,
    onFallback: (reason) => {
      if (process.env.ECS_MIGRATE_DEBUG === '1') print(dim(`(live tail unavailable, polling FilterLogEvents: ${reason})`));
    },
  });
  follower.start();
  return () => follower.stop();
}

/** `--tag TAG`: the stack's repository (output RepositoryUri) at that tag. */
function imageOfTag(target: Target, tag: string): string {
  if (target.repositoryUri === undefined)
    throw new CliUsageError('--tag needs --stack NAME (its RepositoryUri output); or pass --image URI');
  if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new CliUsageError(`--tag ${tag}: not a valid image tag`);
  return `${target.repositoryUri}:${tag}`;
}

function commandOf(line: string | undefined, positionals: string[], usage: string): string[] {
  if (line !== undefined && positionals.length > 0) throw new CliUsageError('give the command either after -- or with --command, not both');
  const argv = line !== undefined ? splitCommand(line) : positionals;
  if (argv.length === 0) throw new CliUsageError(`run-command needs a command: run-command [options] -- CMD ARGS…\n${usage}`);
  return argv;
}

const identities = new WeakMap<AwsClients, Promise<{ Account?: string | undefined; Arn?: string | undefined }>>();

function callerIdentity(clients: AwsClients): Promise<{ Account?: string | undefined; Arn?: string | undefined }> {
  let found = identities.get(clients);
  if (found === undefined) {
    found = clients.sts().then((sts) => sts.send(new GetCallerIdentityCommand({})));
    identities.set(clients, found);
  }
  return found;
}

/** requestedBy: the caller's ARN (STS GetCallerIdentity), so the history says who asked. */
async function callerArn(clients: AwsClients): Promise<string> {
  const { Arn } = await callerIdentity(clients);
  if (Arn === undefined) throw new CliError('STS GetCallerIdentity returned no ARN: pass --requested-by WHO');
  return Arn.slice(0, 256);
}
