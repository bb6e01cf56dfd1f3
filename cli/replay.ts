import { parseArgs } from 'node:util';
import { DescribeArchiveCommand, type EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { awsClients } from './aws-clients.js';
import { AWS_OPTIONS, clientConfig } from './aws-context.js';
import { CliUsageError } from './local-config.js';
import { stackOutputs } from './stack.js';

export async function replayCommand(argv: string[], given?: EventBridgeClient): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...AWS_OPTIONS,
      stack: { type: 'string' },
      archive: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if ((values.archive === undefined && values.stack === undefined) || values.from === undefined || values.to === undefined)
    throw new CliUsageError('replay needs --stack NAME (or --archive NAME), --from and --to (see ecs-migrate replay --help)');
  const from = new Date(values.from);
  const to = new Date(values.to);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to)
    throw new CliUsageError('--from and --to must be ISO times with --from before --to');
  const name =
    values.name ??
    `ecs-migrate-${to
      .toISOString()
      .replace(/[^0-9]/g, '')
      .slice(0, 14)}`;
  if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) throw new CliUsageError(`--name ${name}: 1–64 letters, digits, ".", "-" or "_"`);

  const clients = awsClients(clientConfig(values));
  const client = given ?? (await clients.eventBridge());
  if (given === undefined) await clients.region();
  // --stack replays the archived ECR pushes (output PushArchiveName); the deploy-requests' archive needs --archive.
  const archiveName = values.archive ?? (await stackOutputs(values.stack ?? '', await clients.cloudFormation())).PushArchiveName;
  if (archiveName === undefined) throw new CliUsageError(`stack ${values.stack} has no PushArchiveName output: pass --archive NAME`);
  const archive = await client.send(new DescribeArchiveCommand({ ArchiveName: archiveName }));
  if (archive.ArchiveArn === undefined || archive.EventSourceArn === undefined)
    throw new CliUsageError(`archive ${archiveName} has no ARN or source bus`);
  const started = await client.send(
    new StartReplayCommand({
      ReplayName: name,
      EventSourceArn: archive.ArchiveArn,
      Destination: { Arn: archive.EventSourceArn },
      EventStartTime: from,
      EventEndTime: to,
    }),
  );
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ replay: name, state: started.State, archive: archiveName, from: from.toISOString(), to: to.toISOString(), destination: archive.EventSourceArn }, null, 2)}\n`,
    );
    return 0;
  }
  process.stdout.write(
    `replay ${name} ${started.State ?? 'started'}: ${archiveName} ${from.toISOString()} → ${to.toISOString()} onto ${archive.EventSourceArn}\n`,
  );
  return 0;
}
