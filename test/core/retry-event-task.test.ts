import { describe, expect, it } from 'vitest';
import type { TaskStateInput } from '../../src/core/inputs.js';
import { activeState, emitted, given, parse, runningDeployment, SAMPLE_TASK, sample } from '../support/fixtures.js';

/**
 * README "Event contracts": every emitted event "carries environment, deploymentId, kind, status, image,
 * taskDefinitionArn, taskArn, …", and `Launch Retry Scheduled` also the failed attempt's stop report. The event is
 * built from the deployment once it is `launching` again (eventDetail gives a launching deployment no task). Was: the
 * event that reports a task failing to start did not name that task; now `taskArn` is the failed attempt's.
 */
const RESOURCE_INIT = 'ResourceInitializationError: unable to pull secrets or registry auth: dial tcp 10.0.0.1:443: i/o timeout';

function failedToStart(): TaskStateInput {
  const input = parse(sample('task-stopped-failed-to-start'));
  if (input.kind !== 'task-state') throw new Error('not a task event');
  const containers = input.containers.map((c) => (c.name === 'app' ? { ...c, reason: RESOURCE_INIT } : c));
  return { ...input, stoppedReason: RESOURCE_INIT, containers };
}

describe('Launch Retry Scheduled after a task failed to start', () => {
  it('names the task that failed (taskArn) with its stop report', () => {
    const d = given(activeState(runningDeployment()))
      .when(failedToStart())
      .then({ events: ['Launch Retry Scheduled'] });
    const detail = emitted(d)[0]?.detail;
    expect(detail).toMatchObject({ failedAttempt: 1, stopCode: 'TaskFailedToStart' });
    expect(detail?.taskArn).toBe(SAMPLE_TASK);
  });
});
