import { type FileHandle, open as openFile, readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parseArgs } from 'node:util';
import type { LocalService } from '../src/adapters/local/ecs.js';
import { readJson } from '../src/adapters/local/json-file.js';
import { LocalStore } from '../src/adapters/local/store.js';
import { DEPLOYMENT_ID, type Deployment, statusOf, taskOf } from '../src/core/deployment.js';
import { lockHolder } from '../src/local/env-lock.js';
import { LocalLayout } from '../src/local/layout.js';
import type { DeploymentHistory } from '../src/ports.js';
import { AWS_OPTIONS } from './aws-context.js';
import { lastEnded, viewOf } from './deployment-view.js';
import {
  deploymentSummary,
  dim,
  lastSuccessText,
  logTailLines,
  outputRedactor,
  statusText,
  taskLines,
  taskOutput,
  warnSkipped,
} from './format.js';
import { CliUsageError, shorten } from './local-config.js';
import { localRedactPatterns } from './local-redaction.js';
import { TARGET_OPTIONS } from './stack.js';

const common = {
  ...TARGET_OPTIONS,
  ...AWS_OPTIONS,
  'state-dir': { type: 'string', default: '.ecs-migrate' },
  json: { type: 'boolean', default: false },
} as const;
// Each command takes only the options it uses: one it would ignore (status --follow) is a usage error.
const HISTORY_OPTIONS = { ...common, limit: { type: 'string', default: '20' } } as const;
const LOGS_OPTIONS = { ...common, follow: { type: 'boolean', default: false } } as const;

/** A deployed stack (--stack or --table), else local mode's state directory. */
const onAws = (values: { stack?: string | undefined; table?: string | undefined }) =>
  values.stack !== undefined || values.table !== undefined;

/** The local environment to inspect: --environment, or the only one under the state directory. */
async function open(values: {
  environment?: string | undefined;
  'state-dir': string;
}): Promise<{ environment: string; store: DeploymentHistory; layout: LocalLayout }> {
  const root = resolve(values['state-dir']);
  const found = (await readdir(root, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);
  if (found.length === 0) throw new CliUsageError(`no local state under ${root}: run "ecs-migrate local --app DIR" first`);
  let environment = values.environment;
  if (environment === undefined) {
    if (found.length !== 1)
      throw new CliUsageError(`several environments under ${root} (${found.join(', ')}): choose one with --environment`);
    environment = found[0] as string;
  } else if (!found.includes(environment)) {
    // Only a directory the state directory lists: never a path out of it, nor an empty one reading as "no deployments".
    throw new CliUsageError(
      `no local environment "${shorten(environment)}" under ${root} (there is: ${found.join(', ')}); see --environment`,
    );
  }
  const layout = new LocalLayout(root, environment);
  return { environment, layout, store: new LocalStore(layout, warnSkipped) };
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: common, strict: true });
  if (onAws(values)) return (await import('./inspect-aws.js')).stackStatus(values);
  const { environment, layout, store } = await open(values);
  // Before the records: a run ends its deployment before it releases the environment.
  const holder = await lockHolder(layout.lockFile);
  const env = await store.loadEnvironment(environment);
  const service = await readJson<LocalService>(layout.serviceFile);
  const ids = [env.active?.deploymentId, env.queued].filter((id): id is string => id !== undefined);
  const found = await store.loadDeployments(ids);
  // As the stack's status: the deployment that ended last, among the last 20.
  const recent = await store.listDeployments(environment, 20);
  const lastId = lastEnded(recent.map((d) => viewOf(d, env)))?.id;
  const last = recent.find((d): d is Extract<Deployment, { status: 'ended' }> => d.id === lastId && d.status === 'ended');
  if (values.json) {
    // As the stack's status --json: deployments as views (cli/deployment-view.ts), the lock and the last success.
    const view = (id: string | undefined) => (id !== undefined && found[id] !== undefined ? viewOf(found[id], env) : undefined);
    const services = service !== undefined ? [{ service: service.serviceName, taskDefinition: service.taskDefinitionArn }] : [];
    const status = {
      environment,
      stateDir: layout.envDir,
      services,
      active: view(env.active?.deploymentId),
      queued: view(env.queued),
      lock: env.active,
      last: last !== undefined ? viewOf(last, env) : undefined,
      lastSucceeded: env.lastSucceeded,
    };
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return 0;
  }
  const line = (label: string, value: string) => process.stdout.write(`${label.padEnd(15)}${value}\n`);
  line('environment', `${environment} ${dim(`(${layout.envDir})`)}`);
  line('service', service?.taskDefinitionArn ?? 'not created yet: run "ecs-migrate local --app DIR"');
  const orphaned = env.active !== undefined && (holder.state === 'free' || holder.state === 'gone');
  line(
    'running',
    env.active !== undefined
      ? `${env.active.deploymentId} ${found[env.active.deploymentId] !== undefined ? statusOf(found[env.active.deploymentId] as Deployment) : ''}${orphaned ? ` — ${runGone(environment)}` : ''}`
      : 'nothing',
  );
  line('queued', env.queued ?? 'nothing');
  line(
    'last result',
    last !== undefined ? `${last.id} ${statusText(last)}${last.reason !== undefined ? ` — ${last.reason}` : ''}` : 'none',
  );
  line('last success', lastSuccessText(env));
  return 0;
}

