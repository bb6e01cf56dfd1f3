import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskSnapshot } from '../../src/core/inputs.js';
import { LEFTOVER_STOP } from '../../src/core/rolled-out.js';
import { PermanentAwsError } from '../../src/errors.js';
import type { Ecs } from '../../src/ports.js';
import { SAMPLE_TASK, sample, service, TD, withEvent } from '../support/fixtures.js';
import { watcherOnRunning } from '../support/watch-harness.js';

/**
 * The STOPPED event of a migration task was lost (EventBridge gave up on the watcher, or the invocation handling it
 * died before its commit and its retries ran out). The deployment's timeout check reads the task: one that stopped
 * is judged as its event would have been, instead of timing out a task that is not running.
 */

const LOG = ['applying 0002_add_orders.sql', 'ERROR:  column "customer" does not exist'];
/** The check comes at TIMEOUT_MINUTES (60) after the launch at 09:15:01. */
const AT_TIMEOUT = new Date('2026-11-25T10:15:24Z');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-lost-stop-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function stoppedTask(exitCode: number): TaskSnapshot {
  return {
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    stoppedAt: '2026-11-25T09:18:00.000Z',
    version: 5,
    containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode }],
  };
}

/** The watcher on the running deployment; ECS describes its task as `described` (or throws it), and records calls. */
async function harness(described: TaskSnapshot | Error | undefined, serviceRevision = TD(42)) {
  const calls: string[] = [];
  const ecs: Partial<Ecs> = {
    describeService: async () => ({ ...service, taskDefinitionArn: serviceRevision }),
    updateService: async (target, taskDefinitionArn) => {
      calls.push(`updateService ${target.service} ${taskDefinitionArn}`);
      return { ecsDeploymentId: 'ecs-svc/1' };
    },
    stopTask: async (_cluster, taskArn) => void calls.push(`stopTask ${taskArn}`),
    describeTask: async (_cluster, taskArn) => {
      calls.push(`describeTask ${taskArn}`);
      if (described instanceof Error) throw described;
      return described;
    },
  };
  const h = await watcherOnRunning(dir, { ecs, now: AT_TIMEOUT, logLines: LOG });
  return { ...h, calls };
}

describe('the timeout check of a deployment whose task stopped unseen', () => {
  it('exit 0: rolls out and records the success with its exit code; no log tail, no timeout; the late event is ignored', async () => {
    const h = await harness(stoppedTask(0));

    const steps = await h.watch.handle(sample('timeout-check'));

    expect(steps.map((s) => s.decision.decision)).toEqual(['continue', 'record']);
    expect(steps[0]?.decision.reason).toContain('found STOPPED by the timeout check');
    expect(h.calls).toEqual([`describeTask ${SAMPLE_TASK}`, `updateService shop-api ${TD(43)}`]);
    expect(h.tails).toEqual([]);
    expect(await h.stored()).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      rollout: 'continued',
      stop: { exitCode: 0, stopCode: 'EssentialContainerExited' },
      stoppedAt: '2026-11-25T09:18:00.000Z',
    });
    expect(h.events.map((e) => e.detailType)).toEqual(['Migration Succeeded', 'Rollout Continued']);

    const late = await h.watch.handle(withEvent(sample('task-stopped-success'), { detail: { version: 5 } }));
    expect(late.map((s) => s.decision.decision)).toEqual(['ignore']);
    expect(h.calls).toHaveLength(2);
  });

  it('exit 3: halts with the exit code and the log tail, as a failure, not a timeout', async () => {
    const h = await harness(stoppedTask(3));

    const steps = await h.watch.handle(sample('timeout-check'));

    expect(steps.map((s) => s.decision.decision)).toEqual(['halt']);
    expect(h.calls).toEqual([`describeTask ${SAMPLE_TASK}`]);
    expect(h.tails).toEqual([expect.objectContaining({ taskArn: SAMPLE_TASK, container: 'app' })]);
    expect(await h.stored()).toMatchObject({ outcome: 'failed', stop: { exitCode: 3 }, logTail: LOG });
    expect(h.events.map((e) => e.detailType)).toEqual(['Migration Failed', 'Rollout Halted']);
  });

  it('a task we stopped after its migration exited 0, the service moved: the success, not "stopped by someone"', async () => {
    // The migration container exited 0 while the task ran on; the watcher moved the service, stopped the rest of the
    // task (UserInitiated) and died before its commit; its retries ran out.
    const byUs: TaskSnapshot = {
      ...stoppedTask(0),
      stopCode: 'UserInitiated',
      stoppedReason: `ecs-migrate: ${LEFTOVER_STOP}`,
    };
    const h = await harness(byUs, TD(43));

    const steps = await h.watch.handle(sample('timeout-check'));

    expect(steps[0]?.decision.decision).toBe('continue');
    expect(await h.stored()).toMatchObject({ status: 'ended', outcome: 'succeeded', rollout: 'already-current' });
    expect(h.events.map((e) => e.detailType)).not.toContain('Rollout Halted');
  });

  it('a task ECS describes as still running times out as before: stopped, halted, its log tail kept', async () => {
    const h = await harness({ lastStatus: 'RUNNING', version: 3, containers: [{ name: 'app', lastStatus: 'RUNNING' }] });

    const steps = await h.watch.handle(sample('timeout-check'));

    expect(steps.map((s) => s.decision.decision)).toEqual(['halt']);
    expect(h.calls).toEqual([`describeTask ${SAMPLE_TASK}`, `stopTask ${SAMPLE_TASK}`]);
    expect(await h.stored()).toMatchObject({ outcome: 'timed_out', logTail: LOG });
  });

  it('a task ECS has forgotten, or DescribeTasks denied: the check still times the deployment out (never stuck)', async () => {
    for (const described of [undefined, new PermanentAwsError('ecs:DescribeTasks', 'grant ecs:DescribeTasks', 'AccessDenied')]) {
      await rm(dir, { recursive: true, force: true });
      const h = await harness(described);

      const steps = await h.watch.handle(sample('timeout-check'));

      expect(steps.map((s) => s.decision.decision)).toEqual(['halt']);
      expect(await h.stored()).toMatchObject({ outcome: 'timed_out' });
    }
  });

  it("ECS's stopped reason read for the check is redacted like an event's", async () => {
    const h = await harness({ ...stoppedTask(1), stoppedReason: 'Essential container exited: postgres://app:hunter2@db/shop' });

    await h.watch.handle(sample('timeout-check'));

    expect(JSON.stringify(await h.stored())).not.toContain('hunter2');
    expect(JSON.stringify(h.events)).not.toContain('hunter2');
  });
});
