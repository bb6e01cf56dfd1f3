import { describe, expect, it } from 'vitest';
import { classifyStop } from '../../src/core/classify-stop.js';
import { decide } from '../../src/core/decide.js';
import { essentialSidecars } from '../../src/core/essential-sidecars.js';
import type { Input } from '../../src/core/inputs.js';
import { decodeDeployment, encodeDeployment } from '../../src/core/records.js';
import {
  activeState,
  committed,
  ctx,
  decideOn,
  eventTypes,
  launchingDeployment,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  SAMPLE_TASK,
  sample,
  TD,
  withEvent,
} from '../support/fixtures.js';

/**
 * An essential sidecar (here the log router) crashes while the migration runs: ECS stops the task
 * (`EssentialContainerExited`, the same stop code as the migration's own exit) and sends the migration SIGTERM; a tool
 * that shuts down gracefully exits 0 halfway through. Was: any EssentialContainerExited stop with the migration
 * container's exit 0 was a success, and the service rolled out onto a half-migrated database. Now an essential container
 * beside the migration (known from the task definition at launch) that ended with a failure of its own makes that
 * exit 0 prove nothing.
 */
const stop = (logRouter: { exitCode?: number; reason?: string }) => ({
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  containers: [
    { name: 'app', exitCode: 0 },
    { name: 'log-router', ...logRouter },
  ],
});

describe('classifyStop: a task stopped for an essential container, migration container exit 0', () => {
  it('is a failure when an essential sidecar failed on its own (exit code or out of memory)', () => {
    for (const logRouter of [
      { exitCode: 1 },
      { exitCode: 139 },
      { exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
    ]) {
      expect(classifyStop(stop(logRouter), 'app', ['log-router'])).toMatchObject({
        ok: false,
        cause: 'stopped-by-ecs',
        reason: expect.stringContaining('essential container "log-router" failed while the migration could still run'),
      });
    }
  });

  it('is a success when the sidecar ended as a stop ends it (0, SIGTERM 143, SIGKILL 137), or is not essential beside it', () => {
    for (const exitCode of [0, 143, 137]) expect(classifyStop(stop({ exitCode }), 'app', ['log-router']).ok).toBe(true);
    // Non-essential (or after the migration): its failure cannot have stopped the task.
    expect(classifyStop(stop({ exitCode: 1 }), 'app', []).ok).toBe(true);
    // A record from before the launch kept the list: judged as before.
    expect(classifyStop(stop({ exitCode: 1 }), 'app').ok).toBe(true);
  });
});

describe('essentialSidecars: the essential containers that run beside the migration container', () => {
  it('keeps essential containers (the default) and leaves out non-essential ones and the migration itself', () => {
    const containers = [{ name: 'app' }, { name: 'log-router', essential: true }, { name: 'xray', essential: false }, { name: 'envoy' }];
    expect(essentialSidecars(containers, 'app')).toEqual(['log-router', 'envoy']);
  });

  it('leaves out containers that start only after the migration exited, directly or through one that waits for it', () => {
    const containers = [
      { name: 'migrate', essential: false },
      { name: 'web', dependsOn: [{ containerName: 'migrate', condition: 'SUCCESS' }] },
      { name: 'worker', dependsOn: [{ containerName: 'web', condition: 'START' }] },
      { name: 'started-with-it', dependsOn: [{ containerName: 'migrate', condition: 'START' }] },
      { name: 'log-router' },
    ];
    expect(essentialSidecars(containers, 'migrate')).toEqual(['started-with-it', 'log-router']);
  });
});

describe('the watcher, on such a STOPPED event of a deployment whose launch recorded the sidecars', () => {
  const crashed = () =>
    withEvent(sample('task-stopped-success'), {
      detail: {
        containers: (sample('task-stopped-success').detail as { containers: Record<string, unknown>[] }).containers.map((c) =>
          c.name === 'log-router' ? { ...c, exitCode: 139 } : c,
        ),
      },
    });

  it("RunTask's answer records them with the task", () => {
    const answer: Input = {
      kind: 'launch-result',
      deploymentId: SAMPLE_DEPLOYMENT,
      ok: true,
      taskArn: SAMPLE_TASK,
      taskDefinitionArn: TD(43),
      essentialSidecars: ['log-router'],
    };
    const d = decide(answer, activeState(launchingDeployment()), ctx());
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'running', essentialSidecars: ['log-router'] });
  });

  it('halts the rollout instead of continuing it', () => {
    const d = decideOn(crashed(), activeState(runningDeployment({ essentialSidecars: ['log-router'] })));
    expect(d.decision).toBe('halt');
    expect(d.actions.map((a) => a.type)).not.toContain('continueRollout');
    expect(eventTypes(d)).not.toContain('Migration Succeeded');
    expect(d.reason).toMatch(/essential container "log-router" failed/);
  });

  it('a record whose sidecar list is damaged is refused, not met as a TypeError by every event', () => {
    const record = encodeDeployment(runningDeployment());
    expect(decodeDeployment({ ...record, essentialSidecars: 'log-router' })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('essentialSidecars'),
    });
    expect(decodeDeployment({ ...record, essentialSidecars: ['log-router'] }).ok).toBe(true);
  });
});
