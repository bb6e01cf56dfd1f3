import { CreateServiceCommand, DescribeTasksCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsEcs } from '../../src/adapters/aws/ecs.js';
import { serviceDeploymentReads } from '../../src/adapters/aws/ecs-deployments.js';
import { DynamoDbStore } from '../../src/adapters/aws/store.js';
import type { InvocationResult } from '../../src/shell/lambda.js';
import { type EmulatedEvent, emitDeploymentState, type PausedDeployment, pauseDeployment, timeOutHook } from '../support/pause-hooks.js';
import {
  ACCOUNT,
  CLUSTER,
  CONTAINER,
  createStack,
  DEPLOYMENTS_TABLE,
  type Delivered,
  drainEvents,
  ENVIRONMENT,
  endpoint,
  FAMILY,
  handlerEnv,
  LOG_GROUP,
  LOG_PREFIX,
  lambdaContext,
  REGION,
  REPOSITORY,
  resetMoto,
  type Stack,
  type TestClients,
  taskArns,
  taskStoppedEvent,
  testClients,
} from './environment.js';

/**
 * pause-hook mode end to end: the real launcher and watcher handlers, in process, against moto with the pause-hook
 * extension (test/support/moto_pause_hooks.py). The owner's deployment pauses; its hook event reaches the launcher,
 * which runs the target revision's task definition as it is; the task's exit answers the hook.
 */

type Handler = (event: unknown, context: Context) => Promise<InvocationResult>;

