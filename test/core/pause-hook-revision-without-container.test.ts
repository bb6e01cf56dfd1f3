import { describe, expect, it } from 'vitest';
import type { ServiceDeploymentInfo, ServiceRevisionInfo } from '../../src/core/service-deployment.js';
import { actionsOf, ctx, DIGEST, given, idleState, sample, withEvent } from '../support/fixtures.js';

/**
 * pause-hook mode, SERVICES=shop-api,shop-worker (a web service and its worker on one database, as docs/deploy.md
 * suggests for pause-hook mode). The worker's task definition (family shop-worker) runs the app image in a container
 * named "worker"; the migration container CONTAINER=app is in shop-api's task definition. The owner deploys image X to
 * both; shop-worker's deployment happens to pause first.
 */
const WORKER_SD = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-worker/WORKERSD';
const WORKER_REV = 'arn:aws:ecs:eu-west-1:123456789012:service-revision/shop-staging/shop-worker/77';
const WORKER_TD = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-worker:7';
const WORKER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-worker';
const CLUSTER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging';
const HOOK = 'ecs-pause-worker-x';

const deployment: ServiceDeploymentInfo = {
  serviceDeploymentArn: WORKER_SD,
  serviceArn: WORKER_ARN,
  clusterArn: CLUSTER_ARN,
  status: 'IN_PROGRESS',
  lifecycleStage: 'PRE_SCALE_UP',
  targetServiceRevisionArn: WORKER_REV,
  sourceServiceRevisionArns: [],
  hooks: [{ hookId: HOOK, targetType: 'PAUSE', status: 'AWAITING_ACTION', expiresAt: '2026-11-26T09:20:02Z', timeoutAction: 'ROLLBACK' }],
};
const revision: ServiceRevisionInfo = {
  serviceRevisionArn: WORKER_REV,
  serviceArn: WORKER_ARN,
  clusterArn: CLUSTER_ARN,
  taskDefinitionArn: WORKER_TD,
  containerImages: [
    { containerName: 'worker', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v1.5.0', imageDigest: DIGEST },
  ],
};

describe('pause-hook mode, several services: a paused deployment whose revision has no migration container', () => {
  it('is not migrated by a RunTask that overrides a container its task definition does not have (ECS refuses it; the rollout is rolled back)', () => {
    const c = ctx({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });
    const event = withEvent(sample('hook-awaiting-action'), {
      top: { resources: [WORKER_SD] },
      detail: { serviceArn: WORKER_ARN, serviceDeploymentArn: WORKER_SD, hookId: HOOK },
    });
    const d = given({ ...idleState(), hook: { deployment, revision } }, c)
      .when(event)
      .then({ decision: 'halt', reason: /has no container "app" \(CONTAINER\).*no migration of .* is open to wait for: ROLLBACK/ });

    // Was: RunTask with `containerOverrides: [{ name: "app", … }]` on shop-worker:7, which ECS refuses
    // (InvalidParameterException: "Override for container named app is not a container in the TaskDefinition"), so the
    // deployment failed with ECS's words. Now no task is launched, and the ROLLBACK and the record say what to fix.
    const doomed = actionsOf(d, 'launchTask').filter(
      (a) => !revision.containerImages.some((container) => container.containerName === a.request.container),
    );
    expect(doomed.map((a) => `${a.request.taskDefinitionArn} overriding container "${a.request.container}"`)).toEqual([]);
    expect(actionsOf(d, 'haltRollout')).toHaveLength(1);
    expect(actionsOf(d, 'commit').flatMap((x) => x.deployments.map((r) => r.deployment))).toMatchObject([
      { status: 'ended', outcome: 'failed', waiters: [{ service: 'shop-worker', hookId: HOOK }] },
    ]);
  });
});
