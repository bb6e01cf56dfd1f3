import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceInfo } from '../../src/core/state.js';
import type { Ecs } from '../../src/ports.js';
import { ACCOUNT, REGION, runningDeployment, SAMPLE_DEPLOYMENT, sample, service, TD, withEvent } from '../support/fixtures.js';
import { watcherAt } from '../support/race.js';
import { deploymentEvent } from '../support/rollout-events.js';
import { watcherOnRunning } from '../support/watch-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-late-rollout-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LATER = '20261125-093000-6a7b8c9d';
const LATER_TASK = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/shop-staging/0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5`;
const LATER_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api@sha256:${'b'.repeat(64)}`;

/** ECS whose every UpdateService starts the next of `rollouts`. */
function ecsStarting(rollouts: string[]): Partial<Ecs> {
  let current: ServiceInfo = { ...service, taskDefinitionArn: TD(42) };
  return {
    describeService: async () => current,
    updateService: async (_target, taskDefinitionArn) => {
      current = { ...current, taskDefinitionArn };
      const ecsDeploymentId = rollouts.shift();
      return ecsDeploymentId !== undefined ? { ecsDeploymentId } : {};
    },
  };
}

describe("ECS's verdict on the rollout of a deployment that is no longer the last to succeed", () => {
  /**
   * Deployment A rolls out (ecs-svc/A); deployment B succeeds after it and rolls out (ecs-svc/B); then ECS's
   * COMPLETED for A's rollout comes (late, or delivered again). The watcher read only the active, queued and last
   * succeeded deployments, found no deployment that started ecs-svc/A, and ignored it: A's rollout was later recorded
   * as unconfirmed. The environment record now indexes the rollouts its deployments recorded.
   */
  it("is recorded in that deployment and announced, by the environment record's index of rollouts", async () => {
    const h = await watcherOnRunning(dir, {
      ecs: ecsStarting(['ecs-svc/1000', 'ecs-svc/2000']),
      now: new Date('2026-11-25T09:18:00Z'),
      logLines: [],
    });
    await h.watch.handle(sample('task-stopped-success'));
    expect(await h.stored()).toMatchObject({ status: 'ended', services: [{ ecsDeploymentId: 'ecs-svc/1000' }] });

    // B holds the environment, its task runs, and it succeeds.
    const { env } = await h.ports.store.loadEnvironmentWith('staging', []);
    const later = runningDeployment({
      id: LATER,
      revision: 1,
      taskArn: LATER_TASK,
      taskDefinitionArn: TD(44),
      work: { type: 'image', image: LATER_IMAGE, baseTaskDefinitionArn: TD(43) },
    });
    await h.ports.store.commit({
      env: { state: { ...env, active: { deploymentId: LATER, lockExpiresAt: '2026-11-25T11:00:00.000Z' } }, expectedVersion: env.version },
      deployments: [{ deployment: later, expectedRevision: 0 }],
    });
    const stopped = withEvent(sample('task-stopped-success'), {
      top: { id: 'stopped-later', time: '2026-11-25T09:40:00Z', resources: [LATER_TASK] },
      detail: { taskArn: LATER_TASK, startedBy: `ecs-migrate/${LATER}`, taskDefinitionArn: TD(44), version: 5 },
    });
    await watcherAt(h.ports, '2026-11-25T09:40:01Z').handle(stopped);
    const afterLater = await h.ports.store.loadEnvironmentWith('staging', [LATER]);
    expect(afterLater.env.lastSucceeded?.deploymentId).toBe(LATER);
    expect(afterLater.deployments[LATER]).toMatchObject({ status: 'ended', services: [{ ecsDeploymentId: 'ecs-svc/2000' }] });

    h.events.length = 0;
    await watcherAt(h.ports, '2026-11-25T09:41:00Z').handle(
      deploymentEvent('SERVICE_DEPLOYMENT_COMPLETED', 'ecs-svc/1000', '2026-11-25T09:40:59Z'),
    );
    expect(await h.stored()).toMatchObject({ services: [{ ecsDeploymentId: 'ecs-svc/1000', completion: 'completed' }] });
    expect(h.events).toMatchObject([{ detailType: 'Rollout Completed', detail: { deploymentId: SAMPLE_DEPLOYMENT } }]);
    // Its verdict recorded, the rollout leaves the index; B's, still awaiting one, stays.
    const { env: after } = await h.ports.store.loadEnvironmentWith('staging', []);
    expect(after.rollouts).toEqual([{ ecsDeploymentId: 'ecs-svc/2000', deploymentId: LATER }]);
  });
});
