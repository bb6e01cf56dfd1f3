import { describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../src/errors.js';
import { config, PUSHED_IMAGE, sample, TD, withEvent } from '../support/fixtures.js';
import { FaultPlan, type ModelTask, modelPorts, taskEvent } from '../support/model-ports.js';
import { controllerOn } from '../support/race.js';

/**
 * update-service mode: an image pushed before the one rolled out last runs only as a deliberate rerun, also when the
 * rolled-out one is known only from the service (a lock takeover) or was followed by a deploy of a task definition.
 *
 * The model registry (test/support/model-ports.ts) resolves every tag to digest c…c pushed at 09:00:00, before the
 * sample push (PUSHED_IMAGE, pushed 09:14:58).
 */
const OLDER_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@sha256:${'c'.repeat(64)}`;

/** A deploy-request (not a rerun) of an image tag the registry dates 09:00:00, before PUSHED_IMAGE. */
function olderImageRequest(requestId: string, time: string): Record<string, unknown> {
  return withEvent(sample('deploy-request'), {
    top: { id: `evt-${requestId}`, time },
    detail: { image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v1.3.9', requestId },
  });
}

/** Runs every task event ECS emitted from `from` on through `handler`. */
async function deliver(world: ReturnType<typeof modelPorts>, from: number, handler: { handle(raw: unknown): Promise<unknown> }) {
  const events = world.ecs.emitted.slice(from);
  for (const raw of events) await handler.handle(raw);
}

describe('the service never moves to an older image', () => {
  it('a lock takeover that records the lost migration as succeeded does not then roll out an image pushed before it', async () => {
    const world = modelPorts(new FaultPlan());
    let now = Date.parse('2026-11-25T09:15:00Z');
    const clock = () => now;
    const cfg = config();
    const controller = controllerOn(world.ports, cfg, clock);

    // 1. The push of PUSHED_IMAGE (09:14:58) launches D1; its task runs and exits 0.
    await controller.handle(sample('ecr-push'));
    const t1 = world.ecs.tasks[0] as ModelTask;
    world.ecs.start(t1);
    world.ecs.stop(t1, 0);

    // 2. The watcher moves the service to D1's revision, then dies before its commit; the event's retries run out and
    //    D1's timeout check is lost too (the premise of a lock takeover).
    const dying = controllerOn(world.ports, cfg, clock, {
      store: {
        commit: async (request) => {
          if (request.deployments.some((c) => c.deployment.status === 'ended'))
            throw new TransientAwsError('the invocation died before recording the end');
          return world.ports.store.commit(request);
        },
      },
    });
    await expect(dying.handle(taskEvent(t1))).rejects.toThrow();
    expect(world.ecs.serviceRevision()).toBe(TD(43));
    expect((await world.ecs.describeService()).image).toBe(PUSHED_IMAGE);

    // 3. Past the lock's expiry (TIMEOUT_MINUTES 60 + 15), a deploy-request (no rerun) of an image pushed at 09:00,
    //    before PUSHED_IMAGE, arrives. The service shows D1's rollout: D1 is recorded as succeeded, and the request,
    //    older than what is rolled out, is refused (a takeover once recorded D1 and then rolled the older image out).
    now = Date.parse('2026-11-25T10:40:00Z');
    const emittedBefore = world.ecs.emitted.length;
    await controller.handle(olderImageRequest('old-1', '2026-11-25T10:40:00Z'));
    const d1 = world.store.all().find((d) => d.trigger.type === 'ecr-push');
    expect(d1).toMatchObject({ status: 'ended', outcome: 'succeeded' });

    // 4. Whatever that request did (launched, superseded, refused), its migration's exit 0 must not move the service
    //    back to the older image.
    for (const t of world.ecs.tasks.slice(1)) {
      world.ecs.start(t);
      world.ecs.stop(t, 0);
    }
    await deliver(world, emittedBefore, controller);

    expect((await world.ecs.describeService()).image).toBe(PUSHED_IMAGE);
    expect(world.ecs.rollouts).toEqual([TD(43)]);
  });

  it('a migration by taskDefinitionArn does not make an image pushed before the one rolled out pass as newer', async () => {
    const world = modelPorts(new FaultPlan());
    let now = Date.parse('2026-11-25T09:15:00Z');
    const clock = () => now;
    const controller = controllerOn(world.ports, config(), clock);
    const runAll = async () => {
      const from = world.ecs.emitted.length;
      for (const t of world.ecs.tasks) {
        world.ecs.start(t);
        world.ecs.stop(t, 0);
      }
      await deliver(world, from, controller);
    };

    // 1. The push of PUSHED_IMAGE (09:14:58) is migrated and rolled out: the service runs revision 43.
    await controller.handle(sample('ecr-push'));
    await runAll();
    expect(world.ecs.serviceRevision()).toBe(TD(43));

    // 2. An operator reruns the migration on the revision the service runs, by taskDefinitionArn (a documented
    //    request). It succeeds; the service stays where it is.
    now = Date.parse('2026-11-25T09:20:00Z');
    await controller.handle(
      withEvent(sample('deploy-request'), {
        top: { id: 'evt-rerun-td', time: '2026-11-25T09:20:00Z' },
        detail: { image: undefined, taskDefinitionArn: TD(43), requestId: 'rerun-td', rerun: true },
      }),
    );
    await runAll();
    expect(world.store.all().filter((d) => d.status === 'ended' && d.outcome === 'succeeded')).toHaveLength(2);
    expect(world.ecs.serviceRevision()).toBe(TD(43));

    // 3. A deploy-request, not a rerun, of an image pushed at 09:00, before the one the service runs: refused
    //    ("pushed before … rolled out already; send it with rerun"). It must never roll the service back.
    now = Date.parse('2026-11-25T09:25:00Z');
    await controller.handle(olderImageRequest('old-2', '2026-11-25T09:25:00Z'));
    await runAll();

    expect((await world.ecs.describeService()).image).toBe(PUSHED_IMAGE);
    expect(world.ecs.rollouts).toEqual([TD(43)]);
    expect(
      world.ecs.tasks.filter((t) =>
        world.ecs.revisions.some((r) => r.taskDefinitionArn === t.taskDefinitionArn && r.image === OLDER_IMAGE),
      ),
    ).toEqual([]);
  });

  /**
   * A review found that with TAG_PATTERN an image first pushed under a tag the pattern does not match is never seen
   * (the stack's rule filters its push), so when a matching tag was added to it later ECR's push event dated it by
   * the tag: the old image passed as newer than the one rolled out, and the service was moved back to it. A push of
   * an image the environment has not seen is now dated by ECR's own push time (DescribeImages, `imagePushedAt`).
   */
  it('an old image first pushed under a tag TAG_PATTERN does not match, tagged later, does not roll the service back', async () => {
    const world = modelPorts(new FaultPlan());
    const digestA = `sha256:${'a'.repeat(64)}`;
    const imageA = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@${digestA}`;
    let now = Date.parse('2026-11-25T08:00:00Z');
    const controller = controllerOn(world.ports, config(), () => now);
    const runAll = async () => {
      const from = world.ecs.emitted.length;
      for (const t of world.ecs.tasks.filter((t) => t.lastStatus !== 'STOPPED')) {
        world.ecs.start(t);
        world.ecs.stop(t, 0);
      }
      await deliver(world, from, controller);
    };

    // 08:00: image A is pushed as "sha-aaaaaaa": TAG_PATTERN "v*" does not match, so the launcher never sees it.
    world.registry.pushed.set(digestA, '2026-11-25T08:00:00.000Z');

    // 09:14:58: the sample push (v1.4.0) is migrated and rolled out.
    now = Date.parse('2026-11-25T09:15:00Z');
    await controller.handle(sample('ecr-push'));
    await runAll();
    expect((await world.ecs.describeService()).image).toBe(PUSHED_IMAGE);

    // 09:30: tag v1.3.9 is added to A; ECR sends a push event for it.
    now = Date.parse('2026-11-25T09:30:00Z');
    const steps = await controller.handle(
      withEvent(sample('ecr-push'), {
        top: { id: 'retag-a-v139', time: '2026-11-25T09:30:00Z' },
        detail: { 'image-digest': digestA, 'image-tag': 'v1.3.9' },
      }),
    );
    await runAll();

    expect(steps[0]?.decision).toMatchObject({ decision: 'ignore', reason: expect.stringContaining('pushed before') });
    expect((await world.ecs.describeService()).image).not.toBe(imageA);
    expect(world.ecs.rollouts).toEqual([TD(43)]);
  });
});
