import 'aws-sdk-client-mock-vitest/extend';
import {
  AccessDeniedException,
  ClientException,
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  ServerException,
  StopTaskCommand,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsEcs, DEPLOYMENT_TAG } from '../../src/adapters/aws/ecs.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import { AccessDeniedError, ContainerNotFoundError, PermanentAwsError, ServiceNotFoundError, TransientAwsError } from '../../src/errors.js';
import { ACCOUNT, REGION, SAMPLE_TASK, TD } from '../support/fixtures.js';

const CLUSTER = 'shop-staging';
const TASK = SAMPLE_TASK;
const OLD_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api:v1.3.0`;
const NEW_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api@sha256:${'a'.repeat(64)}`;
const DEPLOYMENT = '20261125-091458-1a2b3c4d';
const NETWORK = {
  subnets: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1c2d3e4f5a60719'],
  securityGroups: ['sg-0123456789abcdef0'],
  assignPublicIp: 'DISABLED' as const,
};

/** The service's task definition as DescribeTaskDefinition returns it: read-only fields included, the migration container second. */
const baseDefinition: TaskDefinition = {
  taskDefinitionArn: TD(42),
  family: 'shop-api',
  revision: 42,
  status: 'ACTIVE',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  compatibilities: ['EC2', 'FARGATE'],
  requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
  registeredAt: new Date('2026-11-01T10:00:00Z'),
  registeredBy: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci`,
  cpu: '512',
  memory: '1024',
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/shop-api-execution`,
  taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/shop-api-task`,
  containerDefinitions: [
    { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable', essential: false },
    {
      name: 'app',
      image: OLD_IMAGE,
      essential: true,
      environment: [{ name: 'DATABASE_HOST', value: 'db.internal' }],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/shop-api', 'awslogs-stream-prefix': 'ecs' } },
    },
  ],
};

function request(overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    cluster: CLUSTER,
    container: 'app',
    image: NEW_IMAGE,
    baseTaskDefinitionArn: TD(42),
    command: ['db-migrate', '--verbose'],
    startedBy: `ecs-migrate/${DEPLOYMENT}`,
    clientToken: `ecs-migrate-${DEPLOYMENT}`,
    tags: { 'ecs-migrate:environment': 'staging', [DEPLOYMENT_TAG]: DEPLOYMENT, 'ecs-migrate:trigger': 'ecr-push' },
    network: NETWORK,
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    ...overrides,
  };
}

const throttled = () =>
  new ECSServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });

describe('AwsEcs', () => {
  const client = new ECSClient({ region: REGION });
  const ecs = mockClient(client);
  // A fresh adapter per test: it caches task definition revisions, as a warm function does.
  let adapter: AwsEcs;

  beforeEach(() => {
    adapter = new AwsEcs(client, { cluster: CLUSTER, service: 'shop-api', container: 'app' });
    ecs.reset();
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: TD(42) })
      .resolves({ taskDefinition: baseDefinition, tags: [{ key: 'team', value: 'shop' }] });
    // The family's latest revision is the base itself: nothing registered for this deployment yet.
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'shop-api' })
      .resolves({ taskDefinition: baseDefinition, tags: [{ key: 'team', value: 'shop' }] });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { ...baseDefinition, taskDefinitionArn: TD(43), revision: 43 } });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK, taskDefinitionArn: TD(43) }], failures: [] });
  });

  describe('describeService', () => {
    it("reads the service's task definition, network, launch settings and the migration container's image", async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({
        services: [
          {
            serviceName: 'shop-api',
            clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
            status: 'ACTIVE',
            taskDefinition: TD(42),
            launchType: 'FARGATE',
            platformVersion: 'LATEST',
            networkConfiguration: { awsvpcConfiguration: { ...NETWORK, assignPublicIp: 'DISABLED' } },
          },
        ],
        failures: [],
      });

      // Act
      const info = await adapter.describeService();

      // Assess
      expect(info).toEqual({
        serviceName: 'shop-api',
        clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
        taskDefinitionArn: TD(42),
        image: OLD_IMAGE,
        network: NETWORK,
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
      });
      expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, { cluster: CLUSTER, services: ['shop-api'] });
    });

    it('does not read the task definition when the image is not needed (a task event)', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'shop-api', status: 'ACTIVE', taskDefinition: TD(42) }] });

      // Act
      const info = await adapter.describeService({ image: false });

      // Assess
      expect(info).toEqual({ serviceName: 'shop-api', taskDefinitionArn: TD(42) });
      expect(ecs).not.toHaveReceivedCommand(DescribeTaskDefinitionCommand);
    });

    it('names the rollout ECS has in progress (the PRIMARY deployment, IN_PROGRESS) and the revision it rolls out', async () => {
      // Prepare
      const deployments = [
        { id: 'ecs-svc/1111', status: 'PRIMARY', taskDefinition: TD(43), rolloutState: 'IN_PROGRESS' as const },
        { id: 'ecs-svc/0000', status: 'ACTIVE', taskDefinition: TD(42), rolloutState: 'COMPLETED' as const },
      ];
      ecs
        .on(DescribeServicesCommand)
        .resolves({ services: [{ serviceName: 'shop-api', status: 'ACTIVE', taskDefinition: TD(43), deployments }] });

      // Act
      const info = await adapter.describeService({ image: false });

      // Assess
      expect(info.rolloutInProgress).toEqual({ ecsDeploymentId: 'ecs-svc/1111', taskDefinitionArn: TD(43) });
    });

    it('names no rollout once the PRIMARY deployment has completed, or when ECS gives no rollout state', async () => {
      for (const rolloutState of ['COMPLETED' as const, undefined]) {
        // Prepare
        const primary = {
          id: 'ecs-svc/1111',
          status: 'PRIMARY',
          taskDefinition: TD(43),
          ...(rolloutState !== undefined ? { rolloutState } : {}),
        };
        ecs
          .on(DescribeServicesCommand)
          .resolves({ services: [{ serviceName: 'shop-api', status: 'ACTIVE', taskDefinition: TD(43), deployments: [primary] }] });

        // Act
        const info = await adapter.describeService({ image: false });

        // Assess
        expect(info).not.toHaveProperty('rolloutInProgress');
      }
    });

    it('names the deployment whose migration revision the service runs, from its ecs-migrate:deployment tag', async () => {
      // Prepare: the service runs a revision the controller registered for a deployment (the watcher moved it there).
      ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'shop-api', status: 'ACTIVE', taskDefinition: TD(43) }] });
      ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(43) }).resolves({
        taskDefinition: { ...baseDefinition, taskDefinitionArn: TD(43), revision: 43 },
        tags: [
          { key: 'ecs-migrate:environment', value: 'staging' },
          { key: 'ecs-migrate:deployment', value: '20261125-091500-5f2c1a9e' },
        ],
      });

      // Act
      const info = await adapter.describeService();

      // Assess
      expect(info).toMatchObject({ taskDefinitionArn: TD(43), migratedBy: '20261125-091500-5f2c1a9e' });
    });

    it('keeps a capacity provider strategy instead of a launch type', async () => {
      // Prepare
      const strategy = [
        { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
        { capacityProvider: 'FARGATE', weight: 1, base: 1 },
      ];
      ecs.on(DescribeServicesCommand).resolves({
        services: [{ serviceName: 'shop-api', status: 'ACTIVE', taskDefinition: TD(42), capacityProviderStrategy: strategy }],
      });

      // Act
      const info = await adapter.describeService();

      // Assess
      expect(info.capacityProviderStrategy).toEqual(strategy);
      expect(info.launchType).toBeUndefined();
    });

    it('reports a missing service as ServiceNotFoundError saying which settings to check', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'shop-api', reason: 'MISSING' }] });

      // Act
      const result = adapter.describeService();

      // Assess
      await expect(result).rejects.toThrow(ServiceNotFoundError);
      await expect(result).rejects.toThrow(/service "shop-api" not found in cluster "shop-staging": check SERVICE and CLUSTER/);
    });

    it('reports an INACTIVE service as not found', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'shop-api', status: 'INACTIVE', taskDefinition: TD(42) }] });

      // Act
      const result = adapter.describeService();

      // Assess
      await expect(result).rejects.toThrow(/INACTIVE/);
    });

    it('reports AccessDenied as AccessDeniedError naming the operation and the permission to grant', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).rejects(
        new AccessDeniedException({
          $metadata: { httpStatusCode: 400 },
          message: 'User is not authorized to perform: ecs:DescribeServices',
        }),
      );

      // Act
      const result = adapter.describeService();

      // Assess
      await expect(result).rejects.toThrow(AccessDeniedError);
      await expect(result).rejects.toMatchObject({
        operation: 'ecs:DescribeServices',
        grant: `the function's role ecs:DescribeServices on service "shop-api" in cluster "${CLUSTER}"`,
      });
      await expect(result).rejects.toThrow(/grant the function's role ecs:DescribeServices/);
    });

    it('reports a missing cluster as ServiceNotFoundError', async () => {
      // Prepare
      ecs
        .on(DescribeServicesCommand)
        .rejects(new ClusterNotFoundException({ $metadata: { httpStatusCode: 400 }, message: 'Cluster not found.' }));

      // Act
      const result = adapter.describeService();

      // Assess
      await expect(result).rejects.toThrow(ServiceNotFoundError);
      await expect(result).rejects.toThrow(/cluster "shop-staging" does not exist: check CLUSTER/);
    });

    it('reports any other refusal as PermanentAwsError with the operation and the settings to check', async () => {
      // Prepare
      ecs
        .on(DescribeServicesCommand)
        .rejects(new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message: 'bad cluster name' }));

      // Act
      const result = adapter.describeService();

      // Assess
      await expect(result).rejects.toThrow(PermanentAwsError);
      await expect(result).rejects.toMatchObject({ operation: 'ecs:DescribeServices', fix: 'check CLUSTER and SERVICE' });
    });

    it('re-throws an error that is not an AWS error untouched (a bug), not as transient', async () => {
      // Prepare
      const bug = new TypeError("Cannot read properties of undefined (reading 'services')");
      ecs.on(DescribeServicesCommand).rejects(bug);

      // Act
      const thrown = await adapter.describeService().catch((e: unknown) => e);

      // Assess
      expect(thrown).toBe(bug);
    });

    it('reports a task definition without the CONTAINER as a configuration problem', async () => {
      // Prepare
      const adapterForWorker = new AwsEcs(client, { cluster: CLUSTER, service: 'shop-api', container: 'worker' });
      ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'shop-api', status: 'ACTIVE', taskDefinition: TD(42) }] });

      // Act
      const result = adapterForWorker.describeService();

      // Assess
      await expect(result).rejects.toThrow(ContainerNotFoundError);
      await expect(result).rejects.toThrow(/no container named "worker" \(it has "log-router", "app"\): set CONTAINER/);
    });

    it('throws TransientAwsError on throttling, so the event is retried', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).rejects(throttled());

      // Act
      const result = adapter.describeService();

      // Assess
      await expect(result).rejects.toThrow(TransientAwsError);
    });
  });

  describe('launch', () => {
    it('gives the new image to every container of REPOSITORY (web server and jobs), not only CONTAINER; other images stay', async () => {
      // Prepare: a second app container from the same image (tag form), next to the sidecar.
      const twoApps: TaskDefinition = {
        ...baseDefinition,
        taskDefinitionArn: TD(50),
        containerDefinitions: [
          ...(baseDefinition.containerDefinitions ?? []),
          { name: 'jobs', image: OLD_IMAGE, essential: false, command: ['bin/jobs'] },
          // Was: a container was matched by repository name alone, so another registry's `shop-api` got our image.
          { name: 'vendor', image: '999999999999.dkr.ecr.eu-west-1.amazonaws.com/shop-api:2.0', essential: false },
          { name: 'hub', image: 'shop-api:1.0', essential: false },
        ],
      };
      ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(50) }).resolves({ taskDefinition: twoApps, tags: [] });
      const withRepository = new AwsEcs(client, { cluster: CLUSTER, service: 'shop-api', container: 'app', repository: 'shop-api' });

      // Act
      const outcome = await withRepository.launch(request({ baseTaskDefinitionArn: TD(50) }));

      // Assess
      expect(outcome).toMatchObject({ ok: true, taskDefinitionArn: TD(43) });
      const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
      expect(registered?.containerDefinitions?.map((c) => [c.name, c.image])).toEqual([
        ['log-router', 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable'],
        ['app', NEW_IMAGE],
        ['jobs', NEW_IMAGE],
        ['vendor', '999999999999.dkr.ecr.eu-west-1.amazonaws.com/shop-api:2.0'],
        ['hub', 'shop-api:1.0'],
      ]);
      expect(registered?.containerDefinitions?.[2]?.command).toEqual(['bin/jobs']);
    });

    it('registers the base definition with only the container image replaced, read-only fields stripped, tagged with the deployment', async () => {
      // Act
      const outcome = await adapter.launch(request());

      // Assess: the outcome says where the task's log goes, from the definition it registered (no extra call).
      expect(outcome).toEqual({
        ok: true,
        taskArn: TASK,
        taskDefinitionArn: TD(43),
        log: { group: '/ecs/shop-api', stream: `ecs/app/${TASK.split('/').pop()}` },
        // The log router is not essential: nothing beside the migration can stop the task.
        essentialSidecars: [],
      });
      const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
      expect(registered).toBeDefined();
      expect(registered?.family).toBe('shop-api');
      expect(registered?.containerDefinitions?.map((c) => [c.name, c.image])).toEqual([
        ['log-router', 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable'],
        ['app', NEW_IMAGE],
      ]);
      expect(registered?.containerDefinitions?.[1]?.environment).toEqual([{ name: 'DATABASE_HOST', value: 'db.internal' }]);
      expect(registered).toMatchObject({
        cpu: '512',
        memory: '1024',
        networkMode: 'awsvpc',
        executionRoleArn: baseDefinition.executionRoleArn,
      });
      for (const readOnly of [
        'taskDefinitionArn',
        'revision',
        'status',
        'requiresAttributes',
        'compatibilities',
        'registeredAt',
        'registeredBy',
      ]) {
        expect(registered).not.toHaveProperty(readOnly);
      }
      expect(registered?.tags).toEqual(
        expect.arrayContaining([
          { key: 'team', value: 'shop' },
          { key: DEPLOYMENT_TAG, value: DEPLOYMENT },
        ]),
      );
      // The tag StopTask is scoped by goes on the task only: the service runs this revision next, and a service that
      // propagates its task definition's tags would tag its own tasks with it (a review found they could be stopped).
      expect(registered?.tags?.map((t) => t.key)).not.toContain('ecs-migrate:environment');
    });

    it('never copies the environment tag from a base revision that carries it (one registered before the fix)', async () => {
      // Prepare
      ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(42) }).resolves({
        taskDefinition: baseDefinition,
        tags: [
          { key: 'ecs-migrate:environment', value: 'staging' },
          { key: 'team', value: 'shop' },
        ],
      });

      // Act
      await adapter.launch(request());

      // Assess
      const tags = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.tags ?? [];
      expect(tags.map((t) => t.key)).toEqual([DEPLOYMENT_TAG, 'ecs-migrate:trigger', 'team']);
    });

    it("keeps ecs-migrate's tags on a revision of a base that carries the 50 tags ECS allows: the deployment tag finds it again", async () => {
      // Prepare: the service's revision has 50 user tags (and an aws: one, which is never copied), none of ecs-migrate's yet.
      const fifty = [
        ...Array.from({ length: 50 }, (_, i) => ({ key: `cost:${i}`, value: 'x' })),
        { key: 'aws:cloudformation:stack-name', value: 's' },
      ];
      ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(42) }).resolves({ taskDefinition: baseDefinition, tags: fifty });

      // Act
      await adapter.launch(request());

      // Assess: ours first, then the base's up to 50; a resumed launch finds the revision by the deployment tag.
      const tags = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.tags ?? [];
      expect(tags).toHaveLength(50);
      expect(tags.slice(0, 2).map((t) => t.key)).toEqual([DEPLOYMENT_TAG, 'ecs-migrate:trigger']);
      expect(tags).toContainEqual({ key: DEPLOYMENT_TAG, value: DEPLOYMENT });
      expect(tags.some((t) => t.key?.startsWith('aws:'))).toBe(false);
    });

    it("runs the task in the service's network with the command override on the container by name, startedBy, tags and clientToken", async () => {
      // Act
      await adapter.launch(request());

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(RunTaskCommand, 1);
      expect(ecs).toHaveReceivedCommandWith(RunTaskCommand, {
        cluster: CLUSTER,
        taskDefinition: TD(43),
        count: 1,
        launchType: 'FARGATE',
        platformVersion: '1.4.0',
        networkConfiguration: { awsvpcConfiguration: NETWORK },
        overrides: { containerOverrides: [{ name: 'app', command: ['db-migrate', '--verbose'] }] },
        startedBy: `ecs-migrate/${DEPLOYMENT}`,
        clientToken: `ecs-migrate-${DEPLOYMENT}`,
        propagateTags: 'TASK_DEFINITION',
        tags: [
          { key: 'ecs-migrate:environment', value: 'staging' },
          { key: DEPLOYMENT_TAG, value: DEPLOYMENT },
          { key: 'ecs-migrate:trigger', value: 'ecr-push' },
        ],
      });
    });

    it('passes a capacity provider strategy and no launch type when the service uses one', async () => {
      // Prepare
      const strategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];

      // Act
      await adapter.launch(request({ launchType: undefined, capacityProviderStrategy: strategy }));

      // Assess
      const input = ecs.commandCalls(RunTaskCommand)[0]?.args[0].input;
      expect(input?.capacityProviderStrategy).toEqual(strategy);
      expect(input).not.toHaveProperty('launchType');
    });

    it('runs a given task definition as it is, registering nothing', async () => {
      // Act
      const outcome = await adapter.launch(request({ taskDefinitionArn: TD(40), image: undefined, baseTaskDefinitionArn: undefined }));

      // Assess
      expect(outcome).toEqual({ ok: true, taskArn: TASK, taskDefinitionArn: TD(40) });
      expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
      expect(ecs).toHaveReceivedCommandWith(RunTaskCommand, { taskDefinition: TD(40) });
    });

    it('reuses, on a resumed launch, the revision a previous attempt of the same deployment registered', async () => {
      // Prepare
      const mine = {
        ...baseDefinition,
        taskDefinitionArn: TD(43),
        revision: 43,
        containerDefinitions: baseDefinition.containerDefinitions?.map((c) => (c.name === 'app' ? { ...c, image: NEW_IMAGE } : c)),
      };
      ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [TD(43), TD(42)] });
      ecs
        .on(DescribeTaskDefinitionCommand, { taskDefinition: TD(43) })
        .resolves({ taskDefinition: mine, tags: [{ key: DEPLOYMENT_TAG, value: DEPLOYMENT }] });

      // Act
      const outcome = await adapter.launch({ ...request(), resumed: true });

      // Assess: the revision found is read already, so the outcome says where the log goes.
      expect(outcome).toEqual({
        ok: true,
        taskArn: TASK,
        taskDefinitionArn: TD(43),
        log: { group: '/ecs/shop-api', stream: `ecs/app/${TASK.split('/').pop()}` },
        // The log router is not essential: nothing beside the migration can stop the task.
        essentialSidecars: [],
      });
      expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
    });

    it('names the essential containers beside the migration container, from the definition it registered (no extra call)', async () => {
      // Prepare: an essential log router. Was: the launch kept nothing of it, so the watcher took the migration's exit 0 on
      // the SIGTERM of the router's crash (EssentialContainerExited) for a finished migration.
      const routed = {
        ...baseDefinition,
        containerDefinitions: baseDefinition.containerDefinitions?.map((c) => (c.name === 'log-router' ? { ...c, essential: true } : c)),
      };
      ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(42) }).resolves({ taskDefinition: routed, tags: [] });
      ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { ...routed, taskDefinitionArn: TD(43), revision: 43 } });

      // Act
      const outcome = await adapter.launch(request());

      // Assess
      expect(outcome).toMatchObject({ ok: true, taskArn: TASK, essentialSidecars: ['log-router'] });
    });

    it('registers without looking up the family on a first launch, and reads a revision once per warm function', async () => {
      // Act
      const first = await adapter.launch(request());
      const second = await adapter.launch(request());

      // Assess
      expect(first.ok && second.ok).toBe(true);
      expect(ecs).not.toHaveReceivedCommand(ListTaskDefinitionsCommand);
      expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 1);
      expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 2);
    });

    it('turns RunTask failures[] into ok:false with the reason and what to fix', async () => {
      // Prepare
      ecs
        .on(RunTaskCommand)
        .resolves({ tasks: [], failures: [{ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/abc`, reason: 'RESOURCE:MEMORY' }] });

      // Act
      const outcome = await adapter.launch(request());

      // Assess
      expect(outcome.ok).toBe(false);
      expect(outcome).toMatchObject({ reason: expect.stringContaining('RESOURCE:MEMORY') });
      expect(outcome).toMatchObject({ reason: expect.stringContaining('the cluster has no capacity') });
    });

    it('turns AccessDenied on RunTask into ok:false naming the permissions to grant', async () => {
      // Prepare
      ecs
        .on(RunTaskCommand)
        .rejects(
          new AccessDeniedException({ $metadata: { httpStatusCode: 400 }, message: 'User is not authorized to perform: ecs:RunTask' }),
        );

      // Act
      const outcome = await adapter.launch(request());

      // Assess
      expect(outcome).toEqual({
        ok: false,
        reason: expect.stringMatching(
          /RunTask of .*shop-api:43 failed: AccessDeniedException: .*grant the launcher's role ecs:RunTask \(and iam:PassRole/,
        ),
      });
    });

    it('turns InvalidParameter and ClientException into ok:false with a hint', async () => {
      // Prepare
      ecs
        .on(RunTaskCommand)
        .rejects(new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message: 'subnet-123 does not exist' }));
      ecs
        .on(RegisterTaskDefinitionCommand)
        .rejectsOnce(new ClientException({ $metadata: { httpStatusCode: 400 }, message: 'Invalid image' }))
        .resolves({ taskDefinition: { ...baseDefinition, taskDefinitionArn: TD(43), revision: 43 } });

      // Act
      const registerRefused = await adapter.launch(request());
      const runRefused = await adapter.launch(request());

      // Assess
      expect(registerRefused).toEqual({
        ok: false,
        reason: expect.stringMatching(/registering a revision .* failed: ClientException: Invalid image; ECS rejected/),
      });
      expect(runRefused).toEqual({
        ok: false,
        reason: expect.stringMatching(/InvalidParameterException: subnet-123 does not exist; ECS rejected a parameter/),
      });
    });

    it('throws TransientAwsError (with the cause) on throttling or a 5xx, so the event is retried', async () => {
      // Prepare
      const throttling = throttled();
      ecs
        .on(RunTaskCommand)
        .rejectsOnce(throttling)
        .rejectsOnce(new ServerException({ $metadata: { httpStatusCode: 500 }, message: 'internal' }));

      // Act
      const first = await adapter.launch(request()).catch((e: unknown) => e);
      const second = await adapter.launch(request()).catch((e: unknown) => e);

      // Assess
      expect(first).toBeInstanceOf(TransientAwsError);
      expect((first as Error).cause).toBe(throttling);
      expect(second).toBeInstanceOf(TransientAwsError);
    });

    it('re-throws an error that is not an AWS error untouched (a bug), neither transient nor a refusal', async () => {
      // Prepare
      const bug = new TypeError("Cannot read properties of undefined (reading 'tasks')");
      ecs.on(RunTaskCommand).rejects(bug);

      // Act
      const thrown = await adapter.launch(request()).catch((e: unknown) => e);

      // Assess
      expect(thrown).toBe(bug);
    });

    it('throws TransientAwsError when the connection is reset or times out', async () => {
      // Prepare
      const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', $metadata: { attempts: 3 } });
      const timeout = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError', $metadata: { attempts: 3 } });
      ecs.on(RunTaskCommand).rejectsOnce(reset).rejectsOnce(timeout);

      // Act
      const first = await adapter.launch(request()).catch((e: unknown) => e);
      const second = await adapter.launch(request()).catch((e: unknown) => e);

      // Assess
      expect(first).toBeInstanceOf(TransientAwsError);
      expect((first as Error).cause).toBe(reset);
      expect(second).toBeInstanceOf(TransientAwsError);
      expect((second as Error).cause).toBe(timeout);
    });

    it('refuses a launch that has no task definition to start from', async () => {
      // Act
      const outcome = await adapter.launch(request({ baseTaskDefinitionArn: undefined }));

      // Assess
      expect(outcome).toEqual({ ok: false, reason: expect.stringContaining('no task definition to run') });
      expect(ecs).not.toHaveReceivedCommand(RunTaskCommand);
    });
  });

  describe('stopTask, updateService, describeTask', () => {
    it('stops the task with a reason cut to 255 characters', async () => {
      // Prepare
      ecs.on(StopTaskCommand).resolves({});

      // Act
      await adapter.stopTask(CLUSTER, TASK, `ecs-migrate: timed out ${'x'.repeat(400)}`);

      // Assess
      const input = ecs.commandCalls(StopTaskCommand)[0]?.args[0].input;
      expect(input?.task).toBe(TASK);
      expect(input?.reason).toHaveLength(255);
    });

    it('stops every running task started for a deployment, found by startedBy in the cluster and tagged as its own', async () => {
      // Prepare: two tasks RunTask started for the deployment, and one someone else started with its startedBy.
      const id = '20261125-091500-5f2c1a9e';
      const own = [
        { key: 'ecs-migrate:environment', value: 'staging' },
        { key: DEPLOYMENT_TAG, value: id },
      ];
      const other = `${TASK.slice(0, -4)}beef`;
      const forged = `${TASK.slice(0, -4)}f0f0`;
      ecs.on(ListTasksCommand).resolves({ taskArns: [TASK, other, forged] });
      ecs.on(DescribeTasksCommand).resolves({
        tasks: [
          { taskArn: TASK, tags: own },
          { taskArn: other, tags: own },
          { taskArn: forged, tags: [{ key: DEPLOYMENT_TAG, value: id }] },
        ],
      });
      ecs.on(StopTaskCommand).resolves({});
      const scoped = new AwsEcs(client, { cluster: CLUSTER, environment: 'staging', service: 'shop-api', container: 'app' });

      // Act
      await scoped.stopTasksStartedBy(CLUSTER, `ecs-migrate/${id}`, 'ecs-migrate: cancelled');

      // Assess: the forged one (not tagged with this environment: the role may not stop it) is left alone, no error.
      expect(ecs.commandCalls(ListTasksCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER, startedBy: `ecs-migrate/${id}` });
      expect(ecs.commandCalls(DescribeTasksCommand)[0]?.args[0].input).toEqual({
        cluster: CLUSTER,
        tasks: [TASK, other, forged],
        include: ['TAGS'],
      });
      expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input.task)).toEqual([TASK, other]);
    });

    it('lists by startedBy alone, with no desiredStatus: ECS wants startedBy to be the only filter', async () => {
      // Prepare
      ecs.on(ListTasksCommand).resolves({ taskArns: [] });

      // Act
      await adapter.stopTasksStartedBy(CLUSTER, 'ecs-migrate/20261125-091500-5f2c1a9e', 'ecs-migrate: cancelled');

      // Assess
      const input = ecs.commandCalls(ListTasksCommand)[0]?.args[0].input;
      expect(input).toEqual({ cluster: CLUSTER, startedBy: 'ecs-migrate/20261125-091500-5f2c1a9e' });
      expect(input).not.toHaveProperty('desiredStatus');
    });

    it('sends no DescribeTasks when no task runs for the deployment', async () => {
      ecs.on(ListTasksCommand).resolves({ taskArns: [] });
      await adapter.stopTasksStartedBy(CLUSTER, 'ecs-migrate/20261125-091500-5f2c1a9e', 'ecs-migrate: cancelled');
      expect(ecs).toHaveReceivedCommandTimes(DescribeTasksCommand, 0);
    });

    it('treats a task ECS has forgotten as stopped', async () => {
      // Prepare
      ecs
        .on(StopTaskCommand)
        .rejects(new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message: 'The referenced task was not found.' }));

      // Act
      const result = adapter.stopTask(CLUSTER, TASK, 'timeout');

      // Assess
      await expect(result).resolves.toBeUndefined();
    });

    it('updates the service to the task definition', async () => {
      // Prepare
      ecs.on(UpdateServiceCommand).resolves({});

      // Act
      await adapter.updateService({ mode: 'update-service', cluster: CLUSTER, service: 'shop-api' }, TD(43));

      // Assess
      expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { cluster: CLUSTER, service: 'shop-api', taskDefinition: TD(43) });
    });

    it('throws TransientAwsError when UpdateService is throttled', async () => {
      // Prepare
      ecs.on(UpdateServiceCommand).rejects(throttled());

      // Act
      const result = adapter.updateService({ mode: 'update-service', cluster: CLUSTER, service: 'shop-api' }, TD(43));

      // Assess
      await expect(result).rejects.toThrow(TransientAwsError);
    });

    it('throws PermanentAwsError when ECS refuses UpdateService, naming the operation and what to check', async () => {
      // Prepare
      ecs
        .on(UpdateServiceCommand)
        .rejects(new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message: 'service not active' }));

      // Act
      const result = adapter.updateService({ mode: 'update-service', cluster: CLUSTER, service: 'shop-api' }, TD(43));

      // Assess
      await expect(result).rejects.toThrow(PermanentAwsError);
      await expect(result).rejects.toMatchObject({ operation: 'ecs:UpdateService', fix: expect.stringContaining('iam:PassRole') });
    });

    it('reads the task and every container by name, and undefined once ECS has forgotten the task', async () => {
      // Prepare
      ecs
        .on(DescribeTasksCommand)
        .resolvesOnce({
          tasks: [
            {
              taskArn: TASK,
              lastStatus: 'STOPPED',
              stopCode: 'EssentialContainerExited',
              stoppedReason: 'Essential container in task exited',
              stoppedAt: new Date('2026-11-30T10:00:00Z'),
              version: 5,
              containers: [
                { name: 'log-router', exitCode: 0, lastStatus: 'STOPPED' },
                { name: 'app', exitCode: 3, reason: 'migration failed', lastStatus: 'STOPPED' },
              ],
            },
          ],
        })
        .resolvesOnce({ tasks: [], failures: [{ arn: TASK, reason: 'MISSING' }] });

      // Act
      const known = await adapter.describeTask(CLUSTER, TASK);
      const forgotten = await adapter.describeTask(CLUSTER, TASK);

      // Assess
      expect(known).toEqual({
        lastStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        stoppedAt: '2026-11-30T10:00:00.000Z',
        version: 5,
        containers: [
          { name: 'log-router', exitCode: 0, lastStatus: 'STOPPED' },
          { name: 'app', exitCode: 3, reason: 'migration failed', lastStatus: 'STOPPED' },
        ],
      });
      expect(forgotten).toBeUndefined();
    });
  });
});
