import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EMITTED_TYPES } from '../../src/core/actions.js';
import { drainEvents, resetMoto, testClients } from '../aws/environment.js';
import { sample as sampleJson } from '../support/fixtures.js';
import { type CfnTemplate, type Json, type JsonObject, loadTemplate, REGION, resolver, resource, sampleParameters } from './template.js';

/**
 * The event patterns of template.yaml, read from the template itself (after the SAM transform, parameters
 * resolved) and run by a real matcher: each rule is created on moto's EventBridge with its own SQS queue as
 * target, each sample of events/ is put on the bus, and the queues say which rules it reached. (moto's
 * TestEventPattern is a no-op, but its rules filter deliveries to SQS targets; a Lambda target would 500.)
 */

const clients = testClients();
const { eventbridge: events, sqs } = clients;

const { cloudformation: cfn } = loadTemplate();

type Rule = 'ecrPush' | 'deployRequest' | 'taskState' | 'halted' | 'hookState' | 'deploymentState' | 'notify';
const RULES: Record<Rule, string> = {
  ecrPush: 'LaunchFunctionEcrPush',
  deployRequest: 'LaunchFunctionDeployRequest',
  taskState: 'WatchFunctionMigrationTaskStateChange',
  halted: 'MigrationHaltedRule',
  // The hook rule exists in pause-hook mode only (Condition IsPauseHook); its pattern is tested in both.
  hookState: 'HookStateRule',
  deploymentState: 'WatchFunctionDeploymentStateChange',
  notify: 'DeploymentFailedRule',
};

type Sample = JsonObject & { source: string; 'detail-type': string; detail: JsonObject; resources?: string[] };

function sample(name: string): Sample {
  return sampleJson(name) as Sample;
}

function changed(name: string, change: (event: Sample) => void): Sample {
  const event = sample(name);
  change(event);
  return event;
}

/** A rule's EventPattern from the translated template, resolved for these parameters and pseudo parameters. */
function patternOf(template: CfnTemplate, logicalId: string, parameters: Record<string, string>, account?: string): Json {
  const { resolve } = resolver(template, parameters, account === undefined ? {} : { 'AWS::AccountId': account });
  return resolve<JsonObject>(resource(template, logicalId).Properties).EventPattern as Json;
}

interface Bus {
  queues: Record<Rule, string>;
}

/** The stack's request bus on moto (RequestBus: the bus policy is the template's; moto does not enforce bus policies). */
const REQUEST_BUS = 'ecs-migrate-staging-requests';
const REQUEST_TYPES = ['deploy-request', 'run-command', 'cancel-request', 'unlock-request'];

/** Where an event is put: requests of our source on the request bus (as `ecs-migrate request` does), the rest on the default bus. */
function busFor(event: Sample): string {
  return event.source === 'ecs-migrate' && REQUEST_TYPES.includes(event['detail-type']) ? REQUEST_BUS : 'default';
}

/** The template's rules on moto, each on the bus the template names and with its own queue. */
async function createRules(parameters: Record<string, string>, account?: string): Promise<Bus> {
  const queues = {} as Record<Rule, string>;
  await events.send(new CreateEventBusCommand({ Name: REQUEST_BUS }));
  for (const [rule, logicalId] of Object.entries(RULES) as [Rule, string][]) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `pattern-${rule}` }));
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    const pattern = patternOf(cfn, logicalId, parameters, account);
    const named = String(resolver(cfn, parameters).resolve<JsonObject>(resource(cfn, logicalId).Properties).EventBusName);
    const EventBusName = named === '<RequestBus>' ? REQUEST_BUS : named;
    await events.send(new PutRuleCommand({ Name: logicalId, EventBusName, EventPattern: JSON.stringify(pattern) }));
    await events.send(
      new PutTargetsCommand({ Rule: logicalId, EventBusName, Targets: [{ Id: 'queue', Arn: attributes.Attributes?.QueueArn }] }),
    );
    queues[rule] = QueueUrl ?? '';
  }
  return { queues };
}

/** Takes every message from every queue: the rules each delivered event reached, with the events. */
async function drain(bus: Bus): Promise<Partial<Record<Rule, JsonObject[]>>> {
  const reached: Partial<Record<Rule, JsonObject[]>> = {};
  for (const [rule, url] of Object.entries(bus.queues) as [Rule, string][]) {
    const delivered = await drainEvents(clients, url);
    if (delivered.length > 0) reached[rule] = delivered as unknown as JsonObject[];
  }
  return reached;
}

