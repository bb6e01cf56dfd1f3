import { describe, expect, it } from 'vitest';
import type { Ended, ServiceRollout } from '../../src/core/deployment.js';
import { type EnvironmentState, ROLLOUTS_INDEXED, rolloutIndexAfter, rolloutOwners } from '../../src/core/state.js';
import { endedDeployment, SAMPLE_DEPLOYMENT } from '../support/fixtures.js';

const env = (rollouts?: EnvironmentState['rollouts']): EnvironmentState => ({
  environment: 'staging',
  version: 4,
  ...(rollouts !== undefined ? { rollouts } : {}),
});
const withServices = (services: ServiceRollout[]): Ended => endedDeployment('succeeded', { services });
const rollout = (id: string, more: Partial<ServiceRollout> = {}): ServiceRollout => ({
  service: 'shop-api',
  result: 'continued',
  ecsDeploymentId: id,
  ...more,
});

describe('the environment record index of rollouts awaiting ECS verdict', () => {
  it('adds a rollout a deployment records for the first time, and drops it once its COMPLETED or FAILED is recorded', () => {
    const added = rolloutIndexAfter(env(), {}, [withServices([rollout('ecs-svc/1')])]);
    expect(added).toEqual([{ ecsDeploymentId: 'ecs-svc/1', deploymentId: SAMPLE_DEPLOYMENT }]);

    const before = { [SAMPLE_DEPLOYMENT]: withServices([rollout('ecs-svc/1')]) };
    const done = rolloutIndexAfter(env(added), before, [withServices([rollout('ecs-svc/1', { completion: 'failed' })])]);
    expect(done).toEqual([]);
  });

  it('keeps an unconfirmed one (ECS verdict still replaces it), and changes nothing when nothing is new', () => {
    const index = [{ ecsDeploymentId: 'ecs-svc/1', deploymentId: SAMPLE_DEPLOYMENT }];
    const before = { [SAMPLE_DEPLOYMENT]: withServices([rollout('ecs-svc/1')]) };
    expect(rolloutIndexAfter(env(index), before, [withServices([rollout('ecs-svc/1', { completion: 'unconfirmed' })])])).toBeUndefined();
    expect(rolloutIndexAfter(env(index), before, [withServices([rollout('ecs-svc/1')])])).toBeUndefined();
  });

  it('never indexes a ROLLBACK answered or a service moved on from, nor adds back a rollout the bound dropped', () => {
    const rolledBack = rollout('arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/abc', {
      result: 'rolled-back',
    });
    expect(rolloutIndexAfter(env(), {}, [withServices([rolledBack, rollout('ecs-svc/2', { result: 'moved-on' })])])).toBeUndefined();

    // Dropped by the bound, then the deployment is written again (a later rollout recorded): only the new one is added.
    const before = { [SAMPLE_DEPLOYMENT]: withServices([rollout('ecs-svc/old')]) };
    const again = rolloutIndexAfter(env([]), before, [withServices([rollout('ecs-svc/old'), rollout('ecs-svc/new')])]);
    expect(again).toEqual([{ ecsDeploymentId: 'ecs-svc/new', deploymentId: SAMPLE_DEPLOYMENT }]);
  });

  it(`keeps the newest ${ROLLOUTS_INDEXED}, and finds every deployment that follows one rollout, either spelling`, () => {
    const full = Array.from({ length: ROLLOUTS_INDEXED }, (_, n) => ({ ecsDeploymentId: `ecs-svc/${n}`, deploymentId: 'other' }));
    const after = rolloutIndexAfter(env(full), {}, [withServices([rollout('ecs-svc/new')])]) ?? [];
    expect(after).toHaveLength(ROLLOUTS_INDEXED);
    expect(after[0]?.ecsDeploymentId).toBe('ecs-svc/1');

    const two = env([
      { ecsDeploymentId: 'ecs-svc/9', deploymentId: 'a' },
      { ecsDeploymentId: 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/9', deploymentId: 'b' },
    ]);
    expect(rolloutOwners(two, 'ecs-svc/9')).toEqual(['a', 'b']);
  });
});
