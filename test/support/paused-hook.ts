import type { HookContext } from '../../src/core/state.js';
import { DIGEST, sample, withEvent } from './fixtures.js';

const PREFIX = 'arn:aws:ecs:eu-west-1:123456789012';
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

export interface PausedHookOptions {
  service: string;
  /** The service deployment's id and the service revision's number (the ARNs' last parts). */
  deploymentId: string;
  revisionNumber: number;
  taskDefinitionArn: string;
  hookId: string;
  expiresAt: string;
  /** The container the app image (REGISTRY/shop-api:`tag`, by DIGEST) runs in. */
  container?: string;
  tag?: string;
}

/** The ARN of service deployment `deploymentId` of `service` in cluster shop-staging. */
export function serviceDeploymentArnOf(service: string, deploymentId: string): string {
  return `${PREFIX}:service-deployment/shop-staging/${service}/${deploymentId}`;
}

/** A gated service's deployment paused at PRE_SCALE_UP, its hook awaiting action, as ECS describes it (`state.hook`). */
export function pausedHook(o: PausedHookOptions): HookContext & { revision: NonNullable<HookContext['revision']> } {
  const serviceArn = `${PREFIX}:service/shop-staging/${o.service}`;
  const clusterArn = `${PREFIX}:cluster/shop-staging`;
  const serviceRevisionArn = `${PREFIX}:service-revision/shop-staging/${o.service}/${o.revisionNumber}`;
  return {
    deployment: {
      serviceDeploymentArn: serviceDeploymentArnOf(o.service, o.deploymentId),
      serviceArn,
      clusterArn,
      status: 'IN_PROGRESS',
      lifecycleStage: 'PRE_SCALE_UP',
      targetServiceRevisionArn: serviceRevisionArn,
      sourceServiceRevisionArns: [],
      hooks: [{ hookId: o.hookId, targetType: 'PAUSE', status: 'AWAITING_ACTION', expiresAt: o.expiresAt, timeoutAction: 'ROLLBACK' }],
    },
    revision: {
      serviceRevisionArn,
      serviceArn,
      clusterArn,
      taskDefinitionArn: o.taskDefinitionArn,
      containerImages: [{ containerName: o.container ?? 'app', image: `${REGISTRY}/shop-api:${o.tag ?? 'v1.5.0'}`, imageDigest: DIGEST }],
    },
  };
}

/** The HOOK_AWAITING_ACTION event of `hook`, with event id `id` at `time`. */
export function hookEventOf(hook: HookContext, id: string, time: string): Record<string, unknown> {
  const { serviceDeploymentArn, serviceArn, hooks } = hook.deployment;
  return withEvent(sample('hook-awaiting-action'), {
    top: { id, time, resources: [serviceDeploymentArn] },
    detail: { hookId: hooks[0]?.hookId, serviceArn, serviceDeploymentArn, expiresAt: hooks[0]?.expiresAt },
  });
}
