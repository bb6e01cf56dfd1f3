import { describe, expect, it } from 'vitest';
import { migrationDeadline } from '../../src/core/deadline.js';
import type { Queued, Running, Waiter } from '../../src/core/deployment.js';
import {
  actionsOf,
  committed,
  ctx,
  DIGEST,
  given,
  idleState,
  OLD_IMAGE,
  only,
  parse,
  queuedDeployment,
  queueState,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  sample,
  scheduledCheck,
  service,
  TD,
  withEvent,
} from '../support/fixtures.js';

/**
 * pause-hook mode: a paused deployment whose migration waits in the queue behind another one, and whose hook may
 * expire meanwhile (ECS then applies the hook's timeout action itself).
 */

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const X_IMAGE = `${REGISTRY}/shop-api@sha256:${'a'.repeat(64)}`;
const Y_DIGEST = DIGEST;
const Y_IMAGE = `${REGISTRY}/shop-api@${Y_DIGEST}`;
const WORKER_SD = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-worker/WORKERSD';
const API_SD = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/NCWGC2ZR-taawPAYrIaU5';
const WORKER_HOOK = 'ecs-pause-worker-y';
const hookMode = (now?: string) => {
  const c = ctx({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });
  return now !== undefined ? { ...c, now } : c;
};

/** The migration of image X, for shop-api's paused deployment (its hook expires in a day): it runs until 10:15:01 at most. */
const xRunning = (): Running =>
  runningDeployment({
    work: { type: 'revision', taskDefinitionArn: TD(43), image: X_IMAGE, launch: {} },
    waiters: [{ service: 'shop-api', serviceDeploymentArn: API_SD, hookId: 'ecs-pause-api-x', expiresAt: '2026-11-26T09:15:00Z' }],
  });

/** shop-worker's owner deploys image Y; its PAUSE hook (timeout 22 minutes) expires at 09:40. */
const WORKER_EXPIRES = '2026-11-25T09:40:00.000Z';
const workerWaiter: Waiter = { service: 'shop-worker', serviceDeploymentArn: WORKER_SD, hookId: WORKER_HOOK, expiresAt: WORKER_EXPIRES };

/** The migration of Y, queued behind X for `waiters`. */
const queuedFor = (waiters: Waiter[]): Queued => ({
  ...queuedDeployment('20261125-091800-0badc0de', OLD_IMAGE),
  trigger: { type: 'pause-hook', eventId: 'worker-hook-y', at: '2026-11-25T09:18:00Z' },
  work: { type: 'revision', taskDefinitionArn: TD(44), image: Y_IMAGE, launch: {} },
  waiters,
});

/** X's task stops at 10:10 with exit 1, freeing the environment for `queued`. */
function xFailsAt1010(queued: Queued) {
  const stopped = parse(sample('task-stopped-exit-1'));
  if (stopped.kind !== 'task-state') throw new Error('not a task event');
  return given(queueState(xRunning(), queued), hookMode('2026-11-25T10:10:00.000Z'))
    .when({ ...stopped, logTail: ['error'] })
    .then({ decision: 'halt' });
}

describe('pause-hook mode: a paused deployment whose migration waits in the queue', () => {
  it('is not launched once every hook waiting for it has expired (ECS applied its timeout action): no migration for a rolled-back deployment', () => {
    // The environment goes to Y's queued migration, whose only waiter expired at 09:40 (ECS rolled shop-worker's
    // deployment back then). It used to be launched all the same, its timeout check due at 09:35, in the past: the
    // task was then stopped mid-migration.
    const queued = queuedFor([workerWaiter]);
    const d = xFailsAt1010(queued);
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'ended', outcome: 'failed' });
    expect(actionsOf(d, 'launchTask').filter((a) => a.deploymentId === queued.id)).toEqual([]);
    // It ends timed out, its paused deployment answered ROLLBACK (ECS may refuse it, having applied its own timeout
    // action), and the environment is free.
    expect(committed(d, queued.id)).toMatchObject({
      status: 'ended',
      outcome: 'timed_out',
      reason: expect.stringContaining('was not run'),
    });
    expect(actionsOf(d, 'haltRollout').map((a) => a.deploymentId)).toContain(queued.id);
    expect(only(d, 'commit').env?.state).not.toHaveProperty('active');
    expect(only(d, 'commit').env?.state).not.toHaveProperty('queued');
  });

  it('is launched for the waiters still in time, with its timeout at their deadline: an expired one does not cut it short', () => {
    // shop-api's paused deployment for the same image came later, and its hook expires at 11:30.
    const apiWaiter: Waiter = {
      service: 'shop-api',
      serviceDeploymentArn: API_SD,
      hookId: 'ecs-pause-api-y',
      expiresAt: '2026-11-25T11:30:00.000Z',
    };
    const queued = queuedFor([workerWaiter, apiWaiter]);
    expect(actionsOf(xFailsAt1010(queued), 'launchTask').map((a) => a.deploymentId)).toEqual([queued.id]);
    // Its timeout counts from the launch: shop-api's deadline (11:25), not shop-worker's, gone at 09:35.
    expect(migrationDeadline('2026-11-25T10:10:00.000Z', queued, hookMode())).toBe('2026-11-25T11:10:00.000Z');
    expect(migrationDeadline('2026-11-25T10:30:00.000Z', queued, hookMode())).toBe('2026-11-25T11:25:00.000Z');
  });
});

