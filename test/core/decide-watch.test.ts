import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import type { TaskStateInput } from '../../src/core/inputs.js';
import {
  activeState,
  committed,
  ctx,
  decideOn,
  eventTypes,
  NOW,
  only,
  parse,
  queuedDeployment,
  queueState,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  SAMPLE_TASK,
  sample,
  service,
  TD,
  withEvent,
} from '../support/fixtures.js';

const TAIL = ['applying 0002_add_orders.sql', 'ERROR:  column "customer" does not exist'];

/** A task-* sample with the log tail the shell adds before deciding. */
function stopped(name: string, logTail: string[] = TAIL): TaskStateInput {
  const input = parse(sample(name));
  if (input.kind !== 'task-state') throw new Error(`${name} is not a task event`);
  return { ...input, logTail };
}

const running = runningDeployment();

describe('task STOPPED, migration container exit 0', () => {
  it('continues the rollout to the deployment task definition, then records and frees the environment', () => {
    const d = decide(stopped('task-stopped-success', ['done: 2 applied']), activeState(running), ctx());
    expect(d).toMatchObject({
      decision: 'continue',
      deploymentId: SAMPLE_DEPLOYMENT,
      reason: `container "app" exited with code 0: service shop-api updated to ${TD(43)}`,
    });
    expect(d.actions.map((a) => a.type)).toEqual(['cancelTimeout', 'continueRollout', 'commit', 'putEvent', 'putEvent']);
    expect(only(d, 'continueRollout')).toEqual({
      type: 'continueRollout',
      deploymentId: SAMPLE_DEPLOYMENT,
      target: { mode: 'update-service', cluster: 'shop-staging', service: 'shop-api' },
      taskDefinitionArn: TD(43),
    });
    expect(only(d, 'commit').env).toEqual({
      expectedVersion: 7,
      state: {
        environment: 'staging',
        version: 8,
        lastSucceeded: { deploymentId: SAMPLE_DEPLOYMENT, image: running.image, taskDefinitionArn: TD(43), at: NOW },
      },
    });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'succeeded',
      rollout: 'continued',
      revision: 3,
      stop: { exitCode: 0, stopCode: 'EssentialContainerExited' },
      stoppedAt: '2026-11-25T09:17:58.771Z',
      logTail: ['done: 2 applied'],
    });
    expect(eventTypes(d)).toEqual(['Migration Succeeded', 'Rollout Continued']);
    expect(only(d, 'commit').deployments[0]?.expectedRevision).toBe(2);
  });

  it('does not move the service back when it has moved on to a newer revision', () => {
    const d = decide(stopped('task-stopped-success'), activeState(running, { service: { ...service, taskDefinitionArn: TD(45) } }), ctx());
    expect(d.decision).toBe('continue');
    expect(d.reason).toContain(`has moved on to ${TD(45)} meanwhile; not moved back to ${TD(43)}`);
    expect(d.actions.some((a) => a.type === 'continueRollout')).toBe(false);
    expect(committed(d, SAMPLE_DEPLOYMENT).rollout).toBe('moved-on');
  });

  it('says so when the service already runs the revision', () => {
    const d = decide(stopped('task-stopped-success'), activeState(running, { service: { ...service, taskDefinitionArn: TD(43) } }), ctx());
    expect(committed(d, SAMPLE_DEPLOYMENT).rollout).toBe('already-current');
    expect(d.actions.some((a) => a.type === 'continueRollout')).toBe(false);
  });

  it('launches the queued deployment from the revision just rolled out', () => {
    const queued = queuedDeployment('20261125-091600-cccccccc', 'repo@sha256:next');
    const state = queueState(running, queued);
    const d = decide(stopped('task-stopped-success'), state, ctx());
    expect(only(d, 'commit').env?.state).toMatchObject({ active: { deploymentId: queued.id }, version: 8 });
    expect(only(d, 'commit').env?.state.queued).toBeUndefined();
    expect(committed(d, queued.id).status).toBe('launching');
    expect(only(d, 'launchTask').request).toMatchObject({
      image: 'repo@sha256:next',
      baseTaskDefinitionArn: TD(43),
      startedBy: `ecs-migrate/${queued.id}`,
    });
    expect(d.actions.at(-1)?.type).toBe('launchTask');
  });

  it('succeeds a command without touching the service', () => {
    const command = runningDeployment({ kind: 'command', command: ['db-rollback'] });
    const d = decide(stopped('task-stopped-success'), activeState(command), ctx());
    expect(d.decision).toBe('continue');
    expect(d.actions.some((a) => a.type === 'continueRollout' || a.type === 'haltRollout')).toBe(false);
    expect(eventTypes(d)).toEqual(['Command Succeeded']);
    expect(only(d, 'commit').env?.state.lastSucceeded).toBeUndefined();
  });
});

