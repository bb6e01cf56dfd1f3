import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand, ECSClient, RunTaskCommand, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsEcs } from '../../src/adapters/aws/ecs.js';
import { timeoutCheckEvent } from '../../src/adapters/aws/scheduler.js';
import { LocalStore } from '../../src/adapters/local/store.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import { redact } from '../../src/core/redact.js';
import { TransientAwsError } from '../../src/errors.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ecs, LaunchOutcome, OutgoingEvent, Ports, ScheduledCheck } from '../../src/ports.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { EcsModel, serveModel } from '../support/ecs-model.js';
import { fakeEcs } from '../support/fake-ecs.js';
import { config, sample, TD, withEvent } from '../support/fixtures.js';

const WATCHER = 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-watch';
const RESOURCE_INIT = 'ResourceInitializationError: unable to pull secrets or registry auth: dial tcp 10.0.0.1:443: i/o timeout';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-retry-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A controller on a real local store, with a clock the test moves and the given ECS. */
function harness(ecs: Ecs) {
  const store = new LocalStore(new LocalLayout(dir, 'staging'));
  const events: OutgoingEvent[] = [];
  const schedules: { deploymentId: string; at: string; check?: ScheduledCheck }[] = [];
  const clock = { now: new Date('2026-11-25T09:15:00Z') };
  const ports: Ports = {
    ecs,
    store,
    bus: { put: async (e) => void events.push(...e) },
    logs: { tail: async () => [] },
    scheduler: {
      scheduleTimeout: async (deploymentId, _env, at, check) => void schedules.push({ deploymentId, at, ...(check ? { check } : {}) }),
    },
    registry: { describeImage: async () => ({ digest: `sha256:${'c'.repeat(64)}`, pushedAt: '2026-11-25T09:00:00.000Z' }) },
  };
  const controller = createController({ config: config(), ports, log: silentLog, now: () => clock.now });
  return { store, events, schedules, clock, controller };
}

