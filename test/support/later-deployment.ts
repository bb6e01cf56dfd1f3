import type { Running } from '../../src/core/deployment.js';
import type { ServiceInfo } from '../../src/core/state.js';
import type { Ecs, Store } from '../../src/ports.js';
import { ACCOUNT, REGION, runningDeployment, sample, service, TD, withEvent } from './fixtures.js';

/** A deployment after the sample one (SAMPLE_DEPLOYMENT): its id, task and image. */
export const LATER = '20261125-093000-6a7b8c9d';
export const LATER_TASK = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/shop-staging/0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5`;
export const LATER_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api@sha256:${'b'.repeat(64)}`;

/**
 * The later deployment holding the environment of `store` with its task running (as the launcher leaves it), on
 * `taskDefinitionArn`: a migration of LATER_IMAGE (the default), or that task definition run as it is.
 */
export async function laterRunning(store: Store, taskDefinitionArn: string, work: 'image' | 'task-definition' = 'image'): Promise<Running> {
  const { env } = await store.loadEnvironmentWith('staging', []);
  const later = runningDeployment({
    id: LATER,
    revision: 1,
    taskArn: LATER_TASK,
    taskDefinitionArn,
    work:
      work === 'image'
        ? { type: 'image', image: LATER_IMAGE, baseTaskDefinitionArn: TD(43) }
        : { type: 'task-definition', taskDefinitionArn },
  });
  await store.commit({
    env: { state: { ...env, active: { deploymentId: LATER, lockExpiresAt: '2026-11-25T11:00:00.000Z' } }, expectedVersion: env.version },
    deployments: [{ deployment: later, expectedRevision: 0 }],
  });
  return later;
}

/** The STOPPED (exit 0) event of the later deployment's task, running `taskDefinitionArn`. */
export function laterStopped(taskDefinitionArn: string): Record<string, unknown> {
  return withEvent(sample('task-stopped-success'), {
    top: { id: 'stopped-later', time: '2026-11-25T09:40:00Z', resources: [LATER_TASK] },
    detail: { taskArn: LATER_TASK, startedBy: `ecs-migrate/${LATER}`, taskDefinitionArn, version: 5 },
  });
}

/**
 * ECS as UpdateService leaves it: the service on the revision, its PRIMARY deployment rolling it out (IN_PROGRESS).
 * Each update starts the next of `rollouts` (the last one again once they run out); `updates` lists the revisions.
 */
export function ecsStartingRollouts(rollouts: string[]): { ecs: Partial<Ecs>; updates: string[] } {
  let current: ServiceInfo = { ...service, taskDefinitionArn: TD(42) };
  const updates: string[] = [];
  const ecs: Partial<Ecs> = {
    describeService: async () => current,
    updateService: async (_target, taskDefinitionArn) => {
      const ecsDeploymentId = rollouts[Math.min(updates.length, rollouts.length - 1)] ?? 'ecs-svc/0';
      updates.push(taskDefinitionArn);
      current = { ...current, taskDefinitionArn, rolloutInProgress: { ecsDeploymentId, taskDefinitionArn } };
      return { ecsDeploymentId };
    },
  };
  return { ecs, updates };
}
