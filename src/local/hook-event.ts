import { randomUUID } from 'node:crypto';
import { ECS_HOOK_DETAIL_TYPE, ECS_SOURCE, type HOOK_EVENT_NAMES } from '../core/events.js';
import type { ServiceDeploymentInfo } from '../core/service-deployment.js';
import { localEnvelope } from './task-event.js';

/**
 * An `ECS Hook State Change` of a local paused deployment's PAUSE hook, in the shape ECS sends to EventBridge
 * (see events/hook-awaiting-action.json). Undefined when the deployment has no hook.
 */
export function hookStateEvent(
  deployment: ServiceDeploymentInfo,
  eventName: (typeof HOOK_EVENT_NAMES)[number],
  at: Date,
  id: string = randomUUID(),
): Record<string, unknown> | undefined {
  const hook = deployment.hooks[0];
  if (hook === undefined) return undefined;
  const time = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    ...localEnvelope(id, at, [deployment.serviceDeploymentArn]),
    'detail-type': ECS_HOOK_DETAIL_TYPE,
    source: ECS_SOURCE,
    detail: {
      eventType: 'INFO',
      eventName,
      hookId: hook.hookId,
      hookType: hook.targetType ?? 'PAUSE',
      ...(hook.expiresAt !== undefined ? { expiresAt: hook.expiresAt } : {}),
      lifecycleStage: deployment.lifecycleStage,
      clusterArn: deployment.clusterArn,
      serviceArn: deployment.serviceArn,
      serviceDeploymentArn: deployment.serviceDeploymentArn,
      updatedAt: time,
    },
  };
}
