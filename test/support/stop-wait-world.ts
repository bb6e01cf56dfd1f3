import { LocalStore } from '../../src/adapters/local/store.js';
import { scheduleNameFor } from '../../src/adapters/schedule-name.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import type { TaskSnapshot } from '../../src/core/inputs.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { LaunchOutcome, Ports, ScheduledCheck } from '../../src/ports.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from './fake-ecs.js';
import { config, sample, service, TD, withEvent } from './fixtures.js';

/**
 * A controller on EC2 for the stop wait (src/core/settle.ts `waitForStop`): push 1 has launched a migration and push 2
 * waits in the queue. ECS describes every task with `status` (StopTask leaves it DEACTIVATING); Scheduler keeps the
 * first schedule of a name; `failNextCommit` makes the next commit fail as DynamoDB would.
 */
export async function stopWaitWorld(dir: string) {
  const launched: LaunchRequest[] = [];
  const described: string[] = [];
  const world = { status: 'RUNNING', failNextCommit: false, now: new Date('2026-11-25T09:15:00Z') };
  const ecs = fakeEcs({
    describeService: async () => ({ ...service, launchType: 'EC2' }),
    launch: async (r): Promise<LaunchOutcome> => {
      launched.push(r);
      return { ok: true, taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${launched.length}`, taskDefinitionArn: TD(43) };
    },
    stopTask: async () => {
      if (world.status === 'RUNNING') world.status = 'DEACTIVATING';
    },
    describeTask: async (_cluster, taskArn): Promise<TaskSnapshot | undefined> => {
      described.push(taskArn);
      return { lastStatus: world.status, containers: [{ name: 'app', lastStatus: world.status === 'STOPPED' ? 'STOPPED' : 'RUNNING' }] };
    },
  });
  const schedules = new Map<string, { deploymentId: string; at: string; check?: ScheduledCheck }>();
  const inner = new LocalStore(new LocalLayout(dir, 'staging'));
  const store = Object.assign(Object.create(Object.getPrototypeOf(inner)), inner) as LocalStore;
  store.commit = async (request) => {
    if (!world.failNextCommit) return inner.commit(request);
    world.failNextCommit = false;
    throw new Error('DynamoDB: service unavailable');
  };
  const ports: Ports = {
    ecs,
    store,
    bus: { put: async () => {} },
    logs: { tail: async () => [] },
    scheduler: {
      scheduleTimeout: async (deploymentId, _e, at, check) => {
        const name = scheduleNameFor(deploymentId, check, at);
        if (!schedules.has(name)) schedules.set(name, { deploymentId, at, ...(check ? { check } : {}) });
      },
    },
    registry: { describeImage: async (_r, id) => ({ digest: 'digest' in id ? id.digest : '', pushedAt: '2026-11-25T09:00:00.000Z' }) },
  };
  const controller = createController({ config: config(), ports, log: silentLog, now: () => world.now });
  const push = (n: number) =>
    withEvent(sample('ecr-push'), { top: { id: `push-${n}` }, detail: { 'image-digest': `sha256:${String(n).repeat(64)}` } });
  await controller.handle(push(1));
  await controller.handle(push(2));
  /** The wait's checks scheduled so far (purpose `retry`), in order. */
  const waits = () => [...schedules.values()].filter((s) => s.check?.purpose === 'retry');
  return { world, controller, launched, described, waits };
}
