import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import type { Ended } from '../../src/core/deployment.js';
import type { ServiceInfo } from '../../src/core/state.js';
import {
  actionsOf,
  activeState,
  committed,
  ctx,
  endedDeployment,
  KEPT_EXIT_0,
  launchingDeployment,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  SAMPLE_TASK,
  sample,
  service,
  TD,
  withEvent,
} from '../support/fixtures.js';

import { schedulingWorld } from '../support/scheduling-world.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-rollout-watch-checks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a rollout awaiting a verdict gets a rollout-watch check when no check of its deployment is left', () => {
  /**
   * The launcher committed the deployment as launching and sent RunTask, then died before RunTask's answer was
   * recorded (so before `decideLaunchResult` scheduled the timeout check). The task ran its migration (exit 0) and
   * stopped; its STOPPED event was kept as an early event. The retried push resumes the launch: RunTask (same
   * clientToken) answers with that task, and `decideLaunchResult` judges the kept event at once (`judge`) without
   * scheduling any timeout check; the service is updated and ECS's rollout ecs-svc/77 is followed.
   *
   * The deployment ends now, with no timeout check of it ever to come, so `watchRollouts` never runs for it.
   * `watchWhenNoCheckLeft` decides from `now >= migrationDeadline(launchedAt)`, but `launchedAt` is this very answer's
   * time, so it assumes the check is still to come and schedules nothing: a rollout without ECS's verdict is open for
   * good (never `unconfirmed`). Now: the rollout-watch check of the deployment is scheduled.
   */
  it('RunTask answer that judges a kept STOPPED event (no timeout check ever scheduled) schedules the rollout-watch', async () => {
    const launching = launchingDeployment({ revision: 1, earlyTaskEvents: [KEPT_EXIT_0] });
    let current: ServiceInfo = { ...service, taskDefinitionArn: TD(42) };
    const w = await schedulingWorld(
      dir,
      activeState(launching).env,
      [launching],
      {
        describeService: async () => current,
        updateService: async (_target, taskDefinitionArn) => {
          current = { ...current, taskDefinitionArn };
          return { ecsDeploymentId: 'ecs-svc/77' };
        },
      },
      '2026-11-25T09:20:00Z',
    );
    await w.controller.run({
      kind: 'launch-result',
      deploymentId: SAMPLE_DEPLOYMENT,
      ok: true,
      taskArn: SAMPLE_TASK,
      taskDefinitionArn: TD(43),
    });
    const ended = (await w.store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT] as Ended;
    expect(ended).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      services: [{ result: 'continued', ecsDeploymentId: 'ecs-svc/77' }],
    });
    expect(ended.services?.[0]?.completion).toBeUndefined();
    // No check of this deployment was ever scheduled (the timeout check was not, by the judging launch result).
    expect(w.scheduled).toContainEqual(
      expect.objectContaining({ deploymentId: SAMPLE_DEPLOYMENT, check: expect.objectContaining({ purpose: 'rollout-watch' }) }),
    );
  });

  /**
   * A launch whose first try's RunTask answer (09:15:01) scheduled the timeout check (`ecs-migrate-<id>`, due 10:15:01;
   * the schedule comes before the commit) and died before its commit; the retried trigger resumed the launch and its
   * answer was recorded at 09:20 (launchedAt), scheduling the same name again, which Scheduler ignores: the first
   * try's schedule is the one kept (decide-watch.ts `notDueYet` says so). The migration exits 0 and the STOPPED event
   * is lost (or its handling died and its retries ran out). The one check (fired 10:16:01, with Scheduler's margin)
   * finds the task stopped (`stoppedUnseen`), updates the service and ends the deployment, following ECS's rollout
   * ecs-svc/88.
   *
   * That check was the deployment's last (nothing else is scheduled for it), yet it came before
   * `migrationDeadline(launchedAt)` (10:20), so `watchWhenNoCheckLeft` takes it for the usual path and schedules no
   * rollout-watch check: without ECS's verdict the rollout stays open for good. Now: a rollout-watch check.
   */
  it('the kept first-try timeout check that finds the task stopped before the resumed launch is due schedules the rollout-watch', async () => {
    const running = runningDeployment({ revision: 1, launchedAt: '2026-11-25T09:20:00.000Z' });
    let current: ServiceInfo = { ...service, taskDefinitionArn: TD(42) };
    const w = await schedulingWorld(
      dir,
      activeState(running).env,
      [running],
      {
        describeService: async () => current,
        updateService: async (_target, taskDefinitionArn) => {
          current = { ...current, taskDefinitionArn };
          return { ecsDeploymentId: 'ecs-svc/88' };
        },
        describeTask: async () => ({
          lastStatus: 'STOPPED',
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
          stoppedAt: '2026-11-25T09:40:00.000Z',
          version: 5,
          containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 0 }],
        }),
      },
      '2026-11-25T10:16:01Z',
    );
    await w.controller.handle(withEvent(sample('timeout-check'), { top: { time: '2026-11-25T10:16:01Z' } }));
    const ended = (await w.store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT] as Ended;
    expect(ended).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      services: [{ result: 'continued', ecsDeploymentId: 'ecs-svc/88' }],
    });
    expect(ended.services?.[0]?.completion).toBeUndefined();
    expect(w.scheduled).toContainEqual(
      expect.objectContaining({ deploymentId: SAMPLE_DEPLOYMENT, check: expect.objectContaining({ purpose: 'rollout-watch' }) }),
    );
  });

  /**
   * pause-hook mode: deployment A migrated image 1 and ended at 09:17:59; its checks all came long ago. A day later
   * the owner deploys image 1 to shop-worker: its paused deployment is answered CONTINUE at once (`joinOrCreate`, the
   * image was migrated already), and the answer, ECS's rollout ecs-svc/555, is recorded in A after its end
   * (`decideRolloutResult`, and indexed). That rollout awaits ECS's verdict (`awaitingVerdict`), but no check of A will
   * ever come again and none is scheduled: without a verdict (no circuit breaker) it is never recorded `unconfirmed`.
   * Now: a check of A that follows that rollout is scheduled (after now).
   */
  it('a rollout recorded after the end (a paused deployment CONTINUEd at once) gets a check that follows it', () => {
    const a = endedDeployment('succeeded', {
      services: [{ service: 'shop-api', result: 'continued', ecsDeploymentId: 'ecs-svc/1', completion: 'completed' }],
    });
    const state = {
      env: {
        environment: 'staging',
        version: 9,
        lastSucceeded: { deploymentId: a.id, image: 'x', at: a.finishedAt },
      },
      deployments: { [a.id]: a },
    };
    const now = '2026-11-26T12:00:00.000Z';
    const context = ctx({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' }, now);
    const d = decide(
      {
        kind: 'rollout-result',
        deploymentId: a.id,
        services: [{ service: 'shop-worker', result: 'continued', ecsDeploymentId: 'ecs-svc/555' }],
      },
      state,
      context,
    );
    expect(committed(d, a.id)).toMatchObject({ services: [{ ecsDeploymentId: 'ecs-svc/1' }, { ecsDeploymentId: 'ecs-svc/555' }] });
    const checks = actionsOf(d, 'scheduleTimeout').filter((c) => c.deploymentId === a.id);
    expect(checks).toContainEqual(expect.objectContaining({ deploymentId: a.id }));
    expect(checks.every((c) => Date.parse(c.at) > Date.parse(now))).toBe(true);
  });
});
