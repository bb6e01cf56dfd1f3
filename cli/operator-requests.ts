import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CANCEL_REQUEST, UNLOCK_REQUEST } from '../src/core/events.js';
import { type AwsClients, awsClients } from './aws-clients.js';
import { AWS_OPTIONS, clientConfig } from './aws-context.js';
import { callerArn } from './caller.js';
import { CliError, EXIT } from './failure.js';
import { CliUsageError } from './local-config.js';
import { operatorEntry } from './request-entry.js';
import { requireTarget, resolveTarget, TARGET_OPTIONS } from './stack.js';

/** Detail-types of the operator requests; the launcher's request rule matches them (template.yaml). */
export { CANCEL_REQUEST, UNLOCK_REQUEST };

// The request goes on the bus: the table and the log group, which other commands read, are not options here.
const { table: _table, 'log-group': _logGroup, ...REQUEST_TARGET } = TARGET_OPTIONS;

const OPTIONS = {
  ...REQUEST_TARGET,
  ...AWS_OPTIONS,
  reason: { type: 'string' },
  'request-id': { type: 'string' },
  'requested-by': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

const DEPLOYMENT_ID = /^\d{8}-\d{6}-[0-9a-f]{8}$/;

/** `cancel [ID]`: a cancel-request for that deployment (default: the environment's active one). */
export async function cancelCommand(argv: string[], clients?: AwsClients): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const id = positionals[0];
  if (positionals.length > 1) throw new CliUsageError(`cancel takes one deployment id, not ${positionals.join(' ')}`);
  if (id !== undefined && !DEPLOYMENT_ID.test(id))
    throw new CliUsageError(`${id}: not a deployment id (YYYYMMDD-HHMMSS-xxxxxxxx; see "ecs-migrate history")`);
  return send(CANCEL_REQUEST, values, { ...(id !== undefined ? { deploymentId: id } : {}) }, clients);
}

/** `unlock --reason TEXT`: an unlock-request; the reason is kept in the history. */
export async function unlockCommand(argv: string[], clients?: AwsClients): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new CliUsageError(`unexpected arguments: ${positionals.join(' ')} (see ecs-migrate unlock --help)`);
  if (values.reason === undefined || values.reason.trim() === '')
    throw new CliUsageError('unlock needs --reason TEXT (kept in the history; see ecs-migrate unlock --help)');
  return send(UNLOCK_REQUEST, values, {}, clients);
}

async function send(
  detailType: typeof CANCEL_REQUEST | typeof UNLOCK_REQUEST,
  values: { [K in keyof typeof OPTIONS]?: string | boolean | undefined } & { json: boolean; 'dry-run': boolean },
  extra: { deploymentId?: string },
  given?: AwsClients,
): Promise<number> {
  const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
  requireTarget({ stack: str(values.stack), environment: str(values.environment) });
  const reason = str(values.reason);
  if (reason !== undefined && reason.length > 512) throw new CliUsageError('--reason: at most 512 characters');
  const clients = given ?? awsClients(clientConfig({ profile: str(values.profile), region: str(values.region) }));
  await clients.region();
  const target = await resolveTarget(
    { stack: str(values.stack), environment: str(values.environment), bus: str(values.bus), source: str(values.source) },
    () => clients.cloudFormation(),
  );
  const requestId = str(values['request-id']) ?? `cli-${randomUUID()}`;
  const requestedBy = str(values['requested-by']) ?? (await callerArn(clients));
  // Checked with the launcher's own parser, as deploy and run-command are: what it would reject is not sent (exit 2).
  const entry = {
    ...operatorEntry({
      detailType,
      source: target.source,
      environment: target.environment,
      requestId,
      requestedBy,
      ...extra,
      ...(reason !== undefined ? { reason } : {}),
    }),
    EventBusName: target.requestBus,
  };
  const detail: unknown = JSON.parse(entry.Detail);
  if (values['dry-run']) {
    process.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
    return EXIT.ok;
  }
  const result = await (await clients.eventBridge()).send(new PutEventsCommand({ Entries: [entry] }));
  const failed = result.Entries?.find((e) => e.ErrorCode !== undefined);
  if ((result.FailedEntryCount ?? 0) > 0 || failed !== undefined) {
    throw new CliError(
      `the bus ${target.requestBus} did not accept the ${detailType}: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim(),
    );
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ sent: detailType, requestId, detail }, null, 2)}\n`);
  else
    process.stdout.write(
      `sent ${detailType} ${requestId} for ${target.environment}${extra.deploymentId !== undefined ? ` (deployment ${extra.deploymentId})` : ''}; the controller records the result in the history ("ecs-migrate history")\n`,
    );
  return EXIT.ok;
}
