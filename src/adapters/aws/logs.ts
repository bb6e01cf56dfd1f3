import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { LogLocation } from '../../core/deployment.js';
import type { LogRef, Logs } from '../../ports.js';
import { lastLines } from '../last-lines.js';
import { awsErrorInfo, awsFailure } from './aws-error.js';
import { awslogsLocation } from './awslogs.js';

/** How many GetLogEvents pages a tail reads at most (only a short or empty newest page needs a second). */
const TAIL_PAGES = 3;

export interface CloudWatchLogsOptions {
  /**
   * The client for a log group in another region than `logs`' own (awslogs-region). Without it, such a
   * tail is a line saying where the log is.
   */
  logsInRegion?: (region: string) => CloudWatchLogsClient;
}

/**
 * The `Logs` port on CloudWatch Logs: the migration container's `awslogs` settings come from its task
 * definition, its stream is `<prefix>/<container>/<task id>`, and the tail is the last lines of it.
 */
export class CloudWatchTaskLogs implements Logs {
  constructor(
    private readonly ecs: ECSClient,
    private readonly logs: CloudWatchLogsClient,
    private readonly options: CloudWatchLogsOptions = {},
  ) {}

  async tail(ref: LogRef, limits: { lines: number; bytes: number }): Promise<string[]> {
    const where = ref.log ?? (await this.locate(ref));
    if ('none' in where) return [`(no log tail: ${where.none})`];
    const { group, stream } = where;
    const client = await this.clientFor(where.region);
    if (client === undefined) return [`(no log tail here: the log is in ${where.region}, ${group} ${stream})`];
    try {
      // Newest page first; GetLogEvents "can return empty results while there are more log events available through
      // the token", so a short page is followed back, a few pages at most, until the tail has its lines.
      let messages: string[] = [];
      let token: string | undefined;
      for (let page = 0; page < TAIL_PAGES && messages.length < limits.lines; page++) {
        const { events, nextBackwardToken } = await client.send(
          new GetLogEventsCommand({
            logGroupName: group,
            logStreamName: stream,
            startFromHead: false,
            limit: limits.lines - messages.length,
            ...(token !== undefined ? { nextToken: token } : {}),
          }),
        );
        messages = [...(events ?? []).map((e) => e.message ?? ''), ...messages];
        // The same token back is the start of the stream.
        if (nextBackwardToken === undefined || nextBackwardToken === token) break;
        token = nextBackwardToken;
      }
      const lines = messages.flatMap((m) => m.replace(/\r?\n$/, '').split(/\r?\n/));
      return lastLines(lines, limits);
    } catch (error) {
      if (awsErrorInfo(error).name === 'ResourceNotFoundException') {
        return [`(no log stream ${stream} in ${group}: the container wrote nothing, or never started)`];
      }
      throw awsFailure(error, 'logs:GetLogEvents', `check that the role may read log group ${group}`);
    }
  }

  /** The container's `awslogs` settings, from its task definition (when the deployment did not record where its log goes). */
  private async locate(ref: LogRef): Promise<LogLocation | { none: string }> {
    try {
      const { taskDefinition } = await this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref.taskDefinitionArn }));
      const container = taskDefinition?.containerDefinitions?.find((c) => c.name === ref.container);
      if (container === undefined) return { none: `task definition ${ref.taskDefinitionArn} has no container "${ref.container}"` };
      return awslogsLocation(container, ref.container, ref.taskArn);
    } catch (error) {
      throw awsFailure(error, 'ecs:DescribeTaskDefinition', `check the task definition ${ref.taskDefinitionArn}`);
    }
  }

  private async clientFor(region: string | undefined): Promise<CloudWatchLogsClient | undefined> {
    if (region === undefined || region === (await this.logs.config.region())) return this.logs;
    return this.options.logsInRegion?.(region);
  }
}

/**
 * The watcher's log tail: a CloudWatch Logs client with the SDK's defaults (region, credentials, endpoint and
 * retries from the Lambda environment), one more per other region a log group is in, and the ECS client that
 * reads the task definition's awslogs settings. The clients are built on the first tail, not at cold start: an
 * invocation that reads no log does not pay for them.
 */
export function cloudWatchLogTail(clients: { ecs: ECSClient }): Logs {
  let logs: CloudWatchTaskLogs | undefined;
  const byRegion = new Map<string, CloudWatchLogsClient>();
  const logsInRegion = (region: string) => {
    let client = byRegion.get(region);
    if (client === undefined) {
      client = new CloudWatchLogsClient({ region });
      byRegion.set(region, client);
    }
    return client;
  };
  return {
    tail: (ref, limits) => {
      logs ??= new CloudWatchTaskLogs(clients.ecs, new CloudWatchLogsClient({}), { logsInRegion });
      return logs.tail(ref, limits);
    },
  };
}
