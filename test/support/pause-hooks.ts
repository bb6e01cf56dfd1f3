import { motoControl } from './moto-control.js';

/**
 * The tests' side of the moto pause-hook extension (test/support/moto_pause_hooks.py): what the service's owner and
 * ECS do, driven through its control endpoints. See that module for what each one emulates and what is a guess.
 */

/** The PAUSE hook the service's owner configures: before scale-up, rolled back when unanswered for 30 minutes. */
export const PAUSE_HOOK = {
  targetType: 'PAUSE' as const,
  lifecycleStages: ['PRE_SCALE_UP' as const],
  timeoutConfiguration: { timeoutInMinutes: 30, action: 'ROLLBACK' as const },
};

/** An EventBridge event as the extension put it on the default bus (moto's delivered copy lacks `account`). */
export interface EmulatedEvent {
  version: string;
  source: string;
  'detail-type': string;
  account: string;
  region: string;
  time: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface PausedDeployment {
  serviceDeploymentArn: string;
  hookId: string;
  serviceRevisionArn: string;
  expiresAt: string;
  /** The PRIMARY `ecs-svc/…` deployment of the service. */
  ecsDeploymentId: string;
  /** The `ECS Hook State Change` HOOK_AWAITING_ACTION event, unless `emitEvent: false`. */
  event?: EmulatedEvent;
}

export interface PauseOptions {
  cluster: string;
  service: string;
  /** Default: the service's current task definition. */
  taskDefinition?: string;
  /** Default: the first stage of the service's PAUSE hook. */
  stage?: string;
  /** Image digests by container name (default: the image's own digest, or a stable fake one). */
  digests?: Record<string, string>;
  emitEvent?: boolean;
  region?: string;
}

/** The owner's deployment pauses at its PAUSE hook (needs `deploymentConfiguration.lifecycleHooks` on the service). */
export function pauseDeployment(endpoint: string, options: PauseOptions): Promise<PausedDeployment> {
  return motoControl(endpoint, 'pause-deployment', options);
}

/** ECS times the hook out and applies its timeout action; puts HOOK_TIMED_OUT. */
export function timeOutHook(
  endpoint: string,
  options: { serviceDeploymentArn: string; hookId?: string; region?: string },
): Promise<{ event: EmulatedEvent; status: string }> {
  return motoControl(endpoint, 'time-out-hook', options);
}

export type DeploymentEventName = 'SERVICE_DEPLOYMENT_COMPLETED' | 'SERVICE_DEPLOYMENT_FAILED' | 'SERVICE_DEPLOYMENT_IN_PROGRESS';

/** ECS reports the deployment's state (`ECS Deployment State Change`); a reason saying "rolling back" starts a rollback. */
export function emitDeploymentState(
  endpoint: string,
  options: { serviceDeploymentArn: string; eventName: DeploymentEventName; reason?: string; region?: string },
): Promise<{ event: EmulatedEvent; status: string }> {
  return motoControl(endpoint, 'deployment-state', options);
}
