import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { timeoutCheckEvent } from '../../src/adapters/aws/scheduler.js';
import { LocalStore } from '../../src/adapters/local/store.js';
import { scheduleNameFor } from '../../src/adapters/schedule-name.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import type { TaskSnapshot } from '../../src/core/inputs.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { LaunchOutcome, Ports, ScheduledCheck } from '../../src/ports.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from '../support/fake-ecs.js';
import { cancelRequest, config, sample, service, TD, withEvent } from '../support/fixtures.js';

/**
 * README: "An end that stops a migration still running ... the next deployment's RunTask waits"; RELIABILITY: the
 * launch that waited reads the stopped task and waits on while ECS describes it running. Scheduler keeps the first
 * schedule of a name, and a first attempt's retry check is named by its minute: a retried delivery of the cancel
 * (its first commit lost) commits a later `retryAt` in the same minute, while the schedule kept fires at the first
 * delivery's time. That check comes before `retryAt`. Was: `loadState` read the waited task only once `retryAt` had
 * passed, yet `onScheduledCheck` took an early retry check as due (`launchWaiting`) and launched, the stopped task
 * RUNNING. Now the task is read for a check of that launch whenever it comes, and a launch with no reading waits on.
 */
const WATCHER = 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-watch';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-wait-early-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a retry check of a waiting launch that fires before its committed retryAt', () => {
  it('does not launch while ECS describes the stopped task RUNNING', async () => {
    const launched: LaunchRequest[] = [];
    const described: string[] = [];
    const ecs = fakeEcs({
      describeService: async () => ({ ...service, launchType: 'EC2' }),
      launch: async (r): Promise<LaunchOutcome> => {
        launched.push(r);
        return { ok: true, taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${launched.length}`, taskDefinitionArn: TD(43) };
      },
      stopTask: async () => {},
      // An EC2 agent whose stop timeout is long: the cancelled task stays RUNNING throughout.
      describeTask: async (_cluster, taskArn): Promise<TaskSnapshot | undefined> => {
        described.push(taskArn);
        return { lastStatus: 'RUNNING', containers: [{ name: 'app', lastStatus: 'RUNNING' }] };
      },
    });
    // Scheduler: the first schedule of a name is kept (ConflictException is ignored).
    const schedules = new Map<string, { deploymentId: string; at: string; check?: ScheduledCheck }>();
    const inner = new LocalStore(new LocalLayout(dir, 'staging'));
    let failNextCommit = false;
    const store = Object.assign(Object.create(Object.getPrototypeOf(inner)), inner) as LocalStore;
    store.commit = async (request) => {
      if (failNextCommit) {
        failNextCommit = false;
        throw new Error('DynamoDB: service unavailable');
      }
      return inner.commit(request);
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
    const clock = { now: new Date('2026-11-25T09:15:00Z') };
    const controller = createController({ config: config(), ports, log: silentLog, now: () => clock.now });

    const push = (n: number) =>
      withEvent(sample('ecr-push'), { top: { id: `push-${n}` }, detail: { 'image-digest': `sha256:${String(n).repeat(64)}` } });
    await controller.handle(push(1));
    await controller.handle(push(2));
    expect(launched).toHaveLength(1);

    // The cancel's first delivery schedules the wait check at 09:20:05, then its commit fails; EventBridge delivers it
    // again at 09:17:40: retryAt 09:20:40 is committed, under the same schedule name (minute 09:20), so the 09:20:05
    // schedule is the one kept.
    clock.now = new Date('2026-11-25T09:17:05Z');
    failNextCommit = true;
    await controller.handle(cancelRequest('2026-11-25T09:17:05Z')).catch(() => undefined);
    clock.now = new Date('2026-11-25T09:17:40Z');
    await controller.handle(cancelRequest('2026-11-25T09:17:05Z'));
    const waits = [...schedules.values()].filter((s) => s.check?.purpose === 'retry');
    expect(waits.map((s) => s.at)).toEqual(['2026-11-25T09:20:05.000Z']);
    const wait = waits[0];
    if (wait === undefined) throw new Error('no check of the wait');

    clock.now = new Date('2026-11-25T09:20:05Z');
    const readBefore = described.length;
    await controller.handle(timeoutCheckEvent(wait.deploymentId, 'staging', wait.at, WATCHER, wait.check));
    // Was: the waited task was not read (retryAt 09:20:40 not yet passed) and the queued migration was launched.
    expect(launched).toHaveLength(1);
    expect(described.length).toBeGreaterThan(readBefore);
  });
});
