import { describe, expect, it } from 'vitest';
import type { Queued, Waiter } from '../../src/core/deployment.js';
import type { ServiceDeploymentInfo, ServiceRevisionInfo } from '../../src/core/service-deployment.js';
import {
  actionsOf,
  committed,
  ctx,
  DIGEST,
  given,
  OLD_IMAGE,
  queuedDeployment,
  queueState,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  sample,
  TD,
  withEvent,
} from '../support/fixtures.js';

/**
 * pause-hook mode, SERVICES=shop-api,shop-worker. Migration M (SAMPLE_DEPLOYMENT) took the environment at 09:15 with
 * a lock until 10:30 (TIMEOUT_MINUTES + 15) and is lost: its timeout check never came (Scheduler's delivery failed).
 * Before the lock expired, shop-api's owner deployed image X, which paused and was queued behind M (Q). At 10:45,
 * shop-worker's owner deploys the same image X; it pauses and its HOOK_AWAITING_ACTION arrives.
 *
 * README "### Guarantees": "The lock expires `TIMEOUT_MINUTES + 15` minutes after it was taken, so a lost deployment
 * cannot block an environment forever (the push that takes it over ends the lost one ...)"; docs/deploy.md: "a paused
 * deployment never joins a migration whose lock expired". A paused deployment of any other image takes the expired
 * lock over at once (createHookDeployment → launchNow). Was: this one joined Q, behind the lost M, and nothing
 * launched: Q waited until every hook's deadline had passed and was then ended timed out, both deployments answered
 * ROLLBACK. Now the hook takes the expired lock over for Q.
 */
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const X_IMAGE = `${REGISTRY}/shop-api@${DIGEST}`;
const CLUSTER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging';
const API_SD = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/APISD';
const WORKER_SD = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-worker/WORKERSD';
const WORKER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-worker';
const WORKER_REV = 'arn:aws:ecs:eu-west-1:123456789012:service-revision/shop-staging/shop-worker/1';
const WORKER_HOOK = 'ecs-pause-worker-x';
const EXPIRES = '2026-11-26T10:44:00.000Z';

const apiWaiter: Waiter = { service: 'shop-api', serviceDeploymentArn: API_SD, hookId: 'ecs-pause-api-x', expiresAt: EXPIRES };
const queued: Queued = {
  ...queuedDeployment('20261125-100000-0badc0de', X_IMAGE),
  trigger: { type: 'pause-hook', eventId: 'api-hook-x', at: '2026-11-25T10:00:00Z' },
  work: { type: 'revision', taskDefinitionArn: TD(44), image: X_IMAGE, launch: {} },
  waiters: [apiWaiter],
};

const deployment: ServiceDeploymentInfo = {
  serviceDeploymentArn: WORKER_SD,
  serviceArn: WORKER_ARN,
  clusterArn: CLUSTER_ARN,
  status: 'IN_PROGRESS',
  lifecycleStage: 'PRE_SCALE_UP',
  targetServiceRevisionArn: WORKER_REV,
  sourceServiceRevisionArns: [],
  hooks: [{ hookId: WORKER_HOOK, targetType: 'PAUSE', status: 'AWAITING_ACTION', expiresAt: EXPIRES, timeoutAction: 'ROLLBACK' }],
};
const revision: ServiceRevisionInfo = {
  serviceRevisionArn: WORKER_REV,
  serviceArn: WORKER_ARN,
  clusterArn: CLUSTER_ARN,
  taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-worker:9',
  containerImages: [{ containerName: 'app', image: `${REGISTRY}/shop-api:v1.5.0`, imageDigest: DIGEST }],
};

describe('pause-hook mode: a paused deployment of the image queued behind a migration whose lock expired', () => {
  it('takes the expired lock over and launches the migration, as a paused deployment of any other image does', () => {
    const lost = runningDeployment({ work: { type: 'image', image: OLD_IMAGE, baseTaskDefinitionArn: TD(42) } });
    const state = { ...queueState(lost, queued), hook: { deployment, revision } };
    expect(state.env.active).toEqual({ deploymentId: SAMPLE_DEPLOYMENT, lockExpiresAt: '2026-11-25T10:30:00.000Z' });
    const c = {
      ...ctx({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' }),
      now: '2026-11-25T10:45:00.000Z',
    };
    const event = withEvent(sample('hook-awaiting-action'), {
      top: { id: 'worker-hook-x', time: '2026-11-25T10:45:00Z', resources: [WORKER_SD] },
      detail: { hookId: WORKER_HOOK, serviceArn: WORKER_ARN, serviceDeploymentArn: WORKER_SD, expiresAt: EXPIRES },
    });
    const d = given(state, c).when(event).then({ decision: 'launch' });

    // Q takes the expired lock over with both paused deployments; the lost M is ended and its task stopped, and Q's
    // RunTask waits for that task's stop timeout (a scheduled check), as every takeover that stops a migration does.
    const launched = committed(d, queued.id);
    expect(launched).toMatchObject({ status: 'launching', waiters: [apiWaiter, { hookId: WORKER_HOOK, service: 'shop-worker' }] });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'ended', outcome: 'failed' });
    expect(actionsOf(d, 'stopTask')).toHaveLength(1);
    expect(actionsOf(d, 'scheduleTimeout')).toMatchObject([{ deploymentId: queued.id, purpose: 'retry' }]);
  });
});