/** Puts one event on its bus (as AWS or CI would) and returns the rules it reached. moto delivers synchronously. */
async function deliver(bus: Bus, event: Sample, eventBus: string = busFor(event)): Promise<Rule[]> {
  const put = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: eventBus,
          Source: event.source,
          DetailType: event['detail-type'],
          Detail: JSON.stringify(event.detail),
          Resources: event.resources ?? [],
          Time: new Date(String(event.time ?? new Date().toISOString())),
        },
      ],
    }),
  );
  expect(put.FailedEntryCount).toBe(0);
  const reached = await drain(bus);
  for (const delivered of Object.values(reached).flat()) {
    // Each rule got the event itself, once.
    expect(delivered.detail).toEqual(event.detail);
  }
  for (const [rule, delivered] of Object.entries(reached)) expect(delivered, rule).toHaveLength(1);
  return (Object.keys(reached) as Rule[]).sort();
}

/** An operator request as `ecs-migrate cancel` / `unlock` puts it (cli/operator-requests.ts). */
function operatorRequest(detailType: string, detail: Record<string, string>): Sample {
  return {
    ...sample('deploy-request'),
    'detail-type': detailType,
    detail: { environment: 'staging', requestId: 'cli-1', requestedBy: 'arn:aws:iam::123456789012:user/ops', ...detail },
  };
}

/** [case, event, rules it must reach] */
type Case = [string, () => Sample, Rule[]];

