import { describe, expect, it } from 'vitest';
import { classifyStop } from '../../src/core/classify-stop.js';
import { activeState, decideOn, eventTypes, runningDeployment, sample, withEvent } from '../support/fixtures.js';

/**
 * ECS stops a task for its infrastructure's health (stop code `InfrastructureHealth`, in the ECS API's TaskStopCode
 * enum of the SDK this project ships: node_modules/@aws-sdk/client-ecs). Like a StopTask or a capacity reclaim, that
 * is a SIGTERM then SIGKILL after stopTimeout: a migration tool that shuts down gracefully on SIGTERM exits 0 halfway
 * through. Was: classifyStop treated only UserInitiated / SpotInterruption / TerminationNotice as an interruption, so
 * this interrupted migration was judged a success and the service rolled out onto a half-migrated database. Now every
 * stop code but EssentialContainerExited is.
 */
describe('a task ECS stopped for infrastructure health, migration container exit 0 on SIGTERM', () => {
  const stoppedByEcs = () => {
    const event = sample('task-stopped-success');
    return withEvent(event, {
      detail: { stopCode: 'InfrastructureHealth', stoppedReason: 'Task stopped due to infrastructure health: instance is being replaced' },
    });
  };

  it('classifyStop does not call it a success (it was stopped by someone else before it finished)', () => {
    const verdict = classifyStop(
      {
        stopCode: 'InfrastructureHealth',
        stoppedReason: 'Task stopped due to infrastructure health',
        containers: [
          { name: 'app', exitCode: 0 },
          { name: 'log-router', exitCode: 0 },
        ],
      },
      'app',
    );
    expect(verdict).toMatchObject({
      ok: false,
      cause: 'stopped-by-ecs',
      reason: expect.stringMatching(/stopped by ECS \(InfrastructureHealth\)/),
    });
  });

  it('the watcher halts the rollout instead of continuing it', () => {
    const d = decideOn(stoppedByEcs(), activeState(runningDeployment()));
    expect(d.decision).toBe('halt');
    expect(d.actions.map((a) => a.type)).not.toContain('continueRollout');
    expect(eventTypes(d)).not.toContain('Migration Succeeded');
  });
});