/**
 * ECS (and the project's own emulator, test/support/moto_pause_hooks.py: `service.task_definition =
 * target["taskDefinition"]`) shows a paused service already naming the paused deployment's target revision 43 while
 * its tasks still run 42. An operator's `run-command db-seed` (no image: "the task definition the service runs when the
 * command launches, as it is") waits in the queue behind X's migration, which fails: the paused deployment is answered
 * ROLLBACK and ECS moves the service back to 42 (README, run command: "one queued behind a migration runs the code that
 * migration rolled out"; nothing was rolled out here). Was: the command was handed the environment and launched on
 * revision 43, the new code against the schema its migration failed on. The revision the service rolls back to is not
 * known here: the command is ended, saying to send it again.
 */
describe('a run-command queued behind a migration that fails', () => {
  // Several services: shop-worker's paused deployment started the migration (its revision shop-worker:7) and shop-api's
  // joined it; the command recorded what SERVICES[0] = shop-api names while paused, shop-api:43, another waiter's
  // revision than the migration's own (was: compared with the migration's own only, so it ran on shop-api:43).
  const WORKER_TD = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-worker:7';
  const several = (): Running => {
    const x = xRunning();
    const worker: Waiter = {
      service: 'shop-worker',
      serviceDeploymentArn: WORKER_SD,
      hookId: 'ecs-pause-worker-x',
      expiresAt: '2026-11-26T09:15:00Z',
    };
    return {
      ...x,
      work: { type: 'revision', taskDefinitionArn: WORKER_TD, image: X_IMAGE, launch: {} },
      taskDefinitionArn: WORKER_TD,
      waiters: [worker, ...(x.waiters ?? [])],
    };
  };
  it.each([
    ["one service: the paused revision is the migration's own", xRunning, ''],
    ["several services: the first one's paused revision is another waiter's", several, ',shop-worker'],
  ])('does not run in the paused revision whose ROLLBACK the failure answered (%s)', (_what, migration, more) => {
    const x = migration();
    const command: Queued = {
      ...queuedDeployment('20261125-091700-c0ffee00', X_IMAGE),
      kind: 'command',
      command: ['db-seed'],
      trigger: { type: 'run-command', eventId: 'run-1', at: '2026-11-25T09:17:00Z', requestId: 'seed-1', requestedBy: 'ops' },
      // As decideRunCommand records it while the deployment is paused: the task definition the service names.
      work: { type: 'task-definition', taskDefinitionArn: TD(43), ofService: true },
    };
    const c = ctx({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: `shop-api${more}`, ALLOWED_COMMANDS: 'db-seed' });
    const state = { ...queueState(x, command), service: { ...service, taskDefinitionArn: TD(43) } };
    const stopped = parse(sample('task-stopped-exit-1'), c.config);
    if (stopped.kind !== 'task-state') throw new Error('not a task event');
    const d = given(state, c).when(stopped).then({ decision: 'halt' });

    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'ended', outcome: 'failed' });
    expect(actionsOf(d, 'haltRollout').map((a) => a.target)).toEqual([{ mode: 'pause-hook', waiters: x.waiters }]);
    expect(actionsOf(d, 'launchTask').filter((a) => a.deploymentId === command.id)).toEqual([]);
    expect(committed(d, command.id)).toMatchObject({
      status: 'ended',
      outcome: 'failed',
      reason: expect.stringMatching(/answered ROLLBACK .*send the command again/),
    });
  });
});