export async function historyCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: HISTORY_OPTIONS, strict: true });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new CliUsageError(`--limit ${values.limit}: expected a whole number ≥ 1`);
  if (onAws(values)) return (await import('./inspect-aws.js')).stackHistory(values, limit);
  const { environment, store } = await open(values);
  const list = await store.listDeployments(environment, limit);
  if (values.json) {
    // As the stack's history --json and logs --json: each deployment as a view.
    const env = await store.loadEnvironment(environment);
    process.stdout.write(
      `${JSON.stringify(
        list.map((d) => viewOf(d, env)),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  if (list.length === 0) process.stdout.write('no deployments yet\n');
  for (const d of list)
    process.stdout.write(`${d.id}  ${statusText(d).padEnd(10)} ${d.kind.padEnd(9)} ${d.trigger.type.padEnd(14)} ${oneLine(d)}\n`);
  return 0;
}

/**
 * `deps.pollMs`: how often `--follow` reads (tests make it short). In local mode as on a stack: `--json` prints
 * `{ deployment, log, lines }` (locally `log` is `{ file }` and a line has no time: the task's output file has none),
 * `--follow` prints the task's output as it is written until the deployment ends, then how it ended.
 */
export async function logsCommand(argv: string[], deps: { pollMs?: number } = {}): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: LOGS_OPTIONS, allowPositionals: true, strict: true });
  const id = positionals[0];
  if (id === undefined) throw new CliUsageError('logs needs a DEPLOYMENT_ID (see ecs-migrate history, and ecs-migrate logs --help)');
  if (positionals.length > 1) throw new CliUsageError(`logs takes one deployment id, not ${shorten(positionals.join(' '))}`);
  // Also a file name in local mode: anything else could name another file of the state directory.
  if (!DEPLOYMENT_ID.test(id))
    throw new CliUsageError(`logs "${shorten(id)}": not a deployment id (YYYYMMDD-HHMMSS-xxxxxxxx, as "ecs-migrate history" lists them)`);
  if (onAws(values)) return (await import('./inspect-aws.js')).stackLogs(values, id, deps.pollMs);
  const { environment, layout, store } = await open(values);
  const { env, deployments } = await store.loadEnvironmentWith(environment, [id]);
  let d = deployments[id];
  if (d === undefined) throw new CliUsageError(`no deployment ${id} in environment ${environment}`);
  const logFile = (of: Deployment) => {
    const taskId = taskOf(of)?.split('/').pop();
    return taskId !== undefined ? layout.taskLogFile(taskId) : undefined;
  };
  // As the environment's last local run printed it: REDACT_PATTERNS too (cli/local.ts writes them).
  const redactLine = outputRedactor(await localRedactPatterns(layout));
  /**
   * The task's output file, open; undefined when there is none. One that cannot be read is said (on stderr), not
   * passed over: what is printed instead is the tail the deployment stored.
   */
  const taskLog = async (of: Deployment) => {
    const file = logFile(of);
    if (file === undefined) return undefined;
    try {
      return { file, handle: await openFile(file, 'r') };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT')
        process.stderr.write(
          `ecs-migrate: cannot read the task log ${file} (${code ?? (error as Error).message}); printing the tail the deployment stored\n`,
        );
      return undefined;
    }
  };
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (values.json) {
    const log = await taskLog(d);
    const head = JSON.stringify(
      { deployment: viewOf(d, env), log: log !== undefined ? { file: log.file } : undefined, lines: [] },
      null,
      2,
    );
    if (log === undefined) {
      out(head);
      return 0;
    }
    // Streamed, as JSON.stringify(…, null, 2) prints it: the file may be too big for one string.
    process.stdout.write(`${head.slice(0, head.lastIndexOf('[]'))}[`);
    let first = true;
    for await (const line of fileLines(log.handle)) {
      const item = JSON.stringify({ message: taskOutput(line, redactLine) }, null, 2).replaceAll('\n', '\n    ');
      await write(`${first ? '' : ','}\n    ${item}`);
      first = false;
    }
    out(first ? ']\n}' : '\n  ]\n}');
    return 0;
  }
  for (const line of deploymentSummary(d)) out(line);
  if (!values.follow || d.status === 'ended') {
    const log = await taskLog(d);
    if (log === undefined) {
      for (const line of logTailLines(d)) out(line);
      return 0;
    }
    out('  task log:');
    // Redacted, and no line of it bare (`taskLines`: a `\r` in it starts a prefixed line too).
    for await (const line of fileLines(log.handle)) await write(`${taskLines('    │ ', line, redactLine)}\n`);
    return 0;
  }
  // --follow: the records and the task's output file, read again every pollMs until the deployment ends, or until
  // no live run holds the environment: only the run that owns a deployment ends it (or the next run's recovery).
  const pollMs = deps.pollMs ?? 1000;
  const log = new OutputFile();
  out('  task log:');
  let orphaned = false;
  for (;;) {
    const file = logFile(d);
    const done = d.status === 'ended' || orphaned;
    if (file !== undefined) for await (const line of log.read(file, done)) await write(`${taskLines('    │ ', line, redactLine)}\n`);
    if (done) break;
    await new Promise((r) => setTimeout(r, pollMs));
    // The lock before the deployment: a run ends its deployment before it releases the environment.
    const holder = await lockHolder(layout.lockFile);
    d = (await store.loadDeployments([id]))[id] ?? d;
    orphaned = d.status !== 'ended' && (holder.state === 'free' || holder.state === 'gone');
  }
  if (!log.found) for (const line of logTailLines(d)) out(line);
  if (orphaned) {
    out(`${statusText(d)} — ${runGone(environment)}`);
    return 1;
  }
  out(`${statusText(d)}${d.status === 'ended' && d.reason !== undefined ? ` — ${d.reason}` : ''}`);
  return 0;
}

/** What a deployment left active by a run that died (SIGKILL, a crash) is waiting for. */
function runGone(environment: string): string {
  return `the "ecs-migrate local" run of it is gone (killed or crashed), so it was interrupted: the next "ecs-migrate local" run for ${environment} ends it`;
}

/**
 * The lines of an open file, read a chunk at a time (a task's output may be too big for one string), as
 * `text.replace(/\n$/, '').split('\n')` gives them; the file is closed at the end.
 */
async function* fileLines(handle: FileHandle): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let any = false;
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: 1024 ** 2 })) {
      const lines = (rest + decoder.write(chunk as Buffer)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        any = true;
        yield line;
      }
    }
    rest += decoder.end();
    if (rest !== '' || !any) yield rest;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Writes to stdout, waiting for it to drain: a big log is not held in memory by a slow reader (a pipe to less). */
function write(text: string): Promise<void> {
  return process.stdout.write(text) ? Promise.resolve() : new Promise((r) => process.stdout.once('drain', r));
}

/**
 * A task's output file as it grows: each read gives the whole lines written since the last one (all, at the end),
 * a chunk at a time (a file that grew by gigabytes between two reads is never one buffer).
 */
class OutputFile {
  private offset = 0;
  private path: string | undefined;
  found = false;

  async *read(path: string, last: boolean): AsyncGenerator<string> {
    if (path !== this.path) {
      this.path = path;
      this.offset = 0;
    }
    const file = await openFile(path, 'r').catch(() => undefined);
    if (file === undefined) return;
    this.found = true;
    try {
      const { size } = await file.stat();
      for (let chunk = FOLLOW_CHUNK; this.offset < size; ) {
        const bytes = Buffer.alloc(Math.min(chunk, size - this.offset));
        const { bytesRead } = await file.read(bytes, 0, bytes.length, this.offset);
        const atEnd = this.offset + bytesRead >= size;
        // Up to the last newline only, unless the task is done and this is the end: a line being written is
        // printed whole, later; one longer than the chunk is read again with a bigger one.
        const end = last && atEnd ? bytesRead : bytes.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
        if (end === 0) {
          if (atEnd || bytesRead === 0) return;
          chunk *= 2;
          continue;
        }
        this.offset += end;
        yield* bytes.subarray(0, end).toString('utf8').replace(/\n$/, '').split('\n');
      }
    } finally {
      await file.close();
    }
  }
}

/** How much of a followed task log is read at once. */
const FOLLOW_CHUNK = 1024 ** 2;

function oneLine(d: Deployment): string {
  return (d.status === 'ended' ? d.reason : undefined) ?? d.history.at(-1)?.note ?? '';
}
