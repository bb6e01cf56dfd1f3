import type { Ecs, Store } from '../../src/ports.js';
import { config } from './fixtures.js';
import { FaultPlan, modelPorts } from './model-ports.js';
import { ModelServiceDeployments } from './model-service-deployments.js';
import { controllerOn } from './race.js';

/**
 * The model world in pause-hook mode, two gated services (shop-api, shop-worker), with the owners' paused
 * deployments (`owners`, whose hook events land in `events`): what the hook race tests under test/shell/ share.
 * `handle` runs one invocation a minute after the last (`clock.now`), with some store calls replaced if asked;
 * `migrated` takes an image through its migration.
 */
export function pauseHookWorld(start = '2026-11-25T09:00:00Z') {
  const world = modelPorts(new FaultPlan());
  const events: Record<string, unknown>[] = [];
  const owners = new ModelServiceDeployments((raw) => events.push(raw));
  const cfg = config({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });
  const clock = { now: Date.parse(start) };
  const ecs: Partial<Ecs> = {
    describeServiceDeployment: (arn) => owners.describeServiceDeployment(arn),
    describeServiceRevision: (arn) => owners.describeServiceRevision(arn),
    answerHook: (answer) => owners.answerHook(answer, clock.now),
  };
  const handle = (raw: Record<string, unknown>, store: Partial<Store> = {}) => {
    clock.now += 60_000;
    return controllerOn(world.ports, cfg, new Date(clock.now).toISOString(), { ecs, store }).handle(raw);
  };
  /** `service`'s owner deploys image `image` and pauses; its migration runs and exits 0, and the hook is answered. */
  const migrated = async (service: string, image: number) => {
    const paused = owners.pause(service, image, clock.now, 120);
    await handle(events.at(-1) as Record<string, unknown>);
    const task = world.ecs.tasks.at(-1);
    if (task === undefined) throw new Error('expected the migration task');
    world.ecs.start(task);
    world.ecs.stop(task, 0);
    await handle(world.ecs.emitted.at(-1) as Record<string, unknown>);
    return paused;
  };
  return { world, events, owners, cfg, clock, ecs, handle, migrated };
}
