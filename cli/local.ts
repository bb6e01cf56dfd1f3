import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import { checkCommand } from '../src/core/command-policy.js';
import { type Config, parseConfig, ROLLOUT_MODES, splitCommand } from '../src/core/config.js';
import { RERUN_ADVICE } from '../src/core/decide-launch.js';
import type { Deployment, Ended } from '../src/core/deployment.js';
import { REDACTED, redact, redactor } from '../src/core/redact.js';
import type { LocalController } from '../src/local/controller.js';
import { describeOwner, EnvironmentBusyError, LockWaitAbortedError } from '../src/local/env-lock.js';
import { hookStateEvent } from '../src/local/hook-event.js';
import { type LocalRun, runToEnd } from '../src/local/run-to-end.js';
import { type LocalSession, openLocalSession } from '../src/local/session.js';
import { type HostEnvironment, postgresEnvironment } from '../src/local/task-env.js';
import { initialImage } from '../src/local/task-event.js';
import { defaultRequestedBy, localPushEvent, requestEvent } from '../src/local/trigger-events.js';
import { silentLog } from '../src/shell/logger.js';
import { checkLocalConfigKeys } from './config-keys.js';
import { failedServices, failedServicesText } from './deployment-view.js';
import {
  bold,
  decisionLine,
  deploymentSummary,
  dim,
  eventLine,
  green,
  logTailLines,
  outputRedactor,
  red,
  taskLines,
  yellow,
} from './format.js';
import { CliUsageError, checkEnvFile, localConfig, localDefaults, readConfigFile, readTextFile, shorten } from './local-config.js';
import { rememberLocalRedactPatterns } from './local-redaction.js';
import { templateCacheDir } from './local-template.js';
import { LOCAL_USAGE } from './usage.js';

interface LocalOptions {
  app: string;
  tag: string;
  command?: string[];
  run?: string[];
  rerun: boolean;
  json: boolean;
  stateDir: string;
  overrides: Record<string, unknown>;
  stopTimeoutSeconds: number;
  wait: boolean;
  databaseUrl?: string;
  declaredEnv: Record<string, string>;
}

export async function localCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      app: { type: 'string' },
      tag: { type: 'string', default: 'latest' },
      command: { type: 'string' },
      run: { type: 'string' },
      rerun: { type: 'boolean', default: false },
      'timeout-minutes': { type: 'string' },
      'stop-timeout': { type: 'string', default: '30' },
      'no-wait': { type: 'boolean', default: false },
      'database-url': { type: 'string' },
      'env-file': { type: 'string', multiple: true, default: [] },
      env: { type: 'string', multiple: true, default: [] },
      config: { type: 'string' },
      'state-dir': { type: 'string', default: '.ecs-migrate' },
      json: { type: 'boolean', default: false },
      mode: { type: 'string' },
    },
    strict: true,
  });
  if (values.app === undefined) throw new CliUsageError(`--app DIR is required\n${LOCAL_USAGE}`);
  const info = await stat(values.app).catch(() => undefined);
  if (info?.isDirectory() !== true) throw new CliUsageError(`--app ${values.app}: not a directory`);
  const overrides: Record<string, unknown> = values.config !== undefined ? await readConfigFile(values.config) : {};
  if (values.config !== undefined) checkLocalConfigKeys(overrides, values.config);
  if (values['timeout-minutes'] !== undefined)
    overrides.TIMEOUT_MINUTES = configFlag('--timeout-minutes', 'TIMEOUT_MINUTES', values['timeout-minutes']);
  const stopTimeoutSeconds = Number(values['stop-timeout']);
  // A day at most: a timer longer than 2^31 ms fires at once, which would SIGKILL the task without its SIGTERM grace.
  if (!Number.isFinite(stopTimeoutSeconds) || stopTimeoutSeconds < 0 || stopTimeoutSeconds > 86_400)
    throw new CliUsageError(
      `--stop-timeout ${values['stop-timeout']}: expected a number of seconds from 0 to 86400 (SIGTERM, then SIGKILL after it)`,
    );
  const databaseUrlProblem = values['database-url'] !== undefined ? unreadableDatabaseUrl(values['database-url']) : undefined;
  if (databaseUrlProblem !== undefined)
    throw new CliUsageError(`--database-url ${echoedUrl(values['database-url'] ?? '')}: ${databaseUrlProblem}`);
  if (values.mode !== undefined) {
    if (!(ROLLOUT_MODES as readonly string[]).includes(values.mode))
      throw new CliUsageError(`--mode ${values.mode}: expected ${ROLLOUT_MODES.join(' or ')}`);
    // The config file may set ROLLOUT_MODE too; --mode says it on the command line and wins.
    overrides.ROLLOUT_MODE = values.mode;
  }
  const command = values.command !== undefined ? commandOf('--command', values.command, 'db-migrate --verbose') : undefined;
  const run = values.run !== undefined ? commandOf('--run', values.run, 'db-rollback') : undefined;
  // The tag a push names, as ECR allows it (and as `deploy --tag` checks it).
  if (!/^[\w][\w.-]{0,127}$/.test(values.tag))
    throw new CliUsageError(`--tag "${shorten(values.tag)}": not a valid image tag (letters, digits, "_", "." and "-", at most 128)`);
  return runLocal({
    app: values.app,
    tag: values.tag,
    rerun: values.rerun,
    json: values.json,
    stateDir: values['state-dir'],
    overrides,
    stopTimeoutSeconds,
    wait: !values['no-wait'],
    declaredEnv: await declaredEnvironment(values['env-file'], values.env),
    ...(values['database-url'] !== undefined ? { databaseUrl: values['database-url'] } : {}),
    ...(command !== undefined ? { command } : {}),
    ...(run !== undefined ? { run } : {}),
  });
}

