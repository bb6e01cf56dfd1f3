import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../../cli/stack.js';
import { AWS_CONFIG_KEYS, CONFIG_KEYS, parseConfig } from '../../src/core/config.js';
import {
  type Json,
  type JsonObject,
  loadTemplate,
  REGION,
  repoRoot,
  resolver,
  resource,
  resourcesOfType,
  sampleParameters,
  templateAccepts,
} from './template.js';

/** The translated template's resources, resolved for the sample parameters unless a test says otherwise. */
const { template: sam, cloudformation: cfn } = loadTemplate();
const { resolve } = resolver(cfn);
const props = (logicalId: string): JsonObject => resolve(resource(cfn, logicalId).Properties as Json) as JsonObject;

const FUNCTIONS = { LaunchFunction: 'launch', WatchFunction: 'watch' } as const;

describe('functions', () => {
  for (const [id, name] of Object.entries(FUNCTIONS)) {
    it(`${id}: Node.js 22 on arm64, handlers/${name}.handler, named for the environment, its own log group`, () => {
      const p = props(id);
      expect(p).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: `handlers/${name}.handler`,
        FunctionName: `ecs-migrate-staging-${name}`,
        ReservedConcurrentExecutions: '2', // parameters resolve to strings, as in CloudFormation
        LoggingConfig: { LogGroup: `<${name === 'launch' ? 'Launch' : 'Watch'}LogGroup>` },
      });
      const logGroup = props(`${name === 'launch' ? 'Launch' : 'Watch'}LogGroup`);
      expect(logGroup).toEqual({ LogGroupName: `/aws/lambda/ecs-migrate-staging-${name}`, RetentionInDays: '30' });
    });

    it(`${id}: gets every key of the configuration contract`, () => {
      const variables = (props(id).Environment as { Variables: Record<string, string> }).Variables;
      const contract = [...CONFIG_KEYS, ...AWS_CONFIG_KEYS, 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_LOG_LEVEL'];
      expect(Object.keys(variables).sort()).toEqual(contract.sort());
      expect(variables).toEqual({
        ENVIRONMENT: 'staging',
        CLUSTER: 'shop-staging',
        SERVICE: 'shop-api',
        SERVICES: '',
        ROLLOUT_MODE: 'update-service',
        HOOK_STAGE: 'PRE_SCALE_UP',
        ROLLOUT_WATCH_MINUTES: '30',
        CONTAINER: 'app',
        REPOSITORY: 'shop-api',
        TAG_PATTERN: 'v*',
        MIGRATION_COMMAND: 'db-migrate',
        ALLOWED_COMMANDS: 'db-migrate,db-rollback,db-seed',
        TIMEOUT_MINUTES: '60',
        LAUNCH_RETRIES: '2',
        EVENT_SOURCE: 'ecs-migrate',
        REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        REDACT_PATTERNS: '',
        DEPLOYMENTS_TABLE: '<DeploymentsTable>',
        IDEMPOTENCY_TABLE: '<IdempotencyTable>',
        EVENT_BUS: 'default',
        SCHEDULER_GROUP: '<TimeoutScheduleGroup>',
        SCHEDULER_ROLE_ARN: '<SchedulerRole.Arn>',
        SCHEDULER_DLQ_ARN: '<FailedInvocationQueue.Arn>',
        WATCH_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-watch',
        POWERTOOLS_SERVICE_NAME: 'ecs-migrate',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
    });

    it(`${id}: failed asynchronous invocations go to the failed-invocation queue after Lambda's retries`, () => {
      const [config] = resourcesOfType(cfn, 'AWS::Lambda::EventInvokeConfig').filter(([, r]) => {
        return (resolve(r.Properties as Json) as JsonObject).FunctionName === `<${id}>`;
      });
      expect(config).toBeDefined();
      expect(resolve(config?.[1].Properties as Json)).toMatchObject({
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 21600,
        DestinationConfig: { OnFailure: { Destination: '<FailedInvocationQueue.Arn>' } },
      });
    });
  }

  it('WATCH_FUNCTION_ARN is the ARN of the function named by WatchFunction (the schedules invoke it)', () => {
    const variables = (props('LaunchFunction').Environment as { Variables: Record<string, string> }).Variables;
    expect(variables.WATCH_FUNCTION_ARN?.endsWith(`:function:${String(props('WatchFunction').FunctionName)}`)).toBe(true);
  });

  it('ReservedConcurrency 0 leaves the functions unreserved (0 would throttle everything)', () => {
    const unreserved = resolver(cfn, { ...sampleParameters, ReservedConcurrency: '0' });
    for (const id of Object.keys(FUNCTIONS)) {
      expect(unreserved.resolve(resource(cfn, id).Properties as Json)).not.toHaveProperty('ReservedConcurrentExecutions');
    }
  });
});

describe('rules: retries and dead letters on every target', () => {
  const rules = resourcesOfType(cfn, 'AWS::Events::Rule');

  it('has the trigger rules, the deployment-state rule, the halted-migration and notification rules, and the hook rule in pause-hook mode', () => {
    expect(rules.map(([id, r]) => [id, r.Condition ?? 'always']).sort()).toEqual([
      ['DeploymentFailedRule', 'always'],
      ['HookStateRule', 'IsPauseHook'],
      ['LaunchFunctionDeployRequest', 'always'],
      ['LaunchFunctionEcrPush', 'always'],
      ['MigrationHaltedRule', 'always'],
      ['WatchFunctionDeploymentStateChange', 'always'],
      ['WatchFunctionMigrationTaskStateChange', 'always'],
    ]);
  });

  for (const [id, rule] of rules) {
    it(`${id}: every target has a RetryPolicy and the dead-letter queue`, () => {
      const targets = (resolve(rule.Properties as Json) as { Targets: JsonObject[] }).Targets;
      expect(targets.length).toBeGreaterThan(0);
      for (const target of targets) {
        expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
        expect(target.DeadLetterConfig).toEqual({ Arn: '<DeadLetterQueue.Arn>' });
      }
    });
  }

  it('the dead-letter queue accepts messages from exactly these rules, over TLS', () => {
    const policy = props('DeadLetterQueuePolicy') as { PolicyDocument: { Statement: JsonObject[] } };
    const [allow, deny] = policy.PolicyDocument.Statement;
    expect(allow).toMatchObject({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' });
    const condition = allow?.Condition as { ArnEquals: { 'aws:SourceArn': string[] } } | undefined;
    const always = rules.filter(([, r]) => r.Condition === undefined);
    expect([...(condition?.ArnEquals['aws:SourceArn'] ?? [])].sort()).toEqual(always.map(([id]) => `<${id}.Arn>`).sort());
    expect(deny).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    // pause-hook mode adds the hook rule.
    const hooks = resolver(cfn, { ...sampleParameters, RolloutMode: 'pause-hook' });
    const allowed = hooks.resolve<{ PolicyDocument: { Statement: JsonObject[] } }>(resource(cfn, 'DeadLetterQueuePolicy').Properties)
      .PolicyDocument.Statement[0]?.Condition as { ArnEquals: { 'aws:SourceArn': string[] } };
    expect([...allowed.ArnEquals['aws:SourceArn']].sort()).toEqual(rules.map(([id]) => `<${id}.Arn>`).sort());
  });

  it('TriggerOnPush=false disables the ECR rule only (deploy-requests still migrate)', () => {
    expect(props('LaunchFunctionEcrPush').State).toBe('ENABLED');
    const off = resolver(cfn, { ...sampleParameters, TriggerOnPush: 'false' });
    expect(off.resolve<JsonObject>(resource(cfn, 'LaunchFunctionEcrPush').Properties).State).toBe('DISABLED');
    expect(off.resolve<JsonObject>(resource(cfn, 'LaunchFunctionDeployRequest').Properties).State).toBeUndefined();
  });

  it('AWS service events on the default bus, requests on the request bus, the halted rule on EVENT_BUS', () => {
    const buses = Object.fromEntries(rules.map(([id]) => [id, props(id).EventBusName]));
    expect(buses).toEqual({
      LaunchFunctionEcrPush: 'default',
      LaunchFunctionDeployRequest: '<RequestBus>',
      WatchFunctionMigrationTaskStateChange: 'default',
      WatchFunctionDeploymentStateChange: 'default',
      HookStateRule: 'default',
      MigrationHaltedRule: 'default',
      DeploymentFailedRule: 'default',
    });
    const other = resolver(cfn, { ...sampleParameters, EventBus: 'shop-events' });
    expect(other.resolve(resource(cfn, 'MigrationHaltedRule').Properties as Json)).toMatchObject({ EventBusName: 'shop-events' });
    expect(other.resolve(resource(cfn, 'LaunchFunctionDeployRequest').Properties as Json)).toMatchObject({ EventBusName: '<RequestBus>' });
  });
});

describe('archives', () => {
  it('keep the ECR pushes of the repository on the default bus', () => {
    expect(props('PushArchive')).toEqual({
      ArchiveName: 'ecs-migrate-staging-pushes',
      Description: 'ecs-migrate staging: ECR pushes of the repository, for replay',
      SourceArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/default',
      RetentionDays: '90',
      EventPattern: {
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        account: ['123456789012'],
        detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['shop-api'], 'image-tag': [{ wildcard: 'v*' }] },
      },
    });
  });

  it('keep the deploy-requests of this environment on the request bus', () => {
    expect(props('RequestArchive')).toEqual({
      ArchiveName: 'ecs-migrate-staging-requests',
      Description: 'ecs-migrate staging: deploy-requests, for replay',
      SourceArn: '<RequestBus.Arn>',
      RetentionDays: '90',
      EventPattern: {
        source: ['ecs-migrate'],
        'detail-type': ['deploy-request'],
        account: ['123456789012'],
        detail: { environment: ['staging'] },
      },
    });
  });

  it('archive the same ECR pushes the launcher rule accepts', () => {
    expect(props('PushArchive').EventPattern).toEqual(props('LaunchFunctionEcrPush').EventPattern);
  });

  it('the longest Environment the template accepts fits every name built from it (archive names: 48 characters)', () => {
    const names = (environment: string) => {
      const { resolve: named } = resolver(cfn, { ...sampleParameters, Environment: environment });
      const name = (id: string, property: string) => String(named(resource(cfn, id).Properties?.[property] as Json));
      return {
        // EventBridge: ArchiveName 1-48 characters. Renaming an archive replaces it and loses its events.
        archives: [name('PushArchive', 'ArchiveName'), name('RequestArchive', 'ArchiveName')],
        // Lambda function names, the schedule group and the bus: 64 characters (a bus 256).
        others: [name('LaunchFunction', 'FunctionName'), name('WatchFunction', 'FunctionName'), name('TimeoutScheduleGroup', 'Name')],
        bus: name('RequestBus', 'Name'),
      };
    };
    const longest = Array.from({ length: 64 }, (_, i) => `e${'x'.repeat(63 - i)}`).find((e) => templateAccepts(sam, 'Environment', e));
    const { archives, others, bus } = names(longest ?? '');
    for (const archive of archives) expect(archive.length, archive).toBeLessThanOrEqual(48);
    expect(longest?.length).toBe(27);
    expect(archives).toContain(`ecs-migrate-${longest}-requests`);
    for (const other of others) expect(other.length, other).toBeLessThanOrEqual(64);
    expect(bus.length).toBeLessThanOrEqual(256);
    expect(templateAccepts(sam, 'Environment', `e${'x'.repeat(27)}`)).toBe(false);
    const parameter = sam.Parameters.Environment as unknown as JsonObject;
    expect(parameter.ConstraintDescription).toMatch(/at most 27 characters/);
  });

  it("docs/deploy.md and README say a stack's environment name is at most 27 characters", () => {
    const deploy = readFileSync(join(repoRoot, 'docs', 'deploy.md'), 'utf8');
    expect(deploy.split('\n').find((l) => l.startsWith('| `Environment`'))).toMatch(/≤ 27 chars/);
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme.split('\n').find((l) => l.startsWith('| `ENVIRONMENT`'))).toMatch(/27/);
  });
});

describe('tables', () => {
  it('deployments: pk/sk strings, on demand, point-in-time recovery, encrypted', () => {
    expect(props('DeploymentsTable')).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(props('DeploymentsTable')).not.toHaveProperty('GlobalSecondaryIndexes');
  });

  it("idempotency: Powertools' default schema (id, TTL on expiration), on demand, PITR, encrypted", () => {
    expect(props('IdempotencyTable')).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it.each([
    ['staging', 'auto', false],
    ['production', 'auto', true],
    ['prod', 'auto', true],
    ['staging', 'true', true],
    ['production', 'false', false],
  ])('Environment %s with DeletionProtection %s: deletion protection %s', (environment, setting, expected) => {
    const r = resolver(cfn, { ...sampleParameters, Environment: environment, DeletionProtection: setting });
    for (const table of ['DeploymentsTable', 'IdempotencyTable']) {
      expect(r.resolve(resource(cfn, table).Properties as Json)).toMatchObject({ DeletionProtectionEnabled: expected });
    }
  });
});

describe('alarms', () => {
  const alarms = resourcesOfType(cfn, 'AWS::CloudWatch::Alarm').map(([id]) => id);

  it('watch the dead letters, the failed invocations, the halted migrations and both functions’ errors', () => {
    expect(alarms.sort()).toEqual([
      'DeadLetterAlarm',
      'FailedInvocationAlarm',
      'LaunchErrorsAlarm',
      'MigrationHaltedAlarm',
      'WatchErrorsAlarm',
    ]);
    const queueOf = (id: string) => (props(id).Dimensions as JsonObject[])[0]?.Value;
    expect(queueOf('DeadLetterAlarm')).toBe('<DeadLetterQueue.QueueName>');
    expect(queueOf('FailedInvocationAlarm')).toBe('<FailedInvocationQueue.QueueName>');
    expect(queueOf('MigrationHaltedAlarm')).toBe('<DeploymentFailedRule>');
    expect(queueOf('LaunchErrorsAlarm')).toBe('<LaunchFunction>');
    expect(queueOf('WatchErrorsAlarm')).toBe('<WatchFunction>');
    for (const id of alarms) expect(props(id), id).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('notify the SNS topic when one is given, and have no actions otherwise', () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:ops';
    const withTopic = resolver(cfn, { ...sampleParameters, AlarmTopicArn: topic });
    for (const id of alarms) {
      expect(withTopic.resolve(resource(cfn, id).Properties as Json), id).toMatchObject({ AlarmActions: [topic] });
      expect(props(id), id).not.toHaveProperty('AlarmActions');
      expect(props(id), id).not.toHaveProperty('OKActions');
    }
  });

  it('the halted rule puts Rollout Halted events of this environment into the halted-migrations queue', () => {
    expect(props('MigrationHaltedRule')).toMatchObject({
      EventPattern: { source: ['ecs-migrate'], 'detail-type': ['Rollout Halted'], detail: { environment: ['staging'] } },
      Targets: [{ Id: 'halted-migrations', Arn: '<HaltedMigrationsQueue.Arn>' }],
    });
    const policy = props('HaltedMigrationsQueuePolicy') as { PolicyDocument: { Statement: JsonObject[] } };
    expect(policy.PolicyDocument.Statement[0]?.Condition).toEqual({ ArnEquals: { 'aws:SourceArn': '<MigrationHaltedRule.Arn>' } });
  });

  it('the halted-migrations alarm counts the notification rule’s matches per 5 minutes, so it clears by itself', () => {
    expect(props('MigrationHaltedAlarm')).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'MatchedEvents',
      Dimensions: [{ Name: 'RuleName', Value: '<DeploymentFailedRule>' }],
      Statistic: 'Sum',
      Period: 300,
      TreatMissingData: 'notBreaching',
    });
  });

  it('an alarm on a rule names the metric EventBridge publishes for it, also when EventBus is a custom bus', () => {
    /** Each rule's Ref as CloudFormation gives it: its name on the default bus, "<bus>|<name>" on a custom bus. */
    const dimensions = (alarm: string, eventBus: string): JsonObject[] => {
      let text = JSON.stringify(cfn);
      for (const [rule, r] of resourcesOfType(cfn, 'AWS::Events::Rule')) {
        const bus = String(resolver(cfn, { ...sampleParameters, EventBus: eventBus }).resolve(r.Properties?.EventBusName ?? 'default'));
        const name = `ecs-migrate-staging-${rule}-ABC123`;
        text = text.replaceAll(`{"Ref":"${rule}"}`, JSON.stringify(bus === 'default' ? name : `${bus}|${name}`));
      }
      const withRuleIds = JSON.parse(text) as typeof cfn;
      return resolver(withRuleIds, { ...sampleParameters, EventBus: eventBus }).resolve<JsonObject[]>(
        resource(withRuleIds, alarm).Properties?.Dimensions,
      );
    };
    // Every alarm on a rule's metrics: with a custom bus, the bus and a plain rule name.
    const onRules = alarms.filter((id) => props(id).Namespace === 'AWS/Events');
    expect(onRules).toContain('MigrationHaltedAlarm');
    for (const id of onRules) {
      const named = Object.fromEntries(dimensions(id, 'shop-events').map((d) => [d.Name, d.Value]));
      expect(named, id).toMatchObject({ EventBusName: 'shop-events', RuleName: expect.not.stringContaining('|') });
    }
    const rule = 'ecs-migrate-staging-DeploymentFailedRule-ABC123';
    // The default bus: MatchedEvents has the RuleName dimension only.
    expect(dimensions('MigrationHaltedAlarm', 'default')).toEqual([{ Name: 'RuleName', Value: rule }]);
    // A custom bus: EventBusName and RuleName, the rule's name (Ref's "<bus>|<name>" names no metric: the alarm
    // would stay OK through every halted deployment).
    expect(dimensions('MigrationHaltedAlarm', 'shop-events')).toEqual([
      { Name: 'EventBusName', Value: 'shop-events' },
      { Name: 'RuleName', Value: rule },
    ]);
  });

  it('every queue is encrypted and keeps messages 14 days', () => {
    for (const [id] of resourcesOfType(cfn, 'AWS::SQS::Queue')) {
      expect(props(id), id).toEqual({ MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
    }
  });
});

describe('notifications', () => {
  it('a deployment that ended badly (halted rollout, a service not rolled out, failed command) of this environment goes to the topic', () => {
    const rule = props('DeploymentFailedRule') as { EventPattern: Json; Targets: JsonObject[] };
    expect(rule.EventPattern).toEqual({
      source: ['ecs-migrate'],
      'detail-type': ['Rollout Halted', 'Rollout Failed', 'Command Failed'],
      // A command that gave way before it ran is no failure to notify (test/template/event-patterns.test.ts runs it).
      detail: { environment: ['staging'], $or: [{ kind: ['migration'] }, { status: [{ 'anything-but': 'superseded' }] }] },
    });
    expect(rule.Targets.map((t) => [t.Id, t.Arn])).toEqual([
      ['notification-topic', '<NotificationTopic>'],
      ['chat-notification-topic', '<ChatNotificationTopic>'],
    ]);
  });

  it('the chat topic gets the same message in AWS Chatbot’s custom-notification JSON (Chatbot drops plain text)', () => {
    const targets = (
      props('DeploymentFailedRule') as { Targets: { InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[] }
    ).Targets;
    const [text, chat] = targets.map((t) => t.InputTransformer);
    expect(chat?.InputPathsMap).toEqual(text?.InputPathsMap);
    // Valid JSON once EventBridge has put the values in.
    const message = JSON.parse((chat?.InputTemplate ?? '').replace(/<([A-Za-z0-9]+)>/g, 'value-of-$1'));
    expect(message).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
    expect(message.content.title).toBe(':x: ecs-migrate value-of-environment: value-of-detailType (value-of-status)');
    expect(message.content.description).toContain('*exit code* value-of-exitCode');
    expect(message.content.description).toContain('ecs-migrate logs value-of-deploymentId --stack ecs-migrate-staging');
  });

  it('the message is short text: environment, image, exit code, reason, last log lines and the command to see it all', () => {
    const target = (
      props('DeploymentFailedRule') as { Targets: { InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[] }
    ).Targets[0];
    const transformer = target?.InputTransformer;
    expect(transformer?.InputPathsMap).toMatchObject({
      environment: '$.detail.environment',
      image: '$.detail.image',
      exitCode: '$.detail.exitCode',
      reason: '$.detail.reason',
      log1: '$.detail.logTailEnd[0]',
    });
    const template = transformer?.InputTemplate ?? '';
    // Every placeholder is one of the paths (EventBridge rejects an unknown one at deploy time).
    const used = [...template.matchAll(/<([A-Za-z0-9]+)>/g)].map((m) => m[1]);
    expect(new Set(used)).toEqual(new Set(Object.keys(transformer?.InputPathsMap ?? {})));
    // One quoted string per line: EventBridge sends multi-line text to SNS this way.
    for (const line of template.split('\n')) expect(line).toMatch(/^".*"$/);
    expect(template).toContain('ecs-migrate logs <deploymentId> --stack ');
  });

  it('the topics take messages from that rule only; the e-mail subscription exists only when an address is given', () => {
    // EventBridge cannot publish to a topic encrypted with the AWS-managed key alias/aws/sns.
    for (const id of ['NotificationTopic', 'ChatNotificationTopic']) expect(props(id), id).not.toHaveProperty('KmsMasterKeyId');
    const policy = props('NotificationTopicPolicy') as { Topics: string[]; PolicyDocument: { Statement: JsonObject[] } };
    expect(policy.Topics).toEqual(['<NotificationTopic>', '<ChatNotificationTopic>']);
    expect(policy.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: ['<NotificationTopic>', '<ChatNotificationTopic>'],
        Condition: { ArnEquals: { 'aws:SourceArn': '<DeploymentFailedRule.Arn>' } },
      }),
    ]);
    expect(resource(cfn, 'NotificationEmailSubscription').Condition).toBe('HasNotificationEmail');
    const withEmail = resolver(cfn, { ...sampleParameters, NotificationEmail: 'ops@example.com' });
    const hasEmail = { 'Fn::If': ['HasNotificationEmail', true, false] };
    expect(withEmail.resolve(hasEmail)).toBe(true);
    expect(resolve(hasEmail)).toBe(false);
    expect(withEmail.resolve(resource(cfn, 'NotificationEmailSubscription').Properties as Json)).toEqual({
      TopicArn: '<NotificationTopic>',
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});

describe('parameters the configuration checks again at cold start', () => {
  /** Whether the functions start with `parameter` = `value` (config.ts; the functions fail every cold start otherwise). */
  const starts = (key: string, value: string, base: Record<string, string>) =>
    parseConfig({ ENVIRONMENT: 'staging', CLUSTER: 'c', CONTAINER: 'app', REPOSITORY: 'r', ...base, [key]: value }).ok;

  it('LaunchRetries: the template takes exactly the whole numbers of retries the configuration takes (0 to 5)', () => {
    for (const value of ['0', '1', '2', '3', '4', '5', '-1', '6', '1.5', '0.5', '4.99', '1e0', 'two', '']) {
      const deploys = templateAccepts(sam, 'LaunchRetries', value);
      if (deploys)
        expect(starts('LAUNCH_RETRIES', value, { SERVICE: 's' }), `LaunchRetries=${value} deploys, then every cold start fails`).toBe(true);
    }
    for (const value of ['0', '1', '2', '3', '4', '5']) expect(templateAccepts(sam, 'LaunchRetries', value), value).toBe(true);
    expect(templateAccepts(sam, 'LaunchRetries', String(sam.Parameters.LaunchRetries?.Default))).toBe(true);
  });

  it('Services: the template refuses a service named twice, as the configuration does, and takes distinct names', () => {
    const twice = ['web,web', 'api,web,api', 'a,b,c,d,a', 'a,b,a,b', 'worker,web,worker'];
    const distinct = ['', 'web', 'web,worker', 'web,webx', 'xweb,web', 'ab,b', 'b,ab', 'a,b,c,d,e', 'Web,web', 'w-1,w_1'];
    for (const value of twice) {
      expect(templateAccepts(sam, 'Services', value), `Services=${value}`).toBe(false);
      expect(starts('SERVICES', value, {}), value).toBe(false);
    }
    for (const value of distinct) {
      expect(templateAccepts(sam, 'Services', value), `Services=${value}`).toBe(true);
      if (value !== '') expect(starts('SERVICES', value, {}), value).toBe(true);
    }
    expect(templateAccepts(sam, 'Services', 'a,b,c,d,e,f')).toBe(false); // at most 5
  });
});

describe('schedules and outputs', () => {
  it('the schedule group is named for the environment (the scheduler role trusts only it)', () => {
    expect(props('TimeoutScheduleGroup')).toEqual({ Name: 'ecs-migrate-staging' });
  });

  it('outputs what the CLI and users need', () => {
    const outputs = Object.keys(cfn.Outputs ?? {});
    for (const name of [
      'LaunchFunctionName',
      'WatchFunctionName',
      'DeploymentsTableName',
      'IdempotencyTableName',
      'PushArchiveName',
      'RequestArchiveName',
      'PushRuleArn',
      'RequestRuleArn',
      'RequestBusName',
      'EventBusName',
      'EventSource',
      'ScheduleGroupName',
      'DeadLetterQueueUrl',
      'FailedInvocationQueueUrl',
      'HaltedMigrationsQueueUrl',
      // read by the CLI's --stack (cli/stack.ts)
      'Environment',
      'TaskLogGroup',
      'Cluster',
      'Services',
      'Container',
      'RepositoryUri',
      'AllowedCommands',
      'MigrationCommand',
      'RedactPatterns',
      'RolloutMode',
      'NotificationTopicArn',
      'ChatNotificationTopicArn',
    ]) {
      expect(outputs).toContain(name);
    }
    // deploy --command is checked against it before sending (cli/stack.ts reads the MigrationCommand output).
    expect(resolve(cfn.Outputs?.MigrationCommand?.Value)).toBe('db-migrate');
  });

  /** What `--stack` reads of the stack whose outputs the template gives, their values resolved by `resolveValue`. */
  async function targetOfStack(resolveValue: (value: Json | undefined) => unknown) {
    const Outputs = Object.entries(cfn.Outputs ?? {}).map(([OutputKey, o]) => ({ OutputKey, OutputValue: String(resolveValue(o.Value)) }));
    const cloudFormation = mockClient(CloudFormationClient);
    cloudFormation
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ StackName: 'ecs-migrate-staging', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs }] });
    try {
      return await resolveTarget({ stack: 'ecs-migrate-staging' }, async () => new CloudFormationClient({ region: REGION }));
    } finally {
      cloudFormation.restore();
    }
  }

  it('gives --stack every output cli/stack.ts reads (a missing one silently skips a check before sending)', async () => {
    expect(await targetOfStack(resolve)).toEqual({
      stack: 'ecs-migrate-staging',
      environment: 'staging',
      requestBus: '<RequestBus>',
      source: 'ecs-migrate',
      services: ['shop-api'],
      table: '<DeploymentsTable>',
      logGroup: '/ecs/shop-api',
      cluster: 'shop-staging',
      container: 'app',
      repositoryUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api',
      archive: '<PushArchive>',
      requestArchive: '<RequestArchive>',
      pushRule: '<LaunchFunctionEcrPush.Arn>',
      requestRule: '<LaunchFunctionDeployRequest.Arn>',
      allowedCommands: ['db-migrate', 'db-rollback', 'db-seed'],
      migrationCommand: ['db-migrate'],
      rolloutMode: 'update-service',
    });
  });

  it('a stack without an Environment output is named as such, not as a missing --stack', async () => {
    const cloudFormation = mockClient(CloudFormationClient);
    cloudFormation
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ StackName: 'other-app', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });
    try {
      await expect(resolveTarget({ stack: 'other-app' }, async () => new CloudFormationClient({ region: REGION }))).rejects.toThrow(
        'stack other-app has no Environment output (is it an ecs-migrate stack?): pass --environment ENV, or the stack of the environment',
      );
    } finally {
      cloudFormation.restore();
    }
  });

  it("says the stack's RedactPatterns, so deploy --wait and logs print the task's log redacted as the stored tail is", async () => {
    const patterns = resolver(cfn, { ...sampleParameters, RedactPatterns: '["shop_live_[0-9a-f]{32}"]' }).resolve;
    expect((await targetOfStack(patterns)).redactPatterns).toEqual(['shop_live_[0-9a-f]{32}']);
    const one = resolver(cfn, { ...sampleParameters, RedactPatterns: 'acme_[0-9]{8}' }).resolve;
    expect((await targetOfStack(one)).redactPatterns).toEqual(['acme_[0-9]{8}']);
    expect((await targetOfStack(resolve)).redactPatterns).toBeUndefined();
  });

  it("says the stack's RolloutMode, the functions' ROLLOUT_MODE (deploy refuses before sending what pause-hook mode would)", async () => {
    const output = cfn.Outputs?.RolloutMode?.Value;
    expect(output).toEqual({ Ref: 'RolloutMode' });
    for (const id of Object.keys(FUNCTIONS)) {
      const environment = resource(cfn, id).Properties?.Environment as { Variables: Record<string, Json> };
      expect(environment.Variables.ROLLOUT_MODE, id).toEqual(output);
    }
    const hook = resolver(cfn, { ...sampleParameters, RolloutMode: 'pause-hook' }).resolve;
    expect((await targetOfStack(hook)).rolloutMode).toBe('pause-hook');
  });
});
