import { describe, expect, it } from 'vitest';
import { followRequest } from '../../cli/follow.js';
import type { Deployment } from '../../src/core/deployment.js';
import { type EnvironmentState, emptyEnvironment } from '../../src/core/state.js';
import type { DeploymentHistory } from '../../src/ports.js';
import { endedDeployment, launchingDeployment, runningDeployment } from '../support/fixtures.js';

/**
 * A store whose reads answer from a script: each poll (loadEnvironment, or loadEnvironmentWith) takes the next
 * step, an error or the records at that time; listDeployments, read with loadEnvironment, answers from the same step.
 */
function scriptedStore(steps: (Error | { env: EnvironmentState; deployments: Deployment[] })[]): DeploymentHistory & { reads: number } {
  let i = 0;
  const next = () => {
    const step = steps[Math.min(i++, steps.length - 1)];
    if (step instanceof Error) throw step;
    return step as { env: EnvironmentState; deployments: Deployment[] };
  };
  const store = {
    reads: 0,
    async loadEnvironment() {
      store.reads++;
      return next().env;
    },
    async listDeployments() {
      const step = steps[Math.min(i - 1, steps.length - 1)];
      if (step instanceof Error) throw step;
      return step?.deployments ?? [];
    },
    async loadEnvironmentWith(_environment: string, ids: string[]) {
      store.reads++;
      const step = next();
      return { env: step.env, deployments: Object.fromEntries(step.deployments.filter((d) => ids.includes(d.id)).map((d) => [d.id, d])) };
    },
    async loadDeployments() {
      return {};
    },
    async commit() {},
    async clearOutbox() {},
  };
  return store;
}

const env = emptyEnvironment('staging');
const running = runningDeployment({ trigger: { type: 'deploy-request', eventId: 'e', at: '2026-11-25T09:15:00Z', requestId: 'r-1' } });
const ended = endedDeployment('succeeded', { trigger: running.trigger, stop: { exitCode: 0 }, rollout: 'continued' });
const base = { environment: 'staging', requestId: 'r-1', pollMs: 1, deadline: Number.POSITIVE_INFINITY, now: Date.now };

describe('followRequest', () => {
  it('finds the deployment by its request id and follows it to its end', async () => {
    const lines: string[] = [];
    const store = scriptedStore([
      { env, deployments: [] },
      { env, deployments: [running] },
      { env, deployments: [running] },
      { env, deployments: [ended] },
    ]);
    const result = await followRequest({ ...base, store, print: (l) => lines.push(l) });
    expect(result).toMatchObject({ kind: 'ended', view: { id: running.id, outcome: 'succeeded', exitCode: 0 } });
    expect(lines).toEqual([
      'waiting for the controller to record request r-1',
      expect.stringMatching(new RegExp(`^${running.id} running task `)),
    ]);
  });

  it('rides out a few failed reads (a network blip in a long wait), and gives up after five in a row', async () => {
    const blip = new Error('socket hang up');
    const recovering = scriptedStore([{ env, deployments: [running] }, blip, blip, { env, deployments: [ended] }]);
    expect(await followRequest({ ...base, store: recovering, print: () => {} })).toMatchObject({ kind: 'ended' });

    const broken = scriptedStore([{ env, deployments: [running] }, blip]);
    await expect(followRequest({ ...base, store: broken, print: () => {} })).rejects.toThrow('socket hang up');
  });

  it('stops when no deployment records the request in time (rejected, or never delivered)', async () => {
    let t = 0;
    const store = scriptedStore([{ env, deployments: [] }]);
    const result = await followRequest({ ...base, store, unrecordedAfterMs: 3, now: () => t++, print: () => {} });
    expect(result).toEqual({ kind: 'unrecorded', afterMs: 3 });
  });

  it('a repeat of an image whose last rollout left a gated service unmoved is not "already deployed" as a success', async () => {
    let t = 0;
    const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v1.4.0';
    const done = endedDeployment('succeeded', {
      work: { type: 'image', image },
      rollout: 'continued',
      services: [
        { service: 'shop-api', result: 'continued' },
        { service: 'shop-worker', result: 'failed', reason: 'AccessDenied' },
      ],
    });
    const last = { ...env, lastSucceeded: { deploymentId: done.id, at: done.finishedAt, image } };
    const repeat = {
      ...base,
      requestId: 'r-2',
      work: { type: 'image' as const, image },
      repeatAfterMs: 1,
      now: () => t++,
      print: () => {},
    };
    const result = await followRequest({ ...repeat, store: scriptedStore([{ env: last, deployments: [done] }]) });
    expect(result).toEqual({
      kind: 'already-deployed',
      deploymentId: done.id,
      at: done.finishedAt,
      notMoved: 'shop-worker (AccessDenied)',
    });
    // All services moved: a plain "already deployed".
    const moved = { ...done, services: [{ service: 'shop-api', result: 'continued' as const }] };
    t = 0;
    const ok = await followRequest({ ...repeat, store: scriptedStore([{ env: last, deployments: [moved] }]) });
    expect(ok).toEqual({ kind: 'already-deployed', deploymentId: done.id, at: done.finishedAt });
  });

  it('follows the log of the task a retried launch runs, after a last read of the first one', async () => {
    // Was: the log follower was started once, on the first `running` view: a launch retried because its task never
    // started (running task A → launching attempt 2 → running task B) kept following A's empty stream, and nothing
    // B, the migration that ran, wrote was streamed (README: --wait follows "streaming the task's log").
    const TASK = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${id}`;
    const trigger = running.trigger;
    const taskA = runningDeployment({ trigger, taskArn: TASK('a'), log: { group: '/ecs/shop-api', stream: 'ecs/app/a' } });
    const retrying = launchingDeployment({ trigger, revision: 3, attempt: 2 });
    const logB = { group: '/ecs/shop-api', stream: 'ecs/app/b' };
    const taskB = runningDeployment({ trigger, revision: 4, attempt: 2, taskArn: TASK('b'), log: logB });
    const endedB = endedDeployment('succeeded', { trigger, taskArn: TASK('b'), log: logB, stop: { exitCode: 0 }, rollout: 'continued' });
    const store = scriptedStore([
      { env, deployments: [taskA] },
      { env, deployments: [taskA] },
      { env, deployments: [retrying] },
      { env, deployments: [taskB] },
      { env, deployments: [taskB] },
      { env, deployments: [endedB] },
    ]);
    const followed: string[] = [];
    const printed: string[] = [];
    const result = await followRequest({
      ...base,
      store,
      print: () => {},
      onLogLine: (line) => printed.push(line.message),
      followLog: async (view, onLine) => {
        const stream = view.log?.stream ?? '?';
        followed.push(`start ${stream}`);
        if (stream === 'ecs/app/b') onLine({ timestamp: 1, message: 'applying 0043_drop_legacy.sql' });
        return async () => {
          followed.push(`stop ${stream}`);
        };
      },
    });
    expect(followed).toEqual(['start ecs/app/a', 'stop ecs/app/a', 'start ecs/app/b', 'stop ecs/app/b']);
    expect(printed).toEqual(['applying 0043_drop_legacy.sql']);
    expect(result).toMatchObject({ kind: 'ended', logLines: 1 });
  });

  it('returns at the deadline with what it last saw', async () => {
    let t = 0;
    const store = scriptedStore([{ env, deployments: [running] }]);
    const result = await followRequest({ ...base, store, deadline: 3, now: () => t++, print: () => {} });
    expect(result).toMatchObject({ kind: 'timeout', view: { id: running.id, status: 'running' } });
  });
});
