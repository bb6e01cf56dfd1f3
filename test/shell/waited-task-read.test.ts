import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { timeoutCheckEvent } from '../../src/adapters/aws/scheduler.js';
import { LocalStore } from '../../src/adapters/local/store.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import type { TaskSnapshot } from '../../src/core/inputs.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { LaunchOutcome, Ports, ScheduledCheck } from '../../src/ports.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from '../support/fake-ecs.js';
import { cancelRequest, config, sample, service, TD, withEvent } from '../support/fixtures.js';

/**
 * README, Guarantees: "One migration per environment at a time." A cancel hands the environment to the queued
 * deployment, whose RunTask waits for a scheduled check. Was: the check launched it whatever ECS said of the stopped
 * task; on EC2 (an agent stop timeout over the wait, a disconnected agent) the cancelled migration still ran. Now the
 * load reads that task (DescribeTasks) once the wait is due, and the launch waits on while ECS describes it running.
 */
const WATCHER = 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-watch';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-waited-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a launch that waits for a stopped task, the task still running at its check', () => {
  it('reads the task, waits on while it runs, and launches once ECS describes it STOPPED', async () => {
    const launched: LaunchRequest[] = [];
    let status = 'RUNNING';
    const described: string[] = [];
    const ecs = fakeEcs({
      describeService: async () => ({ ...service, launchType: 'EC2' }),
      launch: async (r): Promise<LaunchOutcome> => {
        launched.push(r);
        return { ok: true, taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${launched.length}`, taskDefinitionArn: TD(43) };
      },
      stopTask: async () => {
        status = 'DEACTIVATING';
      },
      describeTask: async (_cluster, taskArn): Promise<TaskSnapshot | undefined> => {
        described.push(taskArn);
        return { lastStatus: status, containers: [{ name: 'app', lastStatus: status === 'STOPPED' ? 'STOPPED' : 'RUNNING' }] };
      },
    });
    const schedules: { deploymentId: string; at: string; check?: ScheduledCheck }[] = [];
    const store = new LocalStore(new LocalLayout(dir, 'staging'));
    const ports: Ports = {
      ecs,
      store,
      bus: { put: async () => {} },
      logs: { tail: async () => [] },
      scheduler: {
        scheduleTimeout: async (deploymentId, _e, at, check) => void schedules.push({ deploymentId, at, ...(check ? { check } : {}) }),
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
    const first = launched[0]?.startedBy;
    clock.now = new Date('2026-11-25T09:17:00Z');
    await controller.handle(cancelRequest('2026-11-25T09:17:00Z'));
    expect(launched).toHaveLength(1);
    const readBefore = described.length;
    const wait = schedules.find((s) => s.check?.purpose === 'retry');
    if (wait === undefined) throw new Error('no check of the wait');

    // At the check, ECS still describes the cancelled task DEACTIVATING: not launched, checked again a minute on.
    clock.now = new Date('2026-11-25T09:21:10Z');
    await controller.handle(timeoutCheckEvent(wait.deploymentId, 'staging', wait.at, WATCHER, wait.check));
    expect(described.slice(readBefore)).toEqual(['arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/1']);
    expect(launched).toHaveLength(1);
    const again = schedules.at(-1);
    expect(again).toMatchObject({
      deploymentId: wait.deploymentId,
      at: '2026-11-25T09:22:10.000Z',
      check: { attempt: 1, purpose: 'retry' },
    });

    // It stopped: the next check launches the queued migration.
    status = 'STOPPED';
    clock.now = new Date('2026-11-25T09:22:15Z');
    await controller.handle(timeoutCheckEvent(wait.deploymentId, 'staging', again?.at ?? '', WATCHER, again?.check));
    expect(launched).toHaveLength(2);
    expect(launched[1]?.startedBy).not.toBe(first);
  });
});
