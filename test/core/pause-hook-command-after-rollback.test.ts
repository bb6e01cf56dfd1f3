import { describe, expect, it } from 'vitest';
import type { Queued, Running, Waiter } from '../../src/core/deployment.js';
import {
  actionsOf,
  committed,
  ctx,
  given,
  parse,
  queuedDeployment,
  queueState,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  sample,
  service,
  TD,
} from '../support/fixtures.js';

/**
 * pause-hook mode: shop-api's owner deployed revision 43 (image X); ECS paused it at PRE_SCALE_UP. As ECS (and the
 * project's own emulator, test/support/moto_pause_hooks.py: `service.task_definition = target["taskDefinition"]`)
 * shows it, the service already names the paused deployment's target revision 43 while its tasks still run 42.
 * An operator's `run-command db-seed` (no image: "the task definition the service runs when the command launches, as
 * it is") waits in the queue behind the migration. The migration fails: the paused deployment is answered ROLLBACK
 * and ECS moves the service back to revision 42 (README, run command: "one queued behind a migration runs the code
 * that migration rolled out"; nothing was rolled out here).
 */
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const X_IMAGE = `${REGISTRY}/shop-api@sha256:${'a'.repeat(64)}`;
const API_SD = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/APISD';
const apiWaiter: Waiter = {
  service: 'shop-api',
  serviceDeploymentArn: API_SD,
  hookId: 'ecs-pause-api-x',
  expiresAt: '2026-11-26T09:15:00Z',
};

const migration: Running = runningDeployment({
  trigger: { type: 'pause-hook', eventId: 'hook-api-x', at: '2026-11-25T09:14:58Z' },
  work: { type: 'revision', taskDefinitionArn: TD(43), image: X_IMAGE, launch: {} },
  waiters: [apiWaiter],
});

const command: Queued = {
  ...queuedDeployment('20261125-091700-c0ffee00', X_IMAGE),
  kind: 'command',
  command: ['db-seed'],
  trigger: { type: 'run-command', eventId: 'run-1', at: '2026-11-25T09:17:00Z', requestId: 'seed-1', requestedBy: 'ops' },
  // As decideRunCommand records it while the deployment is paused: the task definition the service names.
  work: { type: 'task-definition', taskDefinitionArn: TD(43), ofService: true },
};

describe('pause-hook mode: a run-command queued behind a migration that fails', () => {
  it('does not run in the paused revision whose migration just failed (the service is rolled back to its previous revision)', () => {
    const c = ctx({ ROLLOUT_MODE: 'pause-hook', ALLOWED_COMMANDS: 'db-seed' });
    const state = { ...queueState(migration, command), service: { ...service, taskDefinitionArn: TD(43) } };
    const stopped = parse(sample('task-stopped-exit-1'), c.config);
    if (stopped.kind !== 'task-state') throw new Error('not a task event');
    const d = given(state, c)
      .when({ ...stopped, logTail: ['ERROR: relation "orders" does not exist'] })
      .then({ decision: 'halt' });

    // The migration failed and its paused deployment is answered ROLLBACK: revision 43 is not rolled out.
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'ended', outcome: 'failed' });
    expect(actionsOf(d, 'haltRollout').map((a) => a.target)).toEqual([{ mode: 'pause-hook', waiters: [apiWaiter] }]);

    // Was: the command was handed the environment and launched on revision 43, "the task definition the service
    // runs" as read while paused: the new code, against the schema its migration failed on. The revision the service
    // rolls back to is not known here: the command is ended, saying to send it again.
    expect(actionsOf(d, 'launchTask').filter((a) => a.deploymentId === command.id)).toEqual([]);
    expect(committed(d, command.id)).toMatchObject({
      status: 'ended',
      outcome: 'failed',
      reason: expect.stringMatching(/answered ROLLBACK .*send the command again/),
    });
  });
});