/** `--command` / `--run` as argv; an empty one is a usage error, not an event the controller rejects. */
function commandOf(flag: string, line: string, example: string): string[] {
  const argv = splitCommand(line);
  if (argv.length === 0 || argv[0] === '') throw new CliUsageError(`${flag} "${shorten(line)}": expected a command such as "${example}"`);
  return argv;
}

/**
 * A flag's value for configuration key `key`, checked as the key is: its problem names the flag, not the key the user
 * never wrote ("--timeout-minutes 0: expected …", not "TIMEOUT_MINUTES: expected …").
 */
function configFlag(flag: string, key: string, value: string): string {
  const result = parseConfig({ ...localDefaults('app'), [key]: value });
  const problem = result.ok ? undefined : result.problems.find((p) => p.startsWith(`${key}: `));
  if (problem !== undefined) throw new CliUsageError(`${flag} ${shorten(value)}: ${problem.slice(key.length + 2)}`);
  return value;
}

/**
 * A URL as an error line quotes it, shortened, with its password redacted as the controller redacts what it echoes
 * (`redact`). That rule takes only `scheme://` for a URL; in a mistyped one (`postgres:/u:p@h`, `u:p@h`) the user
 * ends at the first ":" after the scheme and the password runs to the last "@" (too much redacted, never too little).
 */
/** What is wrong with a --database-url, read as the task's environment reads it (`postgresEnvironment`). */
function unreadableDatabaseUrl(url: string): string | undefined {
  const expected = 'expected postgres://USER:PASSWORD@HOST:PORT/DATABASE';
  if (!/^postgres(ql)?:\/\//.test(url)) return expected;
  try {
    postgresEnvironment(url);
    return undefined;
  } catch (error) {
    return error instanceof URIError
      ? 'a "%" in it is not a percent-escape: write "%" as "%25" in the user, password and database name'
      : `not a URL: ${expected}`;
  }
}

function echoedUrl(url: string): string {
  const redacted = redact(url);
  if (redacted !== url) return shorten(redacted);
  const scheme = /^[a-z][a-z0-9+.-]*:\/+/i.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  const colon = rest.indexOf(':');
  const at = rest.lastIndexOf('@');
  return shorten(colon >= 0 && at > colon ? `${scheme}${rest.slice(0, colon + 1)}${REDACTED}${rest.slice(at)}` : url);
}

/** The state directory, created if need be; one this user cannot write is a usage error, before anything runs. */
async function writableStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, fsConstants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new CliUsageError(`--state-dir ${dir}: not a directory this user can write (${code}); pass a writable --state-dir`);
  }
}

