import { parseArgs } from 'node:util';
import { type Action, assertNever, type Decision } from '../src/core/actions.js';
import type { Config } from '../src/core/config.js';
import { decideContext } from '../src/core/context.js';
import { decide } from '../src/core/decide.js';
import { type Deployment, statusOf } from '../src/core/deployment.js';
import { isJsonObject, jsonKind } from '../src/core/json-value.js';
import { parseInput } from '../src/core/parse.js';
import { decodeDeployment, decodeEnvironment, SCHEMA_VERSION } from '../src/core/records.js';
import { redactor } from '../src/core/redact.js';
import { type ControllerState, emptyEnvironment, type ServiceInfo } from '../src/core/state.js';
import { closestKey } from './config-keys.js';
import { isoTime } from './durations.js';
import { readHook } from './explain-hook.js';
import { CliUsageError, readConfigFile, readJsonFile, readTextFile, shorten, validConfig } from './local-config.js';

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
    values.state !== undefined
      ? await readState(values.state, config.ENVIRONMENT, defaultService(config))
      : defaultState(config.ENVIRONMENT, defaultService(config));
  // As the controller's clock gives it (`toISOString()`): what it says is written into the records shown.
  const now = values.now !== undefined ? isoTime(values.now, '--now') : new Date().toISOString();

  // As the controller parses, decides and says it: what a reason echoes is redacted (REDACT_PATTERNS too).
  const redact = redactor(config.REDACT_PATTERNS);
  let raw: unknown;
  let decided: Decision;
  try {
    raw = JSON.parse(text);
    decided = decide(
      parseInput(raw, { requestSource: config.EVENT_SOURCE, registry: config.REGISTRY, redact }),
      state,
      decideContext(config, now, redact),
    );
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    decided = decide({ kind: 'invalid', reason: `not JSON: ${error.message}` }, state, decideContext(config, now, redact));
  }
  const decision = { ...decided, reason: redact(decided.reason) };

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

/** One line per action, as `explain` prints it. */
export function describeAction(action: Decision['actions'][number]): string {
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
        : `continueRollout ${action.target.services?.join(', ') ?? action.target.service} → ${action.target.services === undefined ? action.taskDefinitionArn : (action.image ?? `${action.taskDefinitionArn} (the others: the image its migration container runs)`)}`;
    case 'haltRollout':
      return action.target.mode === 'pause-hook'
        ? `haltRollout ROLLBACK ${action.target.waiters.map((w) => `${w.service} (${w.hookId})`).join(', ')}`
        : `haltRollout ${action.target.service} stays on its revision`;
    case 'stopTask':
      return `stopTask ${action.taskArn}`;
    case 'stopTasksStartedBy':
      return `stopTasksStartedBy ${action.startedBy}`;
    case 'scheduleTimeout':
      return `scheduleTimeout ${action.deploymentId} at ${action.at} (${checkPurpose(action)})`;
    case 'publish':
      return `publish ${action.events.map((e) => `"${e.detailType}"`).join(', ')} (outbox of the ${action.outbox.record} record)`;
    default:
      return assertNever(action);
  }
}

/** What a scheduled check does when it comes, as `explain` says it. */
function checkPurpose(action: Extract<Action, { type: 'scheduleTimeout' }>): string {
  const attempt = action.attempt ?? 1;
  switch (action.purpose) {
    case undefined:
      return `timeout check of attempt ${attempt}`;
    case 'retry':
      return `launches attempt ${attempt}`;
    case 'deadline':
      return `timeout check of attempt ${attempt}, at a paused deployment's deadline`;
    case 'rollout-watch':
      return 'follows the rollouts to their verdict';
    default:
      return assertNever(action.purpose);
  }
}

const STATE_KEYS = ['env', 'deployments', 'service', 'task', 'hook'];

function closeTo(key: string): string {
  const near = closestKey(key, STATE_KEYS);
  return near !== undefined ? `; did you mean ${near}?` : '';
}

/**
 * A `--state FILE`: a JSON object `{ env, deployments, service, task, hook }` whose environment and deployment records are
 * read through the stores' codec (src/core/records.ts), so a state the controller could not have is a usage
 * error naming the file and the key, never a crash inside decide. A deployment without `schemaVersion` is taken
 * in today's shape (a ControllerState as the controller holds it); one copied from a store keeps its own.
 */
