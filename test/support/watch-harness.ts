import { LocalStore } from '../../src/adapters/local/store.js';
import { ImageNotFoundError } from '../../src/errors.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ecs, OutgoingEvent, Ports } from '../../src/ports.js';
import { createRoleController, type LambdaFunction } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { WATCH_FUNCTION } from '../../src/shell/watch-function.js';
import { fakeEcs } from './fake-ecs.js';
import { activeState, config, runningDeployment, SAMPLE_DEPLOYMENT, sample, service, TD } from './fixtures.js';

/**
 * The watcher (or `options.fn`) at `now` (a time, or a clock read at each call), on a local store under `dir` holding the running sample deployment
 * (`runningDeployment()`, its lock until 10:30): ECS is `fakeEcs(ecs)`; the bus and the log tail record what they
 * are given (the tail answers `logLines`).
 */
export async function watcherOnRunning(
  dir: string,
  options: { ecs: Partial<Ecs>; now: Date | (() => Date); logLines: string[]; fn?: LambdaFunction },
) {
  const store = new LocalStore(new LocalLayout(dir, 'staging'));
  const running = runningDeployment();
  await store.commit({
    env: { state: activeState(running).env, expectedVersion: 0 },
    deployments: [{ deployment: running, expectedRevision: 0 }],
  });
  const events: OutgoingEvent[] = [];
  const tails: unknown[] = [];
  const ports: Ports = {
    ecs: fakeEcs(options.ecs),
    store,
    bus: { put: async (e) => void events.push(...e) },
    logs: {
      tail: async (ref) => {
        tails.push(ref);
        return options.logLines;
      },
    },
    scheduler: { scheduleTimeout: async () => {} },
    // An ECR that has no image: a push is dated by its event.
    registry: {
      describeImage: async (repository, id) => Promise.reject(new ImageNotFoundError(`${repository} has no image ${JSON.stringify(id)}`)),
    },
  };
  const now = options.now;
  const clock = typeof now === 'function' ? now : () => now;
  const watch = createRoleController({ config: config(), ports, log: silentLog, now: clock }, options.fn ?? WATCH_FUNCTION);
  const stored = async () => (await store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT];
  return { watch, events, tails, stored, ports };
}

/**
 * `watcherOnRunning` at 09:30 once the sample deployment's task exited 0 and the watcher rolled the service out,
 * UpdateService having started `ecsDeploymentId`: the deployment ended, following that rollout.
 */
export async function watcherRolledOut(dir: string, ecsDeploymentId: string) {
  const ecs: Partial<Ecs> = {
    describeService: async () => ({ ...service, taskDefinitionArn: TD(42) }),
    updateService: async () => ({ ecsDeploymentId }),
  };
  const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:30:00Z'), logLines: [] });
  await h.watch.handle(sample('task-stopped-success'));
  return h;
}
