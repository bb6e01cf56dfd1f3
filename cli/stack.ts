import { type CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { ROLLOUT_MODES, type RolloutMode, readRedactPatterns, splitCommand } from '../src/core/config.js';
import { regionOf } from './aws-context.js';
import { CliError, EXIT } from './failure.js';

/** The options that say which deployed stack a command talks to: --stack, or its outputs one by one. */
export const TARGET_OPTIONS = {
  stack: { type: 'string' },
  environment: { type: 'string' },
  table: { type: 'string' },
  bus: { type: 'string' },
  source: { type: 'string' },
  'log-group': { type: 'string' },
} as const;

export interface TargetValues {
  stack?: string | undefined;
  environment?: string | undefined;
  table?: string | undefined;
  bus?: string | undefined;
  source?: string | undefined;
  'log-group'?: string | undefined;
}

/** What the CLI knows of the stack that serves one environment. */
export interface Target {
  stack?: string;
  environment: string;
  /** DeploymentsTableName: the deployment records --wait, status, history and logs read. */
  table?: string;
  /** TriggerBusName: the bus deploy-, run-command, cancel- and unlock-requests go on. */
  requestBus: string;
  /** EventSource: the source of those requests. */
  source: string;
  /** TaskLogGroup: the migration container's log group. */
  logGroup?: string;
  cluster?: string;
  /** The services whose rollout the stack gates. */
  services: string[];
  container?: string;
  repositoryUri?: string;
  /** PushArchiveName: the archived ECR pushes `replay --stack` replays. */
  archive?: string;
  /** RequestArchiveName: the archived deploy-requests (`replay --stack … --archive` it). */
  requestArchive?: string;
  /** PushRuleArn: the launcher's push rule, the only rule the push archive is replayed to. */
  pushRule?: string;
  /** RequestRuleArn: the launcher's request rule, the only rule the request archive is replayed to. */
  requestRule?: string;
  /** AllowedCommands (its trimmed entries, as the controller reads ALLOWED_COMMANDS), when the stack says: a command the controller would refuse is refused before sending. */
  allowedCommands?: string[];
  migrationCommand?: string[];
  /** RolloutMode, when the stack says (an older stack does not): a request pause-hook mode would refuse is refused before sending. */
  rolloutMode?: RolloutMode;
  /** RedactPatterns, when the stack says: the task's log is printed redacted with them too, as the stored tail is. */
  redactPatterns?: string[];
}

/** A stack's outputs as a record, read with DescribeStacks. */
export async function stackOutputs(name: string, client: CloudFormationClient): Promise<Record<string, string>> {
  const region = await regionOf(client);
  let stacks: Stack[] | undefined;
  try {
    stacks = (await client.send(new DescribeStacksCommand({ StackName: name }))).Stacks;
  } catch (error) {
    if (error instanceof Error && /does not exist/i.test(error.message)) {
      throw new CliError(`no stack "${name}" in ${region}: check --stack and --region (or AWS_REGION)`, EXIT.usage, { cause: error });
    }
    throw error;
  }
  const stack = stacks?.[0];
  if (stack === undefined) throw new CliError(`no stack "${name}" in ${region}: check --stack and --region`, EXIT.usage);
  return Object.fromEntries((stack.Outputs ?? []).flatMap((o) => (o.OutputKey !== undefined ? [[o.OutputKey, o.OutputValue ?? '']] : [])));
}

/**
 * What a command needs said of its target, checked before any AWS call so a missing --stack is named as such, not
 * as the missing region or credentials the first call would run into: --stack or --environment, and with `table`
 * (the command reads the deployment records) --stack or --table.
 */
export function requireTarget(values: Pick<TargetValues, 'stack' | 'environment' | 'table'>, needs: { table?: boolean } = {}): void {
  if (values.stack === undefined && values.environment === undefined) throw new CliError(WHICH_ENVIRONMENT, EXIT.usage);
  if (needs.table === true && values.stack === undefined && values.table === undefined) throw new CliError(WHICH_TABLE, EXIT.usage);
}

const WHICH_ENVIRONMENT = 'which environment? pass --stack NAME (or --environment ENV)';
const WHICH_TABLE = 'which deployments table? pass --stack NAME (or --table TABLE)';

/**
 * The target of a command: the outputs of --stack (explicit options win), or the options alone. An
 * --environment the stack does not serve is refused here, before anything is sent.
 */
export async function resolveTarget(values: TargetValues, cloudFormation: () => Promise<CloudFormationClient>): Promise<Target> {
  const outputs = values.stack !== undefined ? await stackOutputs(values.stack, await cloudFormation()) : {};
  const served = outputs.Environment;
  if (served !== undefined && values.environment !== undefined && values.environment !== served) {
    throw new CliError(
      `stack ${values.stack} serves environment "${served}", not "${values.environment}": drop --environment or pick the stack of "${values.environment}"`,
      EXIT.usage,
    );
  }
  const environment = values.environment ?? served;
  if (environment === undefined)
    throw new CliError(
      values.stack !== undefined
        ? `stack ${values.stack} has no Environment output (is it an ecs-migrate stack?): pass --environment ENV, or the stack of the environment`
        : WHICH_ENVIRONMENT,
      EXIT.usage,
    );
  const pick = (flag: string | undefined, output: string) => flag ?? nonEmpty(outputs[output]);
  const target: Target = {
    environment,
    // The stack's request bus: the only bus its launcher takes requests from (its policy names who may send).
    requestBus: pick(values.bus, 'RequestBusName') ?? `ecs-migrate-${environment}-requests`,
    source: pick(values.source, 'EventSource') ?? 'ecs-migrate',
    services: (outputs.Services ?? outputs.Service ?? '').split(',').filter((s) => s !== ''),
  };
  if (values.stack !== undefined) target.stack = values.stack;
  const table = pick(values.table, 'DeploymentsTableName');
  if (table !== undefined) target.table = table;
  const logGroup = pick(values['log-group'], 'TaskLogGroup');
  if (logGroup !== undefined) target.logGroup = logGroup;
  for (const [key, output] of [
    ['cluster', 'Cluster'],
    ['container', 'Container'],
    ['repositoryUri', 'RepositoryUri'],
    ['archive', 'PushArchiveName'],
    ['requestArchive', 'RequestArchiveName'],
    ['pushRule', 'PushRuleArn'],
    ['requestRule', 'RequestRuleArn'],
  ] as const) {
    const value = nonEmpty(outputs[output]);
    if (value !== undefined) target[key] = value;
  }
  // The stack says "none" for an empty allowlist (a CloudFormation output cannot be empty).
  if (outputs.AllowedCommands !== undefined)
    target.allowedCommands =
      outputs.AllowedCommands === 'none'
        ? []
        : outputs.AllowedCommands.split(',')
            .map((c) => c.trim())
            .filter((c) => c !== '');
  if (nonEmpty(outputs.MigrationCommand) !== undefined) target.migrationCommand = splitCommand(outputs.MigrationCommand ?? '');
  const patterns = redactPatternsOf(outputs.RedactPatterns);
  if (patterns !== undefined) target.redactPatterns = patterns;
  // A mode this CLI does not know (a newer stack's) refuses nothing: the controller judges.
  const mode = ROLLOUT_MODES.find((m) => m === outputs.RolloutMode);
  if (mode !== undefined) target.rolloutMode = mode;
  return target;
}

/** The deployments table, or the usage error saying how to name it. */
export function tableOf(target: Target): string {
  if (target.table === undefined) throw new CliError(WHICH_TABLE, EXIT.usage);
  return target.table;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The RedactPatterns output as the controller reads REDACT_PATTERNS (a JSON array of regular expressions, or "none");
 * undefined when the stack does not say or says something else (the built-in rules alone then).
 */
function redactPatternsOf(output: string | undefined): string[] | undefined {
  if (output === undefined || output === 'none') return undefined;
  const read = readRedactPatterns(output);
  return read.problems.length === 0 ? read.patterns : undefined;
}
