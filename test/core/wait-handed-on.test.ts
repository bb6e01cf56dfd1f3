import { describe, expect, it } from 'vitest';
import type { Launching } from '../../src/core/deployment.js';
import {
  cancelRequest,
  committed,
  ctx,
  given,
  OLD_IMAGE,
  only,
  PUSHED_IMAGE,
  queuedDeployment,
  queueState,
  runningDeployment,
  scheduledCheck,
} from '../support/fixtures.js';

/**
 * README, Guarantees: "One migration per environment at a time" and "An end that stops a migration still running (a
 * cancel, an unlock, a timeout, a takeover) hands the environment over at once, but the next deployment's RunTask
 * waits". A launch waiting for a stopped task (`waitsFor`) that itself ends (its TIMEOUT_MINUTES failure because the
 * task still runs, or an operator's cancel during the wait) hands the environment to the deployment queued behind it.
 * Was: that one launched at once, or with no `waitsFor`, while the first task was still described RUNNING. Now the
 * wait is handed on with the task it waits for.
 */
const types = (d: { actions: { type: string }[] }) => d.actions.map((a) => a.type);

const holder = runningDeployment({ id: '20261125-090000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });
const queued = queuedDeployment('20261125-091000-bbbbbbbb', PUSHED_IMAGE);
const third = queuedDeployment('20261125-092000-cccccccc', `${OLD_IMAGE.slice(0, -64)}${'c'.repeat(64)}`);
const check = scheduledCheck(queued.id, 1, 'retry');

/** The holder cancelled: `queued` launching with `waitsFor` the holder's task; `third` queued behind it. */
function waitingWithThirdQueued() {
  const d = given(queueState(holder, queued)).when(cancelRequest('2026-11-25T09:17:00Z')).then({ decision: 'halt' });
  const launching = committed(d, queued.id) as Launching;
  expect(launching).toMatchObject({ waitsFor: { deploymentId: holder.id, taskArn: holder.taskArn } });
  const env = only(d, 'commit').env?.state;
  if (env === undefined) throw new Error('no environment commit');
  return {
    env: { ...env, queued: third.id },
    service: queueState(holder, queued).service,
    deployments: { [holder.id]: committed(d, holder.id), [queued.id]: launching, [third.id]: third },
  };
}

describe('the end of a launch that waits for a stopped task, a deployment queued behind it', () => {
  it('TIMEOUT_MINUTES failure (the task still RUNNING) does not launch the next queued one at once', () => {
    const state = { ...waitingWithThirdQueued(), waitedTask: { taskArn: holder.taskArn, lastStatus: 'RUNNING' } };
    const d = given(state, ctx({}, '2026-11-25T10:18:30.000Z'))
      .when(check)
      .then({ decision: 'halt', reason: /is still RUNNING after 60 minutes/ });
    // Was: the third deployment is committed launching and RunTask follows the commit, the holder's task still RUNNING.
    expect(types(d)).not.toContain('launchTask');
    expect(committed(d, third.id)).toMatchObject({ status: 'launching', waitsFor: { taskArn: holder.taskArn } });
  });

  it("an operator's cancel during the wait does not launch the next queued one while the stopped task may run", () => {
    // 09:45: the waiting launch has been re-checked every minute since 09:20, the holder's task still RUNNING.
    const state = { ...waitingWithThirdQueued(), waitedTask: { taskArn: holder.taskArn, lastStatus: 'RUNNING' } };
    const d = given(state, ctx({}, '2026-11-25T09:45:00.000Z'))
      .when(cancelRequest('2026-11-25T09:45:00Z', { id: 'cancel-2', deploymentId: queued.id }))
      .then({});
    expect(committed(d, queued.id)).toMatchObject({ status: 'ended' });
    expect(types(d)).not.toContain('launchTask');
    // Was: the third waits the 3-minute timer only (no `waitsFor`: the cancelled launch recorded no task), then its
    // check launches it without reading the holder's task, which ECS still describes RUNNING.
    expect(committed(d, third.id)).toMatchObject({ status: 'launching', waitsFor: { taskArn: holder.taskArn } });
  });
});

describe('a pause-hook launch that waits for a stopped task, every hook it gates past its deadline', () => {
  it('ends timed out at its check, answering ROLLBACK, though the stopped task still runs', () => {
    // Was: it checked the task again every minute while the hooks went unanswered (their deadline check came later).
    const waiter = {
      service: 'shop-api',
      serviceDeploymentArn: 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/AAAA',
      hookId: 'ecs-pause-api',
      expiresAt: '2026-11-25T09:24:00.000Z',
    };
    const state = waitingWithThirdQueued();
    const launching = state.deployments[queued.id] as Launching;
    const withWaiter = {
      ...state,
      deployments: { ...state.deployments, [queued.id]: { ...launching, waiters: [waiter] } },
      waitedTask: { taskArn: holder.taskArn, lastStatus: 'RUNNING' },
    };
    given(withWaiter, ctx({ ROLLOUT_MODE: 'pause-hook' }, '2026-11-25T09:21:30.000Z'))
      .when(check)
      .then({ decision: 'halt', reason: /past its hook's expiry .* the migration was not run/ });
  });
});