async function readState(path: string, environment: string, fallbackService: ServiceInfo): Promise<ControllerState> {
  const value = await readJsonFile(path, 'state file');
  const bad = (key: string, problem: string) => new CliUsageError(`state file ${path}: ${key}: ${problem}`);
  if (!isJsonObject(value))
    throw new CliUsageError(`state file ${path}: expected a JSON object { env, deployments, service }, got ${jsonKind(value)}`);
  // A typo (`deployment`, `environment`) would explain against an idle environment, as if the key were absent.
  const unknown = Object.keys(value).find((key) => !STATE_KEYS.includes(key));
  if (unknown !== undefined)
    throw bad(shorten(unknown, 40), `not a key of a state file (expected ${STATE_KEYS.join(', ')}${closeTo(unknown)})`);
  let env = emptyEnvironment(environment);
  if (value.env !== undefined) {
    if (!isJsonObject(value.env)) throw bad('env', `expected an environment record (an object), got ${jsonKind(value.env)}`);
    const decoded = decodeEnvironment(value.env);
    if (!decoded.ok) throw bad('env', decoded.problem);
    env = decoded.value;
  }
  const deployments: Record<string, Deployment> = {};
  if (value.deployments !== undefined) {
    if (!isJsonObject(value.deployments))
      throw bad('deployments', `expected an object of deployment records by id, got ${jsonKind(value.deployments)}`);
    for (const [id, item] of Object.entries(value.deployments)) {
      const key = `deployments.${id}`;
      if (!isJsonObject(item)) throw bad(key, `expected a deployment record (an object), got ${jsonKind(item)}`);
      const decoded = decodeDeployment({ schemaVersion: SCHEMA_VERSION, ...item });
      if (!decoded.ok) throw bad(key, decoded.problem);
      if (decoded.value.id !== id) throw bad(key, `the record's id is "${decoded.value.id}", not its key`);
      deployments[id] = decoded.value;
    }
  }
  const task = readTask(value.task, bad);
  const hook = readHook(value.hook, bad);
  const read = { env, deployments, ...(task !== undefined ? { task } : {}), ...(hook !== undefined ? { hook } : {}) };
  // No service: the default one, as without --state; `null`: a service that could not be read (DescribeServices failed).
  const service = value.service;
  if (service === undefined) return { ...read, service: fallbackService };
  if (service === null) return read;
  if (!isJsonObject(service)) throw bad('service', `expected { serviceName, taskDefinitionArn } or null, got ${jsonKind(service)}`);
  for (const field of ['serviceName', 'taskDefinitionArn'])
    if (typeof service[field] !== 'string' || service[field] === '') throw bad(`service.${field}`, 'expected a non-empty string');
  return { ...read, service: service as unknown as ServiceInfo };
}

/** The open deployment's task as DescribeTasks read it (`ControllerState.task`): `{ taskArn, containers: [{ name, exitCode? }] }`. */
function readTask(value: unknown, bad: (key: string, problem: string) => Error): ControllerState['task'] {
  if (value === undefined) return undefined;
  const shape = 'expected { taskArn, containers: [{ name, exitCode? }] }';
  if (!isJsonObject(value) || typeof value.taskArn !== 'string' || value.taskArn === '' || !Array.isArray(value.containers))
    throw bad('task', shape);
  const containers = value.containers.map((c, i) => {
    const ok = isJsonObject(c) && typeof c.name === 'string' && (c.exitCode === undefined || Number.isInteger(c.exitCode));
    if (!ok) throw bad(`task.containers.${i}`, 'expected { name, exitCode? } (exitCode a whole number)');
    return c.exitCode !== undefined ? { name: c.name as string, exitCode: c.exitCode as number } : { name: c.name as string };
  });
  return { taskArn: value.taskArn, containers };
}

function defaultState(environment: string, service: ServiceInfo): ControllerState {
  return { env: emptyEnvironment(environment), deployments: {}, service };
}

/**
 * The service of a state that names none: SERVICE, running revision 1 of the family of its name in REGISTRY's
 * account and region when REGISTRY is an ECR registry (as the stack's is), so that a request naming a task
 * definition can be checked against it; otherwise a task definition that is unknown.
 */
function defaultService(config: Config): ServiceInfo {
  const ecr = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(config.REGISTRY);
  const taskDefinitionArn =
    ecr === null
      ? "(the service's current task definition)"
      : `arn:${ecr[3] !== undefined ? 'aws-cn' : 'aws'}:ecs:${ecr[2]}:${ecr[1]}:task-definition/${config.SERVICE}:1`;
  return { serviceName: config.SERVICE, taskDefinitionArn };
}
