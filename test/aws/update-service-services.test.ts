import {
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../src/adapters/aws/store.js';
import type { InvocationResult } from '../../src/shell/lambda.js';
import {
  ACCOUNT,
  CLUSTER,
  CONTAINER,
  createStack,
  DEPLOYMENTS_TABLE,
  ENVIRONMENT,
  FAMILY,
  handlerEnv,
  LOG_GROUP,
  LOG_PREFIX,
  lambdaContext,
  OLD_IMAGE,
  pushEvent,
  REGION,
  REPOSITORY,
  resetMoto,
  type Stack,
  type TestClients,
  taskArns,
  taskStoppedEvent,
  testClients,
} from './environment.js';

/**
 * update-service mode with two gated services (SERVICES=a,b) whose task definition has two app containers (web
 * server and jobs, one image) and a sidecar: after the migration succeeds, every app container of both services
 * runs the migrated image, and the sidecar keeps its own. The real handlers, in process, against moto.
 */

type Handler = (event: unknown, context: Context) => Promise<InvocationResult>;

const WEB = 'shop-web';
const WORKER = 'shop-worker';
const SIDECAR = 'public.ecr.aws/nginx/nginx:1.27';
const DIGEST = `sha256:${'d'.repeat(64)}`;
const NEW_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${REPOSITORY}@${DIGEST}`;

describe('update-service mode, two services, two app containers (moto)', () => {
  let c: TestClients;
  let stack: Stack;
  let launch: Handler;
  let watch: Handler;
  const saved = { ...process.env };

  beforeAll(async () => {
    // The handlers read their configuration once, at import (cold start), as on Lambda.
    const { SERVICE: _one, ...env } = handlerEnv({ SERVICES: `${WEB},${WORKER}` });
    delete process.env.SERVICE;
    Object.assign(process.env, env);
    launch = (await import('../../handlers/launch.js')).handler;
    watch = (await import('../../handlers/watch.js')).handler;
    c = testClients();
  });

  afterAll(() => {
    // SERVICES with a SERVICE another file sets would be refused: leave the environment as it was.
    delete process.env.SERVICES;
    Object.assign(process.env, saved);
  });

  beforeEach(async () => {
    await resetMoto();
    stack = await createStack(c);
    const registered = await c.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: FAMILY,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          {
            name: CONTAINER,
            image: OLD_IMAGE,
            essential: true,
            memory: 256,
            command: ['bin/server'],
            logConfiguration: {
              logDriver: 'awslogs',
              options: { 'awslogs-group': LOG_GROUP, 'awslogs-region': REGION, 'awslogs-stream-prefix': LOG_PREFIX },
            },
          },
          { name: 'jobs', image: OLD_IMAGE, essential: false, memory: 128, command: ['bin/jobs'] },
          { name: 'proxy', image: SIDECAR, essential: false, memory: 128 },
        ],
      }),
    );
    for (const serviceName of [WEB, WORKER]) {
      await c.ecs.send(
        new CreateServiceCommand({
          cluster: CLUSTER,
          serviceName,
          taskDefinition: registered.taskDefinition?.taskDefinitionArn ?? '',
          desiredCount: 1,
          launchType: 'FARGATE',
          platformVersion: '1.4.0',
          networkConfiguration: { awsvpcConfiguration: { subnets: stack.subnets, securityGroups: [stack.securityGroup] } },
        }),
      );
    }
  });

  it('push → one task → exit 0: every app container of both services runs the migrated image; the sidecar is untouched', async () => {
    // Prepare
    const launched = await launch(
      pushEvent({ id: 'b1b2c3d4-0000-4000-8000-000000000001', digest: DIGEST, tag: 'v2.0.0' }),
      lambdaContext('launch'),
    );
    const deploymentId = launched.decisions.find((d) => d.decision === 'launch')?.deploymentId ?? '';
    const arns = await taskArns(c);
    expect(arns).toHaveLength(1);
    const { tasks } = await c.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }));
    const task = {
      taskArn: tasks?.[0]?.taskArn ?? '',
      taskDefinitionArn: tasks?.[0]?.taskDefinitionArn ?? '',
      startedBy: tasks?.[0]?.startedBy ?? '',
    };

    // Act
    const watched = await watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

    // Assess
    expect(watched.decisions.map((d) => d.decision)).toContain('continue');
    const { services } = await c.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [WEB, WORKER] }));
    expect(services?.map((s) => s.serviceName)).toEqual([WEB, WORKER]);
    for (const service of services ?? []) {
      const { taskDefinition } = await c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }));
      expect([service.serviceName, taskDefinition?.containerDefinitions?.map((d) => [d.name, d.image])]).toEqual([
        service.serviceName,
        [
          [CONTAINER, NEW_IMAGE],
          ['jobs', NEW_IMAGE],
          ['proxy', SIDECAR],
        ],
      ]);
    }
    const store = new DynamoDbStore(c.dynamodb, { table: DEPLOYMENTS_TABLE, environment: ENVIRONMENT });
    const recorded = (await store.loadDeployments([deploymentId]))[deploymentId];
    expect(recorded).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      services: [
        { service: WEB, result: 'continued' },
        { service: WORKER, result: 'continued' },
      ],
    });
  });
});