/**
 * One service. X's migration is lost (its timeout check never came) and its lock expired at 10:30 while shop-api's
 * paused deployment still waits; the service names the paused revision 43. At 10:45 an operator's `run-command
 * db-seed` (no image: "the task definition the service runs when the command launches") takes the lock over: X is
 * ended and its paused deployment answered ROLLBACK. Was: the command was committed launching on revision 43 at once,
 * the new code against the schema X never migrated. Now it launches after the lost task's stop wait, on what the
 * service names then (ECS moved it back to its previous revision on the ROLLBACK).
 */
describe('a run-command that takes the expired lock of a pause-hook migration over', () => {
  it('runs the revision the service names when it launches, after the ROLLBACK, not the paused one', () => {
    const x = xRunning();
    const expired = { ...idleState(), deployments: { [x.id]: x } };
    expired.env = { ...expired.env, active: { deploymentId: x.id, lockExpiresAt: '2026-11-25T10:30:00.000Z' } };
    const c = (now: string) => ({ ...ctx({ ROLLOUT_MODE: 'pause-hook', ALLOWED_COMMANDS: 'db-seed' }), now });
    const request = withEvent(sample('run-command'), { detail: { command: ['db-seed'] }, top: { time: '2026-11-25T10:45:00Z' } });
    const taken = given({ ...expired, service: { ...service, taskDefinitionArn: TD(43) } }, c('2026-11-25T10:45:00.000Z'))
      .when(request)
      .then({ decision: 'launch' });
    expect(actionsOf(taken, 'haltRollout').map((a) => a.target)).toEqual([{ mode: 'pause-hook', waiters: x.waiters }]);
    expect(actionsOf(taken, 'launchTask')).toEqual([]);
    const [check] = actionsOf(taken, 'scheduleTimeout');
    expect(check).toMatchObject({ purpose: 'retry' });
    const command = committed(taken, check?.deploymentId ?? '');
    expect(command).toMatchObject({ kind: 'command', status: 'launching' });

    // The check, once the service names its previous revision again (the lost task is known stopped).
    const after = {
      env: { environment: 'staging', version: 8, active: { deploymentId: command.id, lockExpiresAt: '2026-11-25T12:00:00.000Z' } },
      deployments: { [command.id]: command, [x.id]: committed(taken, x.id) },
      service: { ...service, taskDefinitionArn: TD(42) },
      waitedTask: { taskArn: x.taskArn, lastStatus: 'STOPPED' },
    };
    const launched = given(after, c('2026-11-25T10:49:00.000Z'))
      .when(scheduledCheck(command.id, 1, 'retry'))
      .then({ decision: 'launch' });
    expect(actionsOf(launched, 'launchTask').map((a) => a.request.taskDefinitionArn)).toEqual([TD(42)]);

    // Had ECS not moved the service back yet, the command would not run the rolled-back revision: it ends, saying so.
    const early = given({ ...after, service: { ...service, taskDefinitionArn: TD(43) } }, c('2026-11-25T10:49:00.000Z'))
      .when(scheduledCheck(command.id, 1, 'retry'))
      .then({ decision: 'halt', reason: /not run: the service names .*shop-api:43, the paused revision the takeover answered ROLLBACK/ });
    expect(actionsOf(early, 'launchTask')).toEqual([]);
    expect(committed(early, command.id)).toMatchObject({ status: 'ended', outcome: 'failed' });
  });
});

describe('a run-command that takes over the expired lock of a pause-hook migration whose container exited', () => {
  it('waits too (no task to stop), then runs what the service names', () => {
    // The lost migration's task is known to have exited 1 (DescribeTasks): no stop timeout to give it.
    const x = xRunning();
    const expired = {
      ...idleState(),
      deployments: { [x.id]: x },
      task: { taskArn: x.taskArn, containers: [{ name: 'app', exitCode: 1 }] },
    };
    expired.env = { ...expired.env, active: { deploymentId: x.id, lockExpiresAt: '2026-11-25T10:30:00.000Z' } };
    const c = { ...ctx({ ROLLOUT_MODE: 'pause-hook', ALLOWED_COMMANDS: 'db-seed' }), now: '2026-11-25T10:45:00.000Z' };
    const request = withEvent(sample('run-command'), { detail: { command: ['db-seed'] }, top: { time: '2026-11-25T10:45:00Z' } });
    const taken = given({ ...expired, service: { ...service, taskDefinitionArn: TD(43) } }, c)
      .when(request)
      .then({ decision: 'launch' });
    expect(actionsOf(taken, 'launchTask')).toEqual([]);
    expect(actionsOf(taken, 'scheduleTimeout')).toMatchObject([{ purpose: 'retry' }]);
  });
});
