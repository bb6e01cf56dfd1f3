import { describe, expect, it } from 'vitest';
import { list, type Statement, functionStatements as statementsOf } from './iam-statements.js';
import {
  ACCOUNT,
  type CfnTemplate,
  type Json,
  type JsonObject,
  loadTemplate,
  REGION,
  resolver,
  resource,
  resourcesOfType,
  sampleParameters,
} from './template.js';

/**
 * The functions' permissions as CloudFormation will create them (after the SAM transform), resolved for the
 * sample parameters: least privilege, written out.
 */

/** AWS managed policies a function role may carry, and why. */
const MANAGED_POLICIES: Record<string, string> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': "the function's own log group (added by SAM)",
};

/**
 * Actions allowed on Resource "*", and why: ECS has no resource-level permissions for these
 * (Service Authorization Reference: no resource type). Anything else on "*" fails the test.
 */
const NO_RESOURCE_LEVEL_PERMISSIONS: Record<string, string> = {
  'ecs:RegisterTaskDefinition': 'no resource type; the roles it names are limited by iam:PassRole',
  'ecs:DescribeTaskDefinition': 'no resource type (read-only)',
  'ecs:ListTaskDefinitions': 'no resource type (read-only): a resumed launch finds its revision by tag',
  // Its resource type is the container instance, which Fargate tasks have none of: the cluster condition scopes it.
  'ecs:ListTasks': 'read-only, limited to the cluster by the ecs:cluster condition',
};

