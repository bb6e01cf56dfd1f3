import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/core/actions.js';
import type { ControllerState } from '../../src/core/state.js';
import {
  actionsOf,
  cancelRequest,
  committed,
  ctx,
  given,
  queuedDeployment,
  queueState,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
} from '../support/fixtures.js';

/**
 * README, Guarantees ("Nothing a commit implies is lost"): "A retried event of a deployment whose end handed the
 * environment to the queued one resumes that launch, so a failure after the commit cannot strand it." docs/RELIABILITY.md
 * ("A queued deployment is never stranded (defect 7)") says the same of a retried cancel and of a lock takeover.
 *
 * A hand-over by an end that stops a migration (cancel, unlock, timeout, takeover) commits the next deployment
 * `launching` with `retryAt`. Was (5a9d13d): `resumeHandover` (and `revisit`) refused any launch `awaitingRetry`,
 * whatever the time, so the one scheduled check was the only thing that could ever launch it. When the invocation that
 * handles that check fails for good before its commit (the watcher is invoked asynchronously: two retries, then the
 * event is dropped; Scheduler's DLQ only keeps checks it could not deliver), every later event of the ended
 * deployment — here its own timeout check, which comes long after the stop wait — is ignored, and the queued
 * migration never runs: the environment stays held by a deployment that launches nothing until its lock expires,
 * and the next push then ends it as failed.
 */

/** `state` with a decision's commit applied (environment record and deployment records). */
function applied(state: ControllerState, d: Decision): ControllerState {
  const next: ControllerState = { ...state, deployments: { ...state.deployments } };
  for (const c of actionsOf(d, 'commit')) {
    if (c.env !== undefined) next.env = c.env.state;
    for (const { deployment } of c.deployments) next.deployments[deployment.id] = deployment;
  }
  return next;
}

describe('a launch that waits for the stopped task, its one check lost', () => {
  const holder = runningDeployment();
  const waiting = queuedDeployment(
    '20261125-091600-cccccccc',
    `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@sha256:${'b'.repeat(64)}`,
  );

  function afterCancel(): ControllerState {
    const cancel = given(queueState(holder, waiting)).when(cancelRequest('2026-11-25T09:18:00Z')).then({ decision: 'halt' });
    expect(committed(cancel, waiting.id)).toMatchObject({ status: 'launching', retryAt: '2026-11-25T09:21:00.000Z' });
    // The shell reads the cancelled task once the wait is due: ECS describes it STOPPED.
    return { ...applied(queueState(holder, waiting), cancel), waitedTask: { taskArn: holder.taskArn, lastStatus: 'STOPPED' } };
  }

  it("the cancelled migration's own timeout check, long after the stop wait, launches the waiting deployment", () => {
    const state = afterCancel();
    // The retry check at 09:21 was lost. The cancelled deployment's timeout check (set at its launch, 09:15 + 60 min)
    // comes at 10:16; the waiting deployment still holds the lock (09:18 + 75 min = 10:33) and has launched nothing.
    expect(state.env.active?.deploymentId).toBe(waiting.id);
    const check = { kind: 'timeout-check' as const, eventId: 'timeout-a', environment: 'staging', deploymentId: SAMPLE_DEPLOYMENT };
    const d = given(state, ctx({}, '2026-11-25T10:16:00.000Z')).when(check).then({});
    // Was: ignore ("deployment … has already ended (cancelled)"): nothing launches it, ever.
    expect(d.actions.map((a) => a.type)).toContain('launchTask');
    expect(actionsOf(d, 'launchTask')[0]?.deploymentId).toBe(waiting.id);
  });

  it('a late task event of the cancelled migration, after the stop wait, launches the waiting deployment', () => {
    const state = afterCancel();
    // The cancelled task's STOPPED event, handled late (its first deliveries failed), after the 3-minute wait.
    const stopped = {
      kind: 'task-state' as const,
      eventId: 'stopped-a',
      clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging',
      taskArn: holder.taskArn,
      taskDefinitionArn: holder.taskDefinitionArn,
      startedBy: `ecs-migrate/${holder.id}`,
      version: 5,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'ecs-migrate: cancelled',
      containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 143 }],
    };
    const d = given(state, ctx({}, '2026-11-25T09:30:00.000Z'))
      .when(stopped as never)
      .then({});
    // Was: ignore (the task is the deployment's own, stopped: nothing to do), and the hand-over is never resumed.
    expect(d.reason).not.toMatch(/has already ended/);
    expect(actionsOf(d, 'launchTask').map((a) => a.deploymentId)).toEqual([waiting.id]);
  });
});
