import { describe, expect, it } from 'vitest';
import { PUSH_IN_PAUSE_HOOK_MODE } from '../../src/core/decide-launch.js';
import { clientTokenFor, deploymentIdOfTrigger, startedByFor } from '../../src/core/deployment.js';
import { loadPlan } from '../../src/core/load-plan.js';
import type { EnvironmentState } from '../../src/core/state.js';
import {
  actionsOf,
  activeState,
  committed,
  ctx,
  decideOn,
  eventTypes,
  given,
  idleState,
  KEPT_EXIT_0,
  launchingDeployment,
  OLD_IMAGE,
  only,
  PUSHED_IMAGE,
  parse,
  queuedDeployment,
  queueState,
  runningDeployment,
  SAMPLE_TASK,
  sample,
  service,
  serviceMigratedBy,
  TD,
  withEvent,
} from '../support/fixtures.js';

const pushId = (() => {
  const input = parse(sample('ecr-push'));
  if (input.kind !== 'ecr-image-action') throw new Error('sample is not a push');
  return deploymentIdOfTrigger(input.trigger, 'staging');
})();

describe('ECR push', () => {
  it('launches the migration with the pushed image pinned by digest, in the service network', () => {
    const d = decideOn(sample('ecr-push'), idleState());
    expect(d).toMatchObject({ decision: 'launch', deploymentId: pushId });
    expect(pushId).toMatch(/^20261125-091458-[0-9a-f]{8}$/);

    const write = only(d, 'commit');
    expect(write.env).toEqual({
      expectedVersion: 3,
      state: {
        environment: 'staging',
        version: 4,
        active: { deploymentId: pushId, lockExpiresAt: '2026-11-25T10:33:00.000Z' },
        // The image and its push time as first seen: a tag added to it later does not make it newer.
        seenImages: [{ image: PUSHED_IMAGE, pushedAt: '2026-11-25T09:14:58Z' }],
      },
    });
    expect(write.deployments).toEqual([
      {
        expectedRevision: 0,
        deployment: expect.objectContaining({
          id: pushId,
          revision: 1,
          status: 'launching',
          kind: 'migration',
          work: { type: 'image', image: PUSHED_IMAGE, baseTaskDefinitionArn: TD(42), pushedAt: '2026-11-25T09:14:58Z' },
          command: ['db-migrate'],
        }),
      },
    ]);

    expect(only(d, 'launchTask').request).toEqual({
      cluster: 'shop-staging',
      container: 'app',
      image: PUSHED_IMAGE,
      baseTaskDefinitionArn: TD(42),
      command: ['db-migrate'],
      startedBy: `ecs-migrate/${pushId}`,
      clientToken: `ecs-migrate-${pushId}`,
      tags: { 'ecs-migrate:environment': 'staging', 'ecs-migrate:deployment': pushId, 'ecs-migrate:trigger': 'ecr-push' },
      network: service.network,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
    });
    // The lock is taken before the task starts: the commit comes first.
    expect(d.actions.map((a) => a.type)).toEqual(['commit', 'launchTask']);
  });

  it('keeps startedBy and clientToken within what ECS accepts', () => {
    expect(startedByFor(pushId)).toMatch(/^[A-Za-z0-9/_-]{1,36}$/);
    expect(clientTokenFor(pushId).length).toBeLessThanOrEqual(64);
  });

  it('launches a push by digest when no TAG_PATTERN is set', () => {
    const d = decideOn(sample('ecr-push-by-digest'), idleState(), ctx({ TAG_PATTERN: undefined }));
    expect(d.decision).toBe('launch');
    expect(only(d, 'launchTask').request.image).toBe(PUSHED_IMAGE);
  });

  it.each([
    ['ecr-push-failure', /did not succeed \(result FAILURE\)/],
    ['ecr-delete', /ECR action "DELETE" is not a push/],
    ['ecr-push-other-repository', /repository "billing-worker" is not the configured REPOSITORY "shop-api"/],
    ['ecr-push-untagged-pattern-miss', /tag "pr-812" does not match TAG_PATTERN "v\*"/],
    ['ecr-push-by-digest', /a push by digest has no tag to match TAG_PATTERN "v\*"/],
  ])('ignores %s with the reason', (name, reason) => {
    const d = decideOn(sample(name), idleState());
    expect(d.decision).toBe('ignore');
    expect(d.reason).toMatch(reason);
    expect(d.actions).toEqual([]);
  });

  it('ignores a duplicate delivery of the same event', () => {
    const first = decideOn(sample('ecr-push'), idleState());
    const launched = committed(first, pushId);
    const again = decideOn(sample('ecr-push'), activeState(runningDeployment({ id: launched.id })));
    expect(again).toMatchObject({
      decision: 'ignore',
      reason: expect.stringContaining(`duplicate delivery: deployment ${pushId} exists already (running)`),
    });
  });

  it('resumes the launch when a retried invocation finds its own deployment still launching', () => {
    const launched = committed(decideOn(sample('ecr-push'), idleState()), pushId);
    const d = decideOn(sample('ecr-push'), activeState(launched));
    expect(d.decision).toBe('launch');
    expect(d.actions.map((a) => a.type)).toEqual(['launchTask']);
    expect(only(d, 'launchTask').request.clientToken).toBe(`ecs-migrate-${pushId}`);
  });

  it('treats an archive replay as a deliberate rerun: a new deployment, even when already deployed', () => {
    const deployed = idleState({
      service: { ...service, image: PUSHED_IMAGE, taskDefinitionArn: TD(43) },
      env: { environment: 'staging', version: 9, lastSucceeded: { deploymentId: pushId, image: PUSHED_IMAGE, at: '2026-11-25T09:20:00Z' } },
    });
    expect(decideOn(sample('ecr-push'), deployed)).toMatchObject({
      decision: 'ignore',
      reason: expect.stringMatching(/^already deployed/),
    });
    const replay = decideOn(sample('ecr-push-replay'), deployed);
    expect(replay.decision).toBe('launch');
    expect(replay.deploymentId).not.toBe(pushId);
    expect(replay.reason).toContain('(replay rerun-shop-api-v1-4-0)');
  });

  it('does not call an image deployed for a deploy-request with another command (deploy --command is new work)', () => {
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@sha256:${'a'.repeat(64)}`;
    const request = (command?: string[]) =>
      withEvent(sample('deploy-request'), { detail: { image, ...(command !== undefined ? { command } : {}) } });
    // Migrated with MIGRATION_COMMAND (recorded; a record from before the command was kept counts as that too).
    for (const command of [['db-migrate'], undefined]) {
      const deployed = idleState({
        service: { ...service, image, taskDefinitionArn: TD(43) },
        env: {
          environment: 'staging',
          version: 9,
          lastSucceeded: { deploymentId: pushId, image, at: '2026-11-25T09:20:00Z', ...(command !== undefined ? { command } : {}) },
        },
      });
      expect(decideOn(request(), deployed)).toMatchObject({ decision: 'ignore', reason: expect.stringMatching(/^already deployed/) });
      expect(decideOn(request(['db-migrate', '--verbose']), deployed).decision).toBe('launch');
    }
  });

  it('takes an image tagged again (ECR sends a push) as old as when it was first seen: never a rollback', () => {
    // Image A was seen at 08:00, B pushed at 09:00 is rolled out; at 09:30 a tag matching TAG_PATTERN is added to A.
    const A = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@sha256:${'a'.repeat(64)}`;
    const B = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@sha256:${'b'.repeat(64)}`;
    const retag = withEvent(sample('ecr-push'), {
      top: { id: 'retag-a', time: '2026-11-25T09:30:00Z' },
      detail: { 'image-digest': `sha256:${'a'.repeat(64)}`, 'image-tag': 'v1.4.0-lts' },
    });
    const state = idleState({
      service: { ...service, image: B, taskDefinitionArn: TD(43) },
      env: {
        environment: 'staging',
        version: 9,
        lastSucceeded: { deploymentId: pushId, image: B, at: '2026-11-25T09:05:00Z', pushedAt: '2026-11-25T09:00:00Z' },
        seenImages: [
          { image: A, pushedAt: '2026-11-25T08:00:00Z' },
          { image: B, pushedAt: '2026-11-25T09:00:00Z' },
        ],
      },
    });
    given(state)
      .when(retag)
      .then({ decision: 'ignore', reason: /was pushed before .*, which is rolled out already/ });
    // An image never seen before is as old as its push event.
    const { seenImages: _s, ...forgetting } = state.env;
    given({ ...state, env: forgetting })
      .when(retag)
      .then({ decision: 'launch' });
  });

  // Pins "the environment record keeps the last 20" images (a mutation of SEEN_IMAGES_KEPT to 1 in
  // src/core/state.ts went unnoticed before).
  it('an old image tagged again after another image was pushed is as old as when first seen: superseded on arrival', () => {
    const registry = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api';
    const A = `${registry}@sha256:${'a'.repeat(64)}`;
    const seenImages = [
      { image: A, pushedAt: '2026-11-25T08:00:00Z' },
      ...Array.from({ length: 18 }, (_, i) => ({
        image: `${registry}@sha256:${String(i + 1).padStart(64, 'f')}`,
        pushedAt: '2026-11-25T08:30:00Z',
      })),
    ];
    const env: EnvironmentState = { environment: 'staging', version: 3, seenImages };
    // Image B (the sample push, 09:14:58) launches; A is one of the last 20 images seen still.
    const launched = given(idleState({ env })).when(sample('ecr-push')).then({ decision: 'launch' });
    const after = only(launched, 'commit').env?.state;
    expect(after?.seenImages).toHaveLength(20);
    // ECR sends a push when a tag is added to A, at 09:30: A was pushed before B, which runs.
    const retag = withEvent(sample('ecr-push'), {
      top: { id: 'retag-a', time: '2026-11-25T09:30:00Z' },
      detail: { 'image-digest': `sha256:${'a'.repeat(64)}`, 'image-tag': 'v1.3.9' },
    });
    const state = { ...activeState(committed(launched, launched.deploymentId as string)), env: after ?? env };
    given(state)
      .when(retag)
      .then({ decision: 'record', reason: /superseded on arrival: .* runs an image pushed later/ });
  });

  it('does not call an image deployed when the service runs it but its migration never succeeded', () => {
    const d = decideOn(sample('ecr-push'), idleState({ service: { ...service, image: PUSHED_IMAGE } }));
    expect(d.decision).toBe('launch');
  });
  it('is ignored in pause-hook mode, where the owner deploys and its paused deployment starts the migration', () => {
    // The stack disables the push rule in this mode; a push that comes anyway (the rule enabled by hand) must not
    // launch a migration whose revision the stack may not register.
    const d = decideOn(sample('ecr-push'), idleState(), ctx({ ROLLOUT_MODE: 'pause-hook', HOOK_STAGE: 'POST_SCALE_UP' }));
    expect(d).toMatchObject({ decision: 'ignore', reason: PUSH_IN_PAUSE_HOOK_MODE, actions: [] });
    expect(loadPlan(parse(sample('ecr-push')), ctx({ ROLLOUT_MODE: 'pause-hook', HOOK_STAGE: 'POST_SCALE_UP' }).config)).toEqual({});
  });
});

describe('one migration per environment', () => {
  const active = runningDeployment({ id: '20261125-090000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });

  it('queues a new push behind the running migration', () => {
    const d = decideOn(sample('ecr-push'), activeState(active));
    expect(d).toMatchObject({ decision: 'queue', deploymentId: pushId, reason: expect.stringContaining(`behind ${active.id}`) });
    const write = only(d, 'commit');
    expect(write.env?.state).toMatchObject({ active: { deploymentId: active.id }, queued: pushId, version: 8 });
    expect(committed(d, pushId)).toMatchObject({ status: 'queued', history: [{ note: `waiting for ${active.id}` }] });
    expect(d.actions.some((a) => a.type === 'launchTask')).toBe(false);
  });

  it('supersedes the queued deployment when a newer one arrives', () => {
    const queued = queuedDeployment('20261125-091000-bbbbbbbb', OLD_IMAGE);
    const state = queueState(active, queued);
    const d = decideOn(sample('ecr-push'), state);
    expect(d.decision).toBe('queue');
    expect(committed(d, queued.id)).toMatchObject({ status: 'ended', outcome: 'superseded', supersededBy: pushId });
    expect(only(d, 'commit').env?.state.queued).toBe(pushId);
    expect(eventTypes(d)).toEqual(['Migration Superseded']);
  });

  it('ignores a second tag of the image that is already migrating', () => {
    const same = runningDeployment({ id: '20261125-090000-aaaaaaaa' });
    const d = decideOn(sample('ecr-push'), activeState(same));
    expect(d).toMatchObject({ decision: 'ignore', reason: expect.stringContaining('already in progress') });
  });

  it('takes over an environment whose lock expired, ending the lost deployment', () => {
    const state = activeState(active, {
      env: { environment: 'staging', version: 7, active: { deploymentId: active.id, lockExpiresAt: '2026-11-25T09:00:00.000Z' } },
    });
    const d = decideOn(sample('ecr-push'), state);
    expect(d.decision).toBe('launch');
    expect(committed(d, active.id)).toMatchObject({ status: 'ended', outcome: 'failed', reason: expect.stringContaining('lock expired') });
    expect(only(d, 'stopTask').taskArn).toBe(active.taskArn);
    expect(eventTypes(d)).toEqual(['Migration Failed', 'Rollout Halted']);
    expect(only(d, 'commit').env?.state.active?.deploymentId).toBe(pushId);
  });

  it("records the lost deployment's success instead when the service runs its own revision (its end was never recorded)", () => {
    const state = activeState(active, {
      env: { environment: 'staging', version: 7, active: { deploymentId: active.id, lockExpiresAt: '2026-11-25T09:00:00.000Z' } },
      service: { ...service, taskDefinitionArn: active.taskDefinitionArn },
      task: { taskArn: active.taskArn, containers: [{ name: 'app', exitCode: 0 }] },
    });
    const d = decideOn(sample('ecr-push'), state);
    expect(d.decision).toBe('launch');
    expect(committed(d, active.id)).toMatchObject({
      status: 'ended',
      outcome: 'succeeded',
      rollout: 'continued',
      reason: expect.stringMatching(/lock expired .* runs its revision .*: its migration succeeded/),
    });
    expect(d.actions.map((a) => a.type)).not.toContain('haltRollout');
    expect(eventTypes(d)).toEqual(['Migration Succeeded', 'Rollout Continued']);
    expect(only(d, 'commit').env?.state.lastSucceeded).toMatchObject({
      deploymentId: active.id,
      taskDefinitionArn: active.taskDefinitionArn,
    });
  });

  it("follows the rollout ECS still has in progress to the lost deployment's revision, found at the takeover", () => {
    const rolloutInProgress = { ecsDeploymentId: 'ecs-svc/9', taskDefinitionArn: active.taskDefinitionArn };
    const state = activeState(active, {
      env: { environment: 'staging', version: 7, active: { deploymentId: active.id, lockExpiresAt: '2026-11-25T09:00:00.000Z' } },
      service: { ...service, taskDefinitionArn: active.taskDefinitionArn, rolloutInProgress },
      task: { taskArn: active.taskArn, containers: [{ name: 'app', exitCode: 0 }] },
    });
    const d = decideOn(sample('ecr-push'), state);
    expect(committed(d, active.id)).toMatchObject({
      outcome: 'succeeded',
      services: [{ service: 'shop-api', result: 'continued', reason: 'found on its revision', ecsDeploymentId: 'ecs-svc/9' }],
    });
    // The lock outlives the deployment's own timeout check, so no check of it is left: it gets a rollout-watch check.
    expect(actionsOf(d, 'scheduleTimeout')).toContainEqual(expect.objectContaining({ deploymentId: active.id, purpose: 'rollout-watch' }));
  });

  it('records a launching deployment taken over as succeeded with the task its kept exit 0 names', () => {
    const lost = launchingDeployment({ id: active.id, work: active.work, earlyTaskEvents: [KEPT_EXIT_0] });
    const state = activeState(lost, {
      env: { environment: 'staging', version: 7, active: { deploymentId: lost.id, lockExpiresAt: '2026-11-25T09:00:00.000Z' } },
      service: serviceMigratedBy(lost.id),
    });
    const d = decideOn(sample('ecr-push'), state);
    expect(committed(d, lost.id)).toMatchObject({ status: 'ended', outcome: 'succeeded', taskArn: SAMPLE_TASK, taskDefinitionArn: TD(43) });
  });

  it('ignores another tag of the image a lost migration rolled out as already deployed, recording its success', () => {
    // Was: the takeover recorded the lost migration's success and, in the same decision, launched a second migration
    // of the image it had rolled out (README: "Run it twice: the second run says already deployed").
    const lost = runningDeployment({ id: active.id });
    const state = activeState(lost, {
      env: { environment: 'staging', version: 7, active: { deploymentId: lost.id, lockExpiresAt: '2026-11-25T09:00:00.000Z' } },
      service: { ...service, taskDefinitionArn: lost.taskDefinitionArn, image: PUSHED_IMAGE, migratedBy: lost.id },
      task: { taskArn: lost.taskArn, containers: [{ name: 'app', exitCode: 0 }] },
    });
    const retag = withEvent(sample('ecr-push'), { detail: { 'image-tag': 'v1.4' } });
    const d = given(state)
      .when(retag)
      .then({
        decision: 'ignore',
        reason: new RegExp(
          `^already deployed: the service runs .*, rolled out by ${lost.id}; send a rerun request .*: its migration succeeded`,
        ),
        events: ['Migration Succeeded', 'Rollout Continued'],
      });
    expect(committed(d, lost.id)).toMatchObject({ status: 'ended', outcome: 'succeeded', rollout: 'continued' });
    expect(only(d, 'commit').env?.state).toMatchObject({ lastSucceeded: { deploymentId: lost.id, image: PUSHED_IMAGE } });
    expect(only(d, 'commit').env?.state.active).toBeUndefined();
    expect(actionsOf(d, 'launchTask')).toEqual([]);
    // A replay of it is a deliberate rerun: it takes the lock over and runs.
    given(state)
      .when(withEvent(retag, { top: { 'replay-name': 'rerun-0900' } }))
      .then({ decision: 'launch' });
  });

  it('with several services only the first shows the rollout: ended failed as before, the first recorded as found moved', () => {
    const state = activeState(active, {
      env: { environment: 'staging', version: 7, active: { deploymentId: active.id, lockExpiresAt: '2026-11-25T09:00:00.000Z' } },
      service: { ...service, taskDefinitionArn: active.taskDefinitionArn },
      task: { taskArn: active.taskArn, containers: [{ name: 'app', exitCode: 0 }] },
    });
    const d = decideOn(sample('ecr-push'), state, ctx({ SERVICE: undefined, SERVICES: 'shop-api,shop-worker' }));
    expect(committed(d, active.id)).toMatchObject({
      status: 'ended',
      outcome: 'failed',
      reason: expect.stringContaining('service shop-api runs its revision (its migration succeeded), the other services may not'),
      services: [{ service: 'shop-api', result: 'continued' }],
    });
  });
});

describe('deploy-request', () => {
  it('launches with an image like a push', () => {
    const d = decideOn(sample('deploy-request'), idleState());
    expect(d.decision).toBe('launch');
    expect(only(d, 'launchTask').request).toMatchObject({
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v1.5.0',
      baseTaskDefinitionArn: TD(42),
    });
    expect(only(d, 'launchTask').request.tags['ecs-migrate:trigger']).toBe('deploy-request');
  });

  it('runs a given task definition as it is, with the requested command', () => {
    const d = decideOn(sample('deploy-request-task-definition'), idleState());
    const request = only(d, 'launchTask').request;
    expect(request).toMatchObject({ taskDefinitionArn: TD(44), command: ['db-migrate', '--verbose'] });
    expect(request.image).toBeUndefined();
  });

  it("stores and emits the sender's requestedBy redacted, as an operator request's (free text a sender writes)", () => {
    for (const name of ['deploy-request', 'run-command']) {
      const d = decideOn(withEvent(sample(name), { detail: { requestedBy: 'ci token=hunter2secret' } }), idleState());
      expect(d.decision).toBe('launch');
      expect(JSON.stringify(only(d, 'commit')), name).toContain('ci token=[REDACTED]');
      // Nothing the decision stores, emits or sends to ECS holds it.
      expect(JSON.stringify(d.actions), name).not.toContain('hunter2secret');
    }
  });

  it('ignores a request for another environment', () => {
    expect(decideOn(sample('deploy-request-other-environment'), idleState())).toMatchObject({
      decision: 'ignore',
      reason: 'the request is for environment "production", this is "staging"',
    });
  });

  it('rejects a command outside the allowlist', () => {
    const d = decideOn(withEvent(sample('deploy-request'), { detail: { command: ['bash', '-c', 'true'] } }), idleState());
    expect(d).toMatchObject({
      decision: 'reject',
      reason: expect.stringContaining('command "bash" is neither MIGRATION_COMMAND nor in ALLOWED_COMMANDS'),
    });
    expect(eventTypes(d)).toEqual(['Event Rejected']);
  });

  it('reruns what has already been deployed when asked to', () => {
    const deployed = idleState({
      service: { ...service, image: PUSHED_IMAGE },
      env: { environment: 'staging', version: 9, lastSucceeded: { deploymentId: 'x', image: PUSHED_IMAGE, at: '2026-11-25T09:20:00Z' } },
    });
    expect(decideOn(sample('deploy-request-rerun'), deployed)).toMatchObject({
      decision: 'launch',
      reason: expect.stringContaining('(rerun)'),
    });
  });

  it('records a failed deployment saying what to fix when the service cannot be read', () => {
    const d = decideOn(
      sample('deploy-request'),
      idleState({ service: undefined, serviceProblem: 'service shop-api not found in cluster shop-staging: check SERVICE and CLUSTER' }),
    );
    expect(d.decision).toBe('halt');
    expect(committed(d, d.deploymentId as string)).toMatchObject({
      status: 'ended',
      outcome: 'failed',
      reason: expect.stringContaining('check SERVICE and CLUSTER'),
    });
    expect(eventTypes(d)).toEqual(['Migration Failed', 'Rollout Halted']);
  });
});

describe('run-command', () => {
  it('runs an allowed command in the service task definition as it is, without touching the service', () => {
    const d = decideOn(sample('run-command'), idleState());
    expect(d.decision).toBe('launch');
    const request = only(d, 'launchTask').request;
    expect(request).toMatchObject({ taskDefinitionArn: TD(42), command: ['db-rollback', '--to', '20261101120000'] });
    expect(committed(d, d.deploymentId as string).kind).toBe('command');
  });

  it('rejects a command outside ALLOWED_COMMANDS', () => {
    const d = decideOn(sample('run-command-not-allowed'), idleState());
    expect(d).toMatchObject({ decision: 'reject', reason: 'command "sh" is not in ALLOWED_COMMANDS (db-migrate, db-rollback, db-seed)' });
    expect(eventTypes(d)).toEqual(['Event Rejected']);
  });

  it('remembers a request it refused to take the place of a waiting migration: sent again, it is a duplicate', () => {
    const holder = runningDeployment({ id: '20261125-090000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });
    const waiting = queuedDeployment('20261125-091000-bbbbbbbb', PUSHED_IMAGE);
    const gaveWay = given(queueState(holder, waiting)).when(sample('run-command')).then({ decision: 'record' });
    const env = only(gaveWay, 'commit').env?.state ?? idleState().env;
    const { active: _a, queued: _q, ...free } = env;
    const again = withEvent(sample('run-command'), { top: { id: 'resent-2', time: '2026-11-25T11:00:00Z' } });
    given(idleState({ env: free }))
      .when(again)
      .then({ decision: 'ignore', reason: /^duplicate request/ });
  });

  it('runs once when the same request is put on the bus again, seconds later, as a new event', () => {
    const first = given(idleState()).when(sample('run-command')).then({ decision: 'launch' });
    const write = only(first, 'commit');
    expect(write.env?.state.seenRequests).toEqual([{ requestId: expect.any(String), deploymentId: first.deploymentId }]);
    // The same request (same requestId), sent again: a new event id and time, so another deployment id.
    const again = withEvent(sample('run-command'), { top: { id: 'resent-1', time: '2026-11-25T10:02:14Z' } });
    const state = { ...activeState(committed(first, first.deploymentId as string)), env: { ...(write.env?.state ?? idleState().env) } };
    given(state)
      .when(again)
      .then({ decision: 'ignore', deploymentId: first.deploymentId, reason: /^duplicate request: .* created deployment .* already/ });
  });

  // Pins "the environment record remembers its requestId among the last 20" (a mutation of SEEN_REQUESTS_KEPT to 1
  // in src/core/state.ts went unnoticed before).
  it('a request put on the bus again after other requests were admitted is still a duplicate', () => {
    const resent = withEvent(sample('run-command'), { top: { id: 'resent-a', time: '2026-11-25T11:00:00Z' } });
    // Request A (the sample's requestId) was admitted first; 18 others came after it: 19 remembered.
    const filler = (n: number) => `20261125-08${String(n).padStart(2, '0')}00-${String(n).padStart(8, '0')}`;
    const seenRequests = [
      { requestId: 'rollback-4711', deploymentId: '20261125-080000-aaaaaaaa' },
      ...Array.from({ length: 18 }, (_, i) => ({ requestId: `other-${i + 1}`, deploymentId: filler(i + 1) })),
    ];
    const env: EnvironmentState = { environment: 'staging', version: 3, seenRequests };
    // Request B is admitted: A is one of the last 20 requests still.
    const b = withEvent(sample('run-command'), { top: { id: 'request-b', time: '2026-11-25T10:30:00Z' }, detail: { requestId: 'b-1' } });
    const launched = given(idleState({ env })).when(b).then({ decision: 'launch' });
    const after = only(launched, 'commit').env?.state;
    expect(after?.seenRequests).toHaveLength(20);
    const state = { ...activeState(committed(launched, launched.deploymentId as string)), env: after ?? env };
    given(state)
      .when(resent)
      .then({ decision: 'ignore', deploymentId: '20261125-080000-aaaaaaaa', reason: /^duplicate request: rollback-4711/ });
  });

  it('never takes the place of a migration waiting in the queue: the command gives way, and its requester hears it', () => {
    const holder = runningDeployment({ id: '20261125-090000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });
    const waiting = queuedDeployment('20261125-091000-bbbbbbbb', PUSHED_IMAGE);
    const d = given(queueState(holder, waiting))
      .when(sample('run-command'))
      .then({
        decision: 'record',
        reason:
          /superseded on arrival: migration 20261125-091000-bbbbbbbb waits for the environment, and a command never takes a migration's place/,
        actions: ['commit', 'publish'],
        events: ['Command Failed'],
      });
    // The environment record only remembers the request (sent again, it is a duplicate): lock and queue unchanged.
    const env = only(d, 'commit').env?.state;
    expect(env).toMatchObject({ active: { deploymentId: holder.id }, queued: waiting.id });
    expect(env?.seenRequests).toEqual([{ requestId: expect.any(String), deploymentId: d.deploymentId }]);
    expect(committed(d, d.deploymentId as string)).toMatchObject({ kind: 'command', status: 'ended', outcome: 'superseded' });
  });

  it('gives way to a migration arriving while it waits, and says so (Command Failed)', () => {
    const holder = runningDeployment({ id: '20261125-090000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });
    const command = { ...queuedDeployment('20261125-091000-cccccccc', OLD_IMAGE), kind: 'command' as const, command: ['db-seed'] };
    const d = given(queueState(holder, command))
      .when(sample('ecr-push'))
      .then({ decision: 'queue', events: ['Command Failed'] });
    expect(committed(d, command.id)).toMatchObject({ status: 'ended', outcome: 'superseded', supersededBy: pushId });
    expect(only(d, 'commit').env?.state.queued).toBe(pushId);
  });

  it('lets the waiting migration launch first when it takes over an expired lock', () => {
    const lost = runningDeployment({ id: '20261125-080000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });
    const waiting = queuedDeployment('20261125-081000-bbbbbbbb', PUSHED_IMAGE);
    const state = queueState(lost, waiting);
    const expired = { ...state, env: { ...state.env, active: { deploymentId: lost.id, lockExpiresAt: '2026-11-25T09:00:00Z' } } };
    const d = given(expired)
      .when(sample('run-command'))
      .then({ decision: 'launch', deploymentId: waiting.id, reason: /the migration that waited, not/ });
    const superseded = only(d, 'commit').deployments.find((w) => w.deployment.kind === 'command')?.deployment;
    expect(superseded).toMatchObject({ status: 'ended', outcome: 'superseded', reason: /a command never takes a migration's place/ });
  });

  it('rejects every command when the allowlist is empty', () => {
    const d = decideOn(sample('run-command'), idleState(), ctx({ ALLOWED_COMMANDS: '' }));
    expect(d).toMatchObject({ decision: 'reject', reason: expect.stringContaining('empty: no command may run') });
  });
});

describe('invalid input', () => {
  it('is rejected with the reason and an Event Rejected event, never thrown', () => {
    const d = decideOn(sample('deploy-request-invalid'), idleState());
    expect(d.decision).toBe('reject');
    expect(only(d, 'putEvent')).toMatchObject({
      detailType: 'Event Rejected',
      detail: { environment: 'staging', eventId: '7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e', reason: expect.stringContaining('requestId') },
    });
  });

  it('echoes what it refuses redacted: a secret in the event id or a field is not put on the bus (found by the fuzz test)', () => {
    const invalid: Record<string, unknown> = { ...sample('deploy-request-invalid'), id: 'password=hunter2 ' };
    const { version: _v, ...envelope } = invalid;
    for (const event of [invalid, envelope]) {
      const d = decideOn(event, idleState());
      expect(d.decision).toBe('reject');
      expect(JSON.stringify(d)).not.toContain('hunter2');
      expect(only(d, 'putEvent').detail).toMatchObject({ eventId: 'password=[REDACTED] ' });
    }
    // Redacted before it is cut to 200 characters: a cut through the password would hide it from the redactor.
    const long = `${'x'.repeat(165)}postgres://app:Sup3rS3cretPassw0rd!@db.internal/app`;
    for (const event of [
      { ...invalid, id: long },
      { ...invalid, source: long },
    ]) {
      const d = decideOn(event, idleState());
      expect(d.decision).toBe('reject');
      expect(JSON.stringify(d)).not.toContain('Sup3rS3cret');
    }
    // REDACT_PATTERNS apply too.
    const custom = decideOn({ ...invalid, id: 'ticket internal-4711' }, idleState(), ctx({ REDACT_PATTERNS: 'internal-[0-9]+' }));
    expect(only(custom, 'putEvent').detail).toMatchObject({ eventId: 'ticket [REDACTED]' });
  });
});

