import {
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  ECSClient,
  InvalidParameterException,
  ServiceDeploymentNotFoundException,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { answerHook as awsAnswerHook } from '../../src/adapters/aws/ecs-deployments.js';
import type { Ended } from '../../src/core/deployment.js';
import type { HookAnswer, HookAnswerOutcome } from '../../src/core/service-deployment.js';
import { TransientAwsError } from '../../src/errors.js';
import type { Ecs } from '../../src/ports.js';
import type { ModelServiceDeployments } from '../support/model-service-deployments.js';
import { pauseHookWorld } from '../support/pause-hook-world.js';

/**
 * ECS as the AWS adapter reaches it, over the owners' model: a refused answer is InvalidParameterException (the
 * emulator's guess, docs/deploy.md), DescribeServiceDeployments shows each hook's status, and DescribeServices names
 * the `ecs-svc/…` deployment of the service's last CONTINUEd paused deployment as PRIMARY.
 */
function ecsOverModel(owners: ModelServiceDeployments, now: () => number): (answer: HookAnswer) => Promise<HookAnswerOutcome> {
  const client = new ECSClient({ region: 'eu-west-1' });
  const ecs = mockClient(client);
  ecs.on(ContinueServiceDeploymentCommand).callsFake(async (input: HookAnswer) => {
    const outcome = await owners.answerHook(input, now());
    if (outcome.ok) return { serviceDeploymentArn: input.serviceDeploymentArn };
    const $metadata = { httpStatusCode: 400 };
    if (outcome.cause === 'not-found') throw new ServiceDeploymentNotFoundException({ $metadata, message: outcome.reason });
    throw new InvalidParameterException({ $metadata, message: `The lifecycle hook ${input.hookId} is not AWAITING_ACTION.` });
  });
  ecs.on(DescribeServiceDeploymentsCommand).callsFake(async ({ serviceDeploymentArns }: { serviceDeploymentArns: string[] }) => {
    const found = await owners.describeServiceDeployment(serviceDeploymentArns[0] ?? '');
    if (found === undefined) return { serviceDeployments: [], failures: [{ arn: serviceDeploymentArns[0], reason: 'MISSING' }] };
    const { serviceDeploymentArn, serviceArn, clusterArn, status, hooks } = found;
    const lifecycleHookDetails = hooks.map((h) => ({ hookId: h.hookId, targetType: h.targetType, status: h.status }));
    return { serviceDeployments: [{ serviceDeploymentArn, serviceArn, clusterArn, status, lifecycleHookDetails }] };
  });
  ecs.on(DescribeServicesCommand).callsFake(async ({ services }: { services: string[] }) => {
    const continued = owners.owners.findLast((o) => o.service === services[0] && o.hook === 'SUCCEEDED');
    return {
      services: [{ serviceName: services[0], deployments: continued ? [{ id: continued.ecsDeploymentId, status: 'PRIMARY' }] : [] }],
    };
  });
  return (answer) => awsAnswerHook(client, answer);
}

/**
 * Was: two paused deployments wait on one migration that exits 0. The watcher answered CONTINUE to shop-api; shop-worker's
 * answer was throttled past the SDK's retries, so the STOPPED event was retried, and the retry answered both hooks
 * again (the answers an invocation remembers last that invocation only). ECS refused shop-api's second CONTINUE, and
 * that refusal was recorded: shop-api `moved-on`, as if a person or ECS's timeout had answered, under the service
 * deployment ARN instead of its `ecs-svc/…` id, so its `ECS Deployment State Change` matched nothing and `Rollout
 * Completed` was never sent (the same for ROLLBACK after an exit 1). A refused answer whose hook shows that same
 * answer taken is recorded as given now.
 */
describe('pause-hook mode: a STOPPED event retried after one of its answers failed for a while', () => {
  const cases = ['the model of ECS', 'the AWS adapter'].flatMap((through) => [
    { through, exit: 0, answered: 'CONTINUE', hook: 'SUCCEEDED', result: 'continued' },
    { through, exit: 1, answered: 'ROLLBACK', hook: 'FAILED', result: 'rolled-back' },
  ]);

  for (const c of cases)
    it(`exit ${c.exit}: records the ${c.answered} ECS took on the first try as given (${c.through})`, async () => {
      const { world, events, owners, clock, ecs, handle } = pauseHookWorld();
      const answer = c.through === 'the AWS adapter' ? ecsOverModel(owners, () => clock.now) : ecs.answerHook;
      if (answer === undefined) throw new Error('expected an answerHook');

      // shop-api and shop-worker deploy image 1 and pause: one migration, two waiters.
      const api = owners.pause('shop-api', 1, clock.now, 120);
      await handle(events.at(-1) as Record<string, unknown>);
      const worker = owners.pause('shop-worker', 1, clock.now, 120);
      await handle(events.at(-1) as Record<string, unknown>);
      expect(world.store.all()[0]?.waiters?.map((w) => w.service)).toEqual(['shop-api', 'shop-worker']);
      const task = world.ecs.tasks.at(-1);
      if (task === undefined) throw new Error('expected the migration task');
      world.ecs.start(task);
      world.ecs.stop(task, c.exit);
      const stopped = world.ecs.emitted.at(-1) as Record<string, unknown>;

      // The first try: shop-api's answer is taken, shop-worker's is throttled past the SDK's retries.
      let throttled = false;
      const flaky: Partial<Ecs> = {
        answerHook: async (a) => {
          if (a.hookId === worker.hookId && !throttled) {
            throttled = true;
            throw new TransientAwsError('ecs:ContinueServiceDeployment: Rate exceeded');
          }
          return answer(a);
        },
      };
      Object.assign(ecs, flaky);
      await expect(handle(stopped)).rejects.toThrow(TransientAwsError);
      expect([api.hook, worker.hook]).toEqual([c.hook, 'AWAITING_ACTION']);

      // Lambda retries the event: both hooks are answered again, and ECS refuses shop-api's second answer.
      await handle(stopped);
      expect(api.answers.map((a) => a.accepted)).toEqual([true, false]);

      const [ended] = world.store.all() as Ended[];
      expect(ended).toMatchObject({ status: 'ended', outcome: c.exit === 0 ? 'succeeded' : 'failed' });
      const id = (o: typeof api) => (c.exit === 0 ? o.ecsDeploymentId : o.serviceDeploymentArn);
      expect(ended?.services).toEqual([
        expect.objectContaining({ service: 'shop-api', result: c.result, ecsDeploymentId: id(api) }),
        expect.objectContaining({ service: 'shop-worker', result: c.result, ecsDeploymentId: id(worker) }),
      ]);
      if (c.exit !== 0) return;

      // shop-api's rollout completes: its `ECS Deployment State Change` finds the deployment that started it.
      const completed = events.find(
        (e) =>
          e['detail-type'] === 'ECS Deployment State Change' &&
          (e.detail as { deploymentId?: string }).deploymentId === api.ecsDeploymentId,
      );
      if (completed === undefined) throw new Error("expected shop-api's deployment to complete");
      const steps = await handle(completed);
      expect(steps[0]?.decision.decision).toBe('record');
      expect(world.bus.published.filter((e) => e.detailType === 'Rollout Completed')).toEqual([
        expect.objectContaining({ detail: expect.objectContaining({ service: 'shop-api' }) }),
      ]);
    });
});
