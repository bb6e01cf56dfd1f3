import { describe, expect, it } from 'vitest';
import { failedServices, succeeded, viewOf } from '../../cli/deployment-view.js';
import { statusText } from '../../cli/format.js';
import type { Ended } from '../../src/core/deployment.js';
import type { DeploymentStateInput } from '../../src/core/inputs.js';
import { committed, ctx, endedDeployment, given, idleState, PUSHED_IMAGE, TD } from '../support/fixtures.js';

/**
 * pause-hook mode. Migration M of image X succeeded and answered shop-api's paused deployment CONTINUE; ECS's circuit
 * breaker then rolled that rollout back (`completion: 'failed'`, `Rollout Failed`). The owner fixes the task
 * definition and deploys X again: the paused deployment is answered CONTINUE at once (X was migrated already) and the
 * answer is recorded in M as a second shop-api rollout (mergeServices keeps both: "two paused deployments of one
 * service, each answered"); ECS reports it COMPLETED. shop-api now runs X.
 *
 * 5724e9e made the CLI count `completion === 'failed'` as a service "not moved" ("the schema moved, the service did
 * not"). Was: it counted every entry, not each service's latest: status and history kept showing M as 'rollout
 * failed' (red), and `succeeded()` (the exit-code verdict of --wait) said no, although the service's latest rollout of
 * the image completed.
 */
describe('a service whose failed rollout was followed by a completed one of the same migration', () => {
  it('is not shown as not moved', () => {
    const c = ctx({ ROLLOUT_MODE: 'pause-hook' });
    const m: Ended = endedDeployment('succeeded', {
      trigger: { type: 'pause-hook', eventId: 'api-hook-x', at: '2026-11-25T09:14:58Z' },
      work: { type: 'revision', taskDefinitionArn: TD(43), image: PUSHED_IMAGE, launch: {} },
      services: [
        {
          service: 'shop-api',
          result: 'continued',
          ecsDeploymentId: 'ecs-svc/1111111111111111111',
          completion: 'failed',
          completionReason: 'ECS deployment circuit breaker: tasks failed to start.',
        },
      ],
    });
    const env = {
      environment: 'staging',
      version: 9,
      lastSucceeded: { deploymentId: m.id, at: '2026-11-25T09:18:00.000Z', image: PUSHED_IMAGE, taskDefinitionArn: TD(43) },
    };
    // The owner's second deployment of X, answered CONTINUE at once: its result is recorded in M.
    const recorded = given({ ...idleState({ env }), deployments: { [m.id]: m } }, c)
      .when({
        kind: 'rollout-result',
        deploymentId: m.id,
        services: [{ service: 'shop-api', result: 'continued', ecsDeploymentId: 'ecs-svc/2222222222222222222' }],
      })
      .then({ decision: 'record' });
    const m2 = committed(recorded, m.id) as Ended;
    expect(m2.services?.map((s) => s.ecsDeploymentId)).toEqual(['ecs-svc/1111111111111111111', 'ecs-svc/2222222222222222222']);

    // ECS: that rollout completed.
    const completed: DeploymentStateInput = {
      kind: 'deployment-state',
      eventId: 'completed-2',
      at: '2026-11-25T10:31:12Z',
      eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
      eventType: 'INFO',
      serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-api',
      deploymentId: 'ecs-svc/2222222222222222222',
      updatedAt: '2026-11-25T10:31:12Z',
      rollingBack: false,
    };
    const done = given({ ...idleState({ env }), deployments: { [m.id]: m2 } }, c)
      .when(completed)
      .then({ decision: 'record' });
    const m3 = committed(done, m.id) as Ended;
    expect(m3.services?.at(-1)).toMatchObject({ service: 'shop-api', completion: 'completed' });

    // shop-api runs X: the migration's rollout is not 'rollout failed', and it is a success.
    expect(failedServices(m3)).toEqual([]);
    expect(statusText(m3)).not.toContain('rollout failed');
    expect(succeeded(viewOf(m3))).toBe(true);
  });
});
