import { describe, it } from 'vitest';
import { activeState, committed, given, idleState, only, sample, withEvent } from '../support/fixtures.js';

/**
 * README, Guarantees, Idempotent: "a request put on the bus again is a new event: the environment record remembers its
 * requestId among the last 20". A deploy-request whose PutEvents was retried (its answer lost) is on the request bus
 * twice — and so in the request archive twice (RequestArchive keeps every deploy-request). `ecs-migrate replay` of
 * that window delivers both copies with the same replay-name: one deliberate rerun was asked for, but each copy has its
 * own event time, so its own deployment id. Was: the requestId check was skipped for replays (`admit`, `withAdmitted`),
 * and the migration ran twice (a second task for a duplicate). Now a request is remembered with its replay.
 */
const REPLAY = 'rerun-0945-1015';
const copy = (id: string, time: string) =>
  withEvent(sample('deploy-request'), {
    top: { id, time, 'replay-name': REPLAY },
    detail: {
      image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@sha256:${'7'.repeat(64)}`,
      requestId: 'gh-run-9812-1',
    },
  });

describe('a request put on the bus twice, then replayed', () => {
  it('runs once per replay: the second copy of the same request in the same replay is a duplicate', () => {
    // The first copy (sent 10:02:11) is replayed and launches.
    const first = given(idleState()).when(copy('evt-a', '2026-11-25T10:02:11Z')).then({ decision: 'launch' });
    const state = {
      ...activeState(committed(first, first.deploymentId as string)),
      env: only(first, 'commit').env?.state ?? idleState().env,
    };
    // The second copy (the SDK's retry, sent 10:02:13), replayed by the same replay.
    given(state)
      .when(copy('evt-b', '2026-11-25T10:02:13Z'))
      .then({
        decision: 'ignore',
        reason: /duplicate request: gh-run-9812-1 created deployment .* already \(replay rerun-0945-1015 delivered it twice\)/,
      });
    // Another replay of it is another deliberate rerun.
    const again = withEvent(copy('evt-b', '2026-11-25T10:02:13Z'), { top: { 'replay-name': 'rerun-1100-1130' } });
    given(state).when(again).then({ decision: 'queue' });
  });
});
