import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DescribeArchiveCommand, DescribeRuleCommand, type EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { awsClients } from './aws-clients.js';
import { AWS_OPTIONS, clientConfig } from './aws-context.js';
import { isoTime } from './durations.js';
import { CliError, EXIT } from './failure.js';
import { CliUsageError } from './local-config.js';
import { resolveTarget, type Target } from './stack.js';

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
  // ISO times only (as explain --now): `new Date('0')` is the year 2000, a window over the whole archive.
  const from = new Date(isoTime(values.from, '--from'));
  const to = new Date(isoTime(values.to, '--to'));
  if (from >= to) throw new CliUsageError('--from and --to must be ISO times with --from before --to');
  const NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
  if (values.name !== undefined && !NAME.test(values.name))
    throw new CliUsageError(`--name ${values.name}: 1–64 letters, digits, ".", "-" or "_"`);

  const clients = awsClients(clientConfig(values));
  const client = given ?? (await clients.eventBridge());
  if (given === undefined) await clients.region();
  let replayed: { name: string; rule?: string } = { name: values.archive ?? '' };
  if (values.stack !== undefined) {
    const target = await resolveTarget({ stack: values.stack }, () => clients.cloudFormation());
    const ofStack = archiveOfStack(values.stack, target, values.archive);
    if (ofStack.pushes) await refuseDisabledPushRule(values.stack, target, ofStack.rule, client);
    replayed = ofStack;
  }
  const archiveName = replayed.name;
  // Names are unique per account and region: the archive's (one per stack), the window's end and a hash of the window,
  // so two stacks, or two windows ending alike, never ask for the same name.
  const window = createHash('sha256').update(`${from.toISOString()}|${to.toISOString()}`).digest('hex').slice(0, 6);
  const stamp = to
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14);
  const name = values.name ?? `${archiveName.replace(/[^.\-_A-Za-z0-9]/g, '-').slice(0, 40)}-${stamp}-${window}`;
  const archive = await client.send(new DescribeArchiveCommand({ ArchiveName: archiveName }));
  if (archive.ArchiveArn === undefined || archive.EventSourceArn === undefined)
    throw new CliUsageError(`archive ${archiveName} has no ARN or source bus`);
  const started = await client.send(
    new StartReplayCommand({
      ReplayName: name,
      EventSourceArn: archive.ArchiveArn,
      Destination: { Arn: archive.EventSourceArn, ...(replayed.rule !== undefined ? { FilterArns: [replayed.rule] } : {}) },
      EventStartTime: from,
      EventEndTime: to,
    }),
  );
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ replay: name, state: started.State, archive: archiveName, from: from.toISOString(), to: to.toISOString(), destination: archive.EventSourceArn, ...(replayed.rule !== undefined ? { rule: replayed.rule } : {}) }, null, 2)}\n`,
    );
    return 0;
  }
  process.stdout.write(
    `replay ${name} ${started.State ?? 'started'}: ${archiveName} ${from.toISOString()} → ${to.toISOString()} onto ${archive.EventSourceArn}${replayed.rule !== undefined ? ` (rule ${replayed.rule} only)` : ' (every rule on it whose pattern matches)'}\n`,
  );
  return 0;
}

/**
 * The archive `--stack` replays, and the one rule it is replayed to (StartReplay's FilterArns): without it EventBridge
 * replays to every rule on the bus whose pattern matches, such as the push rule of another stack of the same
 * repository, which would take the pushes as deliberate reruns. The push archive (PushArchiveName, the default)
 * goes to the launcher's push rule (PushRuleArn), the request archive (RequestArchiveName) to its request rule
 * (RequestRuleArn).
 */
function archiveOfStack(stack: string, target: Target, archive: string | undefined): { name: string; rule: string; pushes: boolean } {
  const requests = archive !== undefined && archive === target.requestArchive;
  if (archive !== undefined && !requests && archive !== target.archive)
    throw new CliUsageError(
      `--archive ${archive} is not an archive of stack ${stack} (PushArchiveName ${target.archive ?? '(none)'}, RequestArchiveName ${target.requestArchive ?? '(none)'}): pass one of them, or --archive without --stack`,
    );
  const [name, output] = requests ? [target.requestArchive, 'RequestArchiveName'] : [target.archive, 'PushArchiveName'];
  if (name === undefined) throw new CliUsageError(`stack ${stack} has no ${output} output: pass --archive NAME without --stack`);
  const [rule, ruleOutput] = requests ? [target.requestRule, 'RequestRuleArn'] : [target.pushRule, 'PushRuleArn'];
  if (rule === undefined)
    throw new CliUsageError(
      `stack ${stack} has no ${ruleOutput} output (deployed from a template.yaml older than it): update the stack, so its ${output} is replayed to the launcher's rule alone`,
    );
  return { name, rule, pushes: !requests };
}

/**
 * Refuses (exit 2) to replay pushes to a push rule that is DISABLED: EventBridge would deliver them to nothing, yet
 * report the replay as started. It is disabled in pause-hook mode (RolloutMode output) and with TriggerOnPush=false,
 * which no output says: DescribeRule reads the rule's state. A caller denied events:DescribeRule replays as before.
 */
async function refuseDisabledPushRule(stack: string, target: Target, rule: string, client: EventBridgeClient): Promise<void> {
  if (target.rolloutMode === 'pause-hook')
    throw new CliError(
      `stack ${stack}'s RolloutMode is pause-hook: its push rule is disabled (the services' owner deploys), so replayed pushes would start nothing; nothing was replayed (deploy the service: its paused deployment starts the migration)`,
      EXIT.usage,
    );
  let state: string | undefined;
  try {
    state = (await client.send(new DescribeRuleCommand(ruleOfArn(rule)))).State;
  } catch (error) {
    if (error instanceof Error && /AccessDenied|not authorized/i.test(`${error.name}: ${error.message}`)) return;
    throw error;
  }
  if (state === 'DISABLED')
    throw new CliError(
      `the push rule of stack ${stack} (${rule}) is DISABLED (TriggerOnPush=false): replayed pushes would start nothing; nothing was replayed (send a deploy-request instead: ecs-migrate deploy --stack ${stack} --tag TAG --rerun)`,
      EXIT.usage,
    );
}

/** DescribeRule's input for a rule ARN: `…:rule/NAME` on the default bus, `…:rule/BUS/NAME` on another. */
function ruleOfArn(arn: string): { Name: string; EventBusName?: string } {
  const at = arn.indexOf(':rule/');
  const path = at < 0 ? arn : arn.slice(at + ':rule/'.length);
  const slash = path.lastIndexOf('/');
  return slash < 0 ? { Name: path } : { Name: path.slice(slash + 1), EventBusName: path.slice(0, slash) };
}