/** A fake ECS whose RunTask answers with a task named after the clientToken. */
function recordingEcs(launched: LaunchRequest[]): Ecs {
  return fakeEcs({
    launch: async (r): Promise<LaunchOutcome> => {
      launched.push(r);
      return { ok: true, taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/${r.clientToken}`, taskDefinitionArn: TD(43) };
    },
  });
}

/** The ECS event of `taskArn` stopping: failed to start for `reason`, or exited with `exitCode`. */
function stoppedEvent(deploymentId: string, taskArn: string, how: { reason: string } | { exitCode: number }, version: number) {
  const base = sample('task-stopped-failed-to-start');
  const detail = base.detail as { containers: Record<string, unknown>[] };
  const containers = detail.containers.map((c) =>
    c.name !== 'app' ? c : 'reason' in how ? { ...c, reason: how.reason } : { ...c, reason: undefined, exitCode: how.exitCode },
  );
  return withEvent(base, {
    detail: {
      startedBy: `ecs-migrate/${deploymentId}`,
      taskArn,
      version,
      containers,
      ...('reason' in how
        ? { stoppedReason: how.reason }
        : { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }),
    },
  });
}

describe('launch retries through the controller', () => {
  it('retries a task that failed to start through a scheduled check, with a new clientToken, then follows the new task', async () => {
    const launched: LaunchRequest[] = [];
    const h = harness(recordingEcs(launched));
    const first = await h.controller.handle(sample('ecr-push'));
    const id = first[0]?.decision.deploymentId as string;
    const firstTask = `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/ecs-migrate-${id}`;

    // Attempt 1's task never starts.
    h.clock.now = new Date('2026-11-25T09:16:00Z');
    const failed = await h.controller.handle(stoppedEvent(id, firstTask, { reason: RESOURCE_INIT }, 4));
    expect(failed.map((s) => `${s.input}:${s.decision.decision}`)).toEqual(['task-state:record']);
    const retry = h.schedules.at(-1);
    expect(retry).toEqual({ deploymentId: id, at: '2026-11-25T09:17:00.000Z', check: { attempt: 2, purpose: 'retry' } });
    expect(h.events.map((e) => e.detailType)).toEqual(['Migration Started', 'Launch Retry Scheduled']);
    // ECS's text is redacted before it is stored or emitted ("auth: <value>" looks like a secret); the retry is decided
    // on what the failure is (ResourceInitializationError), which redaction leaves.
    expect(h.events[1]?.detail).toMatchObject({ failedAttempt: 1, attempt: 2, stoppedReason: redact(RESOURCE_INIT) });

    // The scheduled check comes (as EventBridge Scheduler delivers it): attempt 2 launches with its own token.
    h.clock.now = new Date('2026-11-25T09:18:00Z');
    const check = timeoutCheckEvent(id, 'staging', retry?.at ?? '', WATCHER, retry?.check);
    const relaunched = await h.controller.handle(check);
    expect(relaunched.map((s) => `${s.input}:${s.decision.decision}`)).toEqual(['timeout-check:launch', 'launch-result:record']);
    expect(launched.map((r) => r.clientToken)).toEqual([`ecs-migrate-${id}`, `ecs-migrate-${id}-2`]);
    const secondTask = `arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/ecs-migrate-${id}-2`;
    expect((await h.store.loadDeployments([id]))[id]).toMatchObject({
      status: 'running',
      attempt: 2,
      taskArn: secondTask,
      attempts: [{ attempt: 1, taskArn: firstTask, reason: expect.stringContaining('ResourceInitializationError') }],
    });
    expect(h.schedules.at(-1)).toMatchObject({ deploymentId: id, check: { attempt: 2, purpose: 'timeout' } });

    // A late duplicate of the check changes nothing; attempt 2's migration succeeds and the rollout goes on.
    expect((await h.controller.handle(check)).map((s) => s.decision.decision)).toEqual(['ignore']);
    const done = await h.controller.handle(stoppedEvent(id, secondTask, { exitCode: 0 }, 6));
    expect(done.map((s) => s.decision.decision)).toEqual(['continue', 'record']);
    expect(launched).toHaveLength(2);
    expect(h.events.map((e) => e.detailType).slice(-2)).toEqual(['Migration Succeeded', 'Rollout Continued']);
  });
});

describe('a resumed launch on the ECS adapter (defect 10, ECS modelled with its clientToken rule)', () => {
  const client = new ECSClient({ region: 'eu-west-1' });
  const ecs = mockClient(client);
  let model: EcsModel;
  const network = { subnets: ['subnet-0a1b2c3d4e5f60718'], securityGroups: ['sg-0123456789abcdef0'], assignPublicIp: 'DISABLED' as const };

  beforeEach(() => {
    model = new EcsModel();
    ecs.reset();
    serveModel(ecs, model);
    ecs.on(DescribeServicesCommand).callsFake(() => ({
      services: [
        {
          serviceName: 'shop-api',
          status: 'ACTIVE',
          taskDefinition: TD(42),
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: network },
        },
      ],
    }));
    // ECS starts the first task, but the answer never reaches the function (the connection times out).
    let answered = false;
    ecs.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => {
      const taskArn = model.run(input);
      if (!answered) {
        answered = true;
        throw Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError', $metadata: { attempts: 3 } });
      }
      return { tasks: [{ taskArn }], failures: [] };
    });
  });

  const fresh = () => new AwsEcs(client, { cluster: 'shop-staging', service: 'shop-api', container: 'app' });

  it('records the task the first try started when another revision was registered before the retry', async () => {
    const h = harness(fresh());
    await expect(h.controller.handle(sample('ecr-push'))).rejects.toThrow(TransientAwsError);
    model.register({ family: 'shop-api', containerDefinitions: [{ name: 'app', image: 'ci/other:1' }] });

    // Lambda retries the event on a cold function.
    const retried = harness(fresh());
    const steps = await retried.controller.handle(sample('ecr-push'));

    const id = steps[0]?.decision.deploymentId as string;
    expect(steps.map((s) => `${s.input}:${s.decision.decision}`)).toEqual(['ecr-image-action:launch', 'launch-result:record']);
    expect(model.runs).toHaveLength(2);
    expect(JSON.stringify(model.runs[1])).toBe(JSON.stringify(model.runs[0]));
    expect((await h.store.loadDeployments([id]))[id]).toMatchObject({ status: 'running', taskDefinitionArn: TD(43) });
  });

  it('does not end the deployment as failed when RunTask refuses our clientToken (ConflictException)', async () => {
    const h = harness(fresh());
    await expect(h.controller.handle(sample('ecr-push'))).rejects.toThrow(TransientAwsError);
    // The retry's RunTask differs from the first: the service moved to another subnet meanwhile.
    network.subnets = ['subnet-0ffffffffffffffff'];

    const retried = harness(fresh());
    const steps = await retried.controller.handle(sample('ecr-push'));

    const id = steps[0]?.decision.deploymentId as string;
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(2);
    expect(steps.map((s) => `${s.input}:${s.decision.decision}`)).toEqual(['ecr-image-action:launch', 'launch-result:record']);
    expect((await h.store.loadDeployments([id]))[id]).toMatchObject({ status: 'launching' });
    expect((await h.store.loadEnvironment('staging')).active?.deploymentId).toBe(id);
    expect(retried.events.map((e) => e.detailType)).toEqual([]);
    // It is timed out at TIMEOUT_MINUTES unless its task is recorded.
    expect(retried.schedules).toEqual([{ deploymentId: id, at: '2026-11-25T10:15:00.000Z' }]);
    network.subnets = ['subnet-0a1b2c3d4e5f60718'];
  });
});
