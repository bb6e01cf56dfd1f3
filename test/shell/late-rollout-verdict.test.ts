import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_DEPLOYMENT, sample, TD } from '../support/fixtures.js';
import { ecsStartingRollouts, LATER, laterRunning, laterStopped } from '../support/later-deployment.js';
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

describe("ECS's verdict on the rollout of a deployment that is no longer the last to succeed", () => {
  /**
   * Deployment A rolls out (ecs-svc/A); deployment B succeeds after it and rolls out (ecs-svc/B); then ECS's
   * COMPLETED for A's rollout comes (late, or delivered again). The watcher read only the active, queued and last
   * succeeded deployments, found no deployment that started ecs-svc/A, and ignored it: A's rollout was later recorded
   * as unconfirmed. The environment record now indexes the rollouts its deployments recorded.
   */
  it("is recorded in that deployment and announced, by the environment record's index of rollouts", async () => {
    const h = await watcherOnRunning(dir, {
      ecs: ecsStartingRollouts(['ecs-svc/1000', 'ecs-svc/2000']).ecs,
      now: new Date('2026-11-25T09:18:00Z'),
      logLines: [],
    });
    await h.watch.handle(sample('task-stopped-success'));
    expect(await h.stored()).toMatchObject({ status: 'ended', services: [{ ecsDeploymentId: 'ecs-svc/1000' }] });

    // B holds the environment, its task runs, and it succeeds.
    await laterRunning(h.ports.store, TD(44));
    await watcherAt(h.ports, '2026-11-25T09:40:01Z').handle(laterStopped(TD(44)));
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