/** `--env-file` files in order (dotenv syntax), then `--env K=V`: later ones win, as in a task definition. */
async function declaredEnvironment(files: string[], pairs: string[]): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const file of files) await checkEnvFile(file);
  for (const file of files) Object.assign(env, parseEnv(await readTextFile(file, 'env file')));
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliUsageError(`--env ${pair}: expected NAME=VALUE`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

/** The CLI is the one place that reads its own environment: what a task gets of it is handed down from here. */
function hostEnvironment(): { host: HostEnvironment; cacheDir: string } {
  const home = process.env.HOME;
  return {
    host: { PATH: process.env.PATH ?? '', ...(home !== undefined ? { HOME: home } : {}) },
    cacheDir: templateCacheDir(process.env),
  };
}

async function runLocal(options: LocalOptions): Promise<number> {
  // Against --database-url, the environment is that database's (local-<app>-<hash>): what one records is true of it only.
  const config = localConfig(localDefaults(options.app, options.databaseUrl), options.overrides);
  const redactOutput = outputRedactor(config.REDACT_PATTERNS);
  if (config.ROLLOUT_MODE === 'pause-hook' && (options.run !== undefined || options.command !== undefined || options.rerun))
    throw new CliUsageError(
      "pause-hook mode simulates the service owner's deployment of the app's image: run it without --run, --command or --rerun",
    );
  // What the controller would refuse is refused before the database starts, as a usage error (as run-command does).
  const refused = commandRefusal(options, config);
  if (refused !== undefined) throw new CliUsageError(`${refused}: the controller would refuse it; nothing was run`);
  const started = Date.now();
  const print = options.json ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  // Progress (the database starting, ready) only before the verdict: a line after it would read as part of the
  // result, and the database may say it is ready only once the run has decided (even while it closes).
  let decided = false;
  const progress = options.json
    ? () => {}
    : (line: string) => {
        if (!decided) process.stderr.write(`${dim(redact(line))}\n`);
      };
  const { host, cacheDir } = hostEnvironment();
  await writableStateDir(options.stateDir);

  // Ctrl-C / SIGTERM / SIGHUP: stop the task the way ECS stops one (SIGTERM to its process group, SIGKILL after
  // --stop-timeout), let the watcher record it, print the verdict, release the environment, exit 128+n.
  // Again: SIGKILL the task now. A third time: exit at once (the 'exit' hook still kills the group). The same signal
  // again within REPEAT_MS is the same interrupt delivered twice, not a second one: GNU timeout and some process
  // managers send it to the process and to its process group.
  const abort = new AbortController();
  let session: LocalSession | undefined;
  let interruptedBy: NodeJS.Signals | undefined;
  const interrupts = interruptCounter();
  const onSignal = (signal: NodeJS.Signals) => {
    const signals = interrupts(signal, Date.now());
    if (signals === undefined) return;
    // Waiting for the environment, or before the launch: there is no task to stop, and saying so is the truth.
    const task = (session?.controller.ecs.runningTasks().length ?? 0) > 0;
    if (signals === 1) {
      interruptedBy = signal;
      abort.abort();
      print(
        red(
          task
            ? `${signal}: stopping the task (SIGTERM, SIGKILL after ${options.stopTimeoutSeconds} s); again to kill it now`
            : `${signal}: no task started; stopping`,
        ),
      );
      // Also a task launched from now on is stopped at once.
      session?.controller.ecs.stopAll(`ecs-migrate local: interrupted (${signal})`);
    } else if (signals === 2) {
      print(red(task ? `${signal} again: killing the task now` : `${signal} again: no task started; again to exit at once`));
      session?.controller.ecs.killAll();
    } else {
      process.exit(128 + signalNumber(signal));
    }
  };
  const onExit = () => session?.emergencyStop();
  const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of stopSignals) process.on(signal, onSignal);
  process.on('exit', onExit);
  try {
    print(bold(`ecs-migrate local · environment ${config.ENVIRONMENT} · app ${options.app}`));
    try {
      session = await openLocalSession({
        root: resolve(options.stateDir),
        appDir: options.app,
        config,
        host,
        templateCacheDir: cacheDir,
        declaredEnv: options.declaredEnv,
        stopTimeoutMs: options.stopTimeoutSeconds * 1000,
        wait: options.wait,
        signal: abort.signal,
        log: silentLog,
        onProgress: progress,
        // With how to free it, once, when its owner is on another host (which cannot be checked from here).
        onWait: (owner, hint) =>
          print(
            yellow(
              `waiting for environment ${config.ENVIRONMENT}: it is busy with ${describeOwner(owner)}${hint !== undefined ? `; ${hint}` : ''}`,
            ),
          ),
        onStale: (owner, killed) =>
          print(
            red(
              `taking over environment ${config.ENVIRONMENT} from ${describeOwner(owner)}, which is gone${killed ? '; its task was still running and is killed' : ''}`,
            ),
          ),
        // No line of it bare: a `\r` in it starts a prefixed line too (`taskLines`).
        onOutput: (_task, line) => print(taskLines('        │ ', line, redactOutput).split('\n').map(dim).join('\n')),
        onEvent: (e) => print(eventLine(e)),
        onDecision: (_input, decision) => print(decisionLine({ ...decision, reason: localReason(decision.reason) }, Date.now() - started)),
        ...(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : {}),
      });
    } catch (error) {
      if (error instanceof EnvironmentBusyError) {
        process.stderr.write(`ecs-migrate: ${error.message}\n`);
        return 1;
      }
      if (error instanceof LockWaitAbortedError) return 128 + signalNumber(interruptedBy ?? 'SIGINT');
      throw error;
    }
    const recovered = session.interrupted;
    if (recovered !== undefined) {
      const { deployment: left, decision } = recovered;
      // Said ended only when the unlock ended it: a refused one leaves it active, and says why.
      print(
        red(
          left.status === 'ended'
            ? `a previous run was interrupted: deployment ${left.id} ended as ${left.outcome}`
            : `a previous run was interrupted: deployment ${left.id} was not ended${decision !== undefined ? `: ${localReason(decision.reason)}` : ''}`,
        ),
      );
    }
    if (interruptedBy !== undefined) return 128 + signalNumber(interruptedBy);
    // `logs` prints this environment's task output redacted as this run prints it (and as every earlier run did).
    await rememberLocalRedactPatterns(session.controller.layout, config.REDACT_PATTERNS);
    print(dim(`image ${session.image} (tag ${options.tag}) · database ${redact(session.databaseUrl)}`));

    // `--run` takes the service's image; until a migration has been rolled out that is a placeholder no run builds,
    // so the command runs the app as built (a rollback after a failed first migration is the case that needs it).
    const runBuilt =
      options.run !== undefined && (await session.controller.ecs.describeService()).image === initialImage(config.REPOSITORY);
    if (runBuilt) print(dim('no migration has been rolled out here yet: the command runs the app as built'));
    const event =
      config.ROLLOUT_MODE === 'pause-hook'
        ? await pausedDeploymentEvent(session, config.CONTAINER, config.HOOK_STAGE, print)
        : triggerEvent(options, config.EVENT_SOURCE, config.ENVIRONMENT, config.REPOSITORY, session.image, session.digest, runBuilt);
    const result = await runToEnd(session.controller, event);
    await settle(session.controller, options.stopTimeoutSeconds * 1000 + SETTLE_MARGIN_MS);
    decided = true;
    const service = await session.controller.ecs.describeService();
    const code = report(result, service.taskDefinitionArn, options.json, print, Date.now() - started, session.controller);
    return interruptedBy !== undefined ? 128 + signalNumber(interruptedBy) : code;
  } finally {
    await session?.close();
    for (const signal of stopSignals) process.removeListener(signal, onSignal);
    process.removeListener('exit', onExit);
    // The verdict is out and everything is closed: nothing (a stray socket, a timer) may keep the CLI alive.
    setTimeout(() => process.exit(), 2000).unref();
  }
}

