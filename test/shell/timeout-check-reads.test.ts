import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Ecs } from '../../src/ports.js';
import { sample, service, TD } from '../support/fixtures.js';
import { watcherOnRunning } from '../support/watch-harness.js';

/**
 * What the one-shot timeout check reads. It fires after every migration, most often once the deployment has ended;
 * then it decides on the records alone (ignore, or follow the rollouts), and reads the service only when it may
 * resume a launch the ended deployment handed over (BENCHMARKS.md, "after the rollout").
 */

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-timeout-reads-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the timeout check of a deployment that has ended', () => {
  it('reads the records only: no DescribeServices', async () => {
    const calls: string[] = [];
    const ecs: Partial<Ecs> = {
      describeService: async () => {
        calls.push('describeService');
        return { ...service, taskDefinitionArn: TD(42) };
      },
      updateService: async () => ({ ecsDeploymentId: 'ecs-svc/1' }),
    };
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T10:15:24Z'), logLines: [] });
    await h.watch.handle(sample('task-stopped-success'));
    expect(await h.stored()).toMatchObject({ status: 'ended', outcome: 'succeeded' });
    calls.length = 0;

    const steps = await h.watch.handle(sample('timeout-check'));

    // Its rollout is followed (a later check is scheduled): decided on the records alone.
    expect(steps.map((s) => s.decision.decision)).toEqual(['record']);
    expect(steps[0]?.decision.reason).toMatch(/^rollouts of .* followed until/);
    expect(calls).toEqual([]);
  });
});
