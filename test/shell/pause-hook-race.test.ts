import { describe, expect, it } from 'vitest';
import type { Ended, Running, Waiter } from '../../src/core/deployment.js';
import type { HookAnswer } from '../../src/core/service-deployment.js';
import { config, DIGEST, NOW, runningDeployment, SAMPLE_DEPLOYMENT, sample, TD } from '../support/fixtures.js';
import { FaultPlan, modelPorts } from '../support/model-ports.js';
import { controllerOn, joinedBeforeFirstCommit } from '../support/race.js';

const sd = (service: string, id: string) => `arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/${service}/${id}`;
const api: Waiter = { service: 'shop-api', serviceDeploymentArn: sd('shop-api', 'AAAA'), hookId: 'ecs-pause-api' };
const worker: Waiter = { service: 'shop-worker', serviceDeploymentArn: sd('shop-worker', 'BBBB'), hookId: 'ecs-pause-worker' };

describe('pause-hook mode: a paused deployment that joins while the watcher answers the others', () => {
  it('is answered CONTINUE too when the watcher loses the race to commit the end, and recorded with it', async () => {
    const world = modelPorts(new FaultPlan());
    const cfg = config({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });
    const running: Running = runningDeployment({
      work: {
        type: 'revision',
        taskDefinitionArn: TD(43),
        image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@${DIGEST}`,
        launch: {},
      },
      waiters: [api],
    });
    await world.store.commit({
      env: {
        state: { environment: 'staging', version: 1, active: { deploymentId: running.id, lockExpiresAt: '2026-11-25T10:30:00.000Z' } },
        expectedVersion: 0,
      },
      deployments: [{ deployment: running, expectedRevision: 0 }],
    });
    const answers: HookAnswer[] = [];
    const watcher = controllerOn(world.ports, cfg, NOW, {
      ecs: {
        answerHook: async (answer) => {
          answers.push(answer);
          return { ok: true };
        },
      },
      // The launcher commits first: shop-worker's owner deployment of the same digest paused and joined.
      store: joinedBeforeFirstCommit(world.store, world.ports, [api, worker]),
    });

    const steps = await watcher.handle(sample('task-stopped-success'));

    expect(steps.map((s) => s.decision.decision)).toEqual(['continue', 'continue', 'record']);
    // Each paused deployment is answered once.
    expect(answers.map((a) => [a.hookId, a.action])).toEqual([
      [api.hookId, 'CONTINUE'],
      [worker.hookId, 'CONTINUE'],
    ]);
    const [ended] = world.store.all() as Ended[];
    expect(ended).toMatchObject({
      id: SAMPLE_DEPLOYMENT,
      status: 'ended',
      outcome: 'succeeded',
      waiters: [api, worker],
      services: [
        { service: 'shop-api', result: 'continued' },
        { service: 'shop-worker', result: 'continued' },
      ],
    });
    expect(world.store.environment()?.active).toBeUndefined();
    const published = world.bus.published.map((e) => e.detailType);
    expect(published.filter((t) => t === 'Migration Succeeded')).toHaveLength(1);
    expect(published.filter((t) => t === 'Rollout Continued')).toHaveLength(1);
  });
});
