import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/adapters/local/store.js';
import { CommitConflictError, TransientAwsError } from '../../src/errors.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ports } from '../../src/ports.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from '../support/fake-ecs.js';
import { config, sample, TD, withEvent } from '../support/fixtures.js';

/**
 * Events that report what AWS already did (Migration Started after RunTask's answer; Migration Succeeded and
 * Rollout Continued after the rollout) go out before the commit that records them, so the success path writes no
 * outbox and spends no request clearing it. A failed report falls back to the outbox; a retried decision after a
 * lost race does not report twice.
 */

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-report-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A local store and recording ports; `calls` is the order of bus and store writes, events by type. */
function world() {
  const store = new LocalStore(new LocalLayout(dir, 'staging'));
  const calls: string[] = [];
  const published: string[] = [];
  const commit = store.commit.bind(store);
  const clearOutbox = store.clearOutbox.bind(store);
  store.commit = async (request) => {
    calls.push('commit');
    await commit(request);
  };
  store.clearOutbox = async (ref) => {
    calls.push('clearOutbox');
    await clearOutbox(ref);
  };
  const ports: Ports = {
    ecs: fakeEcs({
      launch: async (r) => ({
        ok: true,
        taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${r.clientToken.slice(-8)}`,
        taskDefinitionArn: TD(43),
      }),
    }),
    store,
    bus: {
      put: async (events) => {
        calls.push(`put ${events.map((e) => e.detailType).join(', ')}`);
        published.push(...events.map((e) => e.detailType));
      },
    },
    logs: { tail: async () => [] },
    scheduler: { scheduleTimeout: async () => {} },
    registry: { describeImage: async () => ({ digest: `sha256:${'c'.repeat(64)}`, pushedAt: '2026-11-25T09:00:00.000Z' }) },
  };
  const controller = createController({ config: config(), ports, log: silentLog, now: () => new Date('2026-11-25T09:15:00Z') });
  return { store, ports, calls, published, controller };
}

/** The STOPPED exit-0 event of the task the fake ECS started for `deploymentId`. */
function stoppedOk(deploymentId: string) {
  const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${deploymentId.slice(-8)}`;
  return withEvent(sample('task-stopped-success'), { detail: { startedBy: `ecs-migrate/${deploymentId}`, taskArn, version: 9 } });
}

describe('events that report what AWS did are published before their commit', () => {
  it('launcher: Migration Started goes out before the commit that records the task, which stores no outbox', async () => {
    const w = world();
    const steps = await w.controller.handle(sample('ecr-push'));
    const id = steps[0]?.decision.deploymentId as string;

    // The first commit takes the environment; the report comes before the second, and nothing is cleared.
    expect(w.calls).toEqual(['commit', 'put Migration Started', 'commit']);
    expect((await w.store.loadDeployments([id]))[id]).toMatchObject({ status: 'running', revision: 2 });
    expect((await w.store.loadDeployments([id]))[id]?.outbox).toBeUndefined();
  });

  it('watcher: Migration Succeeded and Rollout Continued go out before the commit that ends the deployment', async () => {
    const w = world();
    const id = (await w.controller.handle(sample('ecr-push')))[0]?.decision.deploymentId as string;
    w.calls.length = 0;

    await w.controller.handle(stoppedOk(id));

    expect(w.calls).toEqual(['put Migration Succeeded, Rollout Continued', 'commit']);
    expect((await w.store.loadDeployments([id]))[id]).toMatchObject({ status: 'ended', outcome: 'succeeded' });
    expect((await w.store.loadEnvironment('staging')).outbox).toBeUndefined();
  });

  it('a report that fails is stored with the commit and published after it, in the same invocation', async () => {
    const w = world();
    const put = w.ports.bus.put;
    let failures = 1;
    w.ports.bus.put = async (events) => {
      if (failures-- > 0) throw new TransientAwsError('PutEvents: 500');
      await put(events);
    };

    const steps = await w.controller.handle(sample('ecr-push'));
    const id = steps[0]?.decision.deploymentId as string;

    expect(w.calls).toEqual(['commit', 'commit', 'put Migration Started', 'clearOutbox']);
    expect(w.published).toEqual(['Migration Started']);
    expect((await w.store.loadDeployments([id]))[id]?.outbox).toBeUndefined();
  });

  it('a decision taken again after its commit lost a race does not report twice', async () => {
    const w = world();
    const id = (await w.controller.handle(sample('ecr-push')))[0]?.decision.deploymentId as string;
    const commit = w.ports.store.commit;
    let conflicts = 1;
    w.ports.store.commit = async (request) => {
      if (conflicts-- > 0) throw new CommitConflictError('the environment record changed');
      await commit(request);
    };
    w.published.length = 0;

    await w.controller.handle(stoppedOk(id));

    expect(w.published).toEqual(['Migration Succeeded', 'Rollout Continued']);
    expect((await w.store.loadDeployments([id]))[id]).toMatchObject({ status: 'ended', outcome: 'succeeded' });
  });
});
