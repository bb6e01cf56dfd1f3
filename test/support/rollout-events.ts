import { sample, withEvent } from './fixtures.js';

/** ECS Deployment State Change for `deploymentId` (`ecs-svc/…`) of `serviceName`, sent by ECS at `time`. */
export function deploymentEvent(
  eventName: 'SERVICE_DEPLOYMENT_COMPLETED' | 'SERVICE_DEPLOYMENT_FAILED',
  deploymentId: string,
  time: string,
  serviceName = 'shop-api',
): Record<string, unknown> {
  const raw = sample('deployment-completed');
  return withEvent(raw, {
    top: {
      id: `dsc-${deploymentId}-${eventName}`,
      time,
      resources: [`arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/${serviceName}`],
    },
    detail: { eventName, deploymentId, updatedAt: time, reason: `ECS deployment ${deploymentId} ${eventName}.` },
  });
}

/** The deployment's own rollout-watch check (its one-shot schedule), delivered at `time`. */
export function rolloutWatch(deploymentId: string, time: string): Record<string, unknown> {
  return withEvent(sample('timeout-check'), {
    top: { id: `watch-${deploymentId}-${time}`, time },
    detail: { deploymentId, attempt: 1, purpose: 'rollout-watch' },
  });
}
