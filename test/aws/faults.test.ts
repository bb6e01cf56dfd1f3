import { DescribeTasksCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deploymentIdFromStartedBy } from '../../src/core/deployment.js';
import * as LambdaModule from '../../src/shell/lambda.js';
import { type ClientTokenModel, modelClientToken } from '../support/client-token.js';
import { type FaultSpec, injectFaults } from '../support/faults.js';
import {
  CLUSTER,
  deploymentsStore,
  drainEvents,
  ENVIRONMENT,
  freshStack,
  type Handler,
  handlerEnv,
  lambdaContext,
  named,
  pushEvent,
  registerTaskDefinition,
  type Stack,
  serviceTaskDefinition,
  type TestClients,
  taskArns,
  taskRefs,
  taskStoppedEvent,
  testClients,
} from './environment.js';

/**
 * Fault tests of the real handlers on moto, with failures injected per SDK call (test/support/faults.ts) and
 * RunTask's clientToken modelled where moto ignores it (test/support/client-token.ts). Each test runs an
 * invocation that dies at one call, then delivers the same event again, as Lambda's async retries do.
 */

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, 'f')}`;

describe('faults injected into the AWS calls of the handlers (moto)', () => {
  let c: TestClients;
  let stack: Stack;
  let createLaunchHandler: (runtime: LambdaModule.LambdaRuntime) => Handler;
  let createWatchHandler: (runtime: LambdaModule.LambdaRuntime) => Handler;
  const store = () => deploymentsStore(c);

  beforeAll(async () => {
    Object.assign(process.env, handlerEnv());
    createLaunchHandler = (await import('../../handlers/launch.js')).createLaunchHandler;
    createWatchHandler = (await import('../../handlers/watch.js')).createWatchHandler;
    c = testClients();
  });

  beforeEach(async () => {
    stack = await freshStack(c);
  });

  /**
   * A handler on its own SDK clients, as one Lambda function has: faults on the named clients, and the clientToken
   * model on its ECS client (inside the faults, next to moto: a RunTask that reached "ECS" is remembered).
   */
  function handlers(faults: { ecs?: FaultSpec[]; eventbridge?: FaultSpec[] } = {}) {
    const clients = LambdaModule.createClients();
    const token: ClientTokenModel = modelClientToken(clients.ecs);
    const ecsFaults = injectFaults(clients.ecs, faults.ecs ?? []);
    const busFaults = injectFaults(clients.eventbridge, faults.eventbridge ?? []);
    const runtime = LambdaModule.createLambdaRuntime(process.env, clients);
    return { launch: createLaunchHandler(runtime), watch: createWatchHandler(runtime), token, ecsFaults, busFaults };
  }

  async function tasks() {
    return (await taskRefs(c)).map((t) => ({ ...t, deploymentId: deploymentIdFromStartedBy(t.startedBy) ?? '' }));
  }

  /** One push (`n`: its event id and digest) launched by a fault-free launcher: its task; the bus drained. */
  async function launched(n: number, tag: string) {
    const { launch } = handlers();
    const id = `f0000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
    await launch(pushEvent({ id, digest: digest(n), tag }), lambdaContext('launch'));
    const [task] = await tasks();
    if (task === undefined) throw new Error('no task');
    await drainEvents(c, stack.queueUrl);
    return task;
  }

  /** A running migration A and a queued B behind it; A's task, and the id of B. */
  async function runningWithQueued() {
    const { launch } = handlers();
    await launch(pushEvent({ id: 'f0000000-0000-4000-8000-00000000000a', digest: digest(10), tag: 'v3.0.0' }), lambdaContext('launch'));
    const queued = await launch(
      pushEvent({ id: 'f0000000-0000-4000-8000-00000000000b', digest: digest(11), tag: 'v3.1.0' }),
      lambdaContext('launch'),
    );
    expect(queued.decisions.map((d) => d.decision)).toEqual(['queue']);
    const [first] = await tasks();
    if (first === undefined) throw new Error('no task for the first push');
    await drainEvents(c, stack.queueUrl);
    return { first, queuedId: queued.decisions[0]?.deploymentId ?? '' };
  }

  describe('a task someone else started with our startedBy', () => {
    it('is left alone when a cancel stops the tasks of a launch whose RunTask answer was lost; ours is stopped', async () => {
      // Prepare: RunTask started our task but its answer was lost; someone allowed ecs:RunTask then starts one with
      // the deployment's startedBy and none of its tags (the role may not stop it: StopTask is scoped by that tag).
      const faulty = handlers({ ecs: [{ command: 'RunTaskCommand', nth: 1, when: 'after' }] });
      const push = pushEvent({ id: 'f0000000-0000-4000-8000-0000000000c1', digest: digest(20), tag: 'v4.0.0' });
      await expect(faulty.launch(push, lambdaContext('launch'))).rejects.toThrow();
      const [ours] = await tasks();
      if (ours === undefined) throw new Error('no task');
      const forged = await c.ecs.send(
        new RunTaskCommand({
          cluster: CLUSTER,
          taskDefinition: stack.baseTaskDefinitionArn,
          startedBy: ours.startedBy,
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: stack.subnets, securityGroups: [stack.securityGroup] } },
        }),
      );
      const cancel = {
        version: '0',
        id: 'c0000000-0000-4000-8000-0000000000c1',
        'detail-type': 'cancel-request',
        source: 'ecs-migrate',
        account: '123456789012',
        time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: process.env.AWS_REGION ?? 'us-east-1',
        resources: [],
        detail: { environment: ENVIRONMENT, requestId: 'cancel-c1', requestedBy: 'ops', reason: 'wrong image' },
      };

      // Act
      const cancelled = await handlers().launch(cancel, lambdaContext('launch'));

      // Assess
      expect(cancelled.decisions.map((d) => d.decision)).toEqual(['halt']);
      const { tasks: described } = await c.ecs.send(
        new DescribeTasksCommand({ cluster: CLUSTER, tasks: [ours.taskArn, forged.tasks?.[0]?.taskArn ?? ''] }),
      );
      expect(described?.map((t) => t.desiredStatus)).toEqual(['STOPPED', 'RUNNING']);
      expect((await store().loadDeployments([ours.deploymentId]))[ours.deploymentId]).toMatchObject({
        status: 'ended',
        outcome: 'cancelled',
      });
    });
  });

  describe('defect 8: outcome events are not lost when PutEvents fails after the commit', () => {
    // On release 0.1.0 (d4221c6) the events were plain putEvent actions after the commit, stored nowhere: the
    // retried push found its deployment running and was ignored ("duplicate delivery"), the retried task event found
    // its deployment ended and was ignored ("already ended"), so Migration Started / Rollout Halted never went out.
    // Migration Started reports RunTask's answer, so it is published before the commit (1st PutEvents); failing,
    // it is stored with the commit and published after it (2nd).
    const putEventsFailsTwice = [
      { command: 'PutEventsCommand', nth: 1, when: 'before', kind: 'server-error' },
      { command: 'PutEventsCommand', nth: 2, when: 'before', kind: 'server-error' },
    ] as const;

    it('publishes Migration Started, as stored with the commit, when the launch is retried', async () => {
      // Prepare
      const push = pushEvent({ id: 'f0000000-0000-4000-8000-000000000001', digest: digest(1), tag: 'v2.0.0' });
      const faulty = handlers({ eventbridge: [...putEventsFailsTwice] });

      // Act
      await expect(faulty.launch(push, lambdaContext('launch'))).rejects.toThrow(/PutEvents/);

      // Assess: committed with its outbox, nothing on the bus, one task
      const id = (await store().loadEnvironment(ENVIRONMENT)).active?.deploymentId ?? '';
      const stored = (await store().loadDeployments([id]))[id];
      expect(stored).toMatchObject({ status: 'running', outbox: [{ detailType: 'Migration Started' }] });
      expect(await drainEvents(c, stack.queueUrl)).toEqual([]);

      // Act: Lambda retries the event
      const retry = await faulty.launch(structuredClone(push), lambdaContext('launch'));

      // Assess
      expect(retry.decisions.map((d) => d.decision)).toEqual(['ignore']);
      const events = await drainEvents(c, stack.queueUrl);
      expect(events.map((e) => [e['detail-type'], e.detail])).toEqual(stored?.outbox?.map((e) => [e.detailType, e.detail]));
      expect((await store().loadDeployments([id]))[id]?.outbox).toBeUndefined();
      expect(await taskArns(c)).toHaveLength(1);
    });

    it('a report that fails once is stored with the commit and published after it, in the same invocation', async () => {
      // Prepare: only the report of the watcher's success (1st PutEvents) fails.
      const task = await launched(4, 'v2.3.0');
      const faulty = handlers({ eventbridge: [{ command: 'PutEventsCommand', nth: 1, when: 'before', kind: 'server-error' }] });

      // Act
      const done = await faulty.watch(taskStoppedEvent(task, 0), lambdaContext('watch'));

      // Assess: rolled out, ended, the events out once, and no outbox left behind
      expect(done.decisions.map((d) => d.decision)).toEqual(['continue', 'record']);
      expect(await serviceTaskDefinition(c)).toBe(task.taskDefinitionArn);
      expect((await store().loadDeployments([task.deploymentId]))[task.deploymentId]).toMatchObject({
        status: 'ended',
        outcome: 'succeeded',
      });
      expect((await store().loadEnvironment(ENVIRONMENT)).outbox).toBeUndefined();
      const events = await drainEvents(c, stack.queueUrl);
      expect(events.map((e) => e['detail-type'])).toEqual(['Migration Succeeded', 'Rollout Continued']);
    });

    it('publishes Migration Failed and Rollout Halted, as stored, when the task event is retried', async () => {
      // Prepare
      const task = await launched(2, 'v2.1.0');
      const faulty = handlers({ eventbridge: [{ command: 'PutEventsCommand', nth: 1, when: 'before', kind: 'server-error' }] });
      const stopped = taskStoppedEvent(task, 1);

      // Act
      await expect(faulty.watch(stopped, lambdaContext('watch'))).rejects.toThrow(/PutEvents/);
      const stored = (await store().loadDeployments([task.deploymentId]))[task.deploymentId];
      // The end wrote the environment record too: the events wait in its outbox, which every invocation reads first.
      const env = await store().loadEnvironment(ENVIRONMENT);
      const retry = await faulty.watch(structuredClone(stopped), lambdaContext('watch'));

      // Assess
      expect(stored).toMatchObject({ status: 'ended', outcome: 'failed' });
      expect(retry.decisions.map((d) => d.decision)).toEqual(['ignore']);
      const events = await drainEvents(c, stack.queueUrl);
      expect(events.map((e) => e['detail-type'])).toEqual(['Migration Failed', 'Rollout Halted']);
      expect(events.map((e) => [e['detail-type'], e.detail])).toEqual(env.outbox?.map((e) => [e.detailType, e.detail]));
      expect((await store().loadEnvironment(ENVIRONMENT)).outbox).toBeUndefined();
      expect(await serviceTaskDefinition(c)).toBe(stack.baseTaskDefinitionArn);
    });
  });

  describe('defect 7: the queued deployment is not stranded when the watcher fails after its final commit', () => {
    // On release 0.1.0 (d4221c6) the watcher committed the end and the queued deployment as `launching`, then ran
    // it; when that invocation died, the retried task event found its deployment final and was ignored, nothing
    // resumed the launch, and the environment stayed locked until the lock expired (75 minutes).

    it("resumes the queued deployment's launch when its RunTask was throttled", async () => {
      // Prepare
      const { first, queuedId } = await runningWithQueued();
      const faulty = handlers({ ecs: [{ command: 'RunTaskCommand', nth: 1, when: 'before' }] });
      const stopped = taskStoppedEvent(first, 0);

      // Act
      await expect(faulty.watch(stopped, lambdaContext('watch'))).rejects.toThrow(/RunTask|Throttling|Rate exceeded/);

      // Assess: the first ended and rolled out; the queued one holds the environment, with no task yet
      expect(await serviceTaskDefinition(c)).toBe(first.taskDefinitionArn);
      expect((await store().loadDeployments([queuedId]))[queuedId]).toMatchObject({
        status: 'launching',
        handedOverBy: first.deploymentId,
      });
      expect(await taskArns(c)).toHaveLength(1);

      // Act: Lambda retries the task event
      const retry = await faulty.watch(structuredClone(stopped), lambdaContext('watch'));

      // Assess
      expect(retry.decisions.map((d) => d.decision)).toEqual(['launch', 'record']);
      const all = await tasks();
      expect(all.map((t) => t.deploymentId).sort()).toEqual([first.deploymentId, queuedId].sort());
      const second = all.find((t) => t.deploymentId === queuedId);
      expect((await store().loadDeployments([queuedId]))[queuedId]).toMatchObject({ status: 'running', taskArn: second?.taskArn });
      expect((await store().loadEnvironment(ENVIRONMENT)).active?.deploymentId).toBe(queuedId);
      expect(named(await drainEvents(c, stack.queueUrl), 'Migration Started')).toHaveLength(1);
    });

    it("records the queued deployment's first task when its RunTask started it but the answer was lost", async () => {
      // Prepare
      const { first, queuedId } = await runningWithQueued();
      const faulty = handlers({ ecs: [{ command: 'RunTaskCommand', nth: 1, when: 'after' }] });
      const stopped = taskStoppedEvent(first, 0);

      // Act
      await expect(faulty.watch(stopped, lambdaContext('watch'))).rejects.toThrow(/RunTask|Throttling|Rate exceeded/);
      const retry = await faulty.watch(structuredClone(stopped), lambdaContext('watch'));

      // Assess: the same clientToken and parameters answered the first task; no second one was started
      expect(retry.decisions.map((d) => d.decision)).toEqual(['launch', 'record']);
      const all = await tasks();
      expect(all.filter((t) => t.deploymentId === queuedId)).toHaveLength(1);
      expect(faulty.token.conflicts).toEqual([]);
      expect((await store().loadDeployments([queuedId]))[queuedId]).toMatchObject({
        status: 'running',
        taskArn: all.find((t) => t.deploymentId === queuedId)?.taskArn,
      });
    });

    it('publishes the ended deployment’s events and resumes the launch when PutEvents failed after the final commit', async () => {
      // Prepare: the success is reported before the final commit (1st PutEvents), then stored with it and published
      // after it (2nd): both fail.
      const { first, queuedId } = await runningWithQueued();
      const faulty = handlers({
        eventbridge: [
          { command: 'PutEventsCommand', nth: 1, when: 'before', kind: 'server-error' },
          { command: 'PutEventsCommand', nth: 2, when: 'before', kind: 'server-error' },
        ],
      });
      const stopped = taskStoppedEvent(first, 0);

      // Act
      await expect(faulty.watch(stopped, lambdaContext('watch'))).rejects.toThrow(/PutEvents/);
      expect(await taskArns(c)).toHaveLength(1);
      const retry = await faulty.watch(structuredClone(stopped), lambdaContext('watch'));

      // Assess
      expect(retry.decisions.map((d) => d.decision)).toEqual(['launch', 'record']);
      expect((await store().loadDeployments([queuedId]))[queuedId]).toMatchObject({ status: 'running' });
      const events = await drainEvents(c, stack.queueUrl);
      expect(events.map((e) => [e['detail-type'], e.detail.deploymentId])).toEqual([
        ['Migration Succeeded', first.deploymentId],
        ['Rollout Continued', first.deploymentId],
        ['Migration Started', queuedId],
      ]);
    });
  });

  describe("defect 10 and RunTask's clientToken (modelled: moto ignores it)", () => {
    it('a retried launch sends byte-identical RunTask parameters and gets the first task back', async () => {
      // Prepare: RunTask reaches "ECS" and starts the task, then the invocation dies before hearing the answer.
      const push = pushEvent({ id: 'f0000000-0000-4000-8000-000000000003', digest: digest(3), tag: 'v2.2.0' });
      const faulty = handlers({ ecs: [{ command: 'RunTaskCommand', nth: 1, when: 'after' }] });

      // Act
      await expect(faulty.launch(push, lambdaContext('launch'))).rejects.toThrow(/RunTask|Throttling|Rate exceeded/);
      const retry = await faulty.launch(structuredClone(push), lambdaContext('launch'));

      // Assess
      expect(retry.decisions.map((d) => d.decision)).toEqual(['launch', 'record']);
      const sent = [...faulty.token.sent.values()];
      expect(sent).toHaveLength(1);
      expect(sent[0]).toHaveLength(2);
      expect(sent[0]?.[1]).toBe(sent[0]?.[0]);
      expect(faulty.token.conflicts).toEqual([]);
      const [task] = await tasks();
      expect(await taskArns(c)).toHaveLength(1);
      const id = retry.decisions[0]?.deploymentId ?? '';
      expect((await store().loadDeployments([id]))[id]).toMatchObject({ status: 'running', taskArn: task?.taskArn });
    });

    it('the model answers ConflictException for the same token with other parameters, and the first result for the same ones', async () => {
      // Prepare
      const { ecs } = LambdaModule.createClients();
      const token = modelClientToken(ecs);
      const input = {
        cluster: CLUSTER,
        taskDefinition: stack.baseTaskDefinitionArn,
        clientToken: 'ecs-migrate-model-check',
        launchType: 'FARGATE' as const,
        networkConfiguration: { awsvpcConfiguration: { subnets: stack.subnets, securityGroups: [stack.securityGroup] } },
      };

      // Act
      const first = await ecs.send(new RunTaskCommand(input));
      const again = await ecs.send(new RunTaskCommand({ ...input }));
      const changed = ecs.send(new RunTaskCommand({ ...input, startedBy: 'someone-else' }));

      // Assess
      await expect(changed).rejects.toMatchObject({ name: 'ConflictException' });
      expect(again.tasks?.[0]?.taskArn).toBe(first.tasks?.[0]?.taskArn);
      expect(await taskArns(c)).toHaveLength(1);
      expect(token.conflicts).toEqual(['ecs-migrate-model-check']);
    });

    it('a launch resumed after another revision of the family was registered meanwhile keeps its RunTask parameters', async () => {
      // Defect 10. Until the adapter looked further back than the family's latest revision, the retry registered a
      // second revision, sent RunTask another taskDefinition under the same clientToken, got ConflictException and
      // ended the deployment as failed while its first task ran (this test failed on main at 1fe9de1).
      // Prepare: RunTask started the task, the answer was lost; then the app's own pipeline registers a revision.
      const push = pushEvent({ id: 'f0000000-0000-4000-8000-000000000004', digest: digest(4), tag: 'v2.3.0' });
      const faulty = handlers({ ecs: [{ command: 'RunTaskCommand', nth: 1, when: 'after' }] });
      await expect(faulty.launch(push, lambdaContext('launch'))).rejects.toThrow(/RunTask|Throttling|Rate exceeded/);
      await registerTaskDefinition(c, [{ name: 'app', image: 'registry.example/app:next', memory: 512, essential: true }]);

      // Act
      const retry = await faulty.launch(structuredClone(push), lambdaContext('launch'));

      // Assess
      expect(faulty.token.conflicts).toEqual([]);
      expect(retry.decisions.map((d) => d.decision)).toEqual(['launch', 'record']);
      const [task] = await tasks();
      const id = retry.decisions[0]?.deploymentId ?? '';
      expect((await store().loadDeployments([id]))[id]).toMatchObject({ status: 'running', taskArn: task?.taskArn });
    });
  });
});
