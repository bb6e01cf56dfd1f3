import type { Work } from '../src/core/deployment.js';
import type { EnvironmentState } from '../src/core/state.js';
import type { AwsClients } from './aws-clients.js';
import { callerIdentity } from './caller.js';
import { type DeploymentView, failedServices, failedServicesText, logLocationOf, succeeded } from './deployment-view.js';
import { formatDuration } from './durations.js';
import { CliError, describeFailure, EXIT } from './failure.js';
import { beforeDeadline, followRequest } from './follow.js';
import { bold, dim, green, outputRedactor, red, storedTailLines, taskLines, yellow } from './format.js';
import type { Target } from './stack.js';
import { TaskLogFollower } from './task-logs.js';

/** `--wait`: how often records are read, how often a running deployment says so, the clock. */
export interface WaitDeps {
  pollMs: number;
  heartbeatMs: number;
  now: () => number;
  /** How long a request may stay unrecorded (default 5 minutes). */
  unrecordedAfterMs?: number;
  /** How long an unrecorded request waits before it is taken as a repeat of work in progress or done (default 30 s). */
  repeatAfterMs?: number;
}

/**
 * Reads the deployments table `--wait` follows the request in (the environment record, which the wait reads too)
 * before the request is sent: a table that does not exist (a mistyped --table, another region or account) is a usage
 * error, and no failure of this read, nor one that does not answer by `deadline` (the wait's), leaves a request behind
 * that no one follows.
 */
export async function checkWaitTable(
  clients: AwsClients,
  target: Target,
  table: string,
  bound: { deadline: number; now: () => number },
): Promise<void> {
  const store = await historyStore(clients, target, table);
  let read: EnvironmentState | undefined;
  try {
    read = await beforeDeadline(store.loadEnvironment(target.environment), bound);
  } catch (error) {
    if (causes(error).some((e) => e instanceof Error && e.name === 'ResourceNotFoundException'))
      throw new CliError(
        `no deployments table "${table}" in this account and region: check --stack (or --table) and --region; nothing was sent`,
        EXIT.usage,
        { cause: error },
      );
    const { line, exitCode } = describeFailure(error);
    throw new CliError(`${line}; nothing was sent`, exitCode, { cause: error });
  }
  if (read === undefined)
    throw new CliError(`the deployments table "${table}" did not answer before --timeout passed: check the network; nothing was sent`);
}

/** The deployment records of the target's environment in `table`, as the CLI reads them. */
async function historyStore(clients: AwsClients, target: Target, table: string) {
  const { DynamoDbHistoryStore } = await import('../src/adapters/aws/history-store.js');
  return new DynamoDbHistoryStore(await clients.dynamodb(), { table, environment: target.environment });
}

/** `error` and the errors it wraps (an adapter keeps the SDK's error as its cause). */
function causes(error: unknown): unknown[] {
  const all: unknown[] = [];
  for (let e = error; e !== undefined && all.length < 6; e = e instanceof Error ? e.cause : undefined) all.push(e);
  return all;
}

/**
 * Follows a sent request to its verdict and returns the exit code: 0 when it succeeded (rollout continued;
 * a command exited 0), 1 otherwise, 124 when the timeout passed first.
 */