const WEB = 'shop-web';
const WORKER = 'shop-worker';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const NEW_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${REPOSITORY}@${DIGEST}`;
const PAUSE_HOOK = {
  targetType: 'PAUSE' as const,
  lifecycleStages: ['PRE_SCALE_UP' as const],
  timeoutConfiguration: { timeoutInMinutes: 30, action: 'ROLLBACK' as const },
};

describe('pause-hook mode: launcher and watcher on AWS (moto)', () => {
  let c: TestClients;
  let stack: Stack;
  let launch: Handler;
  let watch: Handler;
  let ecs: AwsEcs;
  /** The revision the owner deploys: the new image of REPOSITORY, otherwise the service's definition. */
  let target: string;
  const store = () => new DynamoDbStore(c.dynamodb, { table: DEPLOYMENTS_TABLE, environment: ENVIRONMENT });
  const saved = { ...process.env };

  beforeAll(async () => {
    // The handlers read their configuration once, at import (cold start), as on Lambda.
    const { SERVICE: _one, ...env } = handlerEnv({ ROLLOUT_MODE: 'pause-hook', SERVICES: `${WEB},${WORKER}` });
    delete process.env.SERVICE;
    Object.assign(process.env, env);
    launch = (await import('../../handlers/launch.js')).handler;
    watch = (await import('../../handlers/watch.js')).handler;
    c = testClients();
    ecs = new AwsEcs(c.ecs, { cluster: CLUSTER, service: WEB, container: CONTAINER, serviceDeployments: serviceDeploymentReads(c.ecs) });
  });

  afterAll(() => {
    // SERVICES with a SERVICE another file sets would be refused: leave the environment as it was.
    delete process.env.SERVICES;
    delete process.env.ROLLOUT_MODE;
    Object.assign(process.env, saved);
  });

  beforeEach(async () => {
    await resetMoto();
    stack = await createStack(c);
    const registered = await c.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: FAMILY,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          {
            name: CONTAINER,
            image: NEW_IMAGE,
            essential: true,
            memory: 512,
            command: ['bin/server'],
            logConfiguration: {
              logDriver: 'awslogs',
              options: { 'awslogs-group': LOG_GROUP, 'awslogs-region': REGION, 'awslogs-stream-prefix': LOG_PREFIX },
            },
          },
        ],
      }),
    );
    target = registered.taskDefinition?.taskDefinitionArn ?? '';
    for (const name of [WEB, WORKER]) {
      await c.ecs.send(
        new CreateServiceCommand({
          cluster: CLUSTER,
          serviceName: name,
          taskDefinition: stack.baseTaskDefinitionArn,
          desiredCount: 1,
          launchType: 'FARGATE',
          platformVersion: '1.4.0',
          networkConfiguration: { awsvpcConfiguration: { subnets: stack.subnets, securityGroups: [stack.securityGroup] } },
          deploymentConfiguration: { lifecycleHooks: [PAUSE_HOOK] },
        }),
      );
    }
  });

  const pause = (service: string) =>
    pauseDeployment(endpoint(), { cluster: CLUSTER, service, taskDefinition: target, digests: { [CONTAINER]: DIGEST }, region: REGION });

  /** The emulated event as EventBridge delivers it to the launcher (with an id). */
  const delivered = (event: EmulatedEvent | undefined, id: string) => {
    if (event === undefined) throw new Error('the extension put no event');
    return { ...event, id };
  };

  const hookEvent = (paused: PausedDeployment, id: string) => delivered(paused.event, id);

  async function onlyTask(): Promise<{ taskArn: string; taskDefinitionArn: string; startedBy: string }> {
    const arns = await taskArns(c);
    expect(arns).toHaveLength(1);
    const { tasks } = await c.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }));
    const task = tasks?.[0];
    return { taskArn: task?.taskArn ?? '', taskDefinitionArn: task?.taskDefinitionArn ?? '', startedBy: task?.startedBy ?? '' };
  }

  const hookStatus = async (paused: PausedDeployment) =>
    (await ecs.describeServiceDeployment(paused.serviceDeploymentArn))?.hooks.find((h) => h.hookId === paused.hookId)?.status;

  const named = (events: Delivered[], detailType: string) => events.filter((e) => e['detail-type'] === detailType);

  it('hook event → one task of the target revision as it is → exit 0 → CONTINUE (the hook SUCCEEDED)', async () => {
    // Prepare
    const paused = await pause(WEB);

    // Act
    const launched = await launch(hookEvent(paused, 'hook-1'), lambdaContext('launch'));

    // Assess: one task, of the owner's revision itself (no revision registered), the migration command on CONTAINER.
    expect(launched.decisions.map((d) => d.decision)).toContain('launch');
    const task = await onlyTask();
    expect(task.taskDefinitionArn).toBe(target);
    expect(await hookStatus(paused)).toBe('AWAITING_ACTION');

    // Act
    const watched = await watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

    // Assess
    expect(watched.decisions.map((d) => d.decision)).toContain('continue');
    expect(await hookStatus(paused)).toBe('SUCCEEDED');
    const events = await drainEvents(c, stack.queueUrl);
    expect(named(events, 'Migration Succeeded')).toHaveLength(1);
    expect(named(events, 'Rollout Continued')).toHaveLength(1);
    const deploymentId = launched.decisions.find((d) => d.decision === 'launch')?.deploymentId ?? '';
    const recorded = (await store().loadDeployments([deploymentId]))[deploymentId];
    expect(recorded).toMatchObject({ status: 'ended', outcome: 'succeeded', services: [{ service: WEB, result: 'continued' }] });
  });

  it('exit 1 → ROLLBACK: the hook FAILED and the service deployment rolls back', async () => {
    const paused = await pause(WEB);
    await launch(hookEvent(paused, 'hook-2'), lambdaContext('launch'));
    const task = await onlyTask();

    const watched = await watch(taskStoppedEvent(task, 1), lambdaContext('watch'));

    expect(watched.decisions.map((d) => d.decision)).not.toContain('continue');
    expect(await hookStatus(paused)).toBe('FAILED');
    await expect(ecs.describeServiceDeployment(paused.serviceDeploymentArn)).resolves.toMatchObject({ status: 'ROLLBACK_IN_PROGRESS' });
    const events = await drainEvents(c, stack.queueUrl);
    expect(named(events, 'Migration Failed')).toHaveLength(1);
    expect(named(events, 'Rollout Continued')).toHaveLength(0);
  });

  it('the duplicate hook event (same id, and redelivered under another id) → still one task', async () => {
    const paused = await pause(WEB);

    const first = await launch(hookEvent(paused, 'hook-3'), lambdaContext('launch'));
    const again = await launch(hookEvent(paused, 'hook-3'), lambdaContext('launch'));
    const other = await launch(hookEvent(paused, 'hook-3-redelivered'), lambdaContext('launch'));

    expect(again).toEqual(first);
    expect(other.decisions.map((d) => d.decision)).not.toContain('launch');
    expect(await taskArns(c)).toHaveLength(1);
    expect(named(await drainEvents(c, stack.queueUrl), 'Migration Started')).toHaveLength(1);
  });

  it('web and worker hooks for one digest → one task, both hooks answered CONTINUE', async () => {
    const web = await pause(WEB);
    const worker = await pause(WORKER);

    await launch(hookEvent(web, 'hook-web'), lambdaContext('launch'));
    await launch(hookEvent(worker, 'hook-worker'), lambdaContext('launch'));
    const task = await onlyTask();
    await watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

    expect(await hookStatus(web)).toBe('SUCCEEDED');
    expect(await hookStatus(worker)).toBe('SUCCEEDED');
    expect(await taskArns(c)).toHaveLength(1);
  });

  it('the hook timed out before the migration ended → recorded as moved-on, no crash', async () => {
    const paused = await pause(WEB);
    const launched = await launch(hookEvent(paused, 'hook-4'), lambdaContext('launch'));
    const deploymentId = launched.decisions.find((d) => d.decision === 'launch')?.deploymentId ?? '';
    const task = await onlyTask();

    // ECS times the hook out (ROLLBACK); its event reaches the launcher too.
    const timedOut = await timeOutHook(endpoint(), { serviceDeploymentArn: paused.serviceDeploymentArn, region: REGION });
    await launch(delivered(timedOut.event, 'hook-4-timed-out'), lambdaContext('launch'));
    const watched = await watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

    expect(watched.decisions.map((d) => d.decision)).toContain('continue');
    expect(await hookStatus(paused)).toBe('TIMED_OUT');
    const recorded = (await store().loadDeployments([deploymentId]))[deploymentId];
    expect(recorded).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      rollout: 'moved-on',
      services: [{ service: WEB, result: 'moved-on', reason: expect.stringContaining('TIMED_OUT') }],
    });
  });

  it('ECS Deployment State Change: COMPLETED of the continued rollout → Rollout Completed; a circuit-breaker rollback → Rollout Failed', async () => {
    // Prepare: web's and worker's deployments, each continued by its own migration (two digests).
    const web = await pause(WEB);
    await launch(hookEvent(web, 'hook-5'), lambdaContext('launch'));
    await watch(taskStoppedEvent(await onlyTask(), 0), lambdaContext('watch'));
    await drainEvents(c, stack.queueUrl);

    // Act: ECS says the continued rollout completed.
    const completed = await emitDeploymentState(endpoint(), {
      serviceDeploymentArn: web.serviceDeploymentArn,
      eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
      region: REGION,
    });
    const onCompleted = await watch(delivered(completed.event, 'state-1'), lambdaContext('watch'));

    // Assess
    expect(onCompleted.decisions.map((d) => d.decision)).toEqual(['record']);
    const afterCompleted = await drainEvents(c, stack.queueUrl);
    expect(named(afterCompleted, 'Rollout Completed')).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ service: WEB }) }),
    ]);

    // Act: the circuit breaker rolls the same service's next continued deployment back.
    await resetMoto();
    stack = await createStack(c);
    await c.ecs.send(
      new CreateServiceCommand({
        cluster: CLUSTER,
        serviceName: WEB,
        taskDefinition: stack.baseTaskDefinitionArn,
        desiredCount: 1,
        launchType: 'FARGATE',
        platformVersion: '1.4.0',
        networkConfiguration: { awsvpcConfiguration: { subnets: stack.subnets, securityGroups: [stack.securityGroup] } },
        deploymentConfiguration: { lifecycleHooks: [PAUSE_HOOK] },
      }),
    );
    const again = await pauseDeployment(endpoint(), {
      cluster: CLUSTER,
      service: WEB,
      digests: { [CONTAINER]: `sha256:${'b'.repeat(64)}` },
      region: REGION,
    });
    await launch(hookEvent(again, 'hook-6'), lambdaContext('launch'));
    await watch(taskStoppedEvent(await onlyTask(), 0), lambdaContext('watch'));
    await drainEvents(c, stack.queueUrl);
    const rolling = await emitDeploymentState(endpoint(), {
      serviceDeploymentArn: again.serviceDeploymentArn,
      eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
      reason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/0000000000000000001.',
      region: REGION,
    });
    const onRolling = await watch(delivered(rolling.event, 'state-2'), lambdaContext('watch'));

    // Assess
    expect(onRolling.decisions.map((d) => d.decision)).toEqual(['record']);
    expect(named(await drainEvents(c, stack.queueUrl), 'Rollout Failed')).toHaveLength(1);
  });
});
