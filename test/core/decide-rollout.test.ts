import { describe, expect, it } from 'vitest';
import type { Ended, Launching, Running, ServiceRollout, Waiter } from '../../src/core/deployment.js';
import type { ServiceDeploymentInfo, ServiceRevisionInfo } from '../../src/core/service-deployment.js';
import type { ControllerState } from '../../src/core/state.js';
import { ROLLOUTS_INDEXED } from '../../src/core/state.js';
import {
  actionsOf,
  activeState,
  committed,
  ctx,
  DIGEST,
  decideOn,
  endedDeployment,
  given,
  idleState,
  launchingDeployment,
  NOW,
  OLD_IMAGE,
  only,
  parse,
  queuedDeployment,
  queueState,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  SAMPLE_TASK,
  sample,
  scheduledCheck,
  service,
  TD,
  withEvent,
} from '../support/fixtures.js';

const SD = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/NCWGC2ZR-taawPAYrIaU5';
const HOOK = 'ecs-pause-7f3e9a1c2b4d4e5f8a6b7c8d9e0f1a2b';
const REV = 'arn:aws:ecs:eu-west-1:123456789012:service-revision/shop-staging/shop-api/4980306466373577095';
const APP_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@${DIGEST}`;
const OLD_DIGEST = `sha256:${'9'.repeat(64)}`;
const hookMode = (now?: string) => {
  const c = ctx({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });
  return now !== undefined ? { ...c, now } : c;
};

const paused = (overrides: Partial<ServiceDeploymentInfo> = {}): ServiceDeploymentInfo => ({
  serviceDeploymentArn: SD,
  serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-api',
  clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging',
  status: 'IN_PROGRESS',
  lifecycleStage: 'PRE_SCALE_UP',
  targetServiceRevisionArn: REV,
  sourceServiceRevisionArns: [],
  hooks: [{ hookId: HOOK, targetType: 'PAUSE', status: 'AWAITING_ACTION', expiresAt: '2026-11-26T09:20:02Z', timeoutAction: 'ROLLBACK' }],
  ...overrides,
});

const revision: ServiceRevisionInfo = {
  serviceRevisionArn: REV,
  serviceArn: paused().serviceArn,
  clusterArn: paused().clusterArn,
  taskDefinitionArn: TD(43),
  network: { subnets: ['subnet-rev'], securityGroups: ['sg-rev'], assignPublicIp: 'DISABLED' },
  capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
  containerImages: [
    { containerName: 'app', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v1.5.0', imageDigest: DIGEST },
    {
      containerName: 'log-router',
      image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
      imageDigest: `sha256:${'f'.repeat(64)}`,
    },
  ],
};

const withHook = (state: ControllerState, deployment = paused()): ControllerState => ({ ...state, hook: { deployment, revision } });
const waiter: Waiter = { service: 'shop-api', serviceDeploymentArn: SD, hookId: HOOK, expiresAt: '2026-11-26T09:20:02Z' };
const hookRunning = (): Running =>
  runningDeployment({ work: { type: 'revision', taskDefinitionArn: TD(43), image: APP_IMAGE, launch: {} }, waiters: [waiter] });

describe('pause-hook mode: a gated service paused at HOOK_STAGE', () => {
  it('runs the migration with the target revision as it is, in its network, keyed by the image digest', () => {
    const d = given(withHook(idleState()), hookMode())
      .when(sample('hook-awaiting-action'))
      .then({ decision: 'launch', actions: ['commit', 'launchTask'] });
    const request = only(d, 'launchTask').request;
    expect(request).toMatchObject({
      taskDefinitionArn: TD(43),
      network: revision.network,
      capacityProviderStrategy: revision.capacityProviderStrategy,
    });
    expect(request.image).toBeUndefined();
    expect(committed(d, d.deploymentId as string)).toMatchObject({
      status: 'launching',
      trigger: { type: 'pause-hook' },
      work: { type: 'revision', image: APP_IMAGE },
      waiters: [waiter],
    });
  });

  it('adds the hook of a second service deploying the same digest as a waiter: one task for both', () => {
    const workerPaused = paused({ hooks: [{ hookId: 'ecs-pause-worker', status: 'AWAITING_ACTION' }] });
    const d = given(withHook(activeState(hookRunning()), workerPaused), hookMode())
      .when(
        withEvent(sample('hook-awaiting-action'), {
          top: { id: 'worker-hook' },
          detail: { hookId: 'ecs-pause-worker', serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-worker' },
        }),
      )
      .then({ decision: 'record', actions: ['commit'] });
    expect(committed(d, SAMPLE_DEPLOYMENT).waiters?.map((w) => w.service)).toEqual(['shop-api', 'shop-worker']);
  });

  it('never makes a paused deployment wait on a run-command of the same digest: its own migration is queued', () => {
    // A command's end neither continues nor halts a rollout: as its waiter the hook would never be answered.
    const command = runningDeployment({
      kind: 'command',
      trigger: { type: 'run-command', eventId: 'e-cmd', at: '2026-11-25T09:14:58Z', requestId: 'seed-1', requestedBy: 'bob' },
      work: { type: 'image', image: APP_IMAGE, baseTaskDefinitionArn: TD(42) },
      command: ['db-seed'],
    });
    const d = given(withHook(activeState(command)), hookMode())
      .when(sample('hook-awaiting-action'))
      .then({ decision: 'queue', actions: ['scheduleTimeout', 'commit'] });
    expect(d.deploymentId).not.toBe(command.id);
    // Queued, its paused deployment is answered by a check of its own at the hook's expiry less the margin, should
    // the migration not have run by then.
    expect(only(d, 'scheduleTimeout')).toMatchObject({ deploymentId: d.deploymentId, at: '2026-11-26T09:15:02.000Z', purpose: 'deadline' });
    expect(actionsOf(d, 'commit').flatMap((c) => c.deployments.map((w) => w.deployment.id))).not.toContain(command.id);
    expect(committed(d, d.deploymentId as string)).toMatchObject({
      status: 'queued',
      kind: 'migration',
      work: { type: 'revision', image: APP_IMAGE },
      waiters: [waiter],
    });
  });

  it('supersedes the queued migration of another image, answering ROLLBACK to the paused deployments waiting for it', () => {
    // (A deploy-request cannot supersede it in this mode: it is refused, request-policy.test.ts.)
    const worker: Waiter = {
      service: 'shop-worker',
      serviceDeploymentArn: 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-worker/B',
      hookId: 'hook-b',
    };
    const active = runningDeployment({ id: '20261125-090000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });
    const queued = { ...queuedDeployment('20261125-091000-bbbbbbbb', OLD_IMAGE), waiters: [worker] };
    const d = given(withHook(queueState(active, queued)), hookMode())
      .when(sample('hook-awaiting-action'))
      .then({ decision: 'queue', actions: ['scheduleTimeout', 'haltRollout', 'commit', 'publish'], events: ['Migration Superseded'] });
    // Nothing else would answer it: its owner's deployment would stay paused until the hook's own timeout.
    expect(only(d, 'haltRollout').target).toEqual({ mode: 'pause-hook', waiters: [worker] });
    expect(committed(d, queued.id)).toMatchObject({
      status: 'ended',
      outcome: 'superseded',
      // The ROLLBACK goes out before this commit, which records it (an invocation dying after it loses nothing).
      services: [{ service: 'shop-worker', result: 'rolled-back', ecsDeploymentId: worker.serviceDeploymentArn }],
    });
    expect(committed(d, d.deploymentId as string)).toMatchObject({ status: 'queued', waiters: [waiter] });
  });

  it('answers CONTINUE at once when the digest was migrated already: no second task', () => {
    const deployed = withHook(
      idleState({
        env: {
          environment: 'staging',
          version: 4,
          lastSucceeded: { deploymentId: SAMPLE_DEPLOYMENT, image: APP_IMAGE, at: '2026-11-25T09:00:00Z' },
        },
      }),
    );
    const d = given(deployed, hookMode())
      .when(sample('hook-awaiting-action'))
      .then({ decision: 'continue', actions: ['continueRollout'] });
    expect(only(d, 'continueRollout').target).toEqual({ mode: 'pause-hook', waiters: [waiter] });
  });

  it('resumes the launch on a retried delivery of the hook event (same clientToken), and drops one once the task is known', () => {
    const first = given(withHook(idleState()), hookMode()).when(sample('hook-awaiting-action')).then({ decision: 'launch' });
    const created = committed(first, first.deploymentId as string);
    const resumed = given(withHook(activeState(created)), hookMode())
      .when(sample('hook-awaiting-action'))
      .then({ decision: 'launch', reason: /resuming the launch .* \(retried delivery\)/, actions: ['launchTask'] });
    expect(only(resumed, 'launchTask').request).toMatchObject({
      resumed: true,
      clientToken: only(first, 'launchTask').request.clientToken,
    });
    const { launchStartedAt: _l, ...rest } = created as Launching;
    const running: Running = { ...rest, status: 'running', taskArn: SAMPLE_TASK, taskDefinitionArn: TD(43), launchedAt: NOW };
    // Also once ECS no longer waits (the hook expired): the deployment exists, so the event is a duplicate.
    given(withHook(activeState(running), paused({ status: 'ROLLBACK_IN_PROGRESS' })), hookMode())
      .when(sample('hook-awaiting-action'))
      .then({ decision: 'ignore', reason: /duplicate delivery/ });
  });

  it.each([
    ['the deployment is no longer IN_PROGRESS', paused({ status: 'ROLLBACK_IN_PROGRESS' }), /is ROLLBACK_IN_PROGRESS, not IN_PROGRESS/],
    ['the hook was answered meanwhile', paused({ hooks: [{ hookId: HOOK, status: 'SUCCEEDED' }] }), /is SUCCEEDED, not AWAITING_ACTION/],
  ])('ignores the event when %s', (_what, deployment, reason) => {
    given(withHook(idleState(), deployment), hookMode())
      .when(sample('hook-awaiting-action'))
      .then({ decision: 'ignore', reason, actions: [] });
  });

  it('ignores hooks of other stages, of services it does not gate, and every hook in update-service mode', () => {
    given(withHook(idleState()), hookMode())
      .when(withEvent(sample('hook-awaiting-action'), { detail: { lifecycleStage: 'POST_SCALE_UP' } }))
      .then({ decision: 'ignore' });
    given(withHook(idleState()), hookMode())
      .when(
        withEvent(sample('hook-awaiting-action'), {
          detail: { serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/billing' },
        }),
      )
      .then({ decision: 'ignore', reason: /not gated here/ });
    given(withHook(idleState()))
      .when(sample('hook-awaiting-action'))
      .then({ decision: 'ignore', reason: /ROLLOUT_MODE is update-service/ });
  });

  it("gates REGISTRY/REPOSITORY only: a container of another registry's repository of the same name is not the app's", () => {
    // Was: the gated image was read by repository name in any registry, so this revision (two digests of "shop-api")
    // was answered ROLLBACK, though update-service mode gives the new image to REGISTRY/REPOSITORY's containers only.
    const vendor = { containerName: 'vendor', image: '999999999999.dkr.ecr.eu-west-1.amazonaws.com/shop-api:2.0', imageDigest: OLD_DIGEST };
    const withVendor = { ...revision, containerImages: [vendor, ...revision.containerImages] };
    const d = given({ ...idleState(), hook: { deployment: paused(), revision: withVendor } }, hookMode())
      .when(sample('hook-awaiting-action'))
      .then({ decision: 'launch', actions: ['commit', 'launchTask'] });
    // Listed first, its registry is not the one the deployment is keyed by either.
    expect(committed(d, d.deploymentId as string)).toMatchObject({ work: { type: 'revision', image: APP_IMAGE } });
  });

  it('records HOOK_TIMED_OUT in the history of the deployment the hook waits on', () => {
    const d = given(activeState(hookRunning()), hookMode())
      .when(sample('hook-timed-out'))
      .then({ decision: 'record', actions: ['commit'] });
    expect(committed(d, SAMPLE_DEPLOYMENT).history.at(-1)?.note).toMatch(/HOOK_TIMED_OUT for shop-api/);
  });
});

describe('pause-hook mode: a hook that joins an open migration and expires first brings its timeout forward', () => {
  const WORKER_HOOK = 'ecs-pause-worker';
  const workerJoins = (state: ControllerState, expiresAt: string) =>
    given(withHook(state, paused({ hooks: [{ hookId: WORKER_HOOK, status: 'AWAITING_ACTION', expiresAt }] })), hookMode()).when(
      withEvent(sample('hook-awaiting-action'), {
        top: { id: 'worker-hook' },
        detail: { hookId: WORKER_HOOK, serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-worker', expiresAt },
      }),
    );

  it("schedules a check at the joining hook's expiry less the margin, before the commit; that check answers ROLLBACK to every waiter", () => {
    // shop-api's hook expires in a day: the check set at launch is at TIMEOUT_MINUTES (10:15:01). shop-worker's
    // owner deployment of the same digest pauses with 20 minutes left and joins.
    const d = workerJoins(activeState(hookRunning()), '2026-11-25T09:38:00.000Z').then({
      decision: 'record',
      reason: /timeout check comes forward to 2026-11-25T09:33:00.000Z/,
      actions: ['scheduleTimeout', 'commit'],
    });
    // A schedule of its own (the launch's keeps its name): one the watcher takes as this attempt's timeout check.
    expect(only(d, 'scheduleTimeout')).toEqual({
      type: 'scheduleTimeout',
      deploymentId: SAMPLE_DEPLOYMENT,
      environment: 'staging',
      at: '2026-11-25T09:33:00.000Z',
      attempt: 1,
      purpose: 'deadline',
    });
    const joined = committed(d, SAMPLE_DEPLOYMENT);
    expect(joined.waiters?.map((w) => w.hookId)).toEqual([HOOK, WORKER_HOOK]);

    // The check comes: the migration still runs, so it is stopped and both paused deployments are rolled back by us.
    const check = given(activeState(joined), { ...hookMode(), now: '2026-11-25T09:33:00.000Z' })
      .when(withEvent(sample('timeout-check'), { detail: { attempt: 1, purpose: 'deadline' } }))
      .then({
        decision: 'halt',
        reason: /the paused deployment's timeout less 5 minutes/,
        actions: ['stopTask', 'haltRollout', 'commit', 'publish'],
      });
    expect(only(check, 'haltRollout').target).toEqual({ mode: 'pause-hook', waiters: joined.waiters });
  });

  it('of a launching attempt, counts from its launch and names that attempt', () => {
    const retrying = launchingDeployment({
      work: { type: 'revision', taskDefinitionArn: TD(43), image: APP_IMAGE, launch: {} },
      waiters: [waiter],
      attempt: 2,
      launchStartedAt: '2026-11-25T09:17:00.000Z',
      retryAt: '2026-11-25T09:21:00.000Z',
    });
    const d = workerJoins(activeState(retrying), '2026-11-25T09:38:00.000Z').then({ actions: ['scheduleTimeout', 'commit'] });
    expect(only(d, 'scheduleTimeout')).toMatchObject({ at: '2026-11-25T09:33:00.000Z', attempt: 2, purpose: 'deadline' });
  });

  it('schedules nothing when the hook expires after the check already set; a queued migration gets a check of its own', () => {
    workerJoins(activeState(hookRunning()), '2026-11-25T11:00:00.000Z').then({ decision: 'record', actions: ['commit'] });
    // Queued: a check at the joining hook's deadline, earlier than its other waiter's (its launch sets one from all).
    const queued = { ...queuedDeployment('20261125-091700-0badc0de', APP_IMAGE), waiters: [waiter] };
    const state = queueState(runningDeployment({ work: { type: 'image', image: OLD_IMAGE } }), queued);
    const d = workerJoins(state, '2026-11-25T09:38:00.000Z').then({ decision: 'record', actions: ['scheduleTimeout', 'commit'] });
    expect(committed(d, queued.id).waiters?.map((w) => w.hookId)).toEqual([HOOK, WORKER_HOOK]);
    expect(only(d, 'scheduleTimeout')).toMatchObject({ deploymentId: queued.id, at: '2026-11-25T09:33:00.000Z', purpose: 'deadline' });
    // A hook expiring after the queued migration's next check adds none.
    const later = queueState(runningDeployment({ work: { type: 'image', image: OLD_IMAGE } }), queued);
    workerJoins(later, '2026-11-27T00:00:00.000Z').then({ decision: 'record', actions: ['commit'] });
  });

  it("a queued migration's check at the first of several deadlines sets one at the next: each paused deployment is answered in time", () => {
    // Was: the check at the first waiter's deadline was ignored (not every waiter due), and none was set for the
    // second's: its hook was left to ECS's own timeout action.
    const first: Waiter = { ...waiter, expiresAt: '2026-11-25T09:30:00.000Z' };
    const second: Waiter = { ...waiter, hookId: WORKER_HOOK, service: 'shop-worker', expiresAt: '2026-11-25T10:00:00.000Z' };
    const queued = { ...queuedDeployment('20261125-091700-0badc0de', APP_IMAGE), waiters: [first, second] };
    const state = queueState(runningDeployment({ work: { type: 'image', image: OLD_IMAGE } }), queued);
    const check = scheduledCheck(queued.id, 1, 'deadline');
    const d = given(state, hookMode('2026-11-25T09:25:30.000Z'))
      .when(check)
      .then({ decision: 'record', actions: ['scheduleTimeout'] });
    expect(only(d, 'scheduleTimeout')).toMatchObject({ deploymentId: queued.id, at: '2026-11-25T09:55:00.000Z', purpose: 'deadline' });
    given(state, hookMode('2026-11-25T09:55:30.000Z'))
      .when(check)
      .then({ decision: 'halt', actions: ['haltRollout', 'commit', 'publish'] });
  });

  it("a queued migration's check ends it once every paused deployment waiting for it is past its deadline, ROLLBACK answered; not before", () => {
    const soon: Waiter = { ...waiter, expiresAt: '2026-11-25T09:30:00.000Z' };
    const queued = { ...queuedDeployment('20261125-091700-0badc0de', APP_IMAGE), waiters: [soon] };
    const state = queueState(runningDeployment({ work: { type: 'image', image: OLD_IMAGE } }), queued);
    const check = scheduledCheck(queued.id, 1, 'deadline');
    // 09:24: its deadline (09:25) has not come: checked again then.
    const early = given(state, hookMode('2026-11-25T09:24:00.000Z'))
      .when(check)
      .then({ decision: 'record', actions: ['scheduleTimeout'] });
    expect(only(early, 'scheduleTimeout')).toMatchObject({ at: '2026-11-25T09:25:00.000Z', purpose: 'deadline' });
    const d = given(state, hookMode('2026-11-25T09:25:00.000Z'))
      .when(check)
      .then({ decision: 'halt', actions: ['haltRollout', 'commit', 'publish'], events: ['Migration Timed Out', 'Rollout Halted'] });
    expect(only(d, 'haltRollout').target).toEqual({ mode: 'pause-hook', waiters: [soon] });
    expect(committed(d, queued.id)).toMatchObject({
      status: 'ended',
      outcome: 'timed_out',
      reason: expect.stringContaining('while it was queued'),
    });
    // It leaves the queue; the running migration keeps the environment.
    expect(only(d, 'commit').env?.state).toMatchObject({ active: { deploymentId: SAMPLE_DEPLOYMENT } });
    expect(only(d, 'commit').env?.state).not.toHaveProperty('queued');
  });
});

describe('pause-hook mode: the watcher answers every waiter', () => {
  const stoppedWith = (name: string) => {
    const input = parse(sample(name));
    if (input.kind !== 'task-state') throw new Error('not a task event');
    return { ...input, logTail: ['x'] };
  };

  it('CONTINUE on exit 0 of the migration container, without comparing task definitions', () => {
    const state = activeState(hookRunning(), { service: { ...service, taskDefinitionArn: TD(45) } });
    const d = given(state, hookMode())
      .when(stoppedWith('task-stopped-success'))
      .then({ decision: 'continue', actions: ['continueRollout'] });
    const update = only(d, 'continueRollout');
    expect(update.target).toEqual({ mode: 'pause-hook', waiters: [waiter] });
    // The answers come back and end the deployment with them; a waiter whose hook moved on is recorded, not failed.
    const services = [{ service: 'shop-api', result: 'moved-on' as const, reason: 'hook is TIMED_OUT' }];
    const r = given(state, hookMode())
      .when({
        kind: 'rollout-result',
        deploymentId: SAMPLE_DEPLOYMENT,
        services,
        ...(update.completion !== undefined ? { completion: update.completion } : {}),
      })
      .then({ decision: 'record', actions: ['commit', 'publish'], events: ['Migration Succeeded', 'Rollout Continued'] });
    expect(committed(r, SAMPLE_DEPLOYMENT)).toMatchObject({ outcome: 'succeeded', rollout: 'moved-on', services });
  });

  it('an update of the service refused for good: no Rollout Continued, and the queued command starts from the revision it still runs', () => {
    // update-service mode, one service: exit 0, then UpdateService refused for good (recorded failed by the shell).
    const queuedCommand = {
      ...queuedDeployment('20261125-091600-cccccccc', 'repo@sha256:next'),
      kind: 'command' as const,
      command: ['db-seed'],
      work: { type: 'task-definition' as const, taskDefinitionArn: TD(42), ofService: true as const },
    };
    const state = queueState(runningDeployment(), queuedCommand);
    const update = only(given(state).when(stoppedWith('task-stopped-success')).then({ decision: 'continue' }), 'continueRollout');
    const refused = [{ service: 'shop-api', result: 'failed' as const, reason: 'ecs:UpdateService failed: service not active' }];
    const r = given(state)
      .when({
        kind: 'rollout-result',
        deploymentId: SAMPLE_DEPLOYMENT,
        services: refused,
        ...(update.completion ? { completion: update.completion } : {}),
      })
      .then({ decision: 'record', events: ['Rollout Failed', 'Migration Succeeded'] });
    expect(committed(r, SAMPLE_DEPLOYMENT)).toMatchObject({ outcome: 'succeeded', rollout: 'halted', services: refused });
    // The service still runs revision 42 (state.service): the command is launched there, not on the refused 43.
    expect(only(r, 'launchTask').request.taskDefinitionArn).toBe(TD(42));
  });

  it('a result decided again after a lost race answers the waiter that joined meanwhile, then ends with every answer', () => {
    // The watcher judged exit 0 on revision 2 (one waiter) and answered it; before its commit the launcher committed
    // revision 3: shop-worker's paused deployment joined. The commit loses, the record is reloaded, the result decided again.
    const state = activeState(hookRunning());
    const update = only(
      given(state, hookMode()).when(stoppedWith('task-stopped-success')).then({ decision: 'continue' }),
      'continueRollout',
    );
    const worker: Waiter = { service: 'shop-worker', serviceDeploymentArn: `${SD}-worker`, hookId: 'ecs-pause-worker' };
    const joinNote = { at: '2026-11-25T09:17:30.000Z', status: 'running', note: "shop-worker's paused deployment waits for it too" };
    const fresh: Running = { ...hookRunning(), revision: 3, waiters: [waiter, worker], history: [joinNote] };
    const reloaded = activeState(fresh);
    const result = (services: ServiceRollout[], completion = update.completion) =>
      ({ kind: 'rollout-result', deploymentId: SAMPLE_DEPLOYMENT, services, ...(completion !== undefined ? { completion } : {}) }) as const;
    const apiAnswered = result([{ service: 'shop-api', result: 'continued', ecsDeploymentId: SD }]);

    // Only the waiter no answer went to yet is answered, with the answers so far carried along; nothing is committed.
    const again = given(reloaded, hookMode())
      .when(apiAnswered)
      .then({ decision: 'continue', actions: ['continueRollout'] });
    const more = only(again, 'continueRollout');
    expect(more.target).toEqual({ mode: 'pause-hook', waiters: [worker] });
    expect(more.completion?.ending.services).toEqual(apiAnswered.services);
    // Deciding the same result again decides the same (pure): one answer per waiter, no loop.
    expect(given(reloaded, hookMode()).when(apiAnswered).then({})).toEqual(again);

    // Its answer comes back: the end is committed on revision 3 with both waiters and both answers.
    const workerAnswered = result(
      [{ service: 'shop-worker', result: 'continued', ecsDeploymentId: worker.serviceDeploymentArn }],
      more.completion,
    );
    const ended = given(reloaded, hookMode())
      .when(workerAnswered)
      .then({ decision: 'record', actions: ['commit', 'publish'], events: ['Migration Succeeded', 'Rollout Continued'] });
    const commit = only(ended, 'commit').deployments.find((w) => w.deployment.id === SAMPLE_DEPLOYMENT);
    expect(commit?.expectedRevision).toBe(3);
    expect(commit?.deployment).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      waiters: [waiter, worker],
      services: [...apiAnswered.services, ...workerAnswered.services],
      reason: /rollout: shop-api continued; shop-worker continued$/,
    });
    expect(commit?.deployment.history.map((h) => h.note)).toContain(joinNote.note);

    // A duplicate of either result after the end changes nothing.
    const after = activeState(commit?.deployment as Ended);
    given(after, hookMode())
      .when(workerAnswered)
      .then({ decision: 'ignore', reason: /duplicate/ });
    given(after, hookMode())
      .when(apiAnswered)
      .then({ decision: 'ignore', reason: /duplicate/ });
  });

  it('when RunTask answered last, a waiter that joined the launching record meanwhile is answered, then the task recorded with the end', () => {
    // The launcher judged a STOPPED event kept before RunTask answered: the verdict saw the task, no commit had it.
    const seen: Running = { ...hookRunning(), revision: 2 };
    const worker: Waiter = { service: 'shop-worker', serviceDeploymentArn: `${SD}-worker`, hookId: 'ecs-pause-worker' };
    const { taskArn: _t, taskDefinitionArn: _d, launchedAt: _l, taskVersion: _v, status: _s, ...rest } = seen;
    const fresh = {
      ...rest,
      status: 'launching' as const,
      launchStartedAt: '2026-11-25T09:15:00.500Z',
      revision: 3,
      waiters: [waiter, worker],
    };
    const reloaded = activeState(fresh);
    const ending = { outcome: 'succeeded' as const, reason: 'container "app" exited with code 0', rollout: 'continued' as const };
    const first = {
      kind: 'rollout-result',
      deploymentId: SAMPLE_DEPLOYMENT,
      services: [{ service: 'shop-api', result: 'continued' }],
    } as const;
    const more = only(
      given(reloaded, hookMode())
        .when({ ...first, completion: { deployment: seen, ending, prior: [] } })
        .then({ decision: 'continue' }),
      'continueRollout',
    );
    expect(more.target).toEqual({ mode: 'pause-hook', waiters: [worker] });
    const ended = given(reloaded, hookMode())
      .when({
        ...first,
        services: [{ service: 'shop-worker', result: 'continued' }],
        ...(more.completion ? { completion: more.completion } : {}),
      })
      .then({ decision: 'record' });
    expect(committed(ended, SAMPLE_DEPLOYMENT)).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      taskArn: SAMPLE_TASK,
      waiters: [waiter, worker],
      services: [{ service: 'shop-api' }, { service: 'shop-worker' }],
    });
  });

  it('ROLLBACK on anything else, recorded by the commit that ends the deployment, which comes after it', () => {
    const d = given(activeState(hookRunning()), hookMode())
      .when(stoppedWith('task-stopped-exit-1'))
      .then({ decision: 'halt', actions: ['haltRollout', 'commit', 'publish'] });
    expect(only(d, 'haltRollout').target).toEqual({ mode: 'pause-hook', waiters: [waiter] });
    const ended = committed(d, SAMPLE_DEPLOYMENT) as Ended;
    expect(ended.services).toEqual([{ service: 'shop-api', result: 'rolled-back', ecsDeploymentId: waiter.serviceDeploymentArn }]);
    // What ECS said, fed back: the same answer is recorded already (no second write); a hook that moved on replaces it.
    const same = { kind: 'rollout-result', deploymentId: ended.id, services: ended.services ?? [] } as const;
    given(activeState(ended), hookMode())
      .when(same)
      .then({ decision: 'ignore', reason: /recorded in .* already/ });
    const movedOn = {
      ...same,
      services: [{ service: 'shop-api', result: 'moved-on' as const, ecsDeploymentId: waiter.serviceDeploymentArn, reason: 'expired' }],
    };
    const after = committed(given(activeState(ended), hookMode()).when(movedOn).then({ decision: 'record' }), ended.id) as Ended;
    expect(after.services).toEqual(movedOn.services);
  });

  it('times the migration out before the paused deployment would (its expiry less a margin)', () => {
    const soon = { ...waiter, expiresAt: '2026-11-25T09:30:00Z' };
    const d = given(activeState({ ...hookRunning(), waiters: [soon] }), { ...hookMode(), now: '2026-11-25T09:25:30.000Z' })
      .when(sample('timeout-check'))
      .then({
        decision: 'halt',
        reason: /the paused deployment's timeout less 5 minutes/,
        actions: ['stopTask', 'haltRollout', 'commit', 'publish'],
      });
    expect(only(d, 'haltRollout').target).toEqual({ mode: 'pause-hook', waiters: [soon] });
  });

  it('records a waiter whose hook moved on (timed out, answered by a person) without failing', () => {
    const ended = { ...endedDeployment('succeeded'), waiters: [waiter] };
    const d = given(activeState(ended), hookMode())
      .when({
        kind: 'rollout-result',
        deploymentId: SAMPLE_DEPLOYMENT,
        services: [{ service: 'shop-api', result: 'moved-on', reason: 'hook is TIMED_OUT' }],
      })
      .then({ decision: 'record', actions: ['commit'] });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({
      outcome: 'succeeded',
      rollout: 'moved-on',
      services: [{ service: 'shop-api', result: 'moved-on' }],
    });
  });

  it('keeps one entry per paused deployment answered, the last 20 (an owner redeploying a migrated image adds one each time)', () => {
    const answered = (n: number) => ({ service: 'shop-api', result: 'continued' as const, ecsDeploymentId: `ecs-svc/${n}` });
    const ended = { ...endedDeployment('succeeded'), services: Array.from({ length: 20 }, (_, n) => answered(n)) };
    const d = given(activeState(ended), hookMode())
      .when({ kind: 'rollout-result', deploymentId: SAMPLE_DEPLOYMENT, services: [answered(20)] })
      .then({ decision: 'record', actions: ['scheduleTimeout', 'commit'] });
    const services = (committed(d, SAMPLE_DEPLOYMENT) as Ended).services ?? [];
    expect(services.map((s) => s.ecsDeploymentId)).toEqual(Array.from({ length: 20 }, (_, n) => `ecs-svc/${n + 1}`));
  });

  it('indexes a rollout answered after the end in the environment record, the newest ROLLOUTS_INDEXED kept', () => {
    const indexed = Array.from({ length: ROLLOUTS_INDEXED }, (_, n) => ({
      ecsDeploymentId: `ecs-svc/${n}`,
      deploymentId: `20261125-0900${String(n % 60).padStart(2, '0')}-aaaaaaaa`,
    }));
    const ended = endedDeployment('succeeded', { services: [] });
    const state = activeState(ended, { env: { environment: 'staging', version: 9, rollouts: indexed } });
    const answer = { service: 'shop-api', result: 'continued' as const, ecsDeploymentId: `ecs-svc/${ROLLOUTS_INDEXED}` };
    const d = given(state, hookMode())
      .when({ kind: 'rollout-result', deploymentId: SAMPLE_DEPLOYMENT, services: [answer] })
      .then({ decision: 'record', actions: ['scheduleTimeout', 'commit'] });
    const rollouts = only(d, 'commit').env?.state.rollouts ?? [];
    expect(rollouts).toHaveLength(ROLLOUTS_INDEXED);
    expect(rollouts.at(0)?.ecsDeploymentId).toBe('ecs-svc/1');
    expect(rollouts.at(-1)).toEqual({ ecsDeploymentId: answer.ecsDeploymentId, deploymentId: SAMPLE_DEPLOYMENT });
  });
});

describe('rollouts followed to completion', () => {
  const rolledOut = endedDeployment('succeeded', {
    services: [{ service: 'shop-api', result: 'continued', ecsDeploymentId: 'ecs-svc/5169280574093855189' }],
  });
  const state = idleState({
    env: { environment: 'staging', version: 5, lastSucceeded: { deploymentId: SAMPLE_DEPLOYMENT, at: '2026-11-25T09:18:00Z' } },
    deployments: { [SAMPLE_DEPLOYMENT]: rolledOut },
  });

  it('ECS says the deployment completed: Rollout Completed', () => {
    const d = given(state)
      .when(sample('deployment-completed'))
      .then({ decision: 'record', events: ['Rollout Completed'] });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({
      services: [expect.objectContaining({ service: 'shop-api', completion: 'completed' })],
    });
  });

  it.each(['deployment-failed', 'deployment-rolling-back'])('%s: Rollout Failed, with the reason ECS gives', (name) => {
    const deploymentId = (sample(name).detail as { deploymentId: string }).deploymentId;
    const matching = {
      ...state,
      deployments: {
        [SAMPLE_DEPLOYMENT]: {
          ...rolledOut,
          services: [{ service: 'shop-api', result: 'continued' as const, ecsDeploymentId: deploymentId }],
        },
      },
    };
    const d = given(matching)
      .when(sample(name))
      .then({ decision: 'record', events: ['Rollout Failed'] });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ services: [{ completion: 'failed', completionReason: expect.any(String) }] });
  });

  it("no verdict within ROLLOUT_WATCH_MINUTES of the end: recorded as unconfirmed by the deployment's own scheduled check", () => {
    // The launch's timeout check comes after the end; before ROLLOUT_WATCH_MINUTES it schedules a check at that time.
    const early = given(state, ctx({}, '2026-11-25T09:40:00.000Z'))
      .when(sample('timeout-check'))
      .then({ decision: 'record', actions: ['scheduleTimeout'] });
    expect(only(early, 'scheduleTimeout')).toMatchObject({ at: '2026-11-25T09:47:59.000Z', purpose: 'rollout-watch' });
    const d = given(state, ctx({}, '2026-11-25T09:48:00.000Z'))
      .when(withEvent(sample('timeout-check'), { detail: { attempt: 1, purpose: 'rollout-watch' } }))
      .then({ decision: 'record', reason: /no rollout verdict from ECS for shop-api .*: unconfirmed/, actions: ['commit'] });
    expect(committed(d, SAMPLE_DEPLOYMENT)).toMatchObject({ services: [{ service: 'shop-api', completion: 'unconfirmed' }] });
  });

  it('a rollout followed after the end (`since`) is due from then: an earlier check leaves it open and comes back for it', () => {
    const late = { service: 'shop-web', result: 'continued' as const, ecsDeploymentId: 'ecs-svc/late', since: '2026-11-25T09:50:00.000Z' };
    const both = endedDeployment('succeeded', { services: [...(rolledOut.services ?? []), late] });
    const watched = { ...state, deployments: { [SAMPLE_DEPLOYMENT]: both } };
    const d = decideOn(sample('timeout-check'), watched, ctx({}, '2026-11-25T10:00:00.000Z'));
    const services = (committed(d, SAMPLE_DEPLOYMENT) as Ended).services ?? [];
    expect(services.map((s) => [s.service, s.completion])).toEqual([
      ['shop-api', 'unconfirmed'],
      ['shop-web', undefined],
    ]);
    expect(only(d, 'scheduleTimeout')).toMatchObject({ purpose: 'rollout-watch', at: '2026-11-25T10:20:00.000Z' });
  });

  it('a ROLLBACK answered is no rollout to watch: never recorded as unconfirmed', () => {
    const halted = endedDeployment('failed', {
      waiters: [waiter],
      services: [{ service: 'shop-api', result: 'rolled-back', ecsDeploymentId: waiter.serviceDeploymentArn }],
    });
    given(activeState(halted), ctx({}, '2026-11-25T09:48:00.000Z'))
      .when(withEvent(sample('timeout-check'), { detail: { attempt: 1, purpose: 'rollout-watch' } }))
      .then({ decision: 'ignore' });
  });

  it('a rollout ECS gave a verdict for is not watched any more', () => {
    const done = {
      ...state,
      deployments: {
        [SAMPLE_DEPLOYMENT]: {
          ...rolledOut,
          services: [{ service: 'shop-api', result: 'continued' as const, ecsDeploymentId: 'x', completion: 'completed' as const }],
        },
      },
    };
    given(done, ctx({}, '2026-11-25T10:18:00.000Z')).when(sample('timeout-check')).then({ decision: 'ignore' });
  });

  it('a service that could not be moved is announced as Rollout Failed', () => {
    given(activeState(endedDeployment('succeeded')))
      .when({
        kind: 'rollout-result',
        deploymentId: SAMPLE_DEPLOYMENT,
        services: [{ service: 'shop-worker', result: 'failed', reason: 'AccessDenied' }],
      })
      .then({ decision: 'record', events: ['Rollout Failed'] });
  });
});
