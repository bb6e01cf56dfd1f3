import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/adapters/local/store.js';
import type { Ended } from '../../src/core/deployment.js';
import type { ServiceInfo } from '../../src/core/state.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ecs, OutgoingEvent, Ports } from '../../src/ports.js';
import { createRoleController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { WATCH_FUNCTION } from '../../src/shell/watch-function.js';
import { fakeEcs } from '../support/fake-ecs.js';
import {
  actionsOf,
  activeState,
  committed,
  config,
  ctx,
  decideOn,
  KEPT_EXIT_0,
  launchingDeployment,
  OLD_IMAGE,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  sample,
  service,
  serviceMigratedBy,
  TD,
} from '../support/fixtures.js';
import { ecsStartingRollouts, LATER, laterRunning, laterStopped } from '../support/later-deployment.js';
import { dyingAtFirstCommit, watcherAt } from '../support/race.js';
import { deploymentEvent } from '../support/rollout-events.js';
import { watcherOnRunning } from '../support/watch-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-rollout-follow-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * watchRollouts (which records a rollout with no ECS verdict as `unconfirmed`) runs from a timeout check of the ended
 * deployment, and only the launch schedules one. A decision that ends the deployment with a followed rollout and no
 * check of it still to come (the timeout check that finds the task stopped unseen, the timeout check of a launching
 * deployment, a lock takeover: test/core/decide-launch.test.ts) left that rollout open for good when ECS
 * gave no verdict. It now schedules the deployment's rollout-watch check (`watchWhenNoCheckLeft`).
 */
describe('a rollout followed by the check that ended the deployment (or after it) gets a rollout-watch check of its own', () => {
  it('the timeout check that finds the task stopped unseen and follows the rollout in progress schedules the rollout-watch', async () => {
    const ROLLOUT = 'ecs-svc/7305942261843001217';
    const ecs: Partial<Ecs> = {
      ...ecsStartingRollouts([ROLLOUT]).ecs,
      describeTask: async () => ({
        lastStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        stoppedAt: '2026-11-25T09:18:00.000Z',
        version: 5,
        containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 0 }],
      }),
    };
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:18:00Z'), logLines: [] });
    // The watcher updates the service and dies before its commit; its retries run out.
    const dying = watcherAt({ ...h.ports, store: dyingAtFirstCommit(h.ports.store) }, '2026-11-25T09:18:00Z');
    await expect(dying.handle(sample('task-stopped-success'))).rejects.toThrow(/timed out/);

    // The timeout check (the deployment's one schedule) judges the stopped task and follows the rollout in progress.
    const scheduled: { deploymentId: string; at: string; purpose?: string }[] = [];
    const ports: Ports = {
      ...h.ports,
      scheduler: {
        scheduleTimeout: async (deploymentId, _env, at, check) =>
          void scheduled.push({ deploymentId, at, ...(check !== undefined ? { purpose: check.purpose } : {}) }),
      },
    };
    await watcherAt(ports, '2026-11-25T10:15:24Z').handle(sample('timeout-check'));
    expect(await h.stored()).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      services: [{ ecsDeploymentId: ROLLOUT, result: 'unchanged' }],
    });
    expect((await h.stored()) as Ended).not.toHaveProperty('services.0.completion');
    // No check of this deployment will ever come again: its followed rollout can never be recorded unconfirmed.
    expect(scheduled).toContainEqual(expect.objectContaining({ deploymentId: SAMPLE_DEPLOYMENT }));
  });

  it('the timeout check that records a launching deployment as rolled out schedules the rollout-watch check', () => {
    const launching = launchingDeployment({ earlyTaskEvents: [KEPT_EXIT_0] });
    const rolloutInProgress = { ecsDeploymentId: 'ecs-svc/3', taskDefinitionArn: TD(43) };
    const state = activeState(launching, { service: { ...serviceMigratedBy(launching.id), rolloutInProgress } });
    const d = decideOn(sample('timeout-check'), state, ctx({}, '2026-11-25T10:15:24.000Z'));
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ status: 'ended', services: [{ ecsDeploymentId: 'ecs-svc/3' }] });
    expect(actionsOf(d, 'scheduleTimeout')).toContainEqual(expect.objectContaining({ deploymentId: SAMPLE_DEPLOYMENT }));
  });
});

