import { LocalStore } from '../../src/adapters/local/store.js';
import type { Deployment } from '../../src/core/deployment.js';
import type { EnvironmentState } from '../../src/core/state.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ecs, OutgoingEvent, Ports, ScheduledCheck } from '../../src/ports.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from './fake-ecs.js';
import { config } from './fixtures.js';

/** A schedule the controller created. */
export interface Scheduled {
  deploymentId: string;
  at: string;
  check?: ScheduledCheck;
}

/** The rollout-watch checks among `scheduled`. */
export const watchChecks = (scheduled: Scheduled[]) => scheduled.filter((x) => x.check?.purpose === 'rollout-watch');

/**
 * A controller (every input) on a local store under `dir` holding `env` and `deployments`, recording the schedules it
 * creates and the events it publishes; its clock at `now` until `at` moves it.
 */
export async function schedulingWorld(
  dir: string,
  env: EnvironmentState,
  deployments: Deployment[],
  ecs: Partial<Ecs>,
  now: string,
  overrides: Record<string, string | undefined> = {},
  registry?: Ports['registry'],
) {
  const store = new LocalStore(new LocalLayout(dir, 'staging'));
  await store.commit({
    env: { state: env, expectedVersion: 0 },
    deployments: deployments.map((deployment) => ({ deployment, expectedRevision: 0 })),
  });
  const scheduled: Scheduled[] = [];
  const events: OutgoingEvent[] = [];
  let clock = now;
  const ports: Ports = {
    ecs: fakeEcs(ecs),
    store,
    bus: { put: async (e) => void events.push(...e) },
    logs: { tail: async () => [] },
    scheduler: {
      scheduleTimeout: async (deploymentId, _environment, at, check) =>
        void scheduled.push({ deploymentId, at, ...(check !== undefined ? { check } : {}) }),
    },
    registry: registry ?? { describeImage: async () => Promise.reject(new Error('no registry in this test')) },
  };
  const controller = createController({
    config: config(overrides),
    ports,
    log: silentLog,
    now: () => new Date(clock),
    sleep: async () => {},
  });
  return {
    controller,
    store,
    scheduled,
    events,
    ports,
    at: (t: string) => {
      clock = t;
    },
  };
}
