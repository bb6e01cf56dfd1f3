import { describe, expect, it } from 'vitest';
import { describeAction } from '../../cli/explain.js';
import { cancelRequest, given, only, queuedDeployment, queueState, runningDeployment } from '../support/fixtures.js';

/**
 * README: "The core (src/core) is pure … actions as data; `ecs-migrate explain` prints exactly that." A cancel (unlock,
 * timeout, takeover) of a running migration with a deployment queued behind it launches that one through a scheduled
 * check 3 minutes later instead of a `launchTask`. Was: `explain` printed that check as "scheduleTimeout at <time>": no
 * deployment, no purpose. A reader sees the cancelled migration get a timeout check,
 * and no launch of the queued one anywhere (the cancel's reason says nothing of it either): the one line that says
 * when the queued migration runs reads as something else. (Launch retries printed the same way before, but each
 * cancel with a queue now shows it.)
 */
describe('explain of a cancel that hands the environment over after the stop wait', () => {
  it('says that the scheduled check launches the queued deployment, and which one', () => {
    const queued = queuedDeployment('20261125-091600-cccccccc', 'repo@sha256:next');
    const d = given(queueState(runningDeployment(), queued))
      .when(cancelRequest('2026-11-25T09:18:00Z'))
      .then({ actions: ['stopTask', 'haltRollout', 'scheduleTimeout', 'commit', 'publish'] });
    const line = describeAction(only(d, 'scheduleTimeout'));
    // Was: "scheduleTimeout at 2026-11-25T09:21:00.000Z".
    expect(line).toBe(`scheduleTimeout ${queued.id} at 2026-11-25T09:21:00.000Z (launches attempt 1)`);
  });
});
