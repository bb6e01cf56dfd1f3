import { describe, expect, it } from 'vitest';
import type { Deployment, Queued, Running } from '../../src/core/deployment.js';
import type { ControllerState } from '../../src/core/state.js';
import {
  actionsOf,
  cancelRequest,
  committed,
  ctx,
  given,
  queuedDeployment,
  runningDeployment,
  SAMPLE_TASK,
  scheduledCheck,
  service,
  TD,
} from '../support/fixtures.js';
import { hookEventOf, pausedHook } from '../support/paused-hook.js';

/**
 * pause-hook mode, one service (shop-api on revision 42). Command C1 (`run-command db-seed`, "the task definition the
 * service runs") runs; command C2 (the same kind) is queued behind it. An operator cancels C1 at 10:00: its task is
 * stopped, and the environment is handed to C2, which waits 3 minutes (the stop wait) before its RunTask.
 * Meanwhile (10:01) shop-api's owner deploys revision 44: ECS pauses it at PRE_SCALE_UP and the service already names
 * revision 44. Its hook event queues migration Y behind C2, which holds the environment.
 * At 10:03 C2's wait is over: `onServiceRevision` (resume.ts) replaces the revision C2 was handed (42) with the one the
 * service names now, 44: the paused deployment's new code, whose migration Y has not run (it waits behind C2).
 * Was (fa5b2a5, found by its review): `onServiceRevision` re-read the service for every deferred command; now only for
 * one a takeover deferred after answering ROLLBACK (`afterRollbackOf`), and this one keeps revision 42. A command
 * arriving in any other way while Y is queued or running never runs 44 before Y succeeds (a queued command is replaced
 * by Y; one queued behind Y runs after it, or ends when Y fails).
 */
const COMMAND_TD = { type: 'task-definition' as const, taskDefinitionArn: TD(42), ofService: true as const };
const c = (now: string) => ({ ...ctx({ ROLLOUT_MODE: 'pause-hook', ALLOWED_COMMANDS: 'db-seed' }), now });

const pausedOn44 = () =>
  pausedHook({
    service: 'shop-api',
    deploymentId: 'NEWDEPLOY44',
    revisionNumber: 44,
    taskDefinitionArn: TD(44),
    hookId: 'ecs-pause-api-44',
    expiresAt: '2026-11-26T10:01:00.000Z',
    tag: 'v1.6.0',
  });

describe('pause-hook mode: a command handed the environment by a cancel, launched after the stop wait', () => {
  it('does not run the revision of a paused deployment whose migration is queued behind it (new code before its migration)', () => {
    const c1: Running = runningDeployment({
      id: '20261125-095500-c0ffee01',
      kind: 'command',
      trigger: {
        type: 'run-command',
        eventId: 'req-1',
        at: '2026-11-25T09:55:00Z',
        requestId: 'req-1',
        requestedBy: 'ops',
      } as Running['trigger'],
      work: COMMAND_TD,
      taskDefinitionArn: TD(42),
      command: ['db-seed'],
    });
    const c2: Queued = {
      ...queuedDeployment('20261125-095800-c0ffee02', ''),
      kind: 'command',
      trigger: {
        type: 'run-command',
        eventId: 'req-2',
        at: '2026-11-25T09:58:00Z',
        requestId: 'req-2',
        requestedBy: 'ops',
      } as Queued['trigger'],
      work: COMMAND_TD,
      command: ['db-seed'],
    };
    const start: ControllerState = {
      env: {
        environment: 'staging',
        version: 7,
        active: { deploymentId: c1.id, lockExpiresAt: '2026-11-25T11:10:00.000Z' },
        queued: c2.id,
      },
      deployments: { [c1.id]: c1, [c2.id]: c2 },
      service,
    };

    // 10:00: C1 is cancelled; C2 takes the environment and waits for C1's task to stop.
    const cancelled = given(start, c('2026-11-25T10:00:00.000Z'))
      .when(cancelRequest('2026-11-25T10:00:00Z', { deploymentId: c1.id }))
      .then({});
    expect(actionsOf(cancelled, 'launchTask')).toEqual([]);
    const waiting = committed(cancelled, c2.id);
    expect(waiting).toMatchObject({ status: 'launching', retryAt: expect.any(String), work: { taskDefinitionArn: TD(42) } });

    // 10:01: shop-api's deployment of revision 44 pauses; its migration Y is queued behind C2.
    const afterCancel: ControllerState = {
      env: { environment: 'staging', version: 8, active: { deploymentId: c2.id, lockExpiresAt: '2026-11-25T11:15:00.000Z' } },
      deployments: { [c1.id]: committed(cancelled, c1.id), [c2.id]: waiting } as Record<string, Deployment>,
      service: { ...service, taskDefinitionArn: TD(44) },
      hook: pausedOn44(),
    };
    const hookEvent = hookEventOf(pausedOn44(), 'hook-44', '2026-11-25T10:01:00Z');
    const queued = given(afterCancel, c('2026-11-25T10:01:00.000Z')).when(hookEvent).then({ decision: 'queue' });
    const y = actionsOf(queued, 'commit')
      .flatMap((a) => a.deployments)
      .find((x) => x.deployment.id !== c2.id)?.deployment;
    expect(y).toMatchObject({ status: 'queued', work: { type: 'revision', taskDefinitionArn: TD(44) } });

    // 10:03: C2's wait is over, C1's task known stopped; the service still names the paused revision 44.
    const due: ControllerState = {
      env: {
        environment: 'staging',
        version: 9,
        active: { deploymentId: c2.id, lockExpiresAt: '2026-11-25T11:15:00.000Z' },
        queued: y?.id ?? '',
      },
      deployments: { ...afterCancel.deployments, [y?.id ?? '']: y as Deployment },
      service: { ...service, taskDefinitionArn: TD(44) },
      waitedTask: { taskArn: SAMPLE_TASK, lastStatus: 'STOPPED' },
    };
    const launched = given(due, c('2026-11-25T10:03:30.000Z'))
      .when(scheduledCheck(c2.id, 1, 'retry'))
      .then({});
    const runs = actionsOf(launched, 'launchTask').map((a) => a.request.taskDefinitionArn);
    // The paused deployment's revision must not run before its migration Y (queued behind this command) succeeded.
    expect(runs).not.toContain(TD(44));
  });
});
