import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutgoingEvent } from '../../src/ports.js';
import { SAMPLE_DEPLOYMENT } from '../support/fixtures.js';
import { losingFirstCommit, watcherAt } from '../support/race.js';
import { deploymentEvent, rolloutWatch } from '../support/rollout-events.js';
import { watcherRolledOut } from '../support/watch-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-rollout-watch-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rolloutEvents = (events: OutgoingEvent[]) =>
  events.filter((e) => e.detailType === 'Rollout Completed' || e.detailType === 'Rollout Failed' || e.detailType === 'Rollout Unconfirmed');

describe('the rollout-watch check against ECS verdicts', () => {
  /**
   * ECS completes the rollout at 09:59:50, ten seconds before the watch is due (finishedAt 09:30 + 30 min). The
   * watcher handling SERVICE_DEPLOYMENT_COMPLETED decides "completed"; the rollout-watch check (delivered at 10:00)
   * commits "unconfirmed" first; the COMPLETED commit loses the race and reloads. It was then ignored ("recorded as
   * unconfirmed already"): the record said unconfirmed for good and no Rollout Completed was published. ECS's own
   * verdict now replaces `unconfirmed`.
   */
  it('a COMPLETED sent before the watch was due, whose commit races the rollout-watch check, still ends as completed', async () => {
    const ecsDeploymentId = 'ecs-svc/5169280574093855189';
    const h = await watcherRolledOut(dir, ecsDeploymentId);
    expect(await h.stored()).toMatchObject({ status: 'ended', services: [{ ecsDeploymentId, result: 'continued' }] });
    h.events.length = 0;

    const check = watcherAt(h.ports, '2026-11-25T10:00:00Z');
    // The COMPLETED invocation decides, and the rollout-watch check runs to its end just before its commit.
    let raced = false;
    const racing = losingFirstCommit(h.ports.store, () => {
      raced = true;
      return check.handle(rolloutWatch(SAMPLE_DEPLOYMENT, '2026-11-25T10:00:00Z'));
    });
    const completedHandler = watcherAt({ ...h.ports, store: racing }, '2026-11-25T09:59:51Z');
    await completedHandler.handle(deploymentEvent('SERVICE_DEPLOYMENT_COMPLETED', ecsDeploymentId, '2026-11-25T09:59:50Z'));

    expect(raced).toBe(true);
    expect(await h.stored()).toMatchObject({ services: [{ ecsDeploymentId, completion: 'completed' }] });
    expect(rolloutEvents(h.events).map((e) => e.detailType)).toEqual(['Rollout Completed']);
  });
});