/** A signal repeated within this many milliseconds counts once: no human presses Ctrl-C twice that fast. */
const REPEAT_MS = 250;

/**
 * Counts interrupts: the number of this one (1, 2, 3…), or undefined when it is the previous signal delivered again
 * within REPEAT_MS (GNU timeout and some process managers send it to the process and to its process group).
 */
export function interruptCounter(repeatMs = REPEAT_MS): (signal: NodeJS.Signals, now: number) => number | undefined {
  let count = 0;
  let last: { signal: NodeJS.Signals; at: number } | undefined;
  return (signal, now) => {
    if (last !== undefined && last.signal === signal && now - last.at < repeatMs) return undefined;
    last = { signal, at: now };
    return ++count;
  };
}

/**
 * Why the controller would refuse the command of --run (a run-command) or --command (a deploy-request), by its own
 * policy and with the rules it applies (src/core/request-policy.ts): ALLOWED_COMMANDS, also MIGRATION_COMMAND for a
 * deploy-request, and REDACT_PATTERNS. Undefined when it may run.
 */
function commandRefusal(options: LocalOptions, config: Config): string | undefined {
  const command = options.run ?? options.command;
  if (command === undefined) return undefined;
  const check = checkCommand(command, {
    allowed: config.ALLOWED_COMMANDS,
    redact: redactor(config.REDACT_PATTERNS),
    ...(options.run === undefined ? { migrationCommand: config.MIGRATION_COMMAND } : {}),
  });
  return check.ok ? undefined : check.reason;
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? constants.signals.SIGTERM;
}

