import {
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  InvalidParameterException,
  ListServiceDeploymentsCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsEcs } from '../../src/adapters/aws/ecs.js';
import { serviceDeploymentReads } from '../../src/adapters/aws/ecs-deployments.js';
import { parseInput } from '../../src/core/parse.js';
import { emitDeploymentState, PAUSE_HOOK, pauseDeployment, timeOutHook } from '../support/pause-hooks.js';
import {
  ACCOUNT,
  CLUSTER,
  CONTAINER,
  createServices,
  drainEvents,
  endpoint,
  freshStack,
  imageOf,
  OLD_IMAGE,
  REGION,
  REPOSITORY,
  registerTaskDefinition,
  ruleQueue,
  type Stack,
  type TestClients,
  testClients,
  WEB,
  WORKER,
} from './environment.js';

/**
 * The moto pause-hook extension (test/support/moto_pause_hooks.py) through the real SDK client and the ECS
 * adapter: the API shapes of SDK 3.1164, the hook events on the default bus, and the refusal of a late answer.
 */

const DIGEST = `sha256:${'e'.repeat(64)}`;
const NEW_IMAGE = imageOf(DIGEST);
const clusterArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`;
const serviceArn = (name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${name}`;

describe('moto pause-hook extension', () => {
  let c: TestClients;
  let stack: Stack;
  let adapter: AwsEcs;
  let hookQueue: string;
  /** A task definition with two containers of the app image (web server and jobs) and a sidecar. */
  let twoAppContainers: string;

  beforeEach(async () => {
    c = testClients();
    stack = await freshStack(c);
    adapter = new AwsEcs(c.ecs, {
      cluster: CLUSTER,
      service: WEB,
      container: CONTAINER,
      serviceDeployments: serviceDeploymentReads(c.ecs),
    });
    twoAppContainers = await registerTaskDefinition(c, [
      { name: CONTAINER, image: OLD_IMAGE, memory: 256, essential: true },
      { name: 'jobs', image: OLD_IMAGE, memory: 128, essential: false, command: ['bin/jobs'] },
      { name: 'proxy', image: 'public.ecr.aws/nginx/nginx:1.27', memory: 128, essential: false },
    ]);
    await createServices(c, stack, [WEB, WORKER], { deploymentConfiguration: { lifecycleHooks: [PAUSE_HOOK] } });
    // The stack's hook rule (template.yaml), with an SQS target instead of the launcher.
    hookQueue = await ruleQueue(c, {
      queue: 'hook-events',
      rule: 'hooks',
      pattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Hook State Change', 'ECS Deployment State Change'],
        resources: [{ prefix: `arn:aws:ecs:${REGION}:${ACCOUNT}:service` }],
      },
    });
  });

  it('CreateService keeps the PAUSE hook and refuses one at a traffic-shift stage', async () => {
    const { services } = await c.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [WEB] }));
    expect(services?.[0]?.deploymentConfiguration?.lifecycleHooks).toEqual([PAUSE_HOOK]);

    const refused = c.ecs.send(
      new CreateServiceCommand({
        cluster: CLUSTER,
        serviceName: 'shop-bad',
        taskDefinition: stack.baseTaskDefinitionArn,
        launchType: 'FARGATE',
        deploymentConfiguration: { lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['PRODUCTION_TRAFFIC_SHIFT'] }] },
      }),
    );
    await expect(refused).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('UpdateService replaces the hooks (and refuses a PAUSE hook with a target ARN)', async () => {
    const moved = { ...PAUSE_HOOK, lifecycleStages: ['POST_SCALE_UP' as const] };
    await c.ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: WEB, deploymentConfiguration: { lifecycleHooks: [moved] } }));
    const { services } = await c.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [WEB] }));
    expect(services?.[0]?.deploymentConfiguration?.lifecycleHooks).toEqual([moved]);

    const withTarget = { ...PAUSE_HOOK, hookTargetArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:hook` };
    const refused = c.ecs.send(
      new UpdateServiceCommand({ cluster: CLUSTER, service: WEB, deploymentConfiguration: { lifecycleHooks: [withTarget] } }),
    );
    await expect(refused).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('pauses a deployment the adapter reads: IN_PROGRESS, hook AWAITING_ACTION, target revision with digests; the event parses', async () => {
    // Act
    const paused = await pauseDeployment(endpoint(), {
      cluster: CLUSTER,
      service: WEB,
      taskDefinition: twoAppContainers,
      digests: { app: DIGEST },
    });
    const deployment = await adapter.describeServiceDeployment(paused.serviceDeploymentArn);
    const revision = await adapter.describeServiceRevision(deployment?.targetServiceRevisionArn ?? '');

    // Assess
    expect(deployment).toMatchObject({
      serviceArn: serviceArn(WEB),
      clusterArn,
      status: 'IN_PROGRESS',
      lifecycleStage: 'PRE_SCALE_UP',
      targetServiceRevisionArn: paused.serviceRevisionArn,
      sourceServiceRevisionArns: [expect.stringMatching(/:service-revision\/shop-staging\/shop-web\/\d+$/)],
      hooks: [
        { hookId: paused.hookId, targetType: 'PAUSE', status: 'AWAITING_ACTION', timeoutAction: 'ROLLBACK', expiresAt: expect.any(String) },
      ],
    });
    expect(Date.parse(deployment?.hooks[0]?.expiresAt ?? '') - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(revision).toMatchObject({
      taskDefinitionArn: twoAppContainers,
      launchType: 'FARGATE',
      network: { subnets: stack.subnets, securityGroups: [stack.securityGroup] },
      containerImages: [
        { containerName: 'app', image: OLD_IMAGE, imageDigest: DIGEST },
        { containerName: 'jobs', image: OLD_IMAGE, imageDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
        { containerName: 'proxy', image: 'public.ecr.aws/nginx/nginx:1.27', imageDigest: expect.stringMatching(/^sha256:/) },
      ],
    });
    // The owner's UpdateService happened: the service names the target task definition.
    const { services } = await c.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [WEB] }));
    expect(services?.[0]?.taskDefinition).toBe(twoAppContainers);
    expect(services?.[0]?.deployments?.[0]).toMatchObject({ id: paused.ecsDeploymentId, status: 'PRIMARY' });
    const { serviceDeployments } = await c.ecs.send(new ListServiceDeploymentsCommand({ cluster: CLUSTER, service: WEB }));
    expect(serviceDeployments).toEqual([
      expect.objectContaining({
        serviceDeploymentArn: paused.serviceDeploymentArn,
        status: 'IN_PROGRESS',
        targetServiceRevisionArn: paused.serviceRevisionArn,
      }),
    ]);

    // The hook event reached the rule's target, and the real-shaped copy parses as a hook input.
    const delivered = await drainEvents(c, hookQueue);
    expect(delivered).toEqual([expect.objectContaining({ 'detail-type': 'ECS Hook State Change', detail: paused.event?.detail })]);
    expect(paused.event?.detail).toMatchObject({ eventName: 'HOOK_AWAITING_ACTION', hookType: 'PAUSE', lifecycleStage: 'PRE_SCALE_UP' });
    expect(
      parseInput({ ...paused.event, id: 'e1' }, { requestSource: 'ecs-migrate', registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' }),
    ).toMatchObject({
      kind: 'hook-state',
      eventName: 'HOOK_AWAITING_ACTION',
      hookId: paused.hookId,
      serviceDeploymentArn: paused.serviceDeploymentArn,
    });
  });

  it('takes one answer per hook: CONTINUE succeeds the hook, a second answer is refused (InvalidParameterException)', async () => {
    const paused = await pauseDeployment(endpoint(), { cluster: CLUSTER, service: WEB });
    await drainEvents(c, hookQueue);

    await expect(
      adapter.answerHook({ serviceDeploymentArn: paused.serviceDeploymentArn, hookId: paused.hookId, action: 'CONTINUE' }),
    ).resolves.toEqual({
      ok: true,
      ecsDeploymentId: paused.ecsDeploymentId,
    });
    await expect(adapter.describeServiceDeployment(paused.serviceDeploymentArn)).resolves.toMatchObject({
      status: 'IN_PROGRESS',
      lifecycleStage: 'SCALE_UP',
      hooks: [{ status: 'SUCCEEDED' }],
    });
    await expect(
      adapter.answerHook({ serviceDeploymentArn: paused.serviceDeploymentArn, hookId: paused.hookId, action: 'ROLLBACK' }),
    ).resolves.toEqual({
      ok: false,
      cause: 'refused',
      reason: expect.stringMatching(/InvalidParameterException: .*SUCCEEDED, not AWAITING_ACTION/),
    });
    const delivered = await drainEvents(c, hookQueue);
    expect(delivered.map((e) => e.detail.eventName)).toEqual(['HOOK_SUCCEEDED']);
  });

  it('ROLLBACK fails the hook and rolls the service back to its previous task definition', async () => {
    const paused = await pauseDeployment(endpoint(), { cluster: CLUSTER, service: WEB, taskDefinition: twoAppContainers });

    await adapter.answerHook({ serviceDeploymentArn: paused.serviceDeploymentArn, hookId: paused.hookId, action: 'ROLLBACK' });

    await expect(adapter.describeServiceDeployment(paused.serviceDeploymentArn)).resolves.toMatchObject({
      status: 'ROLLBACK_IN_PROGRESS',
      hooks: [{ status: 'FAILED' }],
      rollback: { reason: expect.stringContaining('ROLLBACK') },
    });
    const { services } = await c.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [WEB] }));
    expect(services?.[0]?.taskDefinition).toBe(stack.baseTaskDefinitionArn);
    expect((await drainEvents(c, hookQueue)).map((e) => e.detail.eventName)).toEqual(['HOOK_AWAITING_ACTION', 'HOOK_FAILED']);
  });

  it('a hook that timed out refuses a late answer; an unknown deployment is not-found', async () => {
    const paused = await pauseDeployment(endpoint(), { cluster: CLUSTER, service: WORKER, emitEvent: false });

    const timedOut = await timeOutHook(endpoint(), { serviceDeploymentArn: paused.serviceDeploymentArn });

    expect(timedOut).toMatchObject({
      status: 'ROLLBACK_IN_PROGRESS',
      event: { detail: { eventName: 'HOOK_TIMED_OUT', hookId: paused.hookId } },
    });
    await expect(
      adapter.answerHook({ serviceDeploymentArn: paused.serviceDeploymentArn, hookId: paused.hookId, action: 'CONTINUE' }),
    ).resolves.toMatchObject({
      ok: false,
      cause: 'refused',
    });
    const unknown = paused.serviceDeploymentArn.replace(/[^/]+$/, 'gone');
    await expect(adapter.answerHook({ serviceDeploymentArn: unknown, hookId: paused.hookId, action: 'CONTINUE' })).resolves.toMatchObject({
      ok: false,
      cause: 'not-found',
    });
    await expect(adapter.describeServiceDeployment(unknown)).resolves.toBeUndefined();
  });

  it('emits ECS Deployment State Change for the service: COMPLETED, and a circuit-breaker rollback', async () => {
    const web = await pauseDeployment(endpoint(), { cluster: CLUSTER, service: WEB, emitEvent: false });
    const worker = await pauseDeployment(endpoint(), { cluster: CLUSTER, service: WORKER, emitEvent: false });

    const completed = await emitDeploymentState(endpoint(), {
      serviceDeploymentArn: web.serviceDeploymentArn,
      eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
    });
    const rolling = await emitDeploymentState(endpoint(), {
      serviceDeploymentArn: worker.serviceDeploymentArn,
      eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
      reason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/0000000000000000001.',
    });

    expect(completed).toMatchObject({
      status: 'SUCCESSFUL',
      event: { resources: [serviceArn(WEB)], detail: { eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: web.ecsDeploymentId } },
    });
    expect(rolling.status).toBe('ROLLBACK_IN_PROGRESS');
    const delivered = await drainEvents(c, hookQueue);
    expect(delivered.map((e) => [e['detail-type'], e.detail.eventName])).toEqual([
      ['ECS Deployment State Change', 'SERVICE_DEPLOYMENT_COMPLETED'],
      ['ECS Deployment State Change', 'SERVICE_DEPLOYMENT_IN_PROGRESS'],
    ]);
    expect(
      parseInput(
        { ...rolling.event, id: 'e2' },
        { requestSource: 'ecs-migrate', registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' },
      ),
    ).toMatchObject({
      kind: 'deployment-state',
      eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
      serviceArn: serviceArn(WORKER),
      rollingBack: true,
    });
  });

  it('update-service mode: rollOutImage moves every app container of every listed service', async () => {
    // Prepare: both services run the task definition with two app containers.
    for (const service of [WEB, WORKER])
      await c.ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service, taskDefinition: twoAppContainers }));

    // Act
    const results = await adapter.rollOutImage({
      cluster: CLUSTER,
      services: [WEB, WORKER],
      repository: REPOSITORY,
      image: NEW_IMAGE,
      tags: { 'ecs-migrate:deployment': 'd1' },
    });

    // Assess
    expect(results).toEqual([
      {
        service: WEB,
        ok: true,
        taskDefinitionArn: expect.stringMatching(/:task-definition\/shop-api:\d+$/),
        containers: ['app', 'jobs'],
        unchanged: false,
        ecsDeploymentId: expect.any(String),
      },
      {
        service: WORKER,
        ok: true,
        taskDefinitionArn: results[0]?.ok === true ? results[0].taskDefinitionArn : '',
        containers: ['app', 'jobs'],
        unchanged: false,
        ecsDeploymentId: expect.any(String),
      },
    ]);
    const { services } = await c.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [WEB, WORKER] }));
    for (const service of services ?? []) {
      const { taskDefinition } = await c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }));
      expect(taskDefinition?.containerDefinitions?.map((d) => [d.name, d.image])).toEqual([
        ['app', NEW_IMAGE],
        ['jobs', NEW_IMAGE],
        ['proxy', 'public.ecr.aws/nginx/nginx:1.27'],
      ]);
    }
  });
});