/**
 * decide-launch.ts `withLostRolloutRecorded` records the expired lock's migration as succeeded, as a takeover would,
 * when a push of an older image arrives (the push is ignored, the lost deployment ended). It did not follow the
 * rollout ECS has in progress to its revision as the takeover does, so ECS's verdict on it was ignored.
 */
describe('an older push that records the lost migration as succeeded (withLostRolloutRecorded)', () => {
  it('follows the rollout ECS has in progress to its revision, as the takeover does', () => {
    const lost = runningDeployment({
      id: '20261125-090000-aaaaaaaa',
      work: { type: 'image', image: OLD_IMAGE, pushedAt: '2026-11-25T09:16:00Z' },
    });
    const rolloutInProgress = { ecsDeploymentId: 'ecs-svc/9', taskDefinitionArn: lost.taskDefinitionArn };
    const state = activeState(lost, {
      env: { environment: 'staging', version: 7, active: { deploymentId: lost.id, lockExpiresAt: '2026-11-25T09:00:00.000Z' } },
      service: { ...service, taskDefinitionArn: lost.taskDefinitionArn, rolloutInProgress },
      task: { taskArn: lost.taskArn, containers: [{ name: 'app', exitCode: 0 }] },
    });
    // The push (09:14:58) is older than the lost deployment's image (09:16:00): ignored, the lost one recorded.
    const d = decideOn(sample('ecr-push'), state);
    expect(d.reason).toMatch(/was pushed before .*the service runs its revision/);
    expect(committed(d, lost.id)).toMatchObject({ status: 'ended', outcome: 'succeeded' });
    expect(committed(d, lost.id)).toMatchObject({ services: [{ service: 'shop-api', result: 'continued', ecsDeploymentId: 'ecs-svc/9' }] });
  });
});

describe('one ECS rollout followed by two deployments: both get the verdict', () => {
  /**
   * Deployment A updates the service to TD(43) (ecs-svc/1000). While ECS still rolls it out, a deliberate rerun B of
   * TD(43) succeeds, finds the service on its revision with ecs-svc/1000 IN_PROGRESS and follows that same rollout.
   * The verdict was recorded in one of them only (the index's last, and the last succeeded): A's rollout stayed open
   * and was recorded unconfirmed later. Every deployment that follows the rollout now gets ECS's verdict.
   */
  it("ECS's COMPLETED for A's rollout is recorded in A too, though a rerun B followed the same rollout", async () => {
    const ROLLOUT = 'ecs-svc/1000';
    const { ecs } = ecsStartingRollouts([ROLLOUT]);
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:18:00Z'), logLines: [] });
    await h.watch.handle(sample('task-stopped-success'));
    expect(await h.stored()).toMatchObject({ status: 'ended', services: [{ result: 'continued', ecsDeploymentId: ROLLOUT }] });

    // B: a deliberate rerun of the revision the service runs (TD(43)), while ECS still rolls ecs-svc/1000 out.
    await laterRunning(h.ports.store, TD(43), 'task-definition');
    await watcherAt(h.ports, '2026-11-25T09:40:01Z').handle(laterStopped(TD(43)));
    const after = await h.ports.store.loadDeployments([LATER]);
    // B adopted A's rollout as its own: the index now names ecs-svc/1000 for A and for B.
    expect(after[LATER]).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      services: [{ result: 'unchanged', ecsDeploymentId: ROLLOUT }],
    });
    const indexed = (await h.ports.store.loadEnvironmentWith('staging', [])).env.rollouts;
    expect(indexed).toEqual([
      { ecsDeploymentId: ROLLOUT, deploymentId: SAMPLE_DEPLOYMENT },
      { ecsDeploymentId: ROLLOUT, deploymentId: LATER },
    ]);

    await watcherAt(h.ports, '2026-11-25T09:41:00Z').handle(
      deploymentEvent('SERVICE_DEPLOYMENT_COMPLETED', ROLLOUT, '2026-11-25T09:40:59Z'),
    );
    // The verdict went to B only (the index's last entry, and the last succeeded)...
    expect((await h.ports.store.loadDeployments([LATER]))[LATER]).toMatchObject({ services: [{ completion: 'completed' }] });
    // ...but A started ecs-svc/1000: ECS's verdict on it is A's too. A is left open, and recorded unconfirmed later.
    expect(await h.stored()).toMatchObject({ services: [{ ecsDeploymentId: ROLLOUT, completion: 'completed' }] });
  });
});