describe('task STOPPED, anything else halts', () => {
  it.each([
    ['task-stopped-exit-1', /container "app" exited with code 1/, { exitCode: 1, stopCode: 'EssentialContainerExited' }],
    ['task-stopped-sidecar-first', /container "app" exited with code 3/, { exitCode: 3 }],
    [
      'task-stopped-oom',
      /container "app" ran out of memory \(exit code 137\).*OutOfMemoryError/,
      { exitCode: 137, containerReason: expect.stringContaining('OutOfMemoryError') },
    ],
    ['task-stopped-failed-to-start', /the task failed to start \(CannotPullContainerError/, { stopCode: 'TaskFailedToStart' }],
    [
      'task-stopped-by-user',
      /stopped by someone before the migration finished \(Task stopped by user\)/,
      { stopCode: 'UserInitiated', exitCode: 143 },
    ],
    ['task-stopped-no-exit-code', /container "app" stopped without an exit code/, { stopCode: 'EssentialContainerExited' }],
  ])('%s: service untouched, failure recorded with exit code, stop code, reason and log tail', (name, reason, stop) => {
    const d = decide(stopped(name), activeState(running), ctx());
    expect(d.decision).toBe('halt');
    expect(d.reason).toMatch(reason);
    expect(d.reason).toContain('rollout halted, service left on its current revision');
    expect(d.actions.some((a) => a.type === 'continueRollout')).toBe(false);
    expect(only(d, 'haltRollout').target).toEqual({ mode: 'update-service', cluster: 'shop-staging', service: 'shop-api' });
    const failed = committed(d, SAMPLE_DEPLOYMENT);
    expect(failed).toMatchObject({ status: 'failed', rollout: 'halted', logTail: TAIL, stop: expect.objectContaining(stop) });
    expect(eventTypes(d)).toEqual(['Migration Failed', 'Rollout Halted']);
    expect(only(d, 'commit').env?.state.active).toBeUndefined();
    const event = d.actions.find((a) => a.type === 'putEvent' && a.detailType === 'Migration Failed');
    expect(event).toMatchObject({
      detail: {
        deploymentId: SAMPLE_DEPLOYMENT,
        environment: 'staging',
        taskArn: SAMPLE_TASK,
        logTail: TAIL,
        reason: expect.stringMatching(reason),
      },
    });
  });

  it('never reads the first container as the migration', () => {
    const d = decide(stopped('task-stopped-sidecar-first'), activeState(running), ctx());
    expect(committed(d, SAMPLE_DEPLOYMENT).stop?.exitCode).toBe(3);
  });

  it('halts when the migration container is missing from the task', () => {
    const d = decide(stopped('task-stopped-success'), activeState(running), ctx({ CONTAINER: 'migrator' }));
    expect(d).toMatchObject({
      decision: 'halt',
      reason: expect.stringContaining('no container named "migrator" (containers: app, log-router)'),
    });
  });

  it('halts a successful migration whose service cannot be read', () => {
    const d = decide(
      stopped('task-stopped-success'),
      activeState(running, { service: undefined, serviceProblem: 'AccessDenied on ecs:DescribeServices' }),
      ctx(),
    );
    expect(d).toMatchObject({ decision: 'halt', reason: expect.stringContaining('AccessDenied on ecs:DescribeServices') });
    expect(d.actions.some((a) => a.type === 'continueRollout')).toBe(false);
  });
});

describe('task events that change nothing', () => {
  it('records RUNNING', () => {
    const launching = runningDeployment({ status: 'launching', taskArn: undefined, taskVersion: undefined });
    const d = decideOn(sample('task-running'), activeState(launching));
    expect(d.decision).toBe('record');
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'running',
      taskArn: SAMPLE_TASK,
      taskVersion: 3,
      startedAt: '2026-11-25T09:15:24.010Z',
    });
    expect(only(d, 'commit').env).toBeUndefined();
  });

  it.each([
    [
      'a task not started by ecs-migrate',
      'task-stopped-not-ours',
      activeState(running),
      /was not started by ecs-migrate \(startedBy "ecs-svc\/4417621356821956811"\)/,
    ],
    [
      'an unknown deployment',
      'task-stopped-success',
      activeState(runningDeployment({ id: '20261125-000000-00000000' })),
      /no deployment 20261125-091500-5f2c1a9e in environment staging/,
    ],
    [
      'a duplicate STOPPED',
      'task-stopped-success',
      activeState(runningDeployment({ status: 'succeeded' })),
      /has already ended \(succeeded\): duplicate or late event/,
    ],
    [
      'an older version',
      'task-running',
      activeState(runningDeployment({ taskVersion: 6 })),
      /stale event: task version 3 is not newer than 6/,
    ],
    [
      'another task of the deployment',
      'task-stopped-success',
      activeState(runningDeployment({ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/other' })),
      /is not the deployment's task/,
    ],
  ])('ignores %s', (_what, name, state, reason) => {
    const d = decideOn(sample(name), state);
    expect(d.decision).toBe('ignore');
    expect(d.reason).toMatch(reason);
    expect(d.actions).toEqual([]);
  });

  it('ignores a STOPPED that arrives after a newer event', () => {
    const d = decideOn(withEvent(sample('task-stopped-exit-1'), { detail: { version: 2 } }), activeState(running));
    expect(d).toMatchObject({ decision: 'ignore', reason: expect.stringContaining('stale event') });
  });
});

describe('timeout check', () => {
  it('is ignored before TIMEOUT_MINUTES have passed', () => {
    const d = decideOn(sample('timeout-check'), activeState(running), ctx({}, '2026-11-25T10:00:00.000Z'));
    expect(d).toMatchObject({
      decision: 'ignore',
      reason: `deployment ${SAMPLE_DEPLOYMENT} is not due to time out until 2026-11-25T10:15:01.000Z`,
    });
  });

  it('stops the task, records timed_out and halts once due', () => {
    const d = decide(
      {
        ...(parse(sample('timeout-check')) as Extract<ReturnType<typeof parse>, { kind: 'timeout-check' }>),
        logTail: ['still waiting for lock'],
      },
      activeState(running),
      ctx({}, '2026-11-25T10:15:24.000Z'),
    );
    expect(d.decision).toBe('halt');
    expect(only(d, 'stopTask')).toMatchObject({ taskArn: SAMPLE_TASK, reason: 'ecs-migrate: timed out after 60 minutes' });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'timed_out', rollout: 'halted', logTail: ['still waiting for lock'] });
    expect(eventTypes(d)).toEqual(['Migration Timed Out', 'Rollout Halted']);
    expect(d.actions[0]?.type).toBe('stopTask');
  });

  it('is ignored for a deployment that has ended', () => {
    expect(
      decideOn(sample('timeout-check'), activeState(runningDeployment({ status: 'failed' })), ctx({}, '2026-11-25T11:00:00.000Z')).decision,
    ).toBe('ignore');
  });
});

