import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/ports.js';
import { sample, withEvent } from '../support/fixtures.js';
import { watcherAt } from '../support/race.js';
import { watcherRolledOut } from '../support/watch-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-in-progress-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `store`, counting its reads. */
function counting(store: Store): { store: Store; reads: string[] } {
  const reads: string[] = [];
  const counted = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (String(key).startsWith('load')) reads.push(String(key));
        return value.apply(target, args);
      };
    },
  });
  return { store: counted, reads };
}

/**
 * ECS sends SERVICE_DEPLOYMENT_IN_PROGRESS for every deployment a rollout starts, and the stack routes it to the
 * watcher, which ignores it unless it is a rollback (issue 14: each request counted). Was: it read the environment
 * record and the deployments first, two DynamoDB reads per migration for a decision that needs none.
 */
describe('ECS Deployment State Change: in progress', () => {
  it('is ignored without reading the deployments table', async () => {
    const ecsDeploymentId = 'ecs-svc/5169280574093855189';
    const h = await watcherRolledOut(dir, ecsDeploymentId);
    const { store, reads } = counting(h.ports.store);
    const inProgress = withEvent(sample('deployment-completed'), {
      detail: { eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', reason: 'ECS deployment ecs-svc/5169280574093855189 in progress.' },
    });
    const steps = await watcherAt({ ...h.ports, store }, '2026-11-25T09:30:00Z').handle(inProgress);
    expect(steps.map((s) => s.decision.decision)).toEqual(['ignore']);
    expect(reads).toEqual([]);
  });

  it('a rollback in progress (circuit breaker) is still read and recorded', async () => {
    const ecsDeploymentId = 'ecs-svc/5169280574093855189';
    const h = await watcherRolledOut(dir, ecsDeploymentId);
    const { store, reads } = counting(h.ports.store);
    await watcherAt({ ...h.ports, store }, '2026-11-25T09:38:48Z').handle(sample('deployment-rolling-back'));
    expect(reads.length).toBeGreaterThan(0);
    expect(await h.stored()).toMatchObject({ services: [{ completion: 'failed' }] });
  });
});