/** 12 gated services: the first, then 11 others (each moved by rollOutImage). */
const OTHERS = Array.from({ length: 11 }, (_, n) => `shop-svc-${n + 1}`);
const SERVICES = ['shop-api', ...OTHERS].join(',');

describe('the rollout index keeps every rollout awaiting a verdict, whatever the number of services', () => {
  /**
   * With 12 services every deployment records 12 rollouts. An index of the newest 20 rollouts dropped A's first ones
   * once B rolled out, while they were still in flight, and ECS's COMPLETED for them was ignored. The index now drops
   * a rollout once its verdict is recorded, and keeps up to ROLLOUTS_INDEXED awaiting one.
   */
  it("ECS's COMPLETED for the first service of deployment A is recorded after B rolled out 12 services", async () => {
    const store = new LocalStore(new LocalLayout(dir, 'staging'));
    const running = runningDeployment();
    await store.commit({
      env: { state: activeState(running).env, expectedVersion: 0 },
      deployments: [{ deployment: running, expectedRevision: 0 }],
    });
    let round = 'A';
    let current: ServiceInfo = { ...service, taskDefinitionArn: TD(42) };
    const events: OutgoingEvent[] = [];
    const ports: Ports = {
      ecs: fakeEcs({
        describeService: async () => current,
        updateService: async (_target, taskDefinitionArn) => {
          current = { ...current, taskDefinitionArn };
          return { ecsDeploymentId: `ecs-svc/${round}-0` };
        },
        rollOutImage: async (request) =>
          request.services.map((s, n) => ({
            service: s,
            ok: true as const,
            taskDefinitionArn: TD(100 + n),
            containers: ['app'],
            unchanged: false,
            ecsDeploymentId: `ecs-svc/${round}-${n + 1}`,
          })),
      }),
      store,
      bus: { put: async (e) => void events.push(...e) },
      logs: { tail: async () => [] },
      scheduler: { scheduleTimeout: async () => {} },
      registry: { describeImage: async () => Promise.reject(new Error('no image tags here')) },
    };
    const watcher = (time: string) =>
      createRoleController(
        { config: config({ SERVICE: undefined, SERVICES }), ports, log: silentLog, now: () => new Date(time), sleep: async () => {} },
        WATCH_FUNCTION,
      );

    await watcher('2026-11-25T09:18:00Z').handle(sample('task-stopped-success'));
    const a = (await store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT] as Ended;
    expect(a).toMatchObject({ status: 'ended', outcome: 'succeeded' });
    expect(a.services?.[0]).toMatchObject({ service: 'shop-api', ecsDeploymentId: 'ecs-svc/A-0' });

    // B, ten minutes later: a newer image, rolled out to the same 12 services.
    round = 'B';
    await laterRunning(store, TD(44));
    await watcher('2026-11-25T09:28:01Z').handle(laterStopped(TD(44)));
    expect((await store.loadDeployments([LATER]))[LATER]).toMatchObject({ status: 'ended', outcome: 'succeeded' });

    events.length = 0;
    await watcher('2026-11-25T09:29:00Z').handle(deploymentEvent('SERVICE_DEPLOYMENT_COMPLETED', 'ecs-svc/A-0', '2026-11-25T09:28:59Z'));
    const after = (await store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT] as Ended;
    expect(after.services?.[0]).toMatchObject({ ecsDeploymentId: 'ecs-svc/A-0', completion: 'completed' });
    expect(events.map((e) => e.detailType)).toEqual(['Rollout Completed']);
  });
});
