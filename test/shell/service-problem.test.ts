import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/adapters/local/store.js';
import { AccessDeniedError, ContainerNotFoundError, PermanentAwsError, ServiceNotFoundError, TransientAwsError } from '../../src/errors.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ports } from '../../src/ports.js';
import { type ControllerDeps, createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { config, sample } from '../support/fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-service-problem-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A controller whose ECS adapter fails to read the service with `failure`. */
function controllerWhereDescribeServiceThrows(failure: unknown) {
  const store = new LocalStore(new LocalLayout(dir, 'staging'));
  let launches = 0;
  const ports: Ports = {
    ecs: {
      describeService: async () => {
        throw failure;
      },
      launch: async () => {
        launches++;
        return { ok: false, reason: 'not expected' };
      },
      stopTask: async () => {},
      stopTasksStartedBy: async () => {},
      updateService: async () => ({}),
      containerImage: async () => undefined,
      describeTask: async () => undefined,
      describeServiceDeployment: async () => undefined,
      describeServiceRevision: async () => undefined,
      answerHook: async () => ({ ok: false, cause: 'not-found', reason: 'not expected' }),
      rollOutImage: async () => [],
    },
    store,
    bus: { put: async () => {} },
    logs: { tail: async () => [] },
    scheduler: { scheduleTimeout: async () => {} },
    registry: { describeImage: async () => ({ digest: `sha256:${'c'.repeat(64)}`, pushedAt: '2026-11-25T09:00:00.000Z' }) },
  };
  const deps: ControllerDeps = { config: config(), ports, log: silentLog, now: () => new Date('2026-11-25T09:15:00Z') };
  return { store, deps, launches: () => launches };
}

describe('a service that cannot be used as configured', () => {
  it.each([
    ['missing', new ServiceNotFoundError('service "shop-api" not found in cluster "shop-staging": check SERVICE and CLUSTER')],
    ['without the container', new ContainerNotFoundError('task definition … has no container named "app": set CONTAINER')],
    [
      'not readable by the role',
      new AccessDeniedError('ecs:DescribeServices', "the function's role ecs:DescribeServices", 'AccessDeniedException'),
    ],
    ['refused otherwise', new PermanentAwsError('ecs:DescribeServices', 'check CLUSTER and SERVICE', 'InvalidParameterException')],
  ])('(%s) fails the request with the adapter message instead of retrying it', async (_, failure) => {
    // Prepare
    const c = controllerWhereDescribeServiceThrows(failure);

    // Act
    await createController(c.deps).handle(sample('ecr-push'));

    // Assess
    const [recorded] = await c.store.listDeployments('staging', 10);
    expect(recorded).toMatchObject({ status: 'ended', outcome: 'failed', reason: expect.stringContaining(failure.message) });
    expect(c.launches()).toBe(0);
  });

  it.each([
    ['a transient AWS failure', new TransientAwsError('ecs:DescribeServices failed: ThrottlingException (the event will be retried)')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'services')")],
  ])('lets %s fail the invocation untouched', async (_, failure) => {
    // Prepare
    const c = controllerWhereDescribeServiceThrows(failure);

    // Act
    const thrown = await createController(c.deps)
      .handle(sample('ecr-push'))
      .catch((e: unknown) => e);

    // Assess
    expect(thrown).toBe(failure);
    expect(await c.store.listDeployments('staging', 10)).toEqual([]);
  });
});
