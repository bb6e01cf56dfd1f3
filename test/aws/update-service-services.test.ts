import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  appContainer,
  CLUSTER,
  CONTAINER,
  createServices,
  deploymentsStore,
  deployRequestEvent,
  freshStack,
  type Handler,
  imageOf,
  importHandlers,
  lambdaContext,
  OLD_IMAGE,
  onlyTask,
  pushEvent,
  registerTaskDefinition,
  type Stack,
  setServicesEnv,
  type TestClients,
  taskStoppedEvent,
  testClients,
  WEB,
  WORKER,
} from './environment.js';

/**
 * update-service mode with two gated services (SERVICES=a,b) whose task definition has two app containers (web
 * server and jobs, one image) and a sidecar: after the migration succeeds, every app container of both services
 * runs the migrated image, and the sidecar keeps its own. The real handlers, in process, against moto.
 */

const SIDECAR = 'public.ecr.aws/nginx/nginx:1.27';
const DIGEST = `sha256:${'d'.repeat(64)}`;
const NEW_IMAGE = imageOf(DIGEST);

describe('update-service mode, two services, two app containers (moto)', () => {
  let c: TestClients;
  let stack: Stack;
  let launch: Handler;
  let watch: Handler;
  let restoreEnv: () => void;

  beforeAll(async () => {
    // The handlers read their configuration once, at import (cold start), as on Lambda.
    restoreEnv = setServicesEnv({ SERVICES: `${WEB},${WORKER}` });
    ({ launch, watch } = await importHandlers());
    c = testClients();
  });

  afterAll(() => restoreEnv());

  beforeEach(async () => {
    stack = await freshStack(c);
    const taskDefinition = await registerTaskDefinition(c, [
      appContainer(OLD_IMAGE, 256),
      { name: 'jobs', image: OLD_IMAGE, essential: false, memory: 128, command: ['bin/jobs'] },
      { name: 'proxy', image: SIDECAR, essential: false, memory: 128 },
    ]);
    await createServices(c, stack, [WEB, WORKER], { taskDefinition, platformVersion: '1.4.0' });
  });

  it('push → one task → exit 0: every app container of both services runs the migrated image; the sidecar is untouched', async () => {
    // Prepare
    const launched = await launch(
      pushEvent({ id: 'b1b2c3d4-0000-4000-8000-000000000001', digest: DIGEST, tag: 'v2.0.0' }),
      lambdaContext('launch'),
    );
    const deploymentId = launched.decisions.find((d) => d.decision === 'launch')?.deploymentId ?? '';
    const task = await onlyTask(c);

    // Act
    const watched = await watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

    // Assess
    expect(watched.decisions.map((d) => d.decision)).toContain('continue');
    const { services } = await c.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [WEB, WORKER] }));
    expect(services?.map((s) => s.serviceName)).toEqual([WEB, WORKER]);
    await expectBothMoved(c, services ?? [], deploymentId);
  });

  it('deploy-request of a task definition → exit 0: the first service runs it, the other the image its migration container runs', async () => {
    // Prepare: the owner registered the revision to deploy; the request names it, not an image.
    const migrated = await registerTaskDefinition(c, [
      appContainer(NEW_IMAGE, 256),
      { name: 'jobs', image: NEW_IMAGE, essential: false, memory: 128, command: ['bin/jobs'] },
      { name: 'proxy', image: SIDECAR, essential: false, memory: 128 },
    ]);
    const request = deployRequestEvent('b1b2c3d4-0000-4000-8000-000000000002', 'td-request-1', { taskDefinitionArn: migrated });
    const launched = await launch(request, lambdaContext('launch'));
    const deploymentId = launched.decisions.find((d) => d.decision === 'launch')?.deploymentId ?? '';
    const task = await onlyTask(c);
    expect(task.taskDefinitionArn).toBe(migrated);

    // Act
    const watched = await watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

    // Assess
    expect(watched.decisions.find((d) => d.decision === 'continue')?.reason).not.toMatch(/undefined/);
    const { services } = await c.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [WEB, WORKER] }));
    expect(services?.find((s) => s.serviceName === WEB)?.taskDefinition).toBe(migrated);
    await expectBothMoved(c, services ?? [], deploymentId);
  });
});

/** Both services run the new image in every container of REPOSITORY (the sidecar untouched), and the deployment says so. */
async function expectBothMoved(
  c: TestClients,
  services: { serviceName?: string; taskDefinition?: string }[],
  deploymentId: string,
): Promise<void> {
  for (const service of services) {
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
  const recorded = (await deploymentsStore(c).loadDeployments([deploymentId]))[deploymentId];
  expect(recorded).toMatchObject({
    status: 'ended',
    outcome: 'succeeded',
    services: [
      { service: WEB, result: 'continued' },
      { service: WORKER, result: 'continued' },
    ],
  });
}