const arn = {
  cluster: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/shop-staging`,
  service: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/shop-staging/shop-api`,
  tasks: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/shop-staging/*`,
  family: (family: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:*`,
  taskLogStreams: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/ecs/shop-api:log-stream:*`,
  bus: (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`,
  schedules: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/<TimeoutScheduleGroup>/*`,
  watcher: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ecs-migrate-staging-watch`,
  repository: (account: string) => `arn:aws:ecr:${REGION}:${account}:repository/shop-api`,
};

/** Every statement of a function's role; an AWS managed policy must be one of MANAGED_POLICIES. */
function functionStatements(cfn: CfnTemplate, functionId: string, parameters = sampleParameters): Statement[] {
  return statementsOf(cfn, functionId, parameters, (managed) =>
    expect(MANAGED_POLICIES, `${functionId} has AWS managed policy ${managed}`).toHaveProperty([managed]),
  );
}

function grants(statements: Statement[], action: string): Statement[] {
  return statements.filter((s) => s.Effect === 'Allow' && list(s.Action).includes(action));
}

/** The resources `action` is allowed on, over all statements. */
function resourcesOf(statements: Statement[], action: string): string[] {
  return grants(statements, action)
    .flatMap((s) => list(s.Resource))
    .sort();
}

describe('IAM: least privilege of the functions', () => {
  const { cloudformation: cfn } = loadTemplate();
  const launcher = functionStatements(cfn, 'LaunchFunction');
  const watcher = functionStatements(cfn, 'WatchFunction');

  for (const [name, statements] of [
    ['launcher', launcher],
    ['watcher', watcher],
  ] as const) {
    describe(name, () => {
      it('names every action (no wildcards in actions)', () => {
        for (const s of statements) for (const a of list(s.Action)) expect(a, `${s.Sid}`).not.toContain('*');
      });

      it('uses Resource "*" only for actions without resource-level permissions', () => {
        const onStar = statements.filter((s) => list(s.Resource).includes('*')).flatMap((s) => list(s.Action));
        for (const action of onStar) expect(NO_RESOURCE_LEVEL_PERMISSIONS, `${action} on "*"`).toHaveProperty([action]);
        // and every ARN names its service, region, account and resource: a "*" only after a named prefix
        for (const r of statements.flatMap((s) => list(s.Resource)).filter((r) => r.startsWith('arn:'))) {
          const [, , service, region, account, ...rest] = r.split(':');
          expect([service, region, account].join(':'), r).not.toContain('*');
          expect(rest.join(':'), r).toMatch(/^[^*]+/);
        }
      });

      it('may run tasks only of the service family, and only in the cluster', () => {
        const runTask = grants(statements, 'ecs:RunTask');
        expect(runTask).toHaveLength(1);
        expect(list(runTask[0]?.Resource)).toEqual([arn.family('shop-api')]);
        expect(runTask[0]?.Condition).toEqual({ ArnEquals: { 'ecs:cluster': arn.cluster } });
      });

      it('may tag only what RegisterTaskDefinition and RunTask create', () => {
        const tag = grants(statements, 'ecs:TagResource');
        expect(tag).toHaveLength(1);
        expect(list(tag[0]?.Resource).sort()).toEqual([arn.family('shop-api'), arn.tasks].sort());
        expect(tag[0]?.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': ['RegisterTaskDefinition', 'RunTask'] } });
      });

      it('passes the task roles only to ECS tasks, and the scheduler role only to EventBridge Scheduler', () => {
        const passRole = grants(statements, 'iam:PassRole');
        for (const s of passRole) expect(s.Condition?.StringEquals?.['iam:PassedToService'], s.Sid).toBeDefined();
        const passedTo = (service: string) =>
          passRole
            .filter((s) => s.Condition?.StringEquals?.['iam:PassedToService'] === service)
            .flatMap((s) => list(s.Resource))
            .sort();
        expect(passedTo('ecs-tasks.amazonaws.com')).toEqual([sampleParameters.ExecutionRoleArn, sampleParameters.TaskRoleArn].sort());
        expect(passedTo('scheduler.amazonaws.com')).toEqual(['<SchedulerRole.Arn>']);
        expect(passRole.flatMap((s) => list(s.Resource))).toHaveLength(3);
      });

      it('reads and stops tasks only in the cluster, reads and updates only the one service', () => {
        expect(resourcesOf(statements, 'ecs:StopTask')).toEqual([arn.tasks]);
        expect(resourcesOf(statements, 'ecs:DescribeServices')).toEqual([arn.service]);
        // The launcher rolls out too: a launch-result it decides (src/core/decide-common.ts) judges an early STOPPED
        // exit 0 the watcher kept while RunTask's answer was lost, and continues the rollout (test/shell/early-stop.test.ts).
        expect(resourcesOf(statements, 'ecs:UpdateService')).toEqual([arn.service]);
      });

      it('lists tasks only in the cluster (to stop those of a launch whose RunTask answer was lost)', () => {
        const list = grants(statements, 'ecs:ListTasks');
        expect(list).toHaveLength(1);
        expect(list[0]?.Condition).toMatchObject({ ArnEquals: { 'ecs:cluster': expect.stringContaining(':cluster/') } });
      });

      it('stops only tasks ecs-migrate launched for this environment (the tag the launcher puts on them)', () => {
        const stop = grants(statements, 'ecs:StopTask');
        expect(stop).toHaveLength(1);
        expect(stop[0]?.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/ecs-migrate:environment': 'staging' } });
      });

      it('puts events only on the bus, uses only its tables and its own schedule group', () => {
        expect(resourcesOf(statements, 'events:PutEvents')).toEqual([arn.bus('default')]);
        const dynamodb = statements.filter((s) => list(s.Action).some((a) => a.startsWith('dynamodb:')));
        // Only the launcher is wrapped in Powertools' withIdempotency (handlers/launch.ts): the watcher has no use for its table.
        const tables = name === 'launcher' ? ['<DeploymentsTable.Arn>', '<IdempotencyTable.Arn>'] : ['<DeploymentsTable.Arn>'];
        expect(dynamodb.flatMap((s) => list(s.Resource)).sort()).toEqual(tables);
        // Reads by key only (BatchGetItem included: the environment record and a deployment in one read), no bulk writes.
        for (const a of dynamodb.flatMap((s) => list(s.Action)))
          expect(a).not.toMatch(/Scan|Table|BatchWrite|Export|Restore|Backup|Stream/);
        // The deployments table: BatchGetItem, the commit's Puts and the outbox's UpdateItem; no Query (only the CLI
        // lists history), no GetItem (Powertools reads its own table with it), no ConditionCheckItem (no commit uses one).
        expect(
          statements
            .filter((s) => list(s.Resource).includes('<DeploymentsTable.Arn>'))
            .flatMap((s) => list(s.Action))
            .sort(),
        ).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
        expect(resourcesOf(statements, 'scheduler:CreateSchedule')).toEqual([arn.schedules]);
        // No DeleteSchedule: the Scheduler port only schedules (src/ports.ts); a schedule deletes itself after it runs.
        const scheduler = statements.flatMap((s) => list(s.Action)).filter((a) => a.startsWith('scheduler:'));
        expect(scheduler).toEqual(['scheduler:CreateSchedule']);
      });

      it('sends failed invocations only to the failed-invocation queue', () => {
        expect(resourcesOf(statements, 'sqs:SendMessage')).toEqual(['<FailedInvocationQueue.Arn>']);
      });

      it('has no Deny-less escape hatches: no iam:* besides PassRole, no sts, no lambda', () => {
        const actions = statements.flatMap((s) => list(s.Action));
        expect(actions.filter((a) => a.startsWith('iam:') && a !== 'iam:PassRole')).toEqual([]);
        expect(actions.filter((a) => a.startsWith('sts:') || a.startsWith('lambda:'))).toEqual([]);
      });
    });
  }

  it("grants every call the controller's adapters make (both: launch, supersede and roll out; watcher: also read logs)", () => {
    const shared = [
      'ecs:DescribeServices',
      'ecs:DescribeTaskDefinition',
      'ecs:RegisterTaskDefinition',
      'ecs:ListTaskDefinitions',
      'ecs:RunTask',
      'ecs:TagResource',
      'ecs:StopTask',
      'ecs:ListTasks', // tasks of a launch whose RunTask answer was lost, by startedBy
      'ecs:DescribeTasks', // their tags: only our own are stopped (the watcher also reads a stopped task's containers)
      'iam:PassRole',
      'events:PutEvents',
      'dynamodb:BatchGetItem', // the environment record and the deployments in one read
      'dynamodb:PutItem', // TransactWriteItems of Put items
      'dynamodb:UpdateItem',
      'scheduler:CreateSchedule',
      'ecs:UpdateService', // the launcher too: a launch-result it decides can continue the rollout
    ];
    for (const action of shared) {
      expect(grants(launcher, action), `launcher: ${action}`).not.toHaveLength(0);
      expect(grants(watcher, action), `watcher: ${action}`).not.toHaveLength(0);
    }
    expect(grants(watcher, 'logs:GetLogEvents')).not.toHaveLength(0);
    expect(grants(launcher, 'logs:GetLogEvents'), 'launcher must not: logs:GetLogEvents').toHaveLength(0);
    // Powertools idempotency (GetItem, PutItem, UpdateItem, DeleteItem) wraps the launcher only.
    expect(resourcesOf(launcher, 'dynamodb:DeleteItem')).toEqual(['<IdempotencyTable.Arn>']);
    expect(resourcesOf(launcher, 'dynamodb:GetItem')).toEqual(['<IdempotencyTable.Arn>']);
    // Only requests name an image by tag, and only the launcher takes requests.
    expect(resourcesOf(launcher, 'ecr:DescribeImages')).toEqual([arn.repository(ACCOUNT)]);
    expect(grants(watcher, 'ecr:DescribeImages')).toHaveLength(0);
  });

  it('reads image tags of the repository in the registry account only', () => {
    const other = functionStatements(cfn, 'LaunchFunction', { ...sampleParameters, RegistryAccount: '210987654321' });
    expect(resourcesOf(other, 'ecr:DescribeImages')).toEqual([arn.repository('210987654321')]);
    const ecr = launcher.flatMap((s) => list(s.Action)).filter((a) => a.startsWith('ecr:'));
    expect(ecr).toEqual(['ecr:DescribeImages']);
  });

  it('lets the watcher describe tasks of the cluster and only the watcher read the task log group', () => {
    expect(resourcesOf(watcher, 'ecs:DescribeTasks')).toEqual([arn.tasks]);
    expect(resourcesOf(watcher, 'logs:GetLogEvents')).toEqual([arn.taskLogStreams]);
  });

  it('follows the parameters: TaskFamily, no task role, another bus', () => {
    const statements = functionStatements(cfn, 'WatchFunction', {
      ...sampleParameters,
      TaskFamily: 'shop-api-migrate',
      TaskRoleArn: '',
      EventBus: 'shop-events',
    });
    expect(resourcesOf(statements, 'ecs:RunTask')).toEqual([arn.family('shop-api-migrate')]);
    expect(
      grants(statements, 'iam:PassRole')
        .filter((s) => s.Condition?.StringEquals?.['iam:PassedToService'] === 'ecs-tasks.amazonaws.com')
        .flatMap((s) => list(s.Resource)),
    ).toEqual([sampleParameters.ExecutionRoleArn]);
    expect(resourcesOf(statements, 'events:PutEvents')).toEqual([arn.bus('shop-events')]);
  });

  it('the scheduler role may only invoke the watcher and dead-letter to the failed-invocation queue; only Scheduler of this account may assume it', () => {
    const { resolve } = resolver(cfn);
    const role = resolve<{
      AssumeRolePolicyDocument: { Statement: (Statement & { Principal: Json })[] };
      Policies: { PolicyDocument: { Statement: Statement[] } }[];
      ManagedPolicyArns?: string[];
    }>(resource(cfn, 'SchedulerRole').Properties);
    expect(role.ManagedPolicyArns).toBeUndefined();
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: arn.watcher },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '<FailedInvocationQueue.Arn>' },
    ]);
    const trust = role.AssumeRolePolicyDocument.Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]?.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    expect(trust[0]?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/ecs-migrate-staging` },
    });
  });
});

describe('IAM: rollout modes and several services (issue 11)', () => {
  const { cloudformation: cfn } = loadTemplate();
  const cluster = (kind: string, name: string, tail = '') => `arn:aws:ecs:${REGION}:${ACCOUNT}:${kind}/shop-staging/${name}${tail}`;
  const services = ['shop-web', 'shop-worker'];
  const several = { ...sampleParameters, Service: '', Services: services.join(',') };
  const pauseHook = { ...several, RolloutMode: 'pause-hook' };
  const both = (parameters: Record<string, string>) => ({
    launcher: functionStatements(cfn, 'LaunchFunction', parameters),
    watcher: functionStatements(cfn, 'WatchFunction', parameters),
  });

  it('update-service mode with Services: both read and update every listed service, run tasks of their families', () => {
    const { launcher, watcher } = both(several);
    for (const statements of [launcher, watcher]) {
      expect(resourcesOf(statements, 'ecs:DescribeServices')).toEqual(services.map((s) => cluster('service', s)));
      // rollOutImage: the launcher continues a rollout too, for every gated service.
      expect(resourcesOf(statements, 'ecs:UpdateService')).toEqual(services.map((s) => cluster('service', s)));
      expect(resourcesOf(statements, 'ecs:RunTask')).toEqual(services.map((s) => arn.family(s)));
      expect(grants(statements, 'ecs:RegisterTaskDefinition')).not.toHaveLength(0);
      for (const action of ['ecs:ContinueServiceDeployment', 'ecs:DescribeServiceDeployments', 'ecs:DescribeServiceRevisions']) {
        expect(grants(statements, action), action).toHaveLength(0);
      }
    }
  });

  it('pause-hook mode: no UpdateService and no RegisterTaskDefinition; tags only what RunTask creates', () => {
    const { launcher, watcher } = both(pauseHook);
    for (const statements of [launcher, watcher]) {
      expect(grants(statements, 'ecs:UpdateService')).toHaveLength(0);
      expect(grants(statements, 'ecs:RegisterTaskDefinition')).toHaveLength(0);
      expect(grants(statements, 'ecs:DescribeTaskDefinition')).not.toHaveLength(0);
      expect(grants(statements, 'ecs:TagResource')[0]?.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': ['RunTask'] } });
    }
  });

  it('the ECR push rule is enabled only where a push can be acted on: never in pause-hook mode (no RegisterTaskDefinition, no UpdateService)', () => {
    for (const RolloutMode of ['update-service', 'pause-hook']) {
      for (const TriggerOnPush of ['true', 'false']) {
        const parameters = { ...sampleParameters, RolloutMode, TriggerOnPush };
        const state = resolver(cfn, parameters).resolve<JsonObject>(resource(cfn, 'LaunchFunctionEcrPush').Properties).State;
        const acted = TriggerOnPush === 'true' && RolloutMode === 'update-service';
        expect(state, `${RolloutMode}, TriggerOnPush=${TriggerOnPush}`).toBe(acted ? 'ENABLED' : 'DISABLED');
        if (state !== 'ENABLED') continue;
        // A push registers a revision with the image (launcher) and rolls it out with UpdateService (either function).
        const { launcher, watcher } = both(parameters);
        expect(grants(launcher, 'ecs:RegisterTaskDefinition'), RolloutMode).not.toHaveLength(0);
        expect(grants(watcher, 'ecs:UpdateService'), RolloutMode).not.toHaveLength(0);
        expect(grants(launcher, 'ecs:UpdateService'), RolloutMode).not.toHaveLength(0);
      }
    }
  });

  it('pause-hook mode: both answer hooks and read deployments on service and service-deployment; the launcher reads revisions, per service', () => {
    const { launcher, watcher } = both(pauseHook);
    const serviceArns = services.map((s) => cluster('service', s));
    const deployments = [...serviceArns, ...services.map((s) => cluster('service-deployment', s, '/*'))].sort();
    for (const statements of [launcher, watcher]) {
      expect(resourcesOf(statements, 'ecs:ContinueServiceDeployment')).toEqual(deployments);
      // Was: the watcher could not read a deployment, so it recorded its own retried answer, refused by ECS, as
      // `moved-on`. After a refusal either function reads whether ECS took that answer already (answerHook).
      expect(resourcesOf(statements, 'ecs:DescribeServiceDeployments')).toEqual(deployments);
      expect(resourcesOf(statements, 'ecs:RunTask')).toEqual(services.map((s) => arn.family(s)));
    }
    expect(resourcesOf(launcher, 'ecs:DescribeServiceRevisions')).toEqual(
      [...serviceArns, ...services.map((s) => cluster('service-revision', s, '/*'))].sort(),
    );
    // handlers/watch.ts builds its runtime without serviceDeployments: the watcher never reads a target revision.
    expect(grants(watcher, 'ecs:DescribeServiceRevisions'), 'watcher must not: ecs:DescribeServiceRevisions').toHaveLength(0);
  });

  it('one Service in pause-hook mode: everything scoped to it; TaskFamily lists the families when they differ from the names', () => {
    const one = functionStatements(cfn, 'WatchFunction', { ...sampleParameters, RolloutMode: 'pause-hook' });
    for (const action of ['ecs:ContinueServiceDeployment', 'ecs:DescribeServiceDeployments'])
      expect(resourcesOf(one, action), action).toEqual([arn.service, cluster('service-deployment', 'shop-api', '/*')].sort());
    const families = functionStatements(cfn, 'LaunchFunction', { ...pauseHook, TaskFamily: 'web-app,worker-app' });
    expect(resourcesOf(families, 'ecs:RunTask')).toEqual([arn.family('web-app'), arn.family('worker-app')]);
  });

  it('five services at most, each granted once', () => {
    const five = ['a', 'b', 'c', 'd', 'e'];
    const statements = functionStatements(cfn, 'LaunchFunction', { ...pauseHook, Services: five.join(',') });
    expect(resourcesOf(statements, 'ecs:DescribeServices')).toEqual(five.map((s) => cluster('service', s)));
    expect(resourcesOf(statements, 'ecs:DescribeServiceRevisions')).toHaveLength(10);
  });
});

describe('IAM: policy size limits', () => {
  // IAM counts a policy's characters without whitespace: a customer managed policy may have 6,144 (CreatePolicy
  // fails with LimitExceeded, and the stack with it), a role's inline policies together 10,240. Five gated services
  // in either mode, with CDK-generated names as an IaC-owned service has them, in a region with a long name.
  const { cloudformation: cfn } = loadTemplate();
  const cdk = {
    ...sampleParameters,
    Environment: 'production-ap-southeast',
    Cluster: 'ShopProd-ClusterEB0386A7-Ab12Cd34Ef56',
    Service: '',
    Services: [
      'ShopProd-WebServiceC1D2E3F4-Gh78Ij90Kl12',
      'ShopProd-WorkerServiceA1B2C3D4-Mn34Op56Qr78',
      'ShopProd-SchedulerService9F8E7D6C-St90Uv12Wx34',
      'ShopProd-WebhookServiceB5C6D7E8-Yz56Ab78Cd90',
      'ShopProd-AdminService1A2B3C4D-Ef12Gh34Ij56',
    ].join(','),
    TaskFamily: [
      'ShopProdWebTaskDef1A2B3C4D',
      'ShopProdWorkerTaskDef5E6F7A8B',
      'ShopProdSchedulerTaskDef9C0D1E2F',
      'ShopProdWebhookTaskDef3A4B5C6D',
      'ShopProdAdminTaskDef7E8F9A0B',
    ].join(','),
    TaskRoleArn: `arn:aws:iam::${ACCOUNT}:role/ShopProd-WebTaskDefTaskRole1A2B3C4D-Ab12Cd34Ef56Gh78`,
    ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ShopProd-WebTaskDefExecutionRole5E6F7A8B-Ij90Kl12Mn34`,
    TaskLogGroup: 'ShopProd-WebTaskDefWebLogGroup9C0D1E2F-Op56Qr78St90',
  };
  const size = (document: Json) => JSON.stringify(document).replace(/\s/g, '').length;

  for (const RolloutMode of ['update-service', 'pause-hook']) {
    const { resolve } = resolver(cfn, { ...cdk, RolloutMode }, { 'AWS::Region': 'ap-southeast-2' });
    const created = (type: string) =>
      resourcesOfType(cfn, type).filter(([, r]) => r.Condition === undefined || resolve({ 'Fn::If': [r.Condition, true, false] }));

    it(`${RolloutMode} mode: every managed policy of the stack has at most 6,144 characters`, () => {
      const managed = created('AWS::IAM::ManagedPolicy');
      expect(managed).not.toHaveLength(0);
      for (const [id, policy] of managed) expect(size(resolve(policy.Properties?.PolicyDocument)), id).toBeLessThanOrEqual(6144);
    });

    it(`${RolloutMode} mode: each role's inline policies together have at most 10,240 characters`, () => {
      for (const [id, role] of created('AWS::IAM::Role')) {
        const policies = (resolve<JsonObject>(role.Properties).Policies ?? []) as { PolicyDocument: Json }[];
        expect(
          policies.reduce((sum, p) => sum + size(p.PolicyDocument), 0),
          id,
        ).toBeLessThanOrEqual(10240);
      }
    });
  }
});
