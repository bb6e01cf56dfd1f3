import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LOCAL_REGISTRY, splitCommand } from '../src/core/config.js';
import { parseInput } from '../src/core/parse.js';
import { defaultRequestedBy, type RequestFields, requestEvent } from '../src/local/trigger-events.js';
import { CliUsageError } from './local-config.js';
import { REQUEST_USAGE } from './usage.js';

export type RequestOptions = RequestFields & { source: string };

/**
 * The request as an EventBridge entry. It is checked with the controller's own parser first, so the CLI never
 * sends what the controller would reject for its shape (the allowlist is the stack's to judge).
 */
export function requestEntry(o: RequestOptions): { Source: string; DetailType: string; Detail: string } {
  const event = requestEvent(o);
  // `registry` matters only for ECR pushes, never for a request's shape.
  const parsed = parseInput(event, { requestSource: o.source, registry: LOCAL_REGISTRY });
  if (parsed.kind === 'invalid') throw new CliUsageError(parsed.reason);
  return { Source: o.source, DetailType: String(event['detail-type']), Detail: JSON.stringify(event.detail) };
}

export async function requestCommand(argv: string[], client: EventBridgeClient = new EventBridgeClient({})): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      environment: { type: 'string' },
      image: { type: 'string' },
      'task-definition': { type: 'string' },
      command: { type: 'string' },
      rerun: { type: 'boolean', default: false },
      source: { type: 'string', default: 'ecs-migrate' },
      bus: { type: 'string' },
      'request-id': { type: 'string' },
      'requested-by': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const kind = positionals[0];
  if ((kind !== 'deploy' && kind !== 'run-command') || values.environment === undefined) throw new CliUsageError(REQUEST_USAGE);
  if (kind === 'run-command' && values.rerun) throw new CliUsageError('--rerun goes with "request deploy"');
  if (kind === 'run-command' && values.command === undefined) throw new CliUsageError('request run-command needs --command "CMD ARGS"');
  const requestId = values['request-id'] ?? `cli-${randomUUID()}`;
  // The stack's request bus (output RequestBusName): the only bus its launcher takes requests from.
  const bus = values.bus ?? `ecs-migrate-${values.environment}-requests`;
  const entry = requestEntry({
    kind,
    environment: values.environment,
    rerun: values.rerun,
    source: values.source,
    requestId,
    requestedBy: values['requested-by'] ?? defaultRequestedBy('ecs-migrate-cli', process.env.USER),
    ...(values.image !== undefined ? { image: values.image } : {}),
    ...(values['task-definition'] !== undefined ? { taskDefinitionArn: values['task-definition'] } : {}),
    ...(values.command !== undefined ? { command: splitCommand(values.command) } : {}),
  });
  if (values['dry-run']) {
    process.stdout.write(`${JSON.stringify({ ...entry, EventBusName: bus }, null, 2)}\n`);
    return 0;
  }
  const result = await client.send(new PutEventsCommand({ Entries: [{ ...entry, EventBusName: bus }] }));
  const failed = result.Entries?.find((e) => e.ErrorCode !== undefined);
  if ((result.FailedEntryCount ?? 0) > 0 || failed !== undefined) {
    process.stderr.write(
      `ecs-migrate: the bus did not accept the request: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}\n`,
    );
    return 1;
  }
  process.stdout.write(`sent ${entry.DetailType} ${requestId} (event ${result.Entries?.[0]?.EventId ?? '?'}) to bus ${bus}\n`);
  return 0;
}
