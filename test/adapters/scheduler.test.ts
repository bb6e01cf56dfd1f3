import 'aws-sdk-client-mock-vitest/extend';
import { ConflictException, CreateScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { atExpression, EventBridgeScheduler } from '../../src/adapters/aws/scheduler.js';
import { parseInput } from '../../src/core/parse.js';
import { SAMPLE_DEPLOYMENT } from '../support/fixtures.js';

const WATCHER = 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-watch';
const ROLE = 'arn:aws:iam::123456789012:role/ecs-migrate-staging-scheduler';
const ID = SAMPLE_DEPLOYMENT;
/** The adapter's clock in these tests: before every time they ask for, so each is scheduled as asked. */
const NOW = new Date('2026-11-25T09:00:00Z');

describe('EventBridgeScheduler', () => {
  const client = new SchedulerClient({ region: 'eu-west-1' });
  const scheduler = mockClient(client);
  const adapter = new EventBridgeScheduler(client, { group: 'ecs-migrate-staging', targetArn: WATCHER, roleArn: ROLE }, () => NOW);

  beforeEach(() => scheduler.reset());

  it("names a schedule per attempt and purpose, so a retry and each attempt's timeout never hide one another", async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/x/y' });

    // Act
    await adapter.scheduleTimeout(ID, 'staging', '2026-11-25T09:19:00Z', { attempt: 2, purpose: 'retry' });
    await adapter.scheduleTimeout(ID, 'staging', '2026-11-25T10:19:00Z', { attempt: 2, purpose: 'timeout' });
    await adapter.scheduleTimeout(ID, 'staging', '2026-11-25T10:15:00Z', { attempt: 1, purpose: 'timeout' });

    // Assess
    const calls = scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Name)).toEqual([`ecs-migrate-${ID}-retry-2`, `ecs-migrate-${ID}-timeout-2`, `ecs-migrate-${ID}`]);
    expect(calls.every((c) => (c.Name ?? '').length <= 64)).toBe(true);
    const retry: unknown = JSON.parse(calls[0]?.Target?.Input ?? '{}');
    expect(retry).toMatchObject({
      id: `retry-${ID}-2`,
      detail: { environment: 'staging', deploymentId: ID, attempt: 2, purpose: 'retry' },
    });
    expect(parseInput(retry, { requestSource: 'ecs-migrate', registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' })).toMatchObject({
      kind: 'timeout-check',
      deploymentId: ID,
      attempt: 2,
      purpose: 'retry',
    });
    expect(calls[0]?.Description).toBe(`ecs-migrate: launch attempt 2 of deployment ${ID} in staging`);

    // A timeout check brought forward: one schedule per time, so a second paused deployment expiring earlier still
    // gets its own (a name already taken is kept as it is).
    await adapter.scheduleTimeout(ID, 'staging', '2026-11-25T09:33:00.000Z', { attempt: 12, purpose: 'deadline' });
    await adapter.scheduleTimeout(ID, 'staging', '2026-11-25T09:27:00.000Z', { attempt: 12, purpose: 'deadline' });
    const deadlines = scheduler
      .commandCalls(CreateScheduleCommand)
      .slice(3)
      .map((c) => c.args[0].input);
    expect(deadlines.map((c) => c.Name)).toEqual([
      `ecs-migrate-${ID}-deadline-12-202611250933`,
      `ecs-migrate-${ID}-deadline-12-202611250927`,
    ]);
    expect(deadlines.every((c) => (c.Name ?? '').length <= 64)).toBe(true);
    expect(JSON.parse(deadlines[0]?.Target?.Input ?? '{}')).toMatchObject({ detail: { attempt: 12, purpose: 'deadline' } });

    // A rollout-watch check: one per time too, so a rollout followed after the end gets its own while another waits.
    await adapter.scheduleTimeout(ID, 'staging', '2026-11-25T10:30:00.000Z', { attempt: 1, purpose: 'rollout-watch' });
    const watch = scheduler.commandCalls(CreateScheduleCommand).at(-1)?.args[0].input;
    expect(watch?.Name).toBe(`ecs-migrate-${ID}-watch-1-202611251030`);
    expect((watch?.Name ?? '').length).toBeLessThanOrEqual(64);
  });

  it('creates a one-shot schedule named from the deployment, invoking the watcher with a timeout-check event', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/x/y' });

    // Act
    await adapter.scheduleTimeout(ID, 'staging', '2026-11-25T10:15:24.250Z');

    // Assess
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: `ecs-migrate-${ID}`,
      GroupName: 'ecs-migrate-staging',
      ScheduleExpression: 'at(2026-11-25T10:16:25)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
    });
    const target = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input.Target;
    expect(target?.Arn).toBe(WATCHER);
    expect(target?.RoleArn).toBe(ROLE);
    expect(target?.DeadLetterConfig).toBeUndefined();
    const delivered: unknown = JSON.parse(target?.Input ?? '{}');
    expect(delivered).toMatchObject({
      source: 'ecs-migrate.scheduler',
      'detail-type': 'Migration Timeout Check',
      account: '123456789012',
      region: 'eu-west-1',
      detail: { environment: 'staging', deploymentId: ID },
    });
    // The watcher reads it like any other event.
    expect(parseInput(delivered, { requestSource: 'ecs-migrate', registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' })).toMatchObject(
      {
        kind: 'timeout-check',
        deploymentId: ID,
        environment: 'staging',
      },
    );
  });

  it('schedules a check asked for a time already past at now plus the margin, and a future one as asked', async () => {
    // Prepare: a resumed launch reaches `launchStartedAt + TIMEOUT` late; Scheduler's handling of a past `at()` is
    // undocumented (refused, or never fired).
    const now = new Date('2026-11-25T10:00:00.400Z');
    const clocked = new EventBridgeScheduler(client, { group: 'ecs-migrate-staging', targetArn: WATCHER, roleArn: ROLE }, () => now);
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/x/y' });

    // Act
    await clocked.scheduleTimeout(ID, 'staging', '2026-11-25T09:45:00.000Z', { attempt: 2, purpose: 'timeout' });
    await clocked.scheduleTimeout(ID, 'staging', '2026-11-25T10:15:24.250Z');

    // Assess: the past one fires a minute from now; the future one as before. Name and event keep the time asked
    // for, so a retried invocation still finds its schedule by name.
    const [past, future] = scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
    expect(past?.ScheduleExpression).toBe('at(2026-11-25T10:01:01)');
    expect(past?.Name).toBe(`ecs-migrate-${ID}-timeout-2`);
    expect(JSON.parse(past?.Target?.Input ?? '{}')).toMatchObject({ time: '2026-11-25T09:45:00.000Z' });
    expect(future?.ScheduleExpression).toBe('at(2026-11-25T10:16:25)');
  });

  it('gives the schedule a dead-letter queue when one is configured (SCHEDULER_DLQ_ARN)', async () => {
    // Prepare
    const queue = 'arn:aws:sqs:eu-west-1:123456789012:ecs-migrate-staging-failed';
    const withQueue = new EventBridgeScheduler(client, {
      group: 'ecs-migrate-staging',
      targetArn: WATCHER,
      roleArn: ROLE,
      deadLetterArn: queue,
    });
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/x/y' });

    // Act
    await withQueue.scheduleTimeout(ID, 'staging', '2026-11-25T10:15:24.250Z');

    // Assess
    const target = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input.Target;
    expect(target?.DeadLetterConfig).toEqual({ Arn: queue });
  });

  it('treats an existing schedule of the same name as scheduled (a retried invocation)', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(
      new ConflictException({
        $metadata: { httpStatusCode: 409 },
        message: 'Schedule already exists',
        Message: 'Schedule already exists',
      }),
    );

    // Act
    const result = adapter.scheduleTimeout(ID, 'staging', '2026-11-25T10:15:24Z');

    // Assess
    await expect(result).resolves.toBeUndefined();
    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 1);
  });

  it('says which group to create when the schedule group is missing', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(
      new ResourceNotFoundException({
        $metadata: { httpStatusCode: 404 },
        message: 'Schedule group not found',
        Message: 'Schedule group not found',
      }),
    );

    // Act
    const result = adapter.scheduleTimeout(ID, 'staging', '2026-11-25T10:15:24Z');

    // Assess
    await expect(result).rejects.toThrow(/schedule group "ecs-migrate-staging" \(SCHEDULER_GROUP\) exists/);
  });
});

describe('atExpression', () => {
  it('never fires before the due time: rounds up to the second, plus the margin', () => {
    expect(atExpression('2026-11-25T10:15:24.000Z', 0)).toBe('at(2026-11-25T10:15:24)');
    expect(atExpression('2026-11-25T10:15:24.001Z', 0)).toBe('at(2026-11-25T10:15:25)');
    expect(atExpression('2026-11-25T23:59:30Z')).toBe('at(2026-11-26T00:00:30)');
  });

  it('never fires before now: a time already past is taken as now, plus the margin', () => {
    const now = new Date('2026-11-25T10:00:00.000Z');
    expect(atExpression('2026-11-25T09:00:00Z', 60_000, now)).toBe('at(2026-11-25T10:01:00)');
    expect(atExpression('2026-11-25T10:05:00Z', 60_000, now)).toBe('at(2026-11-25T10:06:00)');
  });
});