const withTagPattern: Case[] = [
  ['ecr-push (tag v1.4.0 matches v*)', () => sample('ecr-push'), ['ecrPush']],
  ['ecr-push-by-digest (no tag, a tag pattern is set)', () => sample('ecr-push-by-digest'), []],
  ['ecr-push-untagged-pattern-miss (tag pr-812)', () => sample('ecr-push-untagged-pattern-miss'), []],
  ['ecr-push-failure', () => sample('ecr-push-failure'), []],
  ['ecr-push-other-repository', () => sample('ecr-push-other-repository'), []],
  ['ecr-delete', () => sample('ecr-delete'), []],
  [
    'an ECR push whose tag only contains the pattern (release-v1)',
    () => changed('ecr-push', (e) => (e.detail['image-tag'] = 'release-v1')),
    [],
  ],
  ['deploy-request', () => sample('deploy-request'), ['deployRequest']],
  ['deploy-request-task-definition', () => sample('deploy-request-task-definition'), ['deployRequest']],
  ['deploy-request-rerun', () => sample('deploy-request-rerun'), ['deployRequest']],
  // The rule filters who and where; what is in the request is the launcher's to judge (it emits Event Rejected).
  ['deploy-request-invalid (reaches the launcher, which rejects it)', () => sample('deploy-request-invalid'), ['deployRequest']],
  ['deploy-request-other-environment', () => sample('deploy-request-other-environment'), []],
  ['run-command', () => sample('run-command'), ['deployRequest']],
  ['run-command-not-allowed (reaches the launcher, which rejects it)', () => sample('run-command-not-allowed'), ['deployRequest']],
  [
    'cancel-request (ecs-migrate cancel)',
    () => operatorRequest('cancel-request', { deploymentId: '20261125-091500-5f2c1a9e' }),
    ['deployRequest'],
  ],
  [
    'unlock-request (ecs-migrate unlock)',
    () => operatorRequest('unlock-request', { reason: 'task lost in an AZ outage' }),
    ['deployRequest'],
  ],
  [
    'an unlock-request for another environment',
    () => changed('deploy-request', (e) => Object.assign(e, operatorRequest('unlock-request', { environment: 'production', reason: 'x' }))),
    [],
  ],
  ['a deploy-request from a foreign source', () => changed('deploy-request', (e) => (e.source = 'someone-else')), []],
  ['a deploy-request with source aws.ecr', () => changed('deploy-request', (e) => (e.source = 'aws.ecr')), []],
  ['another detail-type from the right source', () => changed('deploy-request', (e) => (e['detail-type'] = 'deploy')), []],
  ['task-running', () => sample('task-running'), ['taskState']],
  ['task-stopped-success', () => sample('task-stopped-success'), ['taskState']],
  ['task-stopped-exit-1', () => sample('task-stopped-exit-1'), ['taskState']],
  ['task-stopped-failed-to-start', () => sample('task-stopped-failed-to-start'), ['taskState']],
  ['task-stopped-no-exit-code', () => sample('task-stopped-no-exit-code'), ['taskState']],
  ['task-stopped-oom', () => sample('task-stopped-oom'), ['taskState']],
  ['task-stopped-sidecar-first', () => sample('task-stopped-sidecar-first'), ['taskState']],
  ['task-stopped-by-user', () => sample('task-stopped-by-user'), ['taskState']],
  ['task-stopped-not-ours (startedBy ecs-svc/...)', () => sample('task-stopped-not-ours'), []],
  [
    'a task of ecs-migrate in another cluster',
    () => changed('task-stopped-success', (e) => (e.detail.clusterArn = 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-production')),
    [],
  ],
  ['a task with no startedBy', () => changed('task-stopped-success', (e) => delete e.detail.startedBy), []],
  [
    'a task startedBy "ecs-migrate:" (colon, not slash)',
    () => changed('task-stopped-success', (e) => (e.detail.startedBy = 'ecs-migrate:x')),
    [],
  ],
  ['a task of ours still PROVISIONING', () => changed('task-running', (e) => (e.detail.lastStatus = 'PROVISIONING')), []],
  ['a task of ours DEPROVISIONING', () => changed('task-stopped-success', (e) => (e.detail.lastStatus = 'DEPROVISIONING')), []],
  ['a task event from a foreign source', () => changed('task-stopped-success', (e) => (e.source = 'my.ecs')), []],
  ['timeout-check (Scheduler invokes the watcher directly; no rule takes it)', () => sample('timeout-check'), []],
  ...ecsDeploymentCases(),
  ...emitted(),
];

/** ECS Hook State Change (pause-hook mode) and ECS Deployment State Change of the gated service (shop-api, PRE_SCALE_UP). */
function ecsDeploymentCases(): Case[] {
  const otherService = 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-admin';
  return [
    ['hook-awaiting-action', () => sample('hook-awaiting-action'), ['hookState']],
    ['hook-succeeded (history)', () => sample('hook-succeeded'), ['hookState']],
    ['hook-failed (history)', () => sample('hook-failed'), ['hookState']],
    ['hook-timed-out (history)', () => sample('hook-timed-out'), ['hookState']],
    ['hook-in-progress (says nothing new)', () => sample('hook-in-progress'), []],
    ['a hook at another stage', () => changed('hook-awaiting-action', (e) => (e.detail.lifecycleStage = 'POST_SCALE_UP')), []],
    ['a hook of another service', () => changed('hook-awaiting-action', (e) => (e.detail.serviceArn = otherService)), []],
    [
      'a hook of the service in another cluster',
      () => changed('hook-awaiting-action', (e) => (e.detail.clusterArn = 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-production')),
      [],
    ],
    ['a Lambda hook', () => changed('hook-awaiting-action', (e) => (e.detail.hookType = 'AWS_LAMBDA')), []],
    ['deployment-completed', () => sample('deployment-completed'), ['deploymentState']],
    ['deployment-failed', () => sample('deployment-failed'), ['deploymentState']],
    ['deployment-rolling-back', () => sample('deployment-rolling-back'), ['deploymentState']],
    ['a deployment of another service', () => changed('deployment-completed', (e) => (e.resources = [otherService])), []],
  ];
}

/** What ecs-migrate emits must never trigger it again; only Rollout Halted of this environment reaches the halted queue. */
function emitted(): Case[] {
  // Every type the core can emit, so a new one is covered the day it is added.
  const types = [...EMITTED_TYPES];
  const event = (detailType: string, environment: string, status = 'failed'): Sample => ({
    source: 'ecs-migrate',
    'detail-type': detailType,
    detail: {
      environment,
      deploymentId: '20261125-091500-5f2c1a9e',
      kind: detailType.startsWith('Command') ? 'command' : 'migration',
      status,
      reason: 'exit code 1',
    },
  });
  return [
    // The notification rule takes every deployment that ended badly: a halted rollout, a service that could not be
    // rolled out (a refused update, a failed or rolled-back ECS deployment), a failed command.
    ...types.map(
      (t): Case => [
        `emitted: ${t}`,
        () => event(t, 'staging'),
        t === 'Rollout Halted' ? ['halted', 'notify'] : t === 'Command Failed' || t === 'Rollout Failed' ? ['notify'] : [],
      ],
    ),
    ['emitted: Command Failed of another environment', () => event('Command Failed', 'production'), []],
    // Was: a command that gave way to a migration (outcome superseded) never ran and failed nothing, yet it was
    // notified as a failure and raised MigrationHaltedAlarm. Its requester hears it from the event itself.
    ['emitted: Command Failed of a superseded command', () => event('Command Failed', 'staging', 'superseded'), []],
    ['emitted: Command Failed of a cancelled command', () => event('Command Failed', 'staging', 'cancelled'), ['notify']],
    // Was: the filter for a superseded command also took the Rollout Failed of a superseded pause-hook migration whose
    // ROLLBACK ECS refused: the paused deployment waits for someone to answer it by hand, and nobody was told.
    ['emitted: Rollout Failed of a superseded migration', () => event('Rollout Failed', 'staging', 'superseded'), ['notify']],
    ['emitted: Rollout Halted of another environment', () => event('Rollout Halted', 'production'), []],
  ];
}

const withoutTagPattern: Case[] = [
  ['ecr-push', () => sample('ecr-push'), ['ecrPush']],
  ['ecr-push-by-digest (no tag filter at all)', () => sample('ecr-push-by-digest'), ['ecrPush']],
  ['ecr-push-untagged-pattern-miss (pr-812)', () => sample('ecr-push-untagged-pattern-miss'), ['ecrPush']],
  ['ecr-push-failure', () => sample('ecr-push-failure'), []],
  ['ecr-push-other-repository', () => sample('ecr-push-other-repository'), []],
  ['ecr-delete', () => sample('ecr-delete'), []],
];

describe('rule patterns of template.yaml against events/ (sample config: staging, shop-staging, shop-api, v*)', () => {
  let bus: Bus;
  beforeAll(async () => {
    await resetMoto();
    bus = await createRules(sampleParameters);
  });

  it.each(withTagPattern)('%s', async (_, event, expected) => {
    expect(await deliver(bus, event())).toEqual(expected);
  });
});

describe('rule patterns without a TagPattern', () => {
  let bus: Bus;
  beforeAll(async () => {
    await resetMoto();
    bus = await createRules({ ...sampleParameters, TagPattern: '' });
  });

  it.each(withoutTagPattern)('%s', async (_, event, expected) => {
    expect(await deliver(bus, event())).toEqual(expected);
  });
});

describe('the request bus', () => {
  beforeEach(() => resetMoto());

  it('is the only bus requests are taken from: a request on the default bus reaches nothing', async () => {
    const bus = await createRules(sampleParameters);
    for (const name of ['deploy-request', 'deploy-request-task-definition', 'run-command']) {
      expect(await deliver(bus, sample(name), 'default'), name).toEqual([]);
      expect(await deliver(bus, sample(name), REQUEST_BUS), name).toEqual(['deployRequest']);
    }
    for (const type of ['cancel-request', 'unlock-request']) {
      expect(
        await deliver(
          bus,
          changed('deploy-request', (e) => (e['detail-type'] = type)),
          REQUEST_BUS,
        ),
        type,
      ).toEqual(['deployRequest']);
    }
  });

  it('takes no AWS service events: a push or a task event put there reaches nothing', async () => {
    const bus = await createRules(sampleParameters);
    expect(await deliver(bus, sample('ecr-push'), REQUEST_BUS)).toEqual([]);
    expect(await deliver(bus, sample('task-stopped-success'), REQUEST_BUS)).toEqual([]);
  });
});

describe('the registry account filter of pushes', () => {
  beforeEach(() => resetMoto());

  it('takes pushes of the registry account only', async () => {
    // moto puts every event as account 123456789012: a stack whose registry is another account must not take them.
    const elsewhere = await createRules({ ...sampleParameters, RegistryAccount: '210987654321' });
    expect(await deliver(elsewhere, sample('ecr-push'))).toEqual([]);
  });
});

describe('the account filter of deploy-requests', () => {
  beforeEach(() => resetMoto());

  it("takes requests put by the stack's own account only", async () => {
    // moto puts every event as account 123456789012: a stack in another account must not take them.
    const foreign = await createRules(sampleParameters, '210987654321');
    expect(await deliver(foreign, sample('deploy-request'))).toEqual([]);
    expect(await deliver(foreign, sample('run-command'))).toEqual([]);
    // Pushes count only from the registry account (this account by default), whatever the stack's account.
    expect(await deliver(foreign, sample('ecr-push'))).toEqual([]);
  });
});

describe('the archives', () => {
  beforeEach(() => resetMoto());

  /** Creates the template's archive on moto; returns it as described. */
  async function createArchive(logicalId: string, sourceArn: string) {
    const archive = resolver(cfn).resolve<JsonObject>(resource(cfn, logicalId).Properties);
    await events.send(
      new CreateArchiveCommand({
        ArchiveName: String(archive.ArchiveName),
        EventSourceArn: sourceArn,
        EventPattern: JSON.stringify(archive.EventPattern),
        RetentionDays: Number(archive.RetentionDays),
      }),
    );
    return String(archive.ArchiveName);
  }

  async function replay(name: string, archiveName: string, destination: string): Promise<void> {
    const described = await events.send(new DescribeArchiveCommand({ ArchiveName: archiveName }));
    const now = Date.now();
    await events.send(
      new StartReplayCommand({
        ReplayName: name,
        EventSourceArn: described.ArchiveArn,
        EventStartTime: new Date(now - 24 * 60 * 60 * 1000),
        EventEndTime: new Date(now + 60 * 60 * 1000),
        Destination: { Arn: destination },
      }),
    );
    expect((await events.send(new DescribeReplayCommand({ ReplayName: name }))).State).toBe('COMPLETED');
  }

  it('keep ECR pushes on the default bus and deploy-requests on the request bus; a replay of either reaches the launcher with replay-name', async () => {
    const bus = await createRules(sampleParameters);
    const defaultBus = `arn:aws:events:${REGION}:123456789012:event-bus/default`;
    const requestBus = `arn:aws:events:${REGION}:123456789012:event-bus/${REQUEST_BUS}`;
    expect(resolver(cfn).resolve<JsonObject>(resource(cfn, 'PushArchive').Properties).SourceArn).toBe(defaultBus);
    const pushes = await createArchive('PushArchive', defaultBus);
    const requests = await createArchive('RequestArchive', requestBus);

    const archived = ['ecr-push', 'deploy-request', 'deploy-request-task-definition'];
    const notArchived = [
      'ecr-push-failure',
      'ecr-push-other-repository',
      'deploy-request-other-environment',
      'run-command',
      'task-stopped-success',
    ];
    for (const name of [...archived, ...notArchived]) await deliver(bus, sample(name));
    const count = async (name: string) => (await events.send(new DescribeArchiveCommand({ ArchiveName: name }))).EventCount;
    expect([await count(pushes), await count(requests)]).toEqual([1, 2]);

    await replay('rerun-pushes', pushes, defaultBus);
    await replay('rerun-requests', requests, requestBus);
    const replayed = await drain(bus);
    expect(Object.keys(replayed).sort()).toEqual(['deployRequest', 'ecrPush']);
    expect(replayed.ecrPush?.map((e) => e['replay-name'])).toEqual(['rerun-pushes']);
    expect(replayed.deployRequest?.map((e) => [e['replay-name'], (e.detail as JsonObject).requestId])).toEqual([
      ['rerun-requests', 'gh-run-9812-1'],
      ['rerun-requests', 'gh-run-9813-1'],
    ]);
  });
});

describe('pause-hook rules with Services and another HookStage', () => {
  let bus: Bus;
  beforeAll(async () => {
    await resetMoto();
    bus = await createRules({
      ...sampleParameters,
      RolloutMode: 'pause-hook',
      Service: '',
      Services: 'shop-api,shop-worker',
      HookStage: 'POST_SCALE_UP',
    });
  });
  const worker = 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-worker';

  it.each<Case>([
    [
      'a hook of the second service at HookStage',
      () => changed('hook-awaiting-action', (e) => Object.assign(e.detail, { serviceArn: worker, lifecycleStage: 'POST_SCALE_UP' })),
      ['hookState'],
    ],
    [
      'a hook of the first service at HookStage',
      () => changed('hook-awaiting-action', (e) => (e.detail.lifecycleStage = 'POST_SCALE_UP')),
      ['hookState'],
    ],
    ['a hook at PRE_SCALE_UP (not HookStage)', () => sample('hook-awaiting-action'), []],
    ['a deployment of the second service', () => changed('deployment-failed', (e) => (e.resources = [worker])), ['deploymentState']],
  ])('%s', async (_, event, expected) => {
    expect(await deliver(bus, event())).toEqual(expected);
  });
});
