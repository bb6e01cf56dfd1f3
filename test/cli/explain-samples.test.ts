import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { explainCommand } from '../../cli/explain.js';
import { explainJson as explain } from '../support/explain-json.js';
import { runningDeployment, SAMPLE_TASK, service } from '../support/fixtures.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const EVENTS = join(ROOT, 'events');
const STATE = join(EVENTS, 'states', 'running.json');
const CONFIG = join(EVENTS, 'config.json');

afterEach(() => {
  vi.restoreAllMocks();
});

/** An answer that says the state knows nothing of what the event is about: the sample shows nothing then. */
const UNKNOWN = /no deployment|is not a rollout a deployment here started|no deployment here waits|is unknown|does not know/;

/**
 * Samples whose answer says nothing is to be done whatever the state, by design: the hook events are for
 * ROLLOUT_MODE=pause-hook (events/config.json is update-service; see events/states/paused.json below), and the
 * others are not ecs-migrate's or not valid.
 */
const STATE_INDEPENDENT: Record<string, RegExp> = {
  'config.json': /^not an EventBridge event/,
  'not-json.txt': /^not JSON/,
  'deploy-request-invalid.json': /^invalid "deploy-request" event/,
  'deploy-request-other-environment.json': /is for environment "production"/,
  'ecr-delete.json': /is not a push/,
  'ecr-push-by-digest.json': /has no tag to match TAG_PATTERN/,
  'ecr-push-failure.json': /did not succeed/,
  'ecr-push-other-repository.json': /is not the configured REPOSITORY/,
  'ecr-push-untagged-pattern-miss.json': /does not match TAG_PATTERN/,
  'hook-awaiting-action.json': /hook events are not acted on/,
  'hook-failed.json': /hook events are not acted on/,
  'hook-in-progress.json': /hook events are not acted on/,
  'hook-succeeded.json': /hook events are not acted on/,
  'hook-timed-out.json': /hook events are not acted on/,
  'run-command-not-allowed.json': /is not in ALLOWED_COMMANDS/,
  'task-stopped-not-ours.json': /was not started by ecs-migrate/,
};

const samples = readdirSync(EVENTS, { withFileTypes: true })
  .filter((e) => e.isFile())
  .map((e) => e.name)
  .sort();

describe('explain --state events/states/running.json', () => {
  it('is the state the samples are about: the running deployment of the task-* samples, its task and the service', () => {
    const state = JSON.parse(readFileSync(STATE, 'utf8'));
    const running = runningDeployment();
    expect(state.env.active.deploymentId).toBe(running.id);
    expect(state.deployments[running.id]).toEqual(running);
    expect(state.task).toEqual({ taskArn: SAMPLE_TASK, containers: [{ name: 'app' }] });
    expect(state.service).toEqual(service);
  });

  it.each(samples)('gives %s a meaningful answer', async (name) => {
    const answer = await explain(['--config', CONFIG, '--state', STATE, '--now', '2026-11-25T09:18:00Z', join(EVENTS, name)]);
    const expected = STATE_INDEPENDENT[name];
    if (expected !== undefined) expect(answer.reason).toMatch(expected);
    else expect(answer.reason).not.toMatch(UNKNOWN);
  });
});

describe('explain without --state', () => {
  it("checks a request's task definition against a service in events/config.json's account and region", async () => {
    const answer = await explain([
      '--config',
      CONFIG,
      '--now',
      '2026-11-25T09:15:00Z',
      join(EVENTS, 'deploy-request-task-definition.json'),
    ]);
    expect(answer).toMatchObject({ decision: 'launch', reason: expect.stringContaining('task-definition/shop-api:44') });
  });
});

describe('explain a pause-hook event: --state events/states/paused.json', () => {
  const PAUSE_HOOK = join(EVENTS, 'configs', 'pause-hook.json');
  const PAUSED = join(EVENTS, 'states', 'paused.json');
  const hookEvent = join(EVENTS, 'hook-awaiting-action.json');

  it("launches the migration of the paused deployment's image, the revision it deploys run as it is", async () => {
    const answer = await explain(['--config', PAUSE_HOOK, '--state', PAUSED, '--now', '2026-11-25T09:20:05Z', hookEvent]);
    expect(answer).toMatchObject({ decision: 'launch', reason: expect.stringContaining("for shop-api's paused deployment") });
  });

  it('answers as ECS describes the deployment: a hook answered meanwhile is not acted on', async () => {
    const state = JSON.parse(readFileSync(PAUSED, 'utf8'));
    state.hook.deployment.hooks[0].status = 'SUCCEEDED';
    const file = join(await mkdtemp(join(tmpdir(), 'explain-hook-')), 'state.json');
    await writeFile(file, JSON.stringify(state));
    const answer = await explain(['--config', PAUSE_HOOK, '--state', file, hookEvent]);
    expect(answer).toMatchObject({ decision: 'ignore', reason: expect.stringContaining('is SUCCEEDED, not AWAITING_ACTION') });
  });

  it('refuses a malformed hook, naming the key', async () => {
    const state = JSON.parse(readFileSync(PAUSED, 'utf8'));
    delete state.hook.revision.taskDefinitionArn;
    const file = join(await mkdtemp(join(tmpdir(), 'explain-hook-')), 'state.json');
    await writeFile(file, JSON.stringify(state));
    await expect(explainCommand(['--config', PAUSE_HOOK, '--state', file, hookEvent])).rejects.toThrow(/hook\.revision\.taskDefinitionArn/);
  });
});
