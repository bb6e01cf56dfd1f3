import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/adapters/local/store.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import { CommitConflictError, TooManyConflictsError, TransientAwsError } from '../../src/errors.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { CommitRequest, Ecs, LaunchOutcome, OutgoingEvent, Ports } from '../../src/ports.js';
import { silentLog } from '../../src/shell/logger.js';
import { conflictBackoffMs, handleEvent } from '../../src/shell/run.js';
import { config, sample, service, TD, withEvent } from '../support/fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** RunTask started the task. */
const launchOk = async (r: LaunchRequest): Promise<LaunchOutcome> => ({
  ok: true,
  taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${r.clientToken.slice(-8)}`,
  taskDefinitionArn: TD(43),
});

/** Real local store; recording ECS, bus and scheduler. */
function harness(launch: (r: LaunchRequest) => Promise<LaunchOutcome> = launchOk) {
  const store = new LocalStore(new LocalLayout(dir, 'staging'));
  const launched: LaunchRequest[] = [];
  const events: OutgoingEvent[] = [];
  const schedules: string[] = [];
  const ecs: Ecs = {
    describeService: async () => service,
    launch: async (r) => {
      launched.push(r);
      return launch(r);
    },
    stopTask: async () => {},
    updateService: async () => {},
    describeContainers: async () => undefined,
  };
  const ports: Ports = {
    ecs,
    store,
    bus: { put: async (e) => void events.push(...e) },
    logs: { tail: async () => [] },
    scheduler: { scheduleTimeout: async (id) => void schedules.push(id), cancelTimeout: async () => {} },
  };
  const deps = { config: config(), ports, log: silentLog, now: () => new Date('2026-11-25T09:15:00Z') };
  return { store, ports, deps, launched, events, schedules };
}

describe('the runner', () => {
  it('follows a launch through RunTask to the recorded task, its timeout and the start event', async () => {
    const h = harness();
    const steps = await handleEvent(sample('ecr-push'), h.deps);
    expect(steps.map((s) => `${s.input}:${s.decision.decision}`)).toEqual(['ecr-image-action:launch', 'launch-result:record']);
    expect(h.launched).toHaveLength(1);
    expect(h.events.map((e) => e.detailType)).toEqual(['Migration Started']);
    const id = steps[0]?.decision.deploymentId as string;
    expect(h.schedules).toEqual([id]);
    expect((await h.store.loadDeployments([id]))[id]).toMatchObject({ status: 'running', revision: 2, taskDefinitionArn: TD(43) });
  });

  it('reloads and decides again when a concurrent invocation wins the environment', async () => {
    const h = harness();
    const rival = withEvent(sample('ecr-push'), { top: { id: 'rival-event' }, detail: { 'image-digest': `sha256:${'1'.repeat(64)}` } });
    // The rival commits between our read and our write.
    const commit = h.store.commit.bind(h.store);
    let raced = false;
    h.ports.store.commit = async (request: CommitRequest) => {
      if (!raced) {
        raced = true;
        await handleEvent(rival, { ...h.deps, ports: { ...h.ports, store: h.store } });
      }
      return commit(request);
    };
    const steps = await handleEvent(sample('ecr-push'), h.deps);
    expect(steps.map((s) => s.decision.decision)).toEqual(['queue']);
    expect(h.launched).toHaveLength(1);
    const env = await h.store.loadEnvironment('staging');
    expect(env.queued).toBe(steps[0]?.decision.deploymentId);
    expect(env.active?.deploymentId).not.toBe(env.queued);
  });

  it('rethrows a transient failure and resumes the same launch, same clientToken, on retry', async () => {
    let fail = true;
    const h = harness(async (r) => {
      if (fail) throw new TransientAwsError('RunTask throttled');
      return launchOk(r);
    });
    await expect(handleEvent(sample('ecr-push'), h.deps)).rejects.toThrow(TransientAwsError);
    const env = await h.store.loadEnvironment('staging');
    expect(env.active).toBeDefined();
    fail = false;
    const steps = await handleEvent(sample('ecr-push'), h.deps);
    expect(steps[0]?.decision).toMatchObject({ decision: 'launch', reason: expect.stringContaining('resuming the launch') });
    expect(h.launched.map((r) => r.clientToken)).toEqual([h.launched[0]?.clientToken, h.launched[0]?.clientToken]);
    // Only the resumed launch may find its revision registered already, so only it asks the adapter to look.
    expect(h.launched.map((r) => r.resumed === true)).toEqual([false, true]);
  });

  it('waits a jittered, growing delay between conflicting writes and gives up after five attempts', async () => {
    const h = harness();
    h.ports.store.commit = async () => {
      throw new CommitConflictError('environment staging changed since it was read');
    };
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    await expect(handleEvent(sample('ecr-push'), { ...h.deps, sleep })).rejects.toThrow(TooManyConflictsError);
    expect(waits).toHaveLength(4);
    waits.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(40 * 2 ** (i + 1));
    });
    expect(h.launched).toHaveLength(0);
  });

  it('bounds the backoff: the full range at each attempt, never above one second', () => {
    expect([1, 2, 3].map((attempt) => conflictBackoffMs(attempt, () => 0.999))).toEqual([79, 159, 319]);
    expect(conflictBackoffMs(10, () => 0.999)).toBe(999);
    expect(conflictBackoffMs(3, () => 0)).toBe(0);
  });

  it('logs and returns normally on invalid input, publishing Event Rejected', async () => {
    const h = harness();
    const steps = await handleEvent({ hello: 'world' }, h.deps);
    expect(steps.map((s) => s.decision.decision)).toEqual(['reject']);
    expect(h.events).toEqual([
      { detailType: 'Event Rejected', detail: expect.objectContaining({ reason: expect.stringContaining('not an EventBridge event') }) },
    ]);
  });
});