/**
 * A decision's reason as local mode says it: the core tells a deployed stack's user to send a rerun request, and
 * here that is `--rerun`.
 */
export function localReason(reason: string): string {
  return reason
    .replace(RERUN_ADVICE.again, 'run it again with --rerun')
    .replace(RERUN_ADVICE.rollBack, 'run it with --rerun to roll back to it deliberately');
}

/** How long past the stop timeout (SIGKILL) `settle` waits for a stopped task's last events. */
const SETTLE_MARGIN_MS = 5_000;

/**
 * Lets a stopped task's last events arrive before the summary, so nothing prints after it. A task stopped by a timeout
 * gets its whole `--stop-timeout` (the deployment ended when StopTask went out): the local ECS kills it after that.
 */
async function settle(controller: LocalController, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  while (controller.ecs.runningTasks().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  await controller.idle();
}

/**
 * pause-hook mode: the service owner deploys the app's image with a PAUSE hook at `stage` (simulated by the local
 * ECS); the hook's HOOK_AWAITING_ACTION event is what the controller acts on, as on AWS.
 */
async function pausedDeploymentEvent(
  session: LocalSession,
  container: string,
  stage: string,
  print: (line: string) => void,
): Promise<Record<string, unknown>> {
  const paused = await session.controller.ecs.startPausedDeployment(container, session.image, stage);
  const event = hookStateEvent(paused, 'HOOK_AWAITING_ACTION', new Date());
  if (event === undefined) throw new Error(`the simulated deployment ${paused.serviceDeploymentArn} has no PAUSE hook`);
  print(
    yellow(`the service owner's deployment ${paused.serviceDeploymentArn.split('/').pop()} paused at ${stage}: waiting for the migration`),
  );
  return event;
}

function triggerEvent(
  options: LocalOptions,
  source: string,
  environment: string,
  repository: string,
  image: string,
  digest: string,
  runBuilt: boolean,
): Record<string, unknown> {
  const id = randomUUID();
  const request = { source, id, environment, requestId: id, requestedBy: defaultRequestedBy('local', process.env.USER) };
  if (options.run !== undefined)
    return requestEvent({ ...request, kind: 'run-command', command: options.run, ...(runBuilt ? { image } : {}) });
  if (options.command !== undefined || options.rerun) {
    return requestEvent({
      ...request,
      kind: 'deploy',
      image,
      rerun: options.rerun,
      ...(options.command !== undefined ? { command: options.command } : {}),
    });
  }
  return localPushEvent({ repository, digest, tag: options.tag, id });
}

function report(
  run: LocalRun,
  serviceTaskDefinition: string,
  json: boolean,
  print: (line: string) => void,
  elapsedMs: number,
  controller: LocalController,
): number {
  const d: Deployment | undefined = run.deployment;
  const ended = d?.status === 'ended' ? d : undefined;
  const notMoved = ended !== undefined && ended.kind === 'migration' ? failedServices(ended) : [];
  // An image older than the one rolled out is not "nothing to do": it did not run, and the service stays where it is
  // (on a stack, `deploy --wait` ends 1 for it too).
  const refusedAsOlder = run.decision.decision === 'ignore' && run.decision.reason.includes(RERUN_ADVICE.rollBack);
  const ok =
    ended === undefined
      ? run.decision.decision === 'ignore' && !refusedAsOlder
      : ended.outcome === 'succeeded' && ended.rollout !== 'halted' && notMoved.length === 0;
  const code = ok ? 0 : 1;
  if (json) {
    const summary = {
      outcome:
        ended === undefined
          ? refusedAsOlder
            ? 'refused-older'
            : run.decision.decision
          : ended.kind === 'command'
            ? ended.outcome
            : ended.rollout === 'halted'
              ? 'halted'
              : notMoved.length > 0
                ? 'rollout-failed'
                : 'continued',
      decision: run.decision.decision,
      reason: ended?.reason ?? localReason(run.decision.reason),
      deployment: d,
      service: { taskDefinitionArn: serviceTaskDefinition },
      events: run.events.map((e) => e.detailType),
      stateDir: controller.layout.root,
      elapsedMs,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return code;
  }
  print('');
  if (d === undefined) {
    const reason = localReason(run.decision.reason);
    print(
      refusedAsOlder
        ? red(`not run: ${reason}`)
        : run.decision.decision === 'ignore'
          ? green(`nothing to do: ${reason}`)
          : red(`rejected: ${reason}`),
    );
    return code;
  }
  for (const line of deploymentSummary(d)) print(line);
  if (!ok) for (const line of logTailLines(d)) print(line);
  print(`  service    ${serviceTaskDefinition}`);
  const verdict =
    d.kind === 'command'
      ? ok
        ? green('✔ command succeeded')
        : red('✘ command failed')
      : d.trigger.type === 'pause-hook'
        ? hookVerdict(ended, ok)
        : ok
          ? green(ended?.rollout === 'continued' ? '✔ rollout continued' : `✔ migration succeeded; rollout ${ended?.rollout}`)
          : notMoved.length > 0 && ended?.outcome === 'succeeded'
            ? red(`✘ migration succeeded, but the rollout failed: ${failedServicesText(ended)} not moved`)
            : red('✘ rollout halted: the service stays on its current revision');
  print(`${verdict} ${dim(`in ${(elapsedMs / 1000).toFixed(1)} s · state in ${controller.layout.envDir}`)}`);
  return code;
}

/** pause-hook mode: which answer the paused deployment got, and what that did to the service. */
function hookVerdict(ended: Ended | undefined, ok: boolean): string {
  const services = ended?.services ?? [];
  const answered = (result: string) => services.filter((s) => s.result === result).map((s) => s.service);
  const continued = answered('continued');
  const rolledBack = answered('rolled-back');
  const unanswered = services
    .filter((s) => s.result === 'moved-on')
    .map((s) => `${s.service} (${s.reason ?? 'the hook no longer waited'})`);
  const parts = [
    ...(continued.length > 0 ? [`CONTINUE answered: ${continued.join(', ')} moves to the migrated revision`] : []),
    ...(rolledBack.length > 0 ? [`ROLLBACK answered: ${rolledBack.join(', ')} stays on its current revision`] : []),
    ...(unanswered.length > 0 ? [`not answered: ${unanswered.join(', ')}`] : []),
  ];
  const text = parts.length > 0 ? parts.join('; ') : `migration ${ended?.outcome ?? 'not ended'}; no paused deployment was answered`;
  return ok ? green(`✔ ${text}`) : red(`✘ ${text}`);
}
