import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sample } from '../support/fixtures.js';
import { losingFirstCommit, watcherAt } from '../support/race.js';
import { watcherRolledOut } from '../support/watch-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-rollout-end-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A circuit breaker's rollback: ECS sends SERVICE_DEPLOYMENT_FAILED and SERVICE_DEPLOYMENT_IN_PROGRESS ("rolling
 * back") for the same ECS deployment at the same moment (events/deployment-failed.json, deployment-rolling-back.json),
 * and EventBridge may deliver either twice. Two watcher invocations then race. Its events go in an outbox, published
 * after the commit: the loser's are never published (its retry ignores "recorded as failed already"), so one Rollout
 * Failed, one SNS message. Published before the commit (reportFirst, tried in d31bcd9 and reverted), the loser's Rollout
 * Failed was on the bus before its commit lost.
 */
describe('ECS Deployment State Change delivered twice at once (circuit breaker: FAILED and rolling back)', () => {
  it('puts one Rollout Failed on the bus for the one failed rollout', async () => {
    const ecsDeploymentId = 'ecs-svc/5169280574093855189';
    const h = await watcherRolledOut(dir, ecsDeploymentId);
    expect(await h.stored()).toMatchObject({ status: 'ended', services: [{ ecsDeploymentId }] });
    h.events.length = 0;

    // Invocation A (FAILED) decides, and the other (rolling back) runs to its end just before A's commit.
    const racing = losingFirstCommit(h.ports.store, () => h.watch.handle(sample('deployment-rolling-back')));
    const a = watcherAt({ ...h.ports, store: racing }, '2026-11-25T09:38:48Z');
    await a.handle(sample('deployment-failed'));

    expect(await h.stored()).toMatchObject({ services: [{ completion: 'failed' }] });
    expect(h.events.filter((e) => e.detailType === 'Rollout Failed')).toHaveLength(1);
  });
});
