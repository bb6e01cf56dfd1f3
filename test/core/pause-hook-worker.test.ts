import { describe, expect, it } from 'vitest';
import type { Queued, Waiter } from '../../src/core/deployment.js';
import {
  actionsOf,
  committed,
  ctx,
  DIGEST,
  given,
  idleState,
  OLD_IMAGE,
  queuedDeployment,
  queueState,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  TD,
} from '../support/fixtures.js';
import { hookEventOf, pausedHook } from '../support/paused-hook.js';

/**
 * pause-hook mode, SERVICES=shop-api,shop-worker (a web service and its worker on one database, as docs/deploy.md
 * suggests for pause-hook mode): shop-worker's deployment of image X pauses and its HOOK_AWAITING_ACTION arrives.
 */
const X_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@${DIGEST}`;
const WORKER_HOOK = 'ecs-pause-worker-x';
const EXPIRES = '2026-11-26T10:44:00.000Z';
const config = { ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' };

/** shop-worker's paused deployment as ECS describes it, its revision's app image in container `container`. */
function workerPaused(container: string) {
  const hook = pausedHook({
    service: 'shop-worker',
    deploymentId: 'WORKERSD',
    revisionNumber: 7,
    taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-worker:7',
    hookId: WORKER_HOOK,
    expiresAt: EXPIRES,
    container,
  });
  return { hook };
}

/** Its hook event, at `time`. */
function workerHookEvent(time: string) {
  return hookEventOf(workerPaused('app').hook, 'worker-hook-x', time);
}

/**
 * Migration M (SAMPLE_DEPLOYMENT) took the environment at 09:15 with a lock until 10:30 (TIMEOUT_MINUTES + 15) and is
 * lost: its timeout check never came. Before the lock expired, shop-api's paused deployment of X was queued behind M
 * (Q). README "### Guarantees": "The lock expires ... so a lost deployment cannot block an environment forever";
 * docs/deploy.md: "a paused deployment never joins a migration whose lock expired". Was: shop-worker's hook joined Q,
 * behind the lost M, and nothing launched: Q waited until every hook's deadline had passed and was then ended timed
 * out, both deployments answered ROLLBACK. Now the hook takes the expired lock over for Q, as a paused deployment of
 * any other image does (createHookDeployment → launchNow).
 */
describe('a paused deployment of the image queued behind a migration whose lock expired', () => {
  const apiWaiter: Waiter = {
    service: 'shop-api',
    serviceDeploymentArn: 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/APISD',
    hookId: 'ecs-pause-api-x',
    expiresAt: EXPIRES,
  };
  const queued: Queued = {
    ...queuedDeployment('20261125-100000-0badc0de', X_IMAGE),
    trigger: { type: 'pause-hook', eventId: 'api-hook-x', at: '2026-11-25T10:00:00Z' },
    work: { type: 'revision', taskDefinitionArn: TD(44), image: X_IMAGE, launch: {} },
    waiters: [apiWaiter],
  };

  it('takes the expired lock over for the queued migration, as a paused deployment of any other image does', () => {
    const lost = runningDeployment({ work: { type: 'image', image: OLD_IMAGE, baseTaskDefinitionArn: TD(42) } });
    const state = { ...queueState(lost, queued), ...workerPaused('app') };
    expect(state.env.active).toEqual({ deploymentId: SAMPLE_DEPLOYMENT, lockExpiresAt: '2026-11-25T10:30:00.000Z' });
    const d = given(state, { ...ctx(config), now: '2026-11-25T10:45:00.000Z' })
      .when(workerHookEvent('2026-11-25T10:45:00Z'))
      .then({ decision: 'launch' });

    // Q takes the expired lock over with both paused deployments; the lost M is ended and its task stopped, and Q's
    // RunTask waits for that task's stop timeout (a scheduled check), as every takeover that stops a migration does.
    expect(committed(d, queued.id)).toMatchObject({
      status: 'launching',
      waiters: [apiWaiter, { hookId: WORKER_HOOK, service: 'shop-worker' }],
    });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'ended', outcome: 'failed' });
    expect(actionsOf(d, 'stopTask')).toHaveLength(1);
    expect(actionsOf(d, 'scheduleTimeout')).toMatchObject([{ deploymentId: queued.id, purpose: 'retry' }]);
  });
});

/**
 * The worker's task definition runs the app image in a container named "worker"; the migration container
 * CONTAINER=app is in shop-api's. Was: shop-worker's deployment, paused first, started the migration with RunTask
 * overriding container "app" on shop-worker:7, which ECS refuses (InvalidParameterException: "Override for container
 * named app is not a container in the TaskDefinition"): the deployment failed in ECS's words. Now no task is launched,
 * and the ROLLBACK and the record say what to fix.
 */
describe('a paused deployment whose revision has no migration container', () => {
  it('starts no migration it cannot run: answered ROLLBACK, recorded, saying why', () => {
    const { hook } = workerPaused('worker');
    const d = given({ ...idleState(), hook }, ctx(config))
      .when(workerHookEvent('2026-11-25T09:15:00Z'))
      .then({ decision: 'halt', reason: /has no container "app" \(CONTAINER\).*no migration of .* is open to wait for: ROLLBACK/ });
    expect(actionsOf(d, 'launchTask')).toEqual([]);
    expect(actionsOf(d, 'haltRollout')).toHaveLength(1);
    expect(actionsOf(d, 'commit').flatMap((x) => x.deployments.map((r) => r.deployment))).toMatchObject([
      { status: 'ended', outcome: 'failed', waiters: [{ service: 'shop-worker', hookId: WORKER_HOOK }] },
    ]);
  });
});

/**
 * Was (0c95c55, found by its review): the worker's paused deployment (no CONTAINER) joined the open migration M of its
 * image; that invocation committed and then failed, and Lambda retried the hook event. Meanwhile M failed and answered
 * ROLLBACK: ECS shows the hook FAILED, and M, ended, is not read for the event. The retry took the FAILED hook for a
 * refusal of ours that died before its commit and recorded a made-up failed deployment, with its own Migration Failed
 * and Rollout Halted. Only the refusal that comes before any join (no REPOSITORY image) is inferred so now.
 */
describe('a retried hook event of a paused deployment that joined a migration which then failed', () => {
  it("records no refusal of its own (the ROLLBACK was the failed migration's answer, recorded there)", () => {
    const { hook } = workerPaused('worker');
    const failed = {
      deployment: {
        ...hook.deployment,
        status: 'ROLLBACK_IN_PROGRESS' as const,
        hooks: hook.deployment.hooks.map((h) => ({ ...h, status: 'FAILED' as const })),
      },
      revision: hook.revision,
    };
    const d = given({ ...idleState(), hook: failed }, { ...ctx(config), now: '2026-11-25T09:40:00.000Z' })
      .when(workerHookEvent('2026-11-25T09:20:00Z'))
      .then({ decision: 'ignore' });
    expect(actionsOf(d, 'commit')).toEqual([]);
  });
});
