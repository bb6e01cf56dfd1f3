import 'aws-sdk-client-mock-vitest/extend';
import {
  AccessDeniedException,
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  RegisterTaskDefinitionCommand,
  ServerException,
  ServiceDeploymentNotFoundException,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsEcs, DEPLOYMENT_TAG } from '../../src/adapters/aws/ecs.js';
import { serviceDeploymentReads } from '../../src/adapters/aws/ecs-deployments.js';
import { EcsMigrateError, TransientAwsError } from '../../src/errors.js';
import { ACCOUNT, REGION, TD } from '../support/fixtures.js';

const CLUSTER = 'shop-staging';
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`;
const SERVICE_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/shop-api`;
const SD_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/${CLUSTER}/shop-api/NCWGC2ZR-taawPAYrIaU5`;
const TARGET_REV = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/${CLUSTER}/shop-api/4980306466373577095`;
const SOURCE_REV = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/${CLUSTER}/shop-api/4980306466373570001`;
const HOOK = 'ecs-pause-0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const DIGEST = `sha256:${'c'.repeat(64)}`;
const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const OLD_IMAGE = `${REGISTRY}/shop-api:v1.3.0`;
const NEW_IMAGE = `${REGISTRY}/shop-api@${DIGEST}`;
const NETWORK = { subnets: ['subnet-0a1b2c3d4e5f60718'], securityGroups: ['sg-0123456789abcdef0'], assignPublicIp: 'DISABLED' as const };

const throttled = () =>
  new ECSServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
const denied = (action: string) =>
  new AccessDeniedException({ $metadata: { httpStatusCode: 400 }, message: `User is not authorized to perform: ${action}` });

/** The web task definition: the app container, a worker sidecar on the same app image, and a log router. */
const webDefinition: TaskDefinition = {
  taskDefinitionArn: TD(42),
  family: 'shop-api',
  revision: 42,
  status: 'ACTIVE',
  compatibilities: ['FARGATE'],
  requiresAttributes: [{ name: 'ecs.capability.execution-role-awslogs' }],
  registeredAt: new Date('2026-11-01T10:00:00Z'),
  registeredBy: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci`,
  networkMode: 'awsvpc',
  cpu: '512',
  memory: '1024',
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/shop-api-execution`,
  containerDefinitions: [
    { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable', essential: false },
    { name: 'app', image: OLD_IMAGE, essential: true },
    { name: 'jobs', image: OLD_IMAGE, essential: false, command: ['bin/jobs'] },
    { name: 'other-app', image: `${REGISTRY}/shop-api-admin:v1`, essential: false },
  ],
};

describe('AwsEcs service deployments (pause-hook mode)', () => {
  const client = new ECSClient({ region: REGION });
  const ecs = mockClient(client);
  let adapter: AwsEcs;

  beforeEach(() => {
    adapter = new AwsEcs(client, {
      cluster: CLUSTER,
      service: 'shop-api',
      container: 'app',
      serviceDeployments: serviceDeploymentReads(client),
    });
    ecs.reset();
  });

  describe('describeServiceDeployment', () => {
    it('reads status, stage, target and source revisions and the hooks, with times as ISO strings', async () => {
      // Prepare
      ecs.on(DescribeServiceDeploymentsCommand).resolves({
        serviceDeployments: [
          {
            serviceDeploymentArn: SD_ARN,
            serviceArn: SERVICE_ARN,
            clusterArn: CLUSTER_ARN,
            status: 'IN_PROGRESS',
            lifecycleStage: 'PRE_SCALE_UP',
            targetServiceRevision: { arn: TARGET_REV, requestedTaskCount: 2 },
            sourceServiceRevisions: [{ arn: SOURCE_REV }],
            lifecycleHookDetails: [
              {
                hookId: HOOK,
                targetType: 'PAUSE',
                status: 'AWAITING_ACTION',
                expiresAt: new Date('2026-11-30T05:00:00Z'),
                timeoutAction: 'ROLLBACK',
              },
            ],
          },
        ],
        failures: [],
      });

      // Act
      const info = await adapter.describeServiceDeployment(SD_ARN);

      // Assess
      expect(info).toEqual({
        serviceDeploymentArn: SD_ARN,
        serviceArn: SERVICE_ARN,
        clusterArn: CLUSTER_ARN,
        status: 'IN_PROGRESS',
        lifecycleStage: 'PRE_SCALE_UP',
        targetServiceRevisionArn: TARGET_REV,
        sourceServiceRevisionArns: [SOURCE_REV],
        hooks: [
          {
            hookId: HOOK,
            targetType: 'PAUSE',
            status: 'AWAITING_ACTION',
            expiresAt: '2026-11-30T05:00:00.000Z',
            timeoutAction: 'ROLLBACK',
          },
        ],
      });
      expect(ecs).toHaveReceivedCommandWith(DescribeServiceDeploymentsCommand, { serviceDeploymentArns: [SD_ARN] });
    });

    it('keeps the rollback of a deployment ECS is rolling back', async () => {
      // Prepare
      ecs.on(DescribeServiceDeploymentsCommand).resolves({
        serviceDeployments: [
          {
            serviceDeploymentArn: SD_ARN,
            serviceArn: SERVICE_ARN,
            clusterArn: CLUSTER_ARN,
            status: 'ROLLBACK_IN_PROGRESS',
            statusReason: 'Lifecycle hook answered ROLLBACK.',
            rollback: { reason: 'Lifecycle hook answered ROLLBACK.', serviceRevisionArn: SOURCE_REV, startedAt: new Date() },
            lifecycleHookDetails: [{ hookId: HOOK, status: 'FAILED' }],
          },
        ],
      });

      // Act
      const info = await adapter.describeServiceDeployment(SD_ARN);

      // Assess
      expect(info).toMatchObject({
        status: 'ROLLBACK_IN_PROGRESS',
        statusReason: 'Lifecycle hook answered ROLLBACK.',
        rollback: { reason: 'Lifecycle hook answered ROLLBACK.', serviceRevisionArn: SOURCE_REV },
        hooks: [{ hookId: HOOK, status: 'FAILED' }],
      });
    });

    it('is undefined when ECS reports the deployment MISSING', async () => {
      // Prepare
      ecs.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: [], failures: [{ arn: SD_ARN, reason: 'MISSING' }] });

      // Act / Assess
      await expect(adapter.describeServiceDeployment(SD_ARN)).resolves.toBeUndefined();
    });

    it('throws TransientAwsError when throttled, so the event is retried', async () => {
      // Prepare
      ecs.on(DescribeServiceDeploymentsCommand).rejects(throttled());

      // Act / Assess
      await expect(adapter.describeServiceDeployment(SD_ARN)).rejects.toBeInstanceOf(TransientAwsError);
    });

    it('names the permission on service and service-deployment when access is denied', async () => {
      // Prepare
      ecs.on(DescribeServiceDeploymentsCommand).rejects(denied('ecs:DescribeServiceDeployments'));

      // Act / Assess
      await expect(adapter.describeServiceDeployment(SD_ARN)).rejects.toThrow(
        /ecs:DescribeServiceDeployments failed: AccessDeniedException.*grant the function's role ecs:DescribeServiceDeployments on both the service and service-deployment/,
      );
    });
  });

  describe('describeServiceRevision', () => {
    it('reads the task definition, network, launch settings and the images with their digests', async () => {
      // Prepare
      ecs.on(DescribeServiceRevisionsCommand).resolves({
        serviceRevisions: [
          {
            serviceRevisionArn: TARGET_REV,
            serviceArn: SERVICE_ARN,
            clusterArn: CLUSTER_ARN,
            taskDefinition: TD(43),
            capacityProviderStrategy: [
              { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
              { capacityProvider: 'FARGATE', weight: 1 },
            ],
            platformVersion: '1.4.0',
            networkConfiguration: { awsvpcConfiguration: NETWORK },
            containerImages: [
              { containerName: 'app', image: `${REGISTRY}/shop-api:v1.4.0`, imageDigest: DIGEST },
              {
                containerName: 'log-router',
                image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
                imageDigest: `sha256:${'d'.repeat(64)}`,
              },
            ],
          },
        ],
        failures: [],
      });

      // Act
      const info = await adapter.describeServiceRevision(TARGET_REV);

      // Assess
      expect(info).toEqual({
        serviceRevisionArn: TARGET_REV,
        serviceArn: SERVICE_ARN,
        clusterArn: CLUSTER_ARN,
        taskDefinitionArn: TD(43),
        network: NETWORK,
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
          { capacityProvider: 'FARGATE', weight: 1 },
        ],
        platformVersion: '1.4.0',
        containerImages: [
          { containerName: 'app', image: `${REGISTRY}/shop-api:v1.4.0`, imageDigest: DIGEST },
          {
            containerName: 'log-router',
            image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
            imageDigest: `sha256:${'d'.repeat(64)}`,
          },
        ],
      });
      expect(ecs).toHaveReceivedCommandWith(DescribeServiceRevisionsCommand, { serviceRevisionArns: [TARGET_REV] });
    });

    it('gives the launch type when there is no capacity provider strategy, and undefined for a MISSING revision', async () => {
      // Prepare
      ecs
        .on(DescribeServiceRevisionsCommand)
        .resolvesOnce({
          serviceRevisions: [
            {
              serviceRevisionArn: TARGET_REV,
              serviceArn: SERVICE_ARN,
              clusterArn: CLUSTER_ARN,
              taskDefinition: TD(43),
              launchType: 'FARGATE',
            },
          ],
        })
        .resolvesOnce({ serviceRevisions: [], failures: [{ arn: TARGET_REV, reason: 'MISSING' }] });

      // Act / Assess
      await expect(adapter.describeServiceRevision(TARGET_REV)).resolves.toMatchObject({ launchType: 'FARGATE', containerImages: [] });
      await expect(adapter.describeServiceRevision(TARGET_REV)).resolves.toBeUndefined();
    });
  });

  describe('answerHook', () => {
    it.each(['CONTINUE', 'ROLLBACK'] as const)('sends %s for the hook', async (action) => {
      // Prepare
      ecs.on(ContinueServiceDeploymentCommand).resolves({ serviceDeploymentArn: SD_ARN });

      // Act
      const outcome = await adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action });

      // Assess
      expect(outcome).toEqual({ ok: true });
      expect(ecs).toHaveReceivedCommandWith(ContinueServiceDeploymentCommand, { serviceDeploymentArn: SD_ARN, hookId: HOOK, action });
      // Only a refused answer reads the deployment.
      expect(ecs).toHaveReceivedCommandTimes(DescribeServiceDeploymentsCommand, 0);
    });

    it("after CONTINUE, reads the service's PRIMARY ecs-svc deployment (what ECS Deployment State Change names)", async () => {
      // Prepare
      ecs.on(ContinueServiceDeploymentCommand).resolves({ serviceDeploymentArn: SD_ARN });
      ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: ['shop-api'] }).resolves({
        services: [
          {
            deployments: [
              { id: 'ecs-svc/0000', status: 'ACTIVE' },
              { id: 'ecs-svc/4980306466373577095', status: 'PRIMARY' },
            ],
          },
        ],
      });

      // Act
      const outcome = await adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'CONTINUE' });

      // Assess
      expect(outcome).toEqual({ ok: true, ecsDeploymentId: 'ecs-svc/4980306466373577095' });
    });

    it('a failed read after CONTINUE still reports the answer (no id), and ROLLBACK reads nothing', async () => {
      // Prepare
      ecs.on(ContinueServiceDeploymentCommand).resolves({ serviceDeploymentArn: SD_ARN });
      ecs.on(DescribeServicesCommand).rejects(denied('ecs:DescribeServices'));

      // Act
      const continued = await adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'CONTINUE' });
      const rolledBack = await adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'ROLLBACK' });

      // Assess
      expect(continued).toEqual({ ok: true });
      expect(rolledBack).toEqual({ ok: true });
      expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 1);
    });

    it('reports a refused answer (the hook is no longer AWAITING_ACTION) as refused, not as an error', async () => {
      // Prepare
      ecs
        .on(ContinueServiceDeploymentCommand)
        .rejects(
          new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message: `The lifecycle hook ${HOOK} is TIMED_OUT.` }),
        );

      // Act
      const outcome = await adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'CONTINUE' });

      // Assess
      expect(outcome).toEqual({ ok: false, cause: 'refused', reason: expect.stringContaining('TIMED_OUT') });
    });

    describe('a refused answer the hook shows taken already (a retried event answering again)', () => {
      const refused = () =>
        new InvalidParameterException({
          $metadata: { httpStatusCode: 400 },
          message: `The lifecycle hook ${HOOK} is not AWAITING_ACTION.`,
        });
      const hookIs = (status: string) =>
        ecs.on(DescribeServiceDeploymentsCommand, { serviceDeploymentArns: [SD_ARN] }).resolves({
          serviceDeployments: [
            {
              serviceDeploymentArn: SD_ARN,
              serviceArn: SERVICE_ARN,
              clusterArn: CLUSTER_ARN,
              status: 'SUCCESSFUL',
              lifecycleHookDetails: [{ hookId: HOOK, targetType: 'PAUSE', status: status as 'SUCCEEDED' }],
            },
          ],
        });

      // Was: recorded as refused (`moved-on`, as if someone else had answered), under the service deployment ARN
      // instead of the `ecs-svc/…` id, so the rollout's `ECS Deployment State Change` matched nothing.
      it('is the answer taken: CONTINUE to a SUCCEEDED hook, with the ecs-svc id; ROLLBACK to a FAILED one', async () => {
        // Prepare
        ecs.on(ContinueServiceDeploymentCommand).rejects(refused());
        ecs
          .on(DescribeServicesCommand, { cluster: CLUSTER, services: ['shop-api'] })
          .resolves({ services: [{ deployments: [{ id: 'ecs-svc/4980306466373577095', status: 'PRIMARY' }] }] });
        hookIs('SUCCEEDED');

        // Act
        const continued = await adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'CONTINUE' });
        hookIs('FAILED');
        const rolledBack = await adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'ROLLBACK' });

        // Assess
        expect(continued).toEqual({ ok: true, ecsDeploymentId: 'ecs-svc/4980306466373577095' });
        expect(rolledBack).toEqual({ ok: true });
      });

      it.each([
        ['CONTINUE', 'FAILED'],
        ['ROLLBACK', 'SUCCEEDED'],
        ['CONTINUE', 'TIMED_OUT'],
      ] as const)('stays refused when the hook shows another answer: %s to a %s hook', async (action, status) => {
        // Prepare
        ecs.on(ContinueServiceDeploymentCommand).rejects(refused());
        hookIs(status);

        // Act
        const outcome = await adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action });

        // Assess
        expect(outcome).toEqual({ ok: false, cause: 'refused', reason: expect.stringContaining('not AWAITING_ACTION') });
      });

      it('stays refused, saying so, when the deployment cannot be read (best effort: no retry of the answer)', async () => {
        // Prepare
        ecs.on(ContinueServiceDeploymentCommand).rejects(refused());
        ecs.on(DescribeServiceDeploymentsCommand).rejects(throttled());

        // Act
        const outcome = await adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'CONTINUE' });

        // Assess
        expect(outcome).toEqual({ ok: false, cause: 'refused', reason: expect.stringMatching(/could not be read: .*Rate exceeded/) });
      });
    });

    it('reports an unknown deployment as not-found', async () => {
      // Prepare
      ecs
        .on(ContinueServiceDeploymentCommand)
        .rejects(new ServiceDeploymentNotFoundException({ $metadata: { httpStatusCode: 400 }, message: 'not found' }));

      // Act / Assess
      await expect(adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'ROLLBACK' })).resolves.toMatchObject({
        ok: false,
        cause: 'not-found',
      });
    });

    it('throws TransientAwsError on a 5xx, and says how to answer by hand when access is denied', async () => {
      // Prepare
      ecs
        .on(ContinueServiceDeploymentCommand)
        .rejectsOnce(new ServerException({ $metadata: { httpStatusCode: 500 }, message: 'internal' }))
        .rejectsOnce(denied('ecs:ContinueServiceDeployment'));

      // Act / Assess
      await expect(adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'ROLLBACK' })).rejects.toBeInstanceOf(
        TransientAwsError,
      );
      const error = await adapter.answerHook({ serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'ROLLBACK' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EcsMigrateError);
      expect(error).not.toBeInstanceOf(TransientAwsError);
      expect(String(error)).toMatch(/ecs:ContinueServiceDeployment/);
    });
  });

  describe('rollOutImage (update-service mode, several services)', () => {
    const tags = { [DEPLOYMENT_TAG]: '20261130-040000-1a2b3c4d' };
    const rollout = (services: string[]) => ({ cluster: CLUSTER, services, repository: 'shop-api', image: NEW_IMAGE, tags });

    beforeEach(() => {
      ecs
        .on(DescribeTaskDefinitionCommand, { taskDefinition: TD(42) })
        .resolves({ taskDefinition: webDefinition, tags: [{ key: 'team', value: 'shop' }] });
      ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { ...webDefinition, taskDefinitionArn: TD(43), revision: 43 } });
      ecs.on(UpdateServiceCommand).resolves({
        service: {
          deployments: [
            { id: 'ecs-svc/1111', status: 'PRIMARY' },
            { id: 'ecs-svc/0000', status: 'ACTIVE' },
          ],
        },
      });
    });

    it('moves every container whose image is in the repository, and only those, then updates every service', async () => {
      // Prepare: web and worker share the task definition.
      ecs.on(DescribeServicesCommand).resolves({
        services: [
          { serviceName: 'shop-api', status: 'ACTIVE', taskDefinition: TD(42) },
          { serviceName: 'shop-worker', status: 'ACTIVE', taskDefinition: TD(42) },
        ],
      });

      // Act
      const results = await adapter.rollOutImage(rollout(['shop-api', 'shop-worker']));

      // Assess
      expect(results).toEqual([
        {
          service: 'shop-api',
          ok: true,
          taskDefinitionArn: TD(43),
          containers: ['app', 'jobs'],
          unchanged: false,
          ecsDeploymentId: 'ecs-svc/1111',
        },
        {
          service: 'shop-worker',
          ok: true,
          taskDefinitionArn: TD(43),
          containers: ['app', 'jobs'],
          unchanged: false,
          ecsDeploymentId: 'ecs-svc/1111',
        },
      ]);
      // One revision for the shared task definition, without the read-only fields, tagged.
      expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
      const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
      expect(input?.containerDefinitions?.map((c) => [c.name, c.image])).toEqual([
        ['log-router', 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable'],
        ['app', NEW_IMAGE],
        ['jobs', NEW_IMAGE],
        ['other-app', `${REGISTRY}/shop-api-admin:v1`],
      ]);
      expect(input).not.toHaveProperty('revision');
      expect(input).not.toHaveProperty('registeredAt');
      // ecs-migrate's tag first: it is never the one cut at ECS's limit of 50.
      expect(input?.tags).toEqual([
        { key: DEPLOYMENT_TAG, value: '20261130-040000-1a2b3c4d' },
        { key: 'team', value: 'shop' },
      ]);
      expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { cluster: CLUSTER, service: 'shop-api', taskDefinition: TD(43) });
      expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { cluster: CLUSTER, service: 'shop-worker', taskDefinition: TD(43) });
    });

    it('follows the rollout in progress of a service already on the image (a retried event whose first try moved it)', async () => {
      // Prepare
      const onImage = TD(50);
      ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: onImage }).resolves({
        taskDefinition: { ...webDefinition, taskDefinitionArn: onImage, containerDefinitions: [{ name: 'app', image: NEW_IMAGE }] },
      });
      const deployments = [{ id: 'ecs-svc/2222', status: 'PRIMARY', taskDefinition: onImage, rolloutState: 'IN_PROGRESS' as const }];
      ecs
        .on(DescribeServicesCommand)
        .resolves({ services: [{ serviceName: 'shop-api', status: 'ACTIVE', taskDefinition: onImage, deployments }] });

      // Act
      const results = await adapter.rollOutImage(rollout(['shop-api']));

      // Assess
      expect(results).toEqual([
        {
          service: 'shop-api',
          ok: true,
          taskDefinitionArn: onImage,
          containers: ['app'],
          unchanged: true,
          ecsDeploymentId: 'ecs-svc/2222',
        },
      ]);
      expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    });

    it('leaves a service already on the image alone, and reports a missing service and one without a repository container', async () => {
      // Prepare
      const onImage = TD(50);
      const noApp = TD(60);
      ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: onImage }).resolves({
        taskDefinition: { ...webDefinition, taskDefinitionArn: onImage, containerDefinitions: [{ name: 'app', image: NEW_IMAGE }] },
      });
      ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: noApp }).resolves({
        taskDefinition: {
          ...webDefinition,
          taskDefinitionArn: noApp,
          // Was: a container was matched by repository name alone: another registry's `shop-api` got our image.
          containerDefinitions: [
            { name: 'proxy', image: 'nginx:1.27' },
            { name: 'vendor', image: '999999999999.dkr.ecr.eu-west-1.amazonaws.com/shop-api:2.0' },
          ],
        },
      });
      ecs.on(DescribeServicesCommand).resolves({
        services: [
          { serviceName: 'shop-api', status: 'ACTIVE', taskDefinition: onImage },
          { serviceName: 'shop-proxy', status: 'ACTIVE', taskDefinition: noApp },
        ],
        failures: [{ arn: SERVICE_ARN.replace('shop-api', 'shop-gone'), reason: 'MISSING' }],
      });

      // Act
      const results = await adapter.rollOutImage(rollout(['shop-api', 'shop-proxy', 'shop-gone']));

      // Assess
      expect(results).toEqual([
        { service: 'shop-api', ok: true, taskDefinitionArn: onImage, containers: ['app'], unchanged: true },
        {
          service: 'shop-proxy',
          ok: false,
          reason: expect.stringMatching(
            /no container with an image in repository "shop-api" of 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com \(it has proxy=nginx:1.27, vendor=999999999999\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/shop-api:2\.0\): check REPOSITORY/,
          ),
        },
        { service: 'shop-gone', ok: false, reason: expect.stringMatching(/service "shop-gone" not found in cluster "shop-staging"/) },
      ]);
      expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
      expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    });

    it('reports a refused UpdateService per service and throws when it is throttled', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'shop-api', status: 'ACTIVE', taskDefinition: TD(42) }] });
      ecs.on(UpdateServiceCommand).rejectsOnce(denied('ecs:UpdateService')).rejectsOnce(throttled());

      // Act / Assess
      await expect(adapter.rollOutImage(rollout(['shop-api']))).resolves.toEqual([
        { service: 'shop-api', ok: false, reason: expect.stringMatching(/AccessDeniedException.*ecs:UpdateService/) },
      ]);
      await expect(adapter.rollOutImage(rollout(['shop-api']))).rejects.toBeInstanceOf(TransientAwsError);
    });

    it('reports services whose DescribeServices is refused for good as failed, each with the reason; throws when it is throttled', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).rejectsOnce(denied('ecs:DescribeServices')).rejectsOnce(throttled());

      // Act / Assess
      await expect(adapter.rollOutImage(rollout(['shop-api', 'shop-worker']))).resolves.toEqual([
        { service: 'shop-api', ok: false, reason: expect.stringMatching(/service "shop-api" could not be read: .*ecs:DescribeServices/) },
        {
          service: 'shop-worker',
          ok: false,
          reason: expect.stringMatching(/service "shop-worker" could not be read: .*ecs:DescribeServices/),
        },
      ]);
      expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
      await expect(adapter.rollOutImage(rollout(['shop-api']))).rejects.toBeInstanceOf(TransientAwsError);
    });

    describe('of a task definition run as it is (a deployment that names no image)', () => {
      const ran = TD(44);
      const ofTaskDefinition = (services: string[]) => ({ cluster: CLUSTER, services, imageOf: ran, tags });
      const withRepository = () => new AwsEcs(client, { cluster: CLUSTER, service: 'shop-api', container: 'app', repository: 'shop-api' });
      const ranWith = (image: string) =>
        ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: ran }).resolves({
          taskDefinition: { ...webDefinition, taskDefinitionArn: ran, revision: 44, containerDefinitions: [{ name: 'app', image }] },
        });

      it('moves the services to the image its migration container runs', async () => {
        // Prepare
        ranWith(NEW_IMAGE);
        ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'shop-worker', status: 'ACTIVE', taskDefinition: TD(42) }] });

        // Act
        const results = await withRepository().rollOutImage(ofTaskDefinition(['shop-worker']));

        // Assess
        expect(results).toEqual([
          expect.objectContaining({ service: 'shop-worker', ok: true, containers: ['app', 'jobs'], unchanged: false }),
        ]);
        const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
        expect(input?.containerDefinitions?.map((c) => [c.name, c.image])).toEqual([
          ['log-router', 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable'],
          ['app', NEW_IMAGE],
          ['jobs', NEW_IMAGE],
          ['other-app', `${REGISTRY}/shop-api-admin:v1`],
        ]);
        expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { service: 'shop-worker', taskDefinition: TD(43) });
      });

      it('reports every service not moved, saying why, when that image is not in REPOSITORY or cannot be read', async () => {
        // Prepare
        ranWith(`${REGISTRY}/shop-api-admin:v1`);

        // Act
        const results = await withRepository().rollOutImage(ofTaskDefinition(['shop-worker', 'shop-jobs']));

        // Assess
        const reason = expect.stringMatching(
          new RegExp(`container "app" of task definition ${ran} runs ${REGISTRY}/shop-api-admin:v1, not an image of repository "shop-api"`),
        );
        expect(results).toEqual([
          { service: 'shop-worker', ok: false, reason },
          { service: 'shop-jobs', ok: false, reason },
        ]);
        expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
        expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);

        // A refused read is reported the same way; a throttled one is retried with the event.
        ecs.reset();
        ecs.on(DescribeTaskDefinitionCommand).rejectsOnce(denied('ecs:DescribeTaskDefinition')).rejectsOnce(throttled());
        await expect(withRepository().rollOutImage(ofTaskDefinition(['shop-worker']))).resolves.toEqual([
          { service: 'shop-worker', ok: false, reason: expect.stringMatching(/reading task definition .*ecs:DescribeTaskDefinition/) },
        ]);
        await expect(withRepository().rollOutImage(ofTaskDefinition(['shop-worker']))).rejects.toBeInstanceOf(TransientAwsError);
      });
    });

    it('describes the services ten at a time', async () => {
      // Prepare
      const services = Array.from({ length: 12 }, (_, i) => `svc-${i}`);
      ecs.on(DescribeServicesCommand).resolves({ services: [] });

      // Act
      await adapter.rollOutImage(rollout(services));

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 2);
      expect(ecs).toHaveReceivedNthCommandWith(DescribeServicesCommand, 2, { services: ['svc-10', 'svc-11'] });
    });
  });
});
