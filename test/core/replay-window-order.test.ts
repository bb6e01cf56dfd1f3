import { describe, expect, it } from 'vitest';
import {
  activeState,
  committed,
  given,
  idleState,
  only,
  queuedDeployment,
  queueState,
  runningDeployment,
  sample,
  service,
  TD,
  withEvent,
} from '../support/fixtures.js';

/**
 * `ecs-migrate replay --from --to` replays a window of archived pushes as deliberate reruns. EventBridge replays them
 * "not necessarily in the exact same order that they were added to the archive" (StartReplay). README, "The queue
 * keeps the newest image": "A push older than the running or waiting one is superseded on arrival" — whatever the
 * order the events came in (admission.ts). Was: for the pushes of one replay the order decided instead (a replay is a
 * deliberate rerun, which skipped the comparison): the older push, replayed after the newer one, was queued behind it
 * (or replaced it in the queue) and rolled out last, moving the service back to the older image.
 */
const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api';
const imageN = (n: number) => `${REPO}@sha256:${String(n).repeat(64)}`;
const REPLAY = 'rerun-window-0900-0915';

/** The replay of push `n`, pushed (and archived) at `time`. */
const replayedPush = (n: number, time: string) =>
  withEvent(sample('ecr-push'), {
    top: { id: `push-${n}`, time, 'replay-name': REPLAY },
    detail: { 'image-digest': `sha256:${String(n).repeat(64)}`, 'image-tag': `v5.${n}.0` },
  });

describe('a replayed window of pushes, delivered out of order', () => {
  it('supersedes on arrival the older push of the same replay when the newer one of that replay runs', () => {
    // The replay of push 2 (09:10) arrived first and runs.
    const newer = runningDeployment({
      id: '20261125-091000-22222222',
      trigger: { type: 'ecr-push', eventId: 'push-2', at: '2026-11-25T09:10:00Z', replayName: REPLAY },
      work: { type: 'image', image: imageN(2), pushedAt: '2026-11-25T09:10:00Z' },
    });
    // The replay of push 1 (09:05) comes after it.
    const d = given(activeState(newer)).when(replayedPush(1, '2026-11-25T09:05:00Z')).then({});
    // Queued, it would run after push 2 and roll the service back to image 1.
    expect(d.decision).toBe('record');
    expect(d.reason).toMatch(/superseded on arrival/);
  });

  it('keeps the newer push of the same replay waiting when the older one of that replay arrives after it', () => {
    const holder = runningDeployment({ id: '20261125-085000-aaaaaaaa' });
    const waiting = {
      ...queuedDeployment('20261125-091000-22222222', imageN(2)),
      trigger: { type: 'ecr-push' as const, eventId: 'push-2', at: '2026-11-25T09:10:00Z', replayName: REPLAY },
      work: { type: 'image' as const, image: imageN(2), pushedAt: '2026-11-25T09:10:00Z' },
    };
    const d = given(queueState(holder, waiting)).when(replayedPush(1, '2026-11-25T09:05:00Z')).then({});
    // Was: the older image took the newer one's place: image 2 was never migrated nor rolled out.
    expect(d.decision).not.toBe('queue');
    expect(() => committed(d, waiting.id)).toThrow(/not committed/);
  });

  it('does not roll out, after the end, an older push of the replay that rolled out a newer one; another replay may', () => {
    const env = {
      ...idleState().env,
      lastSucceeded: {
        deploymentId: '20261125-091000-22222222',
        at: '2026-11-25T09:40:00Z',
        image: imageN(2),
        pushedAt: '2026-11-25T09:10:00Z',
        replayName: REPLAY,
      },
    };
    given({ ...idleState(), env })
      .when(replayedPush(1, '2026-11-25T09:05:00Z'))
      .then({ decision: 'ignore', reason: /pushed before .* which is rolled out already by the same replay \(rerun-window-0900-0915\)/ });
    const other = withEvent(replayedPush(1, '2026-11-25T09:05:00Z'), { top: { 'replay-name': 'roll-back-to-5-1' } });
    given({ ...idleState(), env })
      .when(other)
      .then({ decision: 'launch' });
  });

  it('keeps the replay with the age a migration by taskDefinitionArn carries over: its older pushes still do not roll out', () => {
    // Was: a migration of a task definition run as it is (no push time) kept the age of what is rolled out but dropped
    // the replay that pushed it, so the replay's older push was a deliberate rollback and moved the service back.
    const newer = {
      deploymentId: '20261125-091000-22222222',
      at: '2026-11-25T09:12:00Z',
      image: imageN(2),
      pushedAt: '2026-11-25T09:10:00Z',
      replayName: REPLAY,
    };
    const rerun = runningDeployment({
      trigger: { type: 'deploy-request', eventId: 'evt-td-rerun', at: '2026-11-25T09:14:58Z', requestId: 'td-rerun', rerun: true },
      work: { type: 'task-definition', taskDefinitionArn: TD(43) },
    });
    // A rerun on the revision the service runs: nothing to roll out, so the end is committed at once.
    const state = activeState(rerun, { service: { ...service, taskDefinitionArn: TD(43) } });
    const ended = given({ ...state, env: { ...state.env, lastSucceeded: newer } })
      .when(sample('task-stopped-success'))
      .then({});
    const lastSucceeded = only(ended, 'commit').env?.state.lastSucceeded;
    expect(lastSucceeded).toMatchObject({ deploymentId: rerun.id, pushedAt: newer.pushedAt, replayName: REPLAY });

    given({ ...idleState(), env: { ...idleState().env, lastSucceeded } })
      .when(replayedPush(1, '2026-11-25T09:05:00Z'))
      .then({ decision: 'ignore', reason: /which is rolled out already by the same replay \(rerun-window-0900-0915\)/ });
  });
});
