import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DynamoDbHistoryStore } from '../src/adapters/aws/history-store.js';
import { InvalidRecordError } from '../src/errors.js';
import { type AwsClients, awsClients } from './aws-clients.js';
import { clientConfig } from './aws-context.js';
import { type DeploymentView, failedServices, lastEnded, logLocationOf, viewOf } from './deployment-view.js';
import { formatDuration } from './durations.js';
import { TaskLogSwitch } from './follow.js';
import {
  bold,
  dim,
  green,
  lastSuccessText,
  outputRedactor,
  red,
  serviceLine,
  storedTailLines,
  taskLines,
  taskOutput,
  warnSkipped,
  yellow,
} from './format.js';
import { CliUsageError } from './local-config.js';
import { requireTarget, resolveTarget, type Target, type TargetValues, tableOf } from './stack.js';
import { filterEvents, TaskLogFollower } from './task-logs.js';

/** status, history and logs of a deployed stack: the deployments table, and the task's CloudWatch log. */

type Values = TargetValues & { profile?: string | undefined; region?: string | undefined; json: boolean; follow?: boolean };

async function open(values: Values): Promise<{ target: Target; store: DynamoDbHistoryStore; clients: AwsClients }> {
  requireTarget(values, { table: true });
  const clients = awsClients(clientConfig(values));
  await clients.region();
  const target = await resolveTarget(values, () => clients.cloudFormation());
  const store = new DynamoDbHistoryStore(await clients.dynamodb(), {
    table: tableOf(target),
    environment: target.environment,
    onInvalid: warnSkipped,
  });
  return { target, store, clients };
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const json = (value: unknown) => out(JSON.stringify(value, null, 2));

export async function stackStatus(values: Values): Promise<number> {
  const { target, store, clients } = await open(values);
  const env = await store.loadEnvironment(target.environment);
  const ids = [env.active?.deploymentId, env.queued].filter((id): id is string => id !== undefined);
  const found = ids.length > 0 ? await store.loadDeployments(ids) : {};
  const view = (id: string | undefined) => (id !== undefined && found[id] !== undefined ? viewOf(found[id], env) : undefined);
  const active = view(env.active?.deploymentId);
  const queued = view(env.queued);
  const last = lastEnded((await store.listDeployments(target.environment, 20)).map((d) => viewOf(d, env)));
  const services = await serviceRevisions(target, clients);
  if (values.json) {
    json({
      environment: target.environment,
      stack: target.stack,
      services,
      active,
      queued,
      lock: env.active,
      last,
      lastSucceeded: env.lastSucceeded,
    });
    return 0;
  }
  const line = (label: string, value: string) => out(`${label.padEnd(15)}${value}`);
  line('environment', `${target.environment}${target.stack !== undefined ? dim(` (stack ${target.stack})`) : ''}`);
  for (const s of services) line('service', `${s.service} ${s.taskDefinition ?? dim(`(${s.problem ?? 'unknown'})`)}`);
  line(
    'running',
    active !== undefined
      ? `${active.id} ${active.status}${active.taskArn !== undefined ? ` task ${active.taskArn.split('/').pop()}` : ''}`
      : env.active !== undefined
        ? `${env.active.deploymentId} (record missing; the lock expires ${env.active.lockExpiresAt})`
        : 'nothing',
  );
  line('queued', queued !== undefined ? `${queued.id}${queued.image !== undefined ? ` ${queued.image}` : ''}` : 'nothing');
  line(
    'last result',
    last !== undefined ? `${last.id} ${outcomeText(last)}${last.reason !== undefined ? ` — ${last.reason}` : ''}` : 'none',
  );
  line('last success', lastSuccessText(env));
  return 0;
}

export async function stackHistory(values: Values, limit: number): Promise<number> {
  const { target, store } = await open(values);
  // The environment record only says what a queued deployment waits behind: a damaged one does not hide the history.
  const env = await store.loadEnvironment(target.environment).catch((error: unknown) => {
    if (!(error instanceof InvalidRecordError)) throw error;
    process.stderr.write(`ecs-migrate: ${error.message}; listing the deployments without it\n`);
    return undefined;
  });
  const list = (await store.listDeployments(target.environment, limit)).map((d) => viewOf(d, env));
  if (values.json) {
    json(list);
    return 0;
  }
  if (list.length === 0) out(`no deployments yet in ${target.environment}`);
  for (const v of list) {
    const who = v.trigger.requestedBy !== undefined ? ` by ${shortWho(v.trigger.requestedBy)}` : '';
    out(
      `${v.id}  ${outcomeText(v).padEnd(10)} ${v.kind.padEnd(9)} ${v.trigger.type.padEnd(14)}${who}  ${v.reason ?? v.history.at(-1)?.note ?? ''}`,
    );
  }
  return 0;
}

/** Failed reads in a row of the record that end `logs --follow` (as `deploy --wait`'s default). */
const FOLLOW_READ_ATTEMPTS = 5;

export async function stackLogs(values: Values, id: string, pollMs = 2000): Promise<number> {
  const { target, store, clients } = await open(values);
  // As the stored tail is: the stack's RedactPatterns too, when it says them (--stack).
  const redactLine = outputRedactor(target.redactPatterns ?? []);
  const load = async () => {
    const { env, deployments } = await store.loadEnvironmentWith(target.environment, [id]);
    const record = deployments[id];
    if (record === undefined)
      throw new CliUsageError(`no deployment ${id} in environment ${target.environment}: see "ecs-migrate history"`);
    return viewOf(record, env);
  };
  let view = await load();
  // A follow lasts as long as the task runs: like --wait, it outlives a few failed reads in a row (a throttled table,
  // a network blip) and keeps the view it had; an unknown deployment, or a failure that lasts, ends it.
  let failures = 0;
  const reload = async (): Promise<DeploymentView> => {
    try {
      const next = await load();
      failures = 0;
      return next;
    } catch (error) {
      if (error instanceof CliUsageError || ++failures >= FOLLOW_READ_ATTEMPTS) throw error;
      return view;
    }
  };
  const ecs = await clients.ecs();
  const locate = (of: DeploymentView) =>
    logLocationOf(of, target.container, (input) => ecs.send(new DescribeTaskDefinitionCommand(input))).catch(() => undefined);
  let location = await locate(view);
  // --follow of a deployment with no task yet (queued, launching): its log has a place once its task runs.
  if (values.follow === true && !values.json) {
    while (location === undefined && view.status !== 'ended' && view.taskArn === undefined) {
      await new Promise((r) => setTimeout(r, pollMs));
      view = await reload();
      if (view.taskArn !== undefined) location = await locate(view);
    }
  }
  const logs = await clients.logs(location?.region);
  if (values.json) {
    const lines = location !== undefined ? await collect(filterEvents(logs, location)) : [];
    json({
      deployment: view,
      log: location,
      lines: lines.map((l) => ({ at: new Date(l.timestamp).toISOString(), message: taskOutput(l.message, redactLine) })),
    });
    return 0;
  }
  for (const line of summary(view)) out(line);
  if (location === undefined) {
    // --follow still waits for the end: the tail the controller keeps then is what there is to see, and how it ended.
    const following = values.follow === true && view.status !== 'ended';
    if (following) out(dim('  (the task log location is unknown: waiting for the end, then the log tail the controller kept)'));
    while (following && view.status !== 'ended') {
      await new Promise((r) => setTimeout(r, pollMs));
      view = await reload();
    }
    out(dim('  (the task log location is unknown; the log tail the controller kept:)'));
    for (const line of storedTailLines('  │ ', view.logTail)) out(line);
    if (following) out(`${outcomeText(view)}${view.reason !== undefined ? ` — ${view.reason}` : ''}`);
    return 0;
  }
  out(dim(`  log ${location.group} ${location.stream}`));
  if (!values.follow || view.status === 'ended') {
    let printed = 0;
    for await (const line of filterEvents(logs, location)) {
      out(taskLines('  │ ', line.message, redactLine));
      printed++;
    }
    // Past the log group's retention the log is gone: the tail the controller kept is what is left.
    if (printed === 0 && view.logTail.length > 0) {
      out(dim('  (no lines in the log any more; the log tail the controller kept:)'));
      for (const line of storedTailLines('  │ ', view.logTail)) out(line);
    }
    return 0;
  }
  // As --wait does (follow.ts): a retried launch's task, with its own stream, is followed once it runs.
  const first = { view, location };
  const taskLog = new TaskLogSwitch(
    async (of) => {
      const at = of === first.view ? first.location : await locate(of);
      if (at === undefined) {
        out(dim(`  (the log location of task ${of.taskArn?.split('/').pop() ?? '?'} is unknown)`));
        return undefined;
      }
      if (of !== first.view) out(dim(`  log ${at.group} ${at.stream}`));
      const follower = new TaskLogFollower(await clients.logs(at.region), at, {
        startTime: 0,
        pollMs,
        onLine: (l) => out(taskLines('  │ ', l.message, redactLine)),
        onReadError: (reason) => out(dim(`  (cannot read the log: ${reason})`)),
      });
      follower.start();
      return () => follower.stop();
    },
    { now: Date.now },
  );
  try {
    await taskLog.update(view);
    while (view.status !== 'ended') {
      await new Promise((r) => setTimeout(r, pollMs));
      view = await reload();
      await taskLog.update(view);
    }
  } finally {
    await taskLog.stop();
  }
  out(`${outcomeText(view)}${view.reason !== undefined ? ` — ${view.reason}` : ''}`);
  return 0;
}

async function serviceRevisions(
  target: Target,
  clients: AwsClients,
): Promise<{ service: string; taskDefinition?: string; problem?: string }[]> {
  if (target.services.length === 0 || target.cluster === undefined) return [];
  try {
    const ecs = await clients.ecs();
    const { services } = await ecs.send(new DescribeServicesCommand({ cluster: target.cluster, services: target.services }));
    return target.services.map((name) => {
      const s = services?.find((x) => x.serviceName === name);
      return s?.taskDefinition !== undefined
        ? { service: name, taskDefinition: s.taskDefinition }
        : { service: name, problem: 'not found' };
    });
  } catch (error) {
    return target.services.map((service) => ({ service, problem: `cannot read: ${error instanceof Error ? error.name : String(error)}` }));
  }
}

function summary(v: DeploymentView): string[] {
  const lines = [
    `${bold('deployment')} ${v.id}  ${outcomeText(v)}`,
    `  kind       ${v.kind}  (${v.trigger.type}${v.trigger.requestedBy !== undefined ? ` by ${v.trigger.requestedBy}` : ''})`,
    `  image      ${v.image ?? '-'}`,
    `  command    ${v.command.join(' ')}`,
  ];
  // How long it ran: a deployment that never launched (superseded, cancelled while queued) took nothing.
  const began = v.startedAt ?? v.launchedAt;
  if (v.endedAt !== undefined && began !== undefined)
    lines.push(`  took       ${formatDuration(Date.parse(v.endedAt) - Date.parse(began))}`);
  if (v.exitCode !== undefined || v.stopCode !== undefined)
    lines.push(`  exit code  ${v.exitCode ?? 'none'}   stop code ${v.stopCode ?? '-'}`);
  if (v.reason !== undefined) lines.push(`  reason     ${v.reason}`);
  if (v.rollout !== undefined) lines.push(`  rollout    ${v.rollout}`);
  for (const s of v.services) lines.push(serviceLine(s));
  return lines;
}

/** The outcome, as `deploy --wait` judges it: a migration that could not move a gated service is not a success. */
export function outcomeText(v: DeploymentView): string {
  if (v.status !== 'ended') return v.status;
  switch (v.outcome) {
    case 'succeeded':
      return v.kind === 'migration' && failedServices(v).length > 0 ? red('rollout failed') : green('succeeded');
    case 'superseded':
    case 'cancelled':
      return yellow(v.outcome);
    default:
      return red(v.outcome ?? 'ended');
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/**
 * Who asked, short enough for one history line: `role/session` of an assumed-role ARN, the user of an IAM
 * user ARN, anything else as given (cut at 40 characters).
 */
export function shortWho(requestedBy: string): string {
  const assumed = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/(.+)$/.exec(requestedBy)?.[1];
  if (assumed !== undefined) return assumed;
  const user = /^arn:aws[a-z-]*:(?:iam|sts)::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(requestedBy)?.[1];
  if (user !== undefined) return user;
  return requestedBy.length > 40 ? `${requestedBy.slice(0, 39)}…` : requestedBy;
}
