import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, type Task, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as LaunchModule from '../../handlers/launch.js';
import { DynamoDbHistoryStore } from '../../src/adapters/aws/history-store.js';
import { deploymentIdFromStartedBy, statusOf } from '../../src/core/deployment.js';
import type * as LambdaModule from '../../src/shell/lambda.js';
import { cancelRequest } from '../support/fixtures.js';
import { taskExited } from '../support/moto-control.js';
import {
  CLUSTER,
  CONTAINER,
  DEPLOYMENTS_TABLE,
  deploymentsStore,
  drainEvents,
  ENVIRONMENT,
  endpoint,
  freshStack,
  type Handler,
  handlerEnv,
  IDEMPOTENCY_TABLE,
  imageOf,
  lambdaContext,
  named,
  pushEvent,
  SCHEDULER_DLQ_ARN,
  SCHEDULER_GROUP,
  SERVICE,
  type Stack,
  sendOneAtATime,
  serviceTaskDefinition,
  type TestClients,
  taskArns,
  taskStoppedEvent,
  testClients,
  writeTaskLog,
} from './environment.js';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

describe('launcher and watcher on AWS (moto)', () => {
  let c: TestClients;
  let stack: Stack;
  let launch: Handler;
  let watch: Handler;
  let createLaunchHandler: typeof LaunchModule.createLaunchHandler;
  let createClients: typeof LambdaModule.createClients;
  let createLambdaRuntime: typeof LambdaModule.createLambdaRuntime;
  const store = () => deploymentsStore(c);
  /** The CLI's store, for the history the Lambda functions never list. */
  const historyStore = () => new DynamoDbHistoryStore(c.dynamodb, { table: DEPLOYMENTS_TABLE, environment: ENVIRONMENT });

  beforeAll(async () => {
    // The handlers read their configuration once, at import (cold start), as on Lambda.
    Object.assign(process.env, handlerEnv());
    const launchModule = await import('../../handlers/launch.js');
    launch = launchModule.handler;
    createLaunchHandler = launchModule.createLaunchHandler;
    ({ createClients, createLambdaRuntime } = await import('../../src/shell/lambda.js'));
    watch = (await import('../../handlers/watch.js')).handler;
    c = testClients();
  });

  beforeEach(async () => {
    stack = await freshStack(c);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** The one task of the cluster, described with its tags; `ref` for its task events, and its deployment. */
  async function onlyTask(): Promise<{
    task: Task;
    ref: { taskArn: string; taskDefinitionArn: string; startedBy: string };
    deploymentId: string;
  }> {
    const arns = await taskArns(c);
    expect(arns).toHaveLength(1);
    const { tasks } = await c.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns, include: ['TAGS'] }));
    const task = tasks?.[0];
    if (task === undefined) throw new Error('the task is not described');
    const ref = { taskArn: task.taskArn ?? '', taskDefinitionArn: task.taskDefinitionArn ?? '', startedBy: task.startedBy ?? '' };
    return { task, ref, deploymentId: deploymentIdFromStartedBy(task.startedBy) ?? '' };
  }

  /**
   * The very event the deployment's one-shot schedule delivers (moto's Scheduler never fires), with the clock moved
   * past TIMEOUT_MINUTES; the events so far are drained.
   */
  async function dueTimeoutCheck(deploymentId: string): Promise<unknown> {
    const schedule = await c.scheduler.send(new GetScheduleCommand({ Name: `ecs-migrate-${deploymentId}`, GroupName: SCHEDULER_GROUP }));
    const check: unknown = JSON.parse(schedule.Target?.Input ?? '{}');
    await drainEvents(c, stack.queueUrl);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 61 * 60_000);
    return check;
  }

  it("starts one task for a push: the command override on the migration container, the service's network, startedBy, tags", async () => {
    // Prepare
    const event = pushEvent({ id: 'a1b2c3d4-0000-4000-8000-000000000001', digest: digest(1), tag: 'v1.4.0' });

    // Act
    const result = await launch(event, lambdaContext('launch'));

    // Assess
    expect(result.decisions.map((d) => d.decision)).toEqual(['launch', 'record']);
    const deploymentId = result.decisions[0]?.deploymentId ?? '';
    const { task } = await onlyTask();
    expect(task.overrides?.containerOverrides).toEqual([{ name: CONTAINER, command: ['db-migrate', '--verbose'] }]);
    expect(task.startedBy).toBe(`ecs-migrate/${deploymentId}`);
    expect(task.tags).toEqual(
      expect.arrayContaining([
        { key: 'ecs-migrate:environment', value: ENVIRONMENT },
        { key: 'ecs-migrate:deployment', value: deploymentId },
        { key: 'ecs-migrate:trigger', value: 'ecr-push' },
      ]),
    );
    const eni = task.attachments?.find((a) => a.type === 'ElasticNetworkInterface');
    const subnet = eni?.details?.find((d) => d.name === 'subnetId')?.value;
    expect(stack.subnets).toContain(subnet);

    // The new revision differs from the service's only in the container image.
    expect(task.taskDefinitionArn).not.toBe(stack.baseTaskDefinitionArn);
    const { taskDefinition } = await c.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn, include: ['TAGS'] }),
    );
    expect(taskDefinition?.containerDefinitions?.[0]?.image).toBe(imageOf(digest(1)));
    expect(taskDefinition?.containerDefinitions?.[0]?.command).toEqual(['bin/server']);

    // Recorded, locked, timeout scheduled, announced; the service is untouched until the migration succeeds.
    const env = await store().loadEnvironment(ENVIRONMENT);
    expect(env.active?.deploymentId).toBe(deploymentId);
    const deployment = (await store().loadDeployments([deploymentId]))[deploymentId];
    expect(deployment).toMatchObject({ status: 'running', taskArn: task.taskArn, work: { image: imageOf(digest(1)) } });
    const schedule = await c.scheduler.send(new GetScheduleCommand({ Name: `ecs-migrate-${deploymentId}`, GroupName: SCHEDULER_GROUP }));
    expect(schedule.ScheduleExpression).toMatch(/^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/);
    expect(schedule.Target?.DeadLetterConfig?.Arn).toBe(SCHEDULER_DLQ_ARN);
    // One-shot: the schedule deletes itself after it runs, so success needs no DeleteSchedule to clean up.
    expect(schedule.ActionAfterCompletion).toBe('DELETE');
    expect(await serviceTaskDefinition(c)).toBe(stack.baseTaskDefinitionArn);
    const events = await drainEvents(c, stack.queueUrl);
    expect(named(events, 'Migration Started')).toHaveLength(1);
    expect(named(events, 'Migration Started')[0]?.detail).toMatchObject({ deploymentId, taskArn: task.taskArn, environment: ENVIRONMENT });
  });

  it('starts one task when the same event is delivered twice', async () => {
    // Prepare
    const event = pushEvent({ id: 'a1b2c3d4-0000-4000-8000-000000000002', digest: digest(2), tag: 'v1.5.0' });

    // Act
    const first = await launch(event, lambdaContext('launch'));
    const second = await launch(structuredClone(event), lambdaContext('launch'));

    // Assess
    expect(await taskArns(c)).toHaveLength(1);
    expect(second).toEqual(first);
    expect(named(await drainEvents(c, stack.queueUrl), 'Migration Started')).toHaveLength(1);
    // One Powertools record for the event, kept 48 h: longer than ECS honours the clientToken and EventBridge retries.
    const records = (await c.dynamodb.send(new ScanCommand({ TableName: IDEMPOTENCY_TABLE }))).Items ?? [];
    expect(records.map((r) => r.status?.S)).toEqual(['COMPLETED']);
    const expiresIn = Number(records[0]?.expiration?.N) - Date.now() / 1000;
    expect(expiresIn).toBeGreaterThan(48 * 3600 - 300);
    expect(expiresIn).toBeLessThan(48 * 3600 + 5);
  });

  it('continues the rollout on exit 0: the service moves to the new revision and Rollout Continued is published; a replay then runs again', async () => {
    // Prepare
    const event = pushEvent({ id: 'a1b2c3d4-0000-4000-8000-000000000003', digest: digest(3), tag: 'v1.6.0' });
    await launch(event, lambdaContext('launch'));
    const { ref: taskRef, deploymentId } = await onlyTask();
    await writeTaskLog(c, taskRef.taskArn, ['applying 0042_add_orders.sql', 'done: 1 migration applied']);
    await drainEvents(c, stack.queueUrl);

    // Act: EventBridge delivers the task event twice (the watcher keeps no idempotency records).
    const result = await watch(taskStoppedEvent(taskRef, 0), lambdaContext('watch'));
    const duplicate = await watch(taskStoppedEvent(taskRef, 0), lambdaContext('watch'));

    // Assess
    // The rollout's result (the service deployment UpdateService started) is recorded after the verdict.
    expect(result.decisions.map((d) => d.decision)).toEqual(['continue', 'record']);
    expect(duplicate.decisions).toEqual([
      expect.objectContaining({ decision: 'ignore', reason: expect.stringContaining('has already ended (succeeded)') }),
    ]);
    expect(await serviceTaskDefinition(c)).toBe(taskRef.taskDefinitionArn);
    const events = await drainEvents(c, stack.queueUrl);
    expect(named(events, 'Migration Succeeded')).toHaveLength(1);
    const continued = named(events, 'Rollout Continued');
    expect(continued).toHaveLength(1);
    expect(continued[0]?.detail).toMatchObject({
      deploymentId,
      exitCode: 0,
      rollout: 'continued',
      taskDefinitionArn: taskRef.taskDefinitionArn,
    });
    // A success needs no evidence: the log tail is read only for a failure.
    expect(continued[0]?.detail.logTail).toBeUndefined();
    expect((await store().loadEnvironment(ENVIRONMENT)).active).toBeUndefined();

    // Act: an EventBridge archive replay of the same push is a deliberate rerun.
    const replay = await launch({ ...event, 'replay-name': 'rerun-v1-6-0' }, lambdaContext('launch'));

    // Assess
    expect(replay.decisions[0]?.decision).toBe('launch');
    const arns = await taskArns(c);
    expect(arns).toHaveLength(2);
    const { tasks } = await c.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }));
    const startedBy = new Set(tasks?.map((t) => t.startedBy));
    expect(startedBy.size).toBe(2);
    expect(startedBy).toContain(`ecs-migrate/${replay.decisions[0]?.deploymentId}`);
  });

  it('halts on exit 1: the service stays on its revision and Migration Failed carries the exit code and the log lines', async () => {
    // Prepare
    await launch(pushEvent({ id: 'a1b2c3d4-0000-4000-8000-000000000004', digest: digest(4), tag: 'v1.7.0' }), lambdaContext('launch'));
    const { ref: taskRef } = await onlyTask();
    const lines = ['applying 0043_drop_legacy.sql', 'ERROR: column "legacy_id" is referenced by view "report"', 'migration failed'];
    await writeTaskLog(c, taskRef.taskArn, lines);
    await drainEvents(c, stack.queueUrl);

    // Act
    const result = await watch(taskStoppedEvent(taskRef, 1), lambdaContext('watch'));

    // Assess
    expect(result.decisions.map((d) => d.decision)).toEqual(['halt']);
    expect(await serviceTaskDefinition(c)).toBe(stack.baseTaskDefinitionArn);
    const events = await drainEvents(c, stack.queueUrl);
    const failed = named(events, 'Migration Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.detail).toMatchObject({ exitCode: 1, stopCode: 'EssentialContainerExited', rollout: 'halted', logTail: lines });
    expect(named(events, 'Rollout Halted')).toHaveLength(1);
    expect(named(events, 'Rollout Continued')).toHaveLength(0);
  });

  /**
   * The task event ECS sends when the migration container (non-essential; an essential `web` container depends on it
   * with condition SUCCESS) exits while `web` keeps the task RUNNING: no stop code, no stoppedAt.
   */
  function migrationExitedEvent(taskRef: { taskArn: string; taskDefinitionArn: string; startedBy: string }, exitCode: number) {
    const stopped = taskStoppedEvent(taskRef, exitCode);
    const { stopCode: _c, stoppedReason: _r, stoppingAt: _s, stoppedAt: _a, ...detail } = stopped.detail as Record<string, unknown>;
    return {
      ...stopped,
      id: `migration-exited-${taskRef.taskArn.split('/').pop()}`,
      detail: {
        ...detail,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        version: 4,
        containers: [
          { name: CONTAINER, lastStatus: 'STOPPED', exitCode, taskArn: taskRef.taskArn },
          { name: 'web', lastStatus: 'RUNNING', taskArn: taskRef.taskArn },
        ],
      },
    };
  }

  it.each([
    [0, 'Rollout Continued'],
    [1, 'Rollout Halted'],
  ])(
    'judges exit %s as soon as the migration container exits while another container keeps the task RUNNING, and stops the task',
    async (exitCode, outcome) => {
      // Prepare
      await launch(
        pushEvent({ id: `a1b2c3d4-0000-4000-8000-00000000005${exitCode}`, digest: digest(50 + exitCode), tag: `v1.8.${exitCode}` }),
        lambdaContext('launch'),
      );
      const { ref: taskRef } = await onlyTask();
      const lines = [
        'applying 0044_add_index.sql',
        exitCode === 0 ? 'done: 1 migration applied' : 'ERROR: relation "orders" does not exist',
      ];
      await writeTaskLog(c, taskRef.taskArn, lines);
      await drainEvents(c, stack.queueUrl);

      // Act
      const result = await watch(migrationExitedEvent(taskRef, exitCode), lambdaContext('watch'));

      // Assess
      expect(result.decisions[0]?.decision).toBe(exitCode === 0 ? 'continue' : 'halt');
      expect(await serviceTaskDefinition(c)).toBe(exitCode === 0 ? taskRef.taskDefinitionArn : stack.baseTaskDefinitionArn);
      const { tasks } = await c.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [taskRef.taskArn] }));
      expect(tasks?.[0]).toMatchObject({
        desiredStatus: 'STOPPED',
        stoppedReason: 'ecs-migrate: the migration container exited; the rest of the task is not needed',
      });
      const events = await drainEvents(c, stack.queueUrl);
      expect(named(events, outcome)).toHaveLength(1);
      const ended = named(events, exitCode === 0 ? 'Migration Succeeded' : 'Migration Failed')[0]?.detail;
      expect(ended).toMatchObject({ exitCode });
      expect(ended?.stopCode).toBeUndefined();
      // The evidence of a failure is read as for a stopped task; a success needs none.
      expect(ended?.logTail).toEqual(exitCode === 0 ? undefined : lines);
      expect((await store().loadEnvironment(ENVIRONMENT)).active).toBeUndefined();

      // Act: the STOPPED event our StopTask causes.
      const later = await watch(
        withStopped(taskStoppedEvent(taskRef, exitCode), 'ecs-migrate: the migration container exited; the rest of the task is not needed'),
        lambdaContext('watch'),
      );

      // Assess: the deployment has ended; nothing more happens.
      expect(later.decisions).toEqual([
        expect.objectContaining({ decision: 'ignore', reason: expect.stringContaining('has already ended') }),
      ]);
      expect(await drainEvents(c, stack.queueUrl)).toEqual([]);
    },
  );

  it('starts one task for ten concurrent pushes to one environment; the others queue or are superseded', async () => {
    // Prepare
    const events = Array.from({ length: 10 }, (_, i) =>
      pushEvent({ id: `a1b2c3d4-0000-4000-8000-00000000010${i}`, digest: digest(100 + i), tag: `v2.0.${i}` }),
    );
    // moto workaround: moto's DynamoDB has no isolation between concurrent requests. Measured here: a 500
    // (RuntimeError: dictionary changed size during iteration) and, worse, a committed deployment item lost
    // while another transaction failed at the same moment. DynamoDB serializes transactions; this client does
    // the same for moto by sending one DynamoDB request at a time. The ten invocations still interleave
    // between requests: each reads, decides and commits against the others' writes.
    const clients = createClients();
    sendOneAtATime(clients.dynamodb);
    const concurrentLaunch = createLaunchHandler(createLambdaRuntime(process.env, clients));

    // Act: all at once; an invocation that keeps losing races fails and is retried, as Lambda retries it.
    const outcomes = await Promise.allSettled(events.map((e) => concurrentLaunch(e, lambdaContext('launch'))));
    const retried = await Promise.allSettled(
      outcomes.map((o, i) => (o.status === 'rejected' ? concurrentLaunch(events[i], lambdaContext('launch')) : Promise.resolve(o.value))),
    );

    // Assess
    // Only lost races may fail the first round (ten writers on one record); never an error of the emulator or the code.
    const firstRoundErrors = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as Error).name] : []));
    expect(firstRoundErrors.every((name) => name === 'TooManyConflictsError')).toBe(true);
    expect(retried.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(await taskArns(c)).toHaveLength(1);
    const env = await store().loadEnvironment(ENVIRONMENT);
    const history = await historyStore().listDeployments(ENVIRONMENT, 20);
    expect(history).toHaveLength(10);
    const byStatus = (status: string) => history.filter((d) => statusOf(d) === status).map((d) => d.id);
    expect(byStatus('running')).toEqual([env.active?.deploymentId]);
    expect(byStatus('queued')).toEqual([env.queued]);
    expect(byStatus('superseded')).toHaveLength(8);
  });

  it('stops the task and halts when the timeout check comes past TIMEOUT_MINUTES', async () => {
    // Prepare
    await launch(pushEvent({ id: 'a1b2c3d4-0000-4000-8000-000000000005', digest: digest(5), tag: 'v1.8.0' }), lambdaContext('launch'));
    const { task, deploymentId } = await onlyTask();
    const check = await dueTimeoutCheck(deploymentId);

    // Act
    const result = await watch(check, lambdaContext('watch'));

    // Assess
    vi.useRealTimers();
    expect(result.decisions.map((d) => d.decision)).toEqual(['halt']);
    const { tasks } = await c.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [task.taskArn ?? ''] }));
    expect(tasks?.[0]?.desiredStatus).toBe('STOPPED');
    expect(tasks?.[0]?.stoppedReason).toMatch(/timed out after 60 minutes/);
    const events = await drainEvents(c, stack.queueUrl);
    expect(named(events, 'Migration Timed Out')).toHaveLength(1);
    expect(named(events, 'Rollout Halted')).toHaveLength(1);
    expect(await serviceTaskDefinition(c)).toBe(stack.baseTaskDefinitionArn);
    expect((await store().loadDeployments([deploymentId]))[deploymentId]).toMatchObject({ status: 'ended', outcome: 'timed_out' });
  });

  it.each([
    [0, 'succeeded', 'Rollout Continued'],
    [3, 'failed', 'Rollout Halted'],
  ] as const)(
    'a timeout check that finds the task stopped with exit %i, its STOPPED event never handled, judges it instead of timing it out',
    async (exitCode, outcome, rollout) => {
      // Prepare: the task ran and exited; its ECS event never reached the watcher (the moto extension stops it).
      await launch(
        pushEvent({ id: `a1b2c3d4-0000-4000-8000-00000000006${exitCode}`, digest: digest(60 + exitCode), tag: `v1.9.${exitCode}` }),
        lambdaContext('launch'),
      );
      const { task, ref, deploymentId } = await onlyTask();
      await writeTaskLog(c, ref.taskArn, ['applying 0043_orders_index.sql', exitCode === 0 ? 'done' : 'ERROR: lock timeout']);
      await taskExited(endpoint(), { cluster: CLUSTER, taskArn: task.taskArn ?? '', exitCode });
      const check = await dueTimeoutCheck(deploymentId);

      // Act
      const result = await watch(check, lambdaContext('watch'));

      // Assess
      vi.useRealTimers();
      expect(result.decisions[0]?.reason).toContain('found STOPPED by the timeout check');
      const events = await drainEvents(c, stack.queueUrl);
      expect(named(events, 'Migration Timed Out')).toHaveLength(0);
      expect(named(events, rollout)[0]?.detail).toMatchObject({ deploymentId, exitCode });
      expect(await serviceTaskDefinition(c)).toBe(exitCode === 0 ? ref.taskDefinitionArn : stack.baseTaskDefinitionArn);
      expect((await store().loadDeployments([deploymentId]))[deploymentId]).toMatchObject({ status: 'ended', outcome, stop: { exitCode } });
      // The event that comes after all is a duplicate.
      const late = await watch(taskStoppedEvent(ref, exitCode), lambdaContext('watch'));
      expect(late.decisions.map((d) => d.decision)).toEqual(['ignore']);
    },
  );

  it("refuses a cancel once the migration exited 0 and the service runs its revision (the watcher's commit was lost); the retried event records the success", async () => {
    // Prepare: the watcher moved the service after exit 0 and died before its commit (both done here by hand).
    await launch(pushEvent({ id: 'a1b2c3d4-0000-4000-8000-000000000070', digest: digest(70), tag: 'v1.10.0' }), lambdaContext('launch'));
    const { task, ref, deploymentId } = await onlyTask();
    await taskExited(endpoint(), { cluster: CLUSTER, taskArn: task.taskArn ?? '', exitCode: 0 });
    await c.ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: ref.taskDefinitionArn }));
    await drainEvents(c, stack.queueUrl);
    const cancel = cancelRequest(new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), { id: 'c0000000-0000-4000-8000-0000000000c7' });
    // Act
    const refused = await launch(cancel, lambdaContext('launch'));
    const retried = await watch(taskStoppedEvent(ref, 0), lambdaContext('watch'));

    // Assess: the revision's deployment tag and the task's exit code, read on moto, told the launcher.
    expect(refused.decisions[0]).toMatchObject({ decision: 'reject', reason: expect.stringContaining('too late to cancel') });
    expect(retried.decisions[0]?.decision).toBe('continue');
    expect((await store().loadDeployments([deploymentId]))[deploymentId]).toMatchObject({ status: 'ended', outcome: 'succeeded' });
    const events = await drainEvents(c, stack.queueUrl);
    expect(named(events, 'Event Rejected')).toHaveLength(1);
    expect(named(events, 'Migration Cancelled')).toHaveLength(0);
  });

  it('rejects an invalid event without failing the invocation, and says so on the bus', async () => {
    // Prepare
    const event = pushEvent({ id: 'a1b2c3d4-0000-4000-8000-000000000006', digest: 'sha256:not-a-digest' });

    // Act
    const result = await launch(event, lambdaContext('launch'));

    // Assess
    expect(result.decisions.map((d) => d.decision)).toEqual(['reject']);
    expect(await taskArns(c)).toHaveLength(0);
    const rejected = named(await drainEvents(c, stack.queueUrl), 'Event Rejected');
    expect(rejected[0]?.detail).toMatchObject({ environment: ENVIRONMENT, reason: expect.stringContaining('image-digest') });
  });
});

/** A task's STOPPED event after a StopTask with `reason`. */
function withStopped(event: Record<string, unknown>, reason: string): Record<string, unknown> {
  return {
    ...event,
    detail: { ...(event.detail as Record<string, unknown>), version: 7, stopCode: 'UserInitiated', stoppedReason: reason },
  };
}
