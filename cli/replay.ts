import { parseArgs } from 'node:util';
import { DescribeArchiveCommand, EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { CliUsageError } from './local-config.js';
import { REPLAY_USAGE } from './usage.js';

export async function replayCommand(argv: string[], client: EventBridgeClient = new EventBridgeClient({})): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { archive: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, name: { type: 'string' } },
    strict: true,
  });
  if (values.archive === undefined || values.from === undefined || values.to === undefined) throw new CliUsageError(REPLAY_USAGE);
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

  const archive = await client.send(new DescribeArchiveCommand({ ArchiveName: values.archive }));
  if (archive.ArchiveArn === undefined || archive.EventSourceArn === undefined)
    throw new CliUsageError(`archive ${values.archive} has no ARN or source bus`);
  const started = await client.send(
    new StartReplayCommand({
      ReplayName: name,
      EventSourceArn: archive.ArchiveArn,
      Destination: { Arn: archive.EventSourceArn },
      EventStartTime: from,
      EventEndTime: to,
    }),
  );
  process.stdout.write(
    `replay ${name} ${started.State ?? 'started'}: ${values.archive} ${from.toISOString()} → ${to.toISOString()} onto ${archive.EventSourceArn}\n`,
  );
  return 0;
}