export async function waitForVerdict(o: {
  kind: 'deploy' | 'run-command';
  requestId: string;
  /** What a deploy-request (not a rerun) asks for, an image or a task definition: a repeat of work in progress or done is recognised. */
  work?: Work | undefined;
  target: Target;
  table: string;
  timeoutMs: number;
  json: boolean;
  print: (line: string) => void;
  clients: AwsClients;
  deps: WaitDeps;
  /** When waiting began (before the table was read): --timeout counts from then. */
  startedAt?: number;
}): Promise<number> {
  const store = await historyStore(o.clients, o.target, o.table);
  const started = o.startedAt ?? o.deps.now();
  // As the stored tail is: the stack's RedactPatterns too, when it says them (--stack).
  const redactLine = outputRedactor(o.target.redactPatterns ?? []);
  // Ctrl-C stops the waiting, not the deployment: say so, with the exit code of an interrupted command.
  const interrupted = () => {
    process.stderr.write(`\necs-migrate: stopped waiting; request ${o.requestId} goes on (see: ecs-migrate status)\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  const result = await followRequest({
    store,
    environment: o.target.environment,
    requestId: o.requestId,
    pollMs: o.deps.pollMs,
    heartbeatMs: o.deps.heartbeatMs,
    ...(o.deps.unrecordedAfterMs !== undefined ? { unrecordedAfterMs: o.deps.unrecordedAfterMs } : {}),
    ...(o.deps.repeatAfterMs !== undefined ? { repeatAfterMs: o.deps.repeatAfterMs } : {}),
    ...(o.work !== undefined ? { work: o.work } : {}),
    deadline: started + o.timeoutMs,
    now: o.deps.now,
    print: (line) => o.print(dim(line)),
    onLogLine: (line) => o.print(taskLines('  │ ', line.message, redactLine)),
    followLog: (view, onLine) => followTaskLog(view, onLine, o.target, o.clients, o.deps.pollMs, o.print),
  }).finally(() => process.removeListener('SIGINT', interrupted));
  const what = o.work?.type === 'task-definition' ? 'task definition' : 'image';
  if (result.kind === 'already-deployed' && result.notMoved !== undefined) {
    // The controller ignores the repeat, but the rollout of this work left a gated service behind: not a success.
    if (o.json)
      process.stdout.write(
        `${JSON.stringify({ requestId: o.requestId, result: 'failed', deploymentId: result.deploymentId, notMoved: result.notMoved }, null, 2)}\n`,
      );
    o.print(
      red(
        `✘ already deployed by ${result.deploymentId} at ${result.at}, but its rollout failed: ${result.notMoved} not moved (--rerun runs it again)`,
      ),
    );
    return EXIT.failed;
  }
  if (result.kind === 'already-deployed') {
    if (o.json)
      process.stdout.write(
        `${JSON.stringify({ requestId: o.requestId, result: 'already-deployed', deploymentId: result.deploymentId }, null, 2)}\n`,
      );
    o.print(
      green(
        `✔ already deployed: ${result.deploymentId} migrated and rolled out this ${what} at ${result.at}; nothing to do (--rerun runs it again)`,
      ),
    );
    return EXIT.ok;
  }
  if (result.kind === 'unrecorded') {
    if (o.json) process.stdout.write(`${JSON.stringify({ requestId: o.requestId, result: 'unrecorded' }, null, 2)}\n`);
    process.stderr.write(
      `ecs-migrate: no deployment recorded request ${o.requestId} within ${formatDuration(result.afterMs)}: the controller rejected it (an "Event Rejected" event on the stack's bus says why) or has not received it (see the launcher's log group /aws/lambda/ecs-migrate-${o.target.environment}-launch)\n`,
    );
    return EXIT.failed;
  }
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
    for (const line of storedTailLines('  │ ', view.logTail)) o.print(line);
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
        : view.outcome === 'succeeded' && failedServices(view).length > 0
          ? red(
              `✘ migration succeeded${took}, but the rollout failed: ${failedServicesText(view)} not moved, still on ${failedServices(view).length === 1 ? 'its' : 'their'} previous revision`,
            )
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
  const logs = await clients.logs(location.region);
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
    onReadError: (reason) => print(dim(`(cannot read the task log ${location.group} ${location.stream}: ${reason})`)),
    onFallback: (reason) => {
      if (process.env.ECS_MIGRATE_DEBUG === '1') print(dim(`(live tail unavailable, polling FilterLogEvents: ${reason})`));
    },
  });
  follower.start();
  return () => follower.stop();
}

/** `--tag TAG`: the stack's repository (output RepositoryUri) at that tag. */
