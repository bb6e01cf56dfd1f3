import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTemplate } from '../../src/local/db-template.js';
import { hookStateEvent } from '../../src/local/hook-event.js';
import { runToEnd } from '../../src/local/run-to-end.js';
import { cli, copyExample, openSession, TEMPLATE_CACHE } from './helpers.js';

let root: string;
const sessions: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  await ensureTemplate(TEMPLATE_CACHE);
}, 120_000);
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecs-migrate-pause-hook-'));
});
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  await rm(root, { recursive: true, force: true });
});

/** Opens a pause-hook session of an example app, has the owner's deployment pause, and runs the hook event to the end. */
async function pausedRun(example: string) {
  const app = await copyExample(example, join(root, example));
  const session = await openSession(root, app, { overrides: { ROLLOUT_MODE: 'pause-hook' } });
  sessions.push(session);
  const ecs = session.controller.ecs;
  const before = await ecs.describeService();
  const paused = await ecs.startPausedDeployment('app', session.image, 'PRE_SCALE_UP');
  const event = hookStateEvent(paused, 'HOOK_AWAITING_ACTION', new Date());
  if (event === undefined) throw new Error('no hook');
  const run = await runToEnd(session.controller, event);
  await session.controller.idle();
  return { session, before, paused, run, after: await ecs.describeService() };
}

describe('local mode, pause-hook', () => {
  it("migrates the paused deployment's image, answers CONTINUE, and the service moves to its revision", async () => {
    const { session, before, paused, run, after } = await pausedRun('app');

    expect(run.decision.decision).toBe('launch');
    expect(run.deployment).toMatchObject({
      outcome: 'succeeded',
      rollout: 'continued',
      trigger: { type: 'pause-hook' },
      work: { type: 'revision', image: session.image },
      services: [{ service: 'app', result: 'continued', ecsDeploymentId: paused.serviceDeploymentArn }],
    });
    expect(after.taskDefinitionArn).not.toBe(before.taskDefinitionArn);
    expect(after).toMatchObject({ image: session.image, taskDefinitionArn: run.deployment?.taskDefinitionArn });
    expect(await session.controller.ecs.describeServiceDeployment(paused.serviceDeploymentArn)).toMatchObject({
      status: 'SUCCESSFUL',
      hooks: [{ status: 'SUCCEEDED' }],
    });
    // ECS's HOOK_SUCCEEDED followed the answer and is in the deployment's history.
    const ended = (await session.controller.store.loadDeployments([run.deployment?.id as string]))[run.deployment?.id as string];
    expect(ended?.history.map((h) => h.note)).toContainEqual(expect.stringMatching(/^HOOK_SUCCEEDED for app's paused deployment/));
  }, 60_000);

  it('answers ROLLBACK when the migration fails, and the service stays on its revision', async () => {
    const { session, before, paused, run, after } = await pausedRun('failing-app');

    expect(run.deployment).toMatchObject({
      outcome: 'failed',
      rollout: 'halted',
      stop: { exitCode: 1 },
      services: [{ service: 'failing-app', result: 'rolled-back', ecsDeploymentId: paused.serviceDeploymentArn }],
    });
    expect(after).toEqual(before);
    expect(after.image).not.toBe(session.image);
    expect(await session.controller.ecs.describeServiceDeployment(paused.serviceDeploymentArn)).toMatchObject({
      status: 'ROLLBACK_SUCCESSFUL',
      hooks: [{ status: 'FAILED' }],
    });
  }, 60_000);

  it('refuses a second answer to a hook that no longer waits, and knows no other deployment', async () => {
    const { session, paused } = await pausedRun('app');
    const hookId = paused.hooks[0]?.hookId as string;
    const again = await session.controller.ecs.answerHook({
      serviceDeploymentArn: paused.serviceDeploymentArn,
      hookId,
      action: 'ROLLBACK',
    });
    expect(again).toMatchObject({ ok: false, cause: 'refused', reason: expect.stringMatching(/SUCCESSFUL.*does not wait/) });
    const other = `${paused.serviceDeploymentArn.slice(0, paused.serviceDeploymentArn.lastIndexOf('/'))}/unknown`;
    expect(await session.controller.ecs.answerHook({ serviceDeploymentArn: other, hookId, action: 'CONTINUE' })).toMatchObject({
      ok: false,
      cause: 'not-found',
    });
    expect(await session.controller.ecs.describeServiceDeployment(other)).toBeUndefined();
  }, 60_000);
});

describe('ecs-migrate local --mode pause-hook (the CLI as a process)', () => {
  it("examples/app: the owner's deployment pauses, the migration runs, CONTINUE is answered and the service moves", async () => {
    const app = await copyExample('app', join(root, 'app'));
    const state = join(root, 'state');
    const run = await cli(['local', '--app', app, '--mode', 'pause-hook', '--state-dir', state], root);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/the service owner's deployment \S+ paused at PRE_SCALE_UP/);
    expect(run.stdout).toContain("HOOK_SUCCEEDED for app's paused deployment");
    expect(run.stdout).toContain('service    arn:aws:ecs:local:000000000000:task-definition/app:2');
    expect(run.stdout).toContain('✔ CONTINUE answered: app moves to the migrated revision');
  }, 90_000);

  it('examples/failing-app: the migration fails, ROLLBACK is answered and the service stays', async () => {
    const app = await copyExample('failing-app', join(root, 'failing-app'));
    const state = join(root, 'state');
    const run = await cli(['local', '--app', app, '--mode', 'pause-hook', '--state-dir', state], root);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('column o.customer_uuid does not exist');
    expect(run.stdout).toContain('service    arn:aws:ecs:local:000000000000:task-definition/failing-app:1');
    expect(run.stdout).toContain('✘ ROLLBACK answered: failing-app stays on its current revision');
  }, 90_000);

  it('refuses an unknown mode and a request trigger in pause-hook mode (exit 2)', async () => {
    const app = await copyExample('app', join(root, 'app'));
    const unknown = await cli(['local', '--app', app, '--mode', 'blue-green'], root);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('--mode blue-green: expected update-service or pause-hook') });
    const withRun = await cli(['local', '--app', app, '--mode', 'pause-hook', '--run', 'db-rollback'], root);
    expect(withRun).toMatchObject({ code: 2, stderr: expect.stringContaining('without --run, --command or --rerun') });
  }, 60_000);
});
