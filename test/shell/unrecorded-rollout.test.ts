import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Ecs } from '../../src/ports.js';
import { SAMPLE_DEPLOYMENT, sample, service, TD } from '../support/fixtures.js';
import { ecsStartingRollouts } from '../support/later-deployment.js';
import { dyingAtFirstCommit, watcherAt } from '../support/race.js';
import { deploymentEvent, rolloutWatch } from '../support/rollout-events.js';
import { watcherOnRunning } from '../support/watch-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-unrecorded-rollout-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ROLLOUT = 'ecs-svc/7305942261843001217';

describe('a rollout whose UpdateService went out but whose answer was never recorded', () => {
  /**
   * The watcher updated the service, then died before its commit. The retried STOPPED event found the service on the
   * revision and recorded `already-current` with no rollout to follow, so ECS's COMPLETED for that rollout was
   * ignored ("not a rollout a deployment here started") and the rollout-watch check had nothing to watch. The
   * rollout ECS has in progress to the revision (the service's PRIMARY deployment) is now followed.
   */
  it('the retried event follows the rollout ECS has in progress: its COMPLETED is recorded and announced', async () => {
    const { ecs, updates } = ecsStartingRollouts([ROLLOUT]);
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:18:00Z'), logLines: [] });
    const dying = watcherAt({ ...h.ports, store: dyingAtFirstCommit(h.ports.store) }, '2026-11-25T09:18:00Z');
    await expect(dying.handle(sample('task-stopped-success'))).rejects.toThrow(/timed out/);
    expect(await h.stored()).toMatchObject({ status: 'running' });

    await watcherAt(h.ports, '2026-11-25T09:18:30Z').handle(sample('task-stopped-success'));
    expect(updates).toEqual([TD(43)]);
    expect(await h.stored()).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      rollout: 'already-current',
      services: [{ service: 'shop-api', result: 'unchanged', ecsDeploymentId: ROLLOUT }],
    });

    h.events.length = 0;
    await watcherAt(h.ports, '2026-11-25T09:25:00Z').handle(
      deploymentEvent('SERVICE_DEPLOYMENT_COMPLETED', ROLLOUT, '2026-11-25T09:24:59Z'),
    );
    expect(await h.stored()).toMatchObject({ services: [{ ecsDeploymentId: ROLLOUT, completion: 'completed' }] });
    expect(h.events.map((e) => e.detailType)).toEqual(['Rollout Completed']);
  });

  it('with no verdict from ECS, the rollout-watch check records that followed rollout as unconfirmed', async () => {
    const { ecs } = ecsStartingRollouts([ROLLOUT]);
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:18:00Z'), logLines: [] });
    const dying = watcherAt({ ...h.ports, store: dyingAtFirstCommit(h.ports.store) }, '2026-11-25T09:18:00Z');
    await expect(dying.handle(sample('task-stopped-success'))).rejects.toThrow(/timed out/);
    await watcherAt(h.ports, '2026-11-25T09:18:30Z').handle(sample('task-stopped-success'));

    await watcherAt(h.ports, '2026-11-25T10:00:00Z').handle(rolloutWatch(SAMPLE_DEPLOYMENT, '2026-11-25T10:00:00Z'));
    expect(await h.stored()).toMatchObject({ services: [{ ecsDeploymentId: ROLLOUT, result: 'unchanged', completion: 'unconfirmed' }] });
  });

  it('a service on the revision with no rollout in progress has nothing to follow: already-current, as before', async () => {
    const ecs: Partial<Ecs> = { describeService: async () => ({ ...service, taskDefinitionArn: TD(43) }) };
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:18:00Z'), logLines: [] });
    await h.watch.handle(sample('task-stopped-success'));
    const stored = await h.stored();
    expect(stored).toMatchObject({ status: 'ended', rollout: 'already-current' });
    expect(stored).not.toHaveProperty('services');
  });

  it("a rollout in progress to another revision is not this deployment's", async () => {
    const other = { ecsDeploymentId: ROLLOUT, taskDefinitionArn: TD(41) };
    const ecs: Partial<Ecs> = { describeService: async () => ({ ...service, taskDefinitionArn: TD(43), rolloutInProgress: other }) };
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:18:00Z'), logLines: [] });
    await h.watch.handle(sample('task-stopped-success'));
    expect(await h.stored()).not.toHaveProperty('services');
  });
});