describe('the queue keeps the newest image, whatever order the pushes arrive in', () => {
  const pushAt = (time: string, n: number) =>
    withEvent(sample('ecr-push'), {
      top: { id: `push-${n}`, time },
      detail: { 'image-digest': `sha256:${String(n).repeat(64)}`, 'image-tag': `v5.${n}.0` },
    });
  const imageN = (n: number) => `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@sha256:${String(n).repeat(64)}`;
  const newer = runningDeployment({
    id: '20261125-091000-22222222',
    work: { type: 'image', image: imageN(2), pushedAt: '2026-11-25T09:10:00Z' },
  });

  it('supersedes on arrival a push older than the running one (it would roll the service back afterwards)', () => {
    const d = given(activeState(newer))
      .when(pushAt('2026-11-25T09:05:00Z', 1))
      .then({
        decision: 'record',
        reason: /superseded on arrival: 20261125-091000-22222222 runs an image pushed later/,
        actions: ['commit', 'publish'],
        events: ['Migration Superseded'],
      });
    // The environment record only remembers the image and its age: the lock stays with the newer one.
    const env = only(d, 'commit').env?.state;
    expect(env?.active?.deploymentId).toBe(newer.id);
    expect(env?.seenImages).toEqual([{ image: imageN(1), pushedAt: '2026-11-25T09:05:00Z' }]);
  });

  it('supersedes on arrival a push older than the one waiting, and keeps the waiting one', () => {
    const waiting = {
      ...queuedDeployment('20261125-091100-33333333', imageN(3)),
      work: { type: 'image' as const, image: imageN(3), pushedAt: '2026-11-25T09:11:00Z' },
    };
    const old = runningDeployment({
      id: '20261125-090000-aaaaaaaa',
      work: { type: 'image', image: OLD_IMAGE, pushedAt: '2026-11-25T09:00:00Z' },
    });
    given(queueState(old, waiting))
      .when(pushAt('2026-11-25T09:10:30Z', 1))
      .then({ decision: 'record', reason: /runs an image pushed later/ });
    // A newer push replaces the waiting one, as before.
    const d = given(queueState(old, waiting)).when(pushAt('2026-11-25T09:12:00Z', 4)).then({ decision: 'queue' });
    expect(committed(d, waiting.id)).toMatchObject({ outcome: 'superseded' });
  });

  it('after a lock expiry launches the newer of the new push and the waiting one, and supersedes the other', () => {
    const lost = runningDeployment({
      id: '20261125-090000-aaaaaaaa',
      work: { type: 'image', image: OLD_IMAGE, pushedAt: '2026-11-25T09:00:00Z' },
    });
    const waiting = {
      ...queuedDeployment('20261125-091100-33333333', imageN(3)),
      work: { type: 'image' as const, image: imageN(3), pushedAt: '2026-11-25T09:11:00Z' },
    };
    const expired = { ...queueState(lost, waiting) };
    expired.env = { ...expired.env, active: { deploymentId: lost.id, lockExpiresAt: '2026-11-25T09:01:00.000Z' } };
    const older = given(expired).when(pushAt('2026-11-25T09:05:00Z', 1)).then({ decision: 'launch', deploymentId: waiting.id });
    expect(only(older, 'commit').env?.state.queued).toBeUndefined();
    expect(committed(older, lost.id)).toMatchObject({ outcome: 'failed' });
    // Its commit names the older push's deployment as the one that handed over: a retry of that push resumes it.
    const handed = committed(older, waiting.id);
    expect(handed).toMatchObject({ status: 'launching', handedOverBy: older.actions.length > 0 ? expect.any(String) : undefined });
    const retried = {
      ...expired,
      env: only(older, 'commit').env?.state ?? expired.env,
      deployments: { ...expired.deployments, [waiting.id]: handed },
    };
    for (const c of only(older, 'commit').deployments) retried.deployments[c.deployment.id] = c.deployment;
    // The lost migration's task may still run: the launch waits for its stop timeout, and a retried push does not
    // launch it earlier (its scheduled check does).
    expect(handed).toMatchObject({ retryAt: '2026-11-25T09:21:00.000Z' });
    expect(older.reason).toMatch(/it launches once the lost migration's task has had its stop timeout/);
    expect(actionsOf(older, 'launchTask')).toEqual([]);
    expect(actionsOf(older, 'scheduleTimeout')).toEqual([expect.objectContaining({ deploymentId: waiting.id, purpose: 'retry' })]);
    given(retried)
      .when(pushAt('2026-11-25T09:05:00Z', 1))
      .then({ decision: 'ignore', reason: /duplicate delivery/ });
    const newerPush = given(expired).when(pushAt('2026-11-25T09:15:00Z', 5)).then({ decision: 'launch' });
    expect(committed(newerPush, waiting.id)).toMatchObject({ outcome: 'superseded' });
  });

  it('refuses a request for an image older than the one rolled out, unless it is a deliberate rerun', () => {
    const deployed = idleState({
      env: {
        environment: 'staging',
        version: 9,
        lastSucceeded: { deploymentId: 'x', image: imageN(2), pushedAt: '2026-11-25T09:10:00Z', at: '2026-11-25T09:12:00Z' },
      },
    });
    given(deployed)
      .when(pushAt('2026-11-25T09:05:00Z', 1))
      .then({ decision: 'ignore', reason: /was pushed before .* rolled out already/ });
    given(deployed)
      .when(withEvent(pushAt('2026-11-25T09:05:00Z', 1), { top: { 'replay-name': 'roll-back' } }))
      .then({ decision: 'launch', reason: /a deliberate roll back to an image pushed before/ });
  });

  it('a task definition run as it is rolls out the image its migration container runs: an older image after it is refused', () => {
    // Was: its success kept the age of the image rolled out before it (X, 09:00), so a retag of Y (09:10) was migrated
    // and its exit 0 moved the service from Z (09:20, which task definition :50 runs) back to Y.
    const x = imageN(1);
    const z = imageN(3);
    const request = parse(withEvent(sample('deploy-request-task-definition'), { detail: { taskDefinitionArn: TD(50) } }));
    if (request.kind !== 'deploy-request' || request.work.type !== 'task-definition') throw new Error('not a request of a revision');
    const before = idleState({
      env: {
        environment: 'staging',
        version: 9,
        lastSucceeded: { deploymentId: 'x', image: x, pushedAt: '2026-11-25T09:00:00Z', at: '2026-11-25T09:05:00Z' },
        seenImages: [{ image: z, pushedAt: '2026-11-25T09:20:00Z' }],
      },
      service: { ...service, image: x },
    });
    // The launcher dated the image :50 runs (dateRequestedRevision); one the registry could not date, by seenImages.
    for (const runs of [{ image: z, pushedAt: '2026-11-25T09:20:00Z' }, { image: z }]) {
      const launched = given(before)
        .when({ ...request, work: { ...request.work, runs } })
        .then({ decision: 'launch' });
      expect(committed(launched, launched.deploymentId ?? '').work).toMatchObject({ runs: { image: z, pushedAt: '2026-11-25T09:20:00Z' } });
    }

    const ofZ = runningDeployment({
      trigger: { type: 'deploy-request', eventId: 'evt-td', at: '2026-11-25T09:25:00Z', requestId: 'td-50' },
      work: { type: 'task-definition', taskDefinitionArn: TD(50), runs: { image: z, pushedAt: '2026-11-25T09:20:00Z' } },
      taskDefinitionArn: TD(50),
    });
    const running = activeState(ofZ, {
      env: { ...before.env, active: { deploymentId: ofZ.id, lockExpiresAt: '2026-11-25T10:30:00.000Z' } },
    });
    const update = only(given(running).when(sample('task-stopped-success')).then({ decision: 'continue' }), 'continueRollout');
    const ended = given(running)
      .when({
        kind: 'rollout-result',
        deploymentId: ofZ.id,
        services: [{ service: 'shop-api', result: 'continued', ecsDeploymentId: 'ecs-svc/50' }],
        ...(update.completion !== undefined ? { completion: update.completion } : {}),
      })
      .then({ decision: 'record' });
    const env = only(ended, 'commit').env?.state;
    expect(env?.lastSucceeded).toMatchObject({
      deploymentId: ofZ.id,
      image: z,
      pushedAt: '2026-11-25T09:20:00Z',
      taskDefinitionArn: TD(50),
    });

    // Y (09:10) tagged again: dated by ECR, as the launcher does.
    const retagOfY = parse(pushAt('2026-11-25T10:00:00Z', 2));
    if (retagOfY.kind !== 'ecr-image-action') throw new Error('not a push');
    given(idleState({ env: env ?? before.env, service: { ...service, taskDefinitionArn: TD(50), image: z } }))
      .when({ ...retagOfY, pushedAt: '2026-11-25T09:10:00Z' })
      .then({ decision: 'ignore', reason: /was pushed before .* rolled out already/ });
  });

  it('dates a requested image the registry could not date by the push the environment saw it with', () => {
    const deployed = idleState({
      env: {
        environment: 'staging',
        version: 9,
        lastSucceeded: { deploymentId: 'x', image: imageN(2), pushedAt: '2026-11-25T09:10:00Z', at: '2026-11-25T09:12:00Z' },
        seenImages: [
          { image: imageN(1), pushedAt: '2026-11-25T09:05:00Z' },
          { image: imageN(2), pushedAt: '2026-11-25T09:10:00Z' },
        ],
      },
    });
    // Pinned by digest and not enriched: no push time of its own, as local mode's registry leaves a build never tagged.
    const request = (rerun: boolean) => withEvent(sample('deploy-request'), { detail: { image: imageN(1), ...(rerun ? { rerun } : {}) } });
    given(deployed)
      .when(request(false))
      .then({ decision: 'reject', reason: /was pushed before .* rolled out already/ });
    given(deployed)
      .when(request(true))
      .then({ decision: 'launch', reason: /a deliberate roll back to an image pushed before/ });
  });
});