describe('launch result', () => {
  const launching = runningDeployment({
    status: 'launching',
    taskArn: undefined,
    taskDefinitionArn: undefined,
    launchedAt: undefined,
    taskVersion: undefined,
  });

  it('records the task, schedules the timeout check and announces the start', () => {
    const d = decide(
      { kind: 'launch-result', deploymentId: SAMPLE_DEPLOYMENT, ok: true, taskArn: SAMPLE_TASK, taskDefinitionArn: TD(43) },
      activeState(launching),
      ctx(),
    );
    expect(d.actions.map((a) => a.type)).toEqual(['scheduleTimeout', 'commit', 'putEvent']);
    expect(only(d, 'scheduleTimeout')).toMatchObject({ at: '2026-11-25T10:18:00.000Z', environment: 'staging' });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'running',
      taskArn: SAMPLE_TASK,
      taskDefinitionArn: TD(43),
      launchedAt: NOW,
    });
    expect(eventTypes(d)).toEqual(['Migration Started']);
  });

  it('ends the deployment and frees the environment when the task could not start', () => {
    const d = decide(
      { kind: 'launch-result', deploymentId: SAMPLE_DEPLOYMENT, ok: false, reason: 'RunTask failed: RESOURCE:MEMORY' },
      activeState(launching),
      ctx(),
    );
    expect(d).toMatchObject({ decision: 'halt', reason: 'the task could not be started: RunTask failed: RESOURCE:MEMORY; rollout halted' });
    expect(only(d, 'commit').env?.state.active).toBeUndefined();
    expect(eventTypes(d)).toEqual(['Migration Failed', 'Rollout Halted']);
  });

  it('is ignored when the task events got there first', () => {
    const d = decide(
      { kind: 'launch-result', deploymentId: SAMPLE_DEPLOYMENT, ok: true, taskArn: SAMPLE_TASK, taskDefinitionArn: TD(43) },
      activeState(runningDeployment({ status: 'failed' })),
      ctx(),
    );
    expect(d).toMatchObject({ decision: 'ignore', reason: expect.stringContaining('is failed already') });
  });
});
