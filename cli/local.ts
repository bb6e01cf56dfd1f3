import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { splitCommand } from '../src/core/config.js';
import type { Deployment } from '../src/core/deployment.js';
import { createLocalController, type LocalController } from '../src/local/controller.js';
import { appName } from '../src/local/images.js';
import { type LocalRun, recoverInterrupted, runToEnd } from '../src/local/run-to-end.js';
import { defaultRequestedBy, localPushEvent, requestEvent } from '../src/local/trigger-events.js';
import { silentLog } from '../src/shell/logger.js';
import { bold, decisionLine, deploymentSummary, dim, eventLine, green, logTailLines, red } from './format.js';
import { CliUsageError, localDefaults, readConfigFile, validConfig } from './local-config.js';
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
      config: { type: 'string' },
      'state-dir': { type: 'string', default: '.ecs-migrate' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.app === undefined) throw new CliUsageError(`--app DIR is required\n${LOCAL_USAGE}`);
  const info = await stat(values.app).catch(() => undefined);
  if (info?.isDirectory() !== true) throw new CliUsageError(`--app ${values.app}: not a directory`);
  const overrides: Record<string, unknown> = values.config !== undefined ? await readConfigFile(values.config) : {};
  if (values['timeout-minutes'] !== undefined) overrides.TIMEOUT_MINUTES = values['timeout-minutes'];
  return runLocal({
    app: values.app,
    tag: values.tag,
    rerun: values.rerun,
    json: values.json,
    stateDir: values['state-dir'],
    overrides,
    ...(values.command !== undefined ? { command: splitCommand(values.command) } : {}),
    ...(values.run !== undefined ? { run: splitCommand(values.run) } : {}),
  });
}

async function runLocal(options: LocalOptions): Promise<number> {
  const app = appName(options.app);
  const config = validConfig({ ...localDefaults(app), ...options.overrides });
  const started = Date.now();
  const print = options.json ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  const controller = createLocalController({
    root: resolve(options.stateDir),
    config,
    log: silentLog,
    onOutput: (_task, line) => print(dim(`        │ ${line}`)),
    onEvent: (e) => print(eventLine(e)),
    onDecision: (_input, decision) => print(decisionLine(decision, Date.now() - started)),
  });
  const interrupt = () => {
    print(red('interrupted: stopping the running task'));
    for (const taskArn of controller.ecs.runningTasks())
      void controller.ecs.stopTask(config.CLUSTER, taskArn, 'ecs-migrate local: interrupted (Ctrl-C)');
  };
  process.once('SIGINT', interrupt);
  try {
    print(bold(`ecs-migrate local · environment ${config.ENVIRONMENT} · app ${options.app}`));
    const { image, digest } = await controller.prepare(options.app);
    const interrupted = await recoverInterrupted(controller);
    if (interrupted !== undefined) print(red(`a previous run was interrupted: deployment ${interrupted.id} ended as failed`));
    print(dim(`image ${image} (tag ${options.tag})`));

    const event = triggerEvent(options, config.EVENT_SOURCE, config.ENVIRONMENT, config.REPOSITORY, image, digest);
    const result = await runToEnd(controller, event);
    await settle(controller);
    const service = await controller.ecs.describeService();
    return report(result, service.taskDefinitionArn, options.json, print, Date.now() - started, controller);
  } finally {
    process.removeListener('SIGINT', interrupt);
    controller.dispose();
  }
}

/** Lets a stopped task's last events arrive before the summary, so nothing prints after it. */
async function settle(controller: LocalController, limitMs = 15_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (controller.ecs.runningTasks().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  await controller.idle();
}

function triggerEvent(
  options: LocalOptions,
  source: string,
  environment: string,
  repository: string,
  image: string,
  digest: string,
): Record<string, unknown> {
  const id = randomUUID();
  const request = { source, id, environment, requestId: id, requestedBy: defaultRequestedBy('local') };
  if (options.run !== undefined) return requestEvent({ ...request, kind: 'run-command', command: options.run });
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
  const ok = d === undefined ? run.decision.decision === 'ignore' : d.status === 'succeeded' && d.rollout !== 'halted';
  const code = ok ? 0 : 1;
  if (json) {
    const summary = {
      outcome: d === undefined ? run.decision.decision : d.kind === 'command' ? d.status : d.rollout === 'halted' ? 'halted' : 'continued',
      decision: run.decision.decision,
      reason: d?.reason ?? run.decision.reason,
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
    print(run.decision.decision === 'ignore' ? green(`nothing to do: ${run.decision.reason}`) : red(`rejected: ${run.decision.reason}`));
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
      : ok
        ? green(d.rollout === 'continued' ? '✔ rollout continued' : `✔ migration succeeded; rollout ${d.rollout}`)
        : red('✘ rollout halted: the service stays on its current revision');
  print(`${verdict} ${dim(`in ${(elapsedMs / 1000).toFixed(1)} s · state in ${controller.layout.envDir}`)}`);
  return code;
}
