import { describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../src/errors.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { config, sample, withEvent } from '../support/fixtures.js';
import { FaultPlan, modelPorts } from '../support/model-ports.js';

/**
 * Found by the property test (test/properties): the environment is handed to the queued deployment, its RunTask
 * fails, and the launch is resumed by a late RUNNING/PENDING event of the ended deployment's task. That event did
 * not read the service, so the resumed RunTask went out without the service's network and launch settings; ECS
 * refused the reused clientToken (ConflictException) and the deployment was marked failed while its task ran.
 */
describe("a launch handed over and resumed by a late, non-STOPPED task event, or by the ended deployment's timeout check", () => {
  // The timeout check of an ended deployment reads the service only when it may resume a handover (readsService).
  it.each(['pending', 'timeout-check'] as const)('sends the same RunTask parameters and records the first task (%s)', async (resumer) => {
    const plan = new FaultPlan();
    const world = modelPorts(plan);
    const controller = createController({
      config: config(),
      ports: world.ports,
      log: silentLog,
      now: () => new Date('2026-11-25T09:20:00Z'),
    });
    const push = (n: number) =>
      withEvent(sample('ecr-push'), { top: { id: `push-${n}` }, detail: { 'image-digest': `sha256:${String(n).repeat(64)}` } });

    const firstId = (await controller.handle(push(1)))[0]?.decision.deploymentId as string;
    const queuedId = (await controller.handle(push(2)))[0]?.decision.deploymentId as string;
    const first = world.ecs.tasks[0];
    if (first === undefined) throw new Error('no task');
    world.ecs.start(first);
    world.ecs.stop(first, 0);
    const [pending, , stopped] = world.ecs.emitted;

    // The STOPPED event ends the first deployment and hands over; RunTask starts the task, then the invocation dies.
    const launch = world.ports.ecs.launch;
    let died = false;
    world.ports.ecs.launch = async (request) => {
      const outcome = await launch(request);
      if (died) return outcome;
      died = true;
      throw new TransientAwsError('the invocation timed out after RunTask');
    };
    await expect(controller.handle(stopped)).rejects.toThrow('timed out after RunTask');

    // The first task's late PENDING event (not the retried STOPPED one), or its timeout check, resumes the launch.
    const check = withEvent(sample('timeout-check'), { detail: { deploymentId: firstId } });
    const steps = await controller.handle(resumer === 'pending' ? pending : check);
    expect(steps.map((s) => s.decision.decision)).toEqual(['launch', 'record']);
    expect(world.ecs.conflicts).toEqual([]);
    const queued = (await world.store.loadDeployments([queuedId]))[queuedId];
    expect(queued).toMatchObject({ status: 'running', taskArn: world.ecs.tasks[1]?.taskArn });
    expect(world.ecs.tasks).toHaveLength(2);
  });
});
