import { LocalStore } from '../../src/adapters/local/store.js';
import type { Deployment } from '../../src/core/deployment.js';
import type { EnvironmentState, ServiceInfo } from '../../src/core/state.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ecs, OutgoingEvent, Ports, ScheduledCheck } from '../../src/ports.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from './fake-ecs.js';
import { activeState, config, KEPT_EXIT_0, launchingDeployment, SAMPLE_TASK, service, TD } from './fixtures.js';

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

/** The task of a deployment's second launch attempt. */
export const SECOND_TASK = `${SAMPLE_TASK.slice(0, -4)}0002`;

/**
 * `schedulingWorld` holding the sample deployment launching its second attempt: attempt 1 got a task (its RunTask
 * answered at 09:15:01, so its timeout check is due at 10:15:01) that failed to start at `failedAt`; attempt 2's task
 * already exited 0 (its STOPPED event kept before RunTask's answer). ECS's UpdateService starts ecs-svc/77.
 */
export async function secondAttemptWorld(dir: string, times: { failedAt: string; launchStartedAt: string; now: string }) {
  const launching = launchingDeployment({
    revision: 3,
    attempt: 2,
    launchStartedAt: times.launchStartedAt,
    attempts: [
      {
        attempt: 1,
        failedAt: times.failedAt,
        reason: 'CannotPullContainerError: pull rate exceeded',
        taskArn: SAMPLE_TASK,
        taskDefinitionArn: TD(43),
        launchedAt: '2026-11-25T09:15:01.000Z',
      },
    ],
    earlyTaskEvents: [{ ...KEPT_EXIT_0, taskArn: SECOND_TASK }],
  });
  let current: ServiceInfo = { ...service, taskDefinitionArn: TD(42) };
  const ecs: Partial<Ecs> = {
    describeService: async () => current,
    updateService: async (_target, taskDefinitionArn) => {
      current = { ...current, taskDefinitionArn };
      return { ecsDeploymentId: 'ecs-svc/77' };
    },
  };
  return schedulingWorld(dir, activeState(launching).env, [launching], ecs, times.now);
}
