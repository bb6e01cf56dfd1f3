import { parseArgs } from 'node:util';
import { assertNever, type Decision } from '../src/core/actions.js';
import { decide } from '../src/core/decide.js';
import { statusOf } from '../src/core/deployment.js';
import { parseInput } from '../src/core/parse.js';
import { type ControllerState, emptyEnvironment } from '../src/core/state.js';
import { CliUsageError, readConfigFile, readJsonFile, readTextFile, validConfig } from './local-config.js';

/** Parse + decide, never execute. Any file content gets an answer; only an unreadable file is an error (exit 2). */
export async function explainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, state: { type: 'string' }, now: { type: 'string' }, json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (values.config === undefined || positionals.length !== 1)
    throw new CliUsageError('explain needs --config FILE and one EVENT.json (see ecs-migrate explain --help)');
  const config = validConfig(await readConfigFile(values.config));
  const eventPath = positionals[0] as string;
  const text = await readTextFile(eventPath, 'event file');
  const state =
    values.state !== undefined ? await readState(values.state, config.ENVIRONMENT) : defaultState(config.ENVIRONMENT, config.SERVICE);
  const now = values.now ?? new Date().toISOString();
  if (Number.isNaN(Date.parse(now))) throw new CliUsageError(`--now ${now}: expected an ISO-8601 time`);

  let raw: unknown;
  let decision: Decision;
  try {
    raw = JSON.parse(text);
    decision = decide(parseInput(raw, { requestSource: config.EVENT_SOURCE, registry: config.REGISTRY }), state, { config, now });
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    decision = decide({ kind: 'invalid', reason: `not JSON: ${error.message}` }, state, { config, now });
  }

  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ decision: decision.decision, reason: decision.reason, deploymentId: decision.deploymentId, actions: decision.actions }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`${decision.decision}: ${decision.reason}\n`);
    if (decision.deploymentId !== undefined) process.stdout.write(`deployment: ${decision.deploymentId}\n`);
    for (const [i, action] of decision.actions.entries()) process.stdout.write(`  ${i + 1}. ${describeAction(action)}\n`);
  }
  return 0;
}

function describeAction(action: Decision['actions'][number]): string {
  switch (action.type) {
    case 'commit':
      return `commit ${[action.env ? `environment v${action.env.expectedVersion}→v${action.env.state.version}` : '', ...action.deployments.map((d) => `${d.deployment.id}=${statusOf(d.deployment)}`)].filter(Boolean).join(', ')}`;
    case 'launchTask':
      return `launchTask ${action.request.taskDefinitionArn ?? `register ${action.request.baseTaskDefinitionArn} with ${action.request.image}`}, command ${JSON.stringify(action.request.command)}, startedBy ${action.request.startedBy}`;
    case 'putEvent':
      return `putEvent "${action.detailType}"`;
    case 'continueRollout':
      return action.target.mode === 'pause-hook'
        ? `continueRollout CONTINUE ${action.target.waiters.map((w) => `${w.service} (${w.hookId})`).join(', ')}`
        : `continueRollout ${action.target.services?.join(', ') ?? action.target.service} → ${action.target.services !== undefined ? action.image : action.taskDefinitionArn}`;
    case 'haltRollout':
      return action.target.mode === 'pause-hook'
        ? `haltRollout ROLLBACK ${action.target.waiters.map((w) => `${w.service} (${w.hookId})`).join(', ')}`
        : `haltRollout ${action.target.service} stays on its revision`;
    case 'stopTask':
      return `stopTask ${action.taskArn}`;
    case 'stopTasksStartedBy':
      return `stopTasksStartedBy ${action.startedBy}`;
    case 'scheduleTimeout':
      return `scheduleTimeout at ${action.at}`;
    case 'publish':
      return `publish ${action.events.map((e) => `"${e.detailType}"`).join(', ')} (outbox of the ${action.outbox.record} record)`;
    default:
      return assertNever(action);
  }
}

async function readState(path: string, environment: string): Promise<ControllerState> {
  const value = (await readJsonFile(path, 'state file')) as Partial<ControllerState>;
  return {
    env: value.env ?? emptyEnvironment(environment),
    deployments: value.deployments ?? {},
    ...(value.service !== undefined ? { service: value.service } : {}),
  };
}

function defaultState(environment: string, service: string): ControllerState {
  return {
    env: emptyEnvironment(environment),
    deployments: {},
    service: { serviceName: service, taskDefinitionArn: "(the service's current task definition)" },
  };
}
