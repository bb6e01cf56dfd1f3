import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { type AttributeValue, BatchGetItemCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logsCommand } from '../../cli/inspect.js';
import { KEYS } from '../../src/adapters/aws/store.js';
import type { Deployment } from '../../src/core/deployment.js';
import { encodeDeployment, encodeEnvironment } from '../../src/core/records.js';
import { endedDeployment, runningDeployment, SAMPLE_TASK, TD } from '../support/fixtures.js';

/**
 * `logs ID --follow` "keeps printing new lines until the deployment ends" (LOGS_USAGE). For a running deployment
 * whose record has no log location (a task definition run as it is, e.g. `run-command --task-definition`, or a
 * release 0.1.0 record) and a caller without ecs:DescribeTaskDefinition, the location stays unknown. Was: the command
 * printed the (still empty) stored tail at once and exited 0 while the task ran, never saying how it ended. It waits
 * for the end and prints the tail the controller keeps, as --wait does ("the verdict will show the log tail").
 */

const TABLE = 'ecs-migrate-staging-DeploymentsTable-ABC123';
const TARGET = ['--environment', 'staging', '--table', TABLE, '--region', 'eu-west-1'];

let out: string[];
const ddb = mockClient(DynamoDBClient);
const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);

beforeEach(() => {
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
  logs.on(FilterLogEventsCommand).resolves({ events: [] });
});
afterEach(() => {
  vi.restoreAllMocks();
  ddb.reset();
  ecs.reset();
  logs.reset();
});

type Item = Record<string, AttributeValue>;
function table(records: () => Deployment[]): void {
  const envItem: Item = marshall(
    { ...encodeEnvironment({ environment: 'staging', version: 3 }), ...KEYS.environment('staging') },
    { removeUndefinedValues: true },
  );
  const items = () =>
    records().map(
      (d) => marshall({ ...encodeDeployment(d), ...KEYS.deployment('staging', d.id) }, { removeUndefinedValues: true }) as Item,
    );
  ddb.on(BatchGetItemCommand).callsFake((input: { RequestItems: Record<string, { Keys: Item[] }> }) => {
    const [name, { Keys }] = Object.entries(input.RequestItems)[0] as [string, { Keys: Item[] }];
    const found = [envItem, ...items()].filter((i) => Keys.some((k) => k.pk?.S === i.pk?.S && k.sk?.S === i.sk?.S));
    return { Responses: { [name]: found } };
  });
  ddb.on(QueryCommand).callsFake(() => ({ Items: items() }));
}

describe('logs --follow of a running deployment whose log location is unknown', () => {
  it('follows it to its end and prints how it ended, with the tail the controller kept', async () => {
    const work = { type: 'task-definition' as const, taskDefinitionArn: TD(43) };
    const running = runningDeployment({ kind: 'command', command: ['db-seed'], work, taskArn: SAMPLE_TASK, taskDefinitionArn: TD(43) });
    const ended = endedDeployment('failed', {
      kind: 'command',
      command: ['db-seed'],
      work,
      taskArn: SAMPLE_TASK,
      taskDefinitionArn: TD(43),
      rollout: 'not-applicable',
      stop: { exitCode: 3 },
      reason: 'container "app" exited with code 3: command failed',
      logTail: ['seeding orders', 'ERROR: duplicate key value violates unique constraint "orders_pkey"'],
    });
    let reads = 0;
    table(() => (++reads <= 3 ? [running] : [ended]));
    expect(await logsCommand([running.id, ...TARGET, '--follow'], { pollMs: 5 })).toBe(0);
    const text = out.join('');
    expect(text, text).toContain('duplicate key value violates unique constraint');
    expect(text, text).toMatch(/failed — container "app" exited with code 3/);
  });
});
