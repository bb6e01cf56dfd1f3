import { describe, expect, it } from 'vitest';
import { activeState, committed, decideOn, emitted, OLD_IMAGE, runningDeployment, sample, service } from '../support/fixtures.js';

/**
 * A RUNNING event of a deployment's own task commits nothing (decision `progress`): the task's start is recorded by
 * whatever ends the deployment, from what it read of the task. Was: a lock takeover reads the task (load-plan.ts:
 * `openTask: 'expired-lock'`, so `state.task.startedAt` is there) but ended the lost deployment with `end()` directly
 * (src/core/admission.ts), not through `settle`: its record and its outcome events said nothing of when, or whether,
 * its task started (README "## Event contracts": each event carries `startedAt` among its timings).
 */

const STARTED = '2026-11-25T09:15:24.010Z';

/** The sample running deployment as a handled RUNNING event leaves it now: no startedAt, its lock expired. */
function expiredState(overrides: Parameters<typeof activeState>[1] = {}) {
  const lost = runningDeployment({ startedAt: undefined });
  const base = activeState(lost);
  return {
    lost,
    state: activeState(lost, {
      env: { ...base.env, active: { deploymentId: lost.id, lockExpiresAt: '2026-11-25T09:00:00.000Z' } },
      ...overrides,
    }),
  };
}

describe('a lock takeover ends a running deployment whose task the takeover read started', () => {
  it("records the task's start in the failed record and in Migration Failed", () => {
    const { lost, state } = expiredState({
      task: { taskArn: runningDeployment().taskArn, startedAt: STARTED, containers: [{ name: 'app' }] },
    });
    const d = decideOn(sample('ecr-push'), state);
    expect(d.decision).toBe('launch');
    const ended = committed(d, lost.id);
    expect(ended).toMatchObject({ status: 'ended', outcome: 'failed', reason: expect.stringContaining('lock expired') });
    expect(ended).toHaveProperty('startedAt', STARTED);
    const failed = emitted(d).find((e) => e.detailType === 'Migration Failed');
    expect(failed?.detail).toHaveProperty('startedAt', STARTED);
  });

  it("records the task's start when the takeover finds the lost migration succeeded (service on its revision)", () => {
    // Of another image than the push's: a push of the image it rolled out is already deployed, and launches nothing.
    const lost = runningDeployment({ startedAt: undefined, work: { type: 'image', image: OLD_IMAGE } });
    const { state } = expiredState({
      deployments: { [lost.id]: lost },
      service: { ...service, taskDefinitionArn: lost.taskDefinitionArn },
      task: { taskArn: lost.taskArn, startedAt: STARTED, containers: [{ name: 'app', exitCode: 0 }] },
    });
    const d = decideOn(sample('ecr-push'), state);
    expect(d.decision).toBe('launch');
    const ended = committed(d, lost.id);
    expect(ended).toMatchObject({ status: 'ended', outcome: 'succeeded' });
    expect(ended).toHaveProperty('startedAt', STARTED);
  });
});
