import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localDefaults, validConfig } from '../../cli/local-config.js';
import { createLocalController, type LocalController } from '../../src/local/controller.js';
import { appName } from '../../src/local/images.js';
import { recoverInterrupted, runToEnd } from '../../src/local/run-to-end.js';
import { localEnvelope } from '../../src/local/task-event.js';
import { localPushEvent } from '../../src/local/trigger-events.js';
import { silentLog } from '../../src/shell/logger.js';

const EXAMPLES = resolve(import.meta.dirname, '..', '..', 'examples');

let root: string;
let controller: LocalController | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecs-migrate-local-'));
});
afterEach(async () => {
  controller?.dispose();
  controller = undefined;
  await rm(root, { recursive: true, force: true });
});

/** A local controller for an app, bootstrapped as `ecs-migrate local` does, and the push event of its image. */
async function setUp(appDir: string, overrides: Record<string, string> = {}, tag = 'v1') {
  const config = validConfig({ ...localDefaults(appName(appDir)), ...overrides });
  controller = createLocalController({ root: join(root, '.ecs-migrate'), config, log: silentLog, stopTimeoutMs: 1000 });
  const { digest } = await controller.prepare(appDir);
  const push = (id: string, extra: Record<string, unknown> = {}) => ({
    ...localPushEvent({ repository: config.REPOSITORY, digest, tag, id }),
    ...extra,
  });
  return { controller, config, push };
}

async function query(sql: string): Promise<unknown[]> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(join(root, '.ecs-migrate', 'local-app', 'pgdata'));
  try {
    return (await db.query(sql)).rows;
  } finally {
    await db.close();
  }
}

describe('local mode', () => {
  it('migrates a real database and moves the service to the new image', async () => {
    const { controller, push } = await setUp(join(EXAMPLES, 'app'));
    const run = await runToEnd(controller, push('push-1'));

    expect(run.decision.decision).toBe('launch');
    expect(run.deployment).toMatchObject({ status: 'succeeded', rollout: 'continued', stop: { exitCode: 0 } });
    expect(run.events.map((e) => e.detailType)).toEqual(['Migration Started', 'Migration Succeeded', 'Rollout Continued']);
    const service = await controller.ecs.describeService();
    expect(service.taskDefinitionArn).toBe(run.deployment?.taskDefinitionArn);
    expect(service.image).toBe(run.deployment?.image);
    const applied = await query('select version from schema_migrations order by version');
    expect(applied).toEqual([
      { version: '0001_create_customers' },
      { version: '0002_create_orders' },
      { version: '0003_add_orders_status_index' },
    ]);
  });

  it('remembers across runs: the same image is already deployed, a rerun runs it again', async () => {
    const first = await setUp(join(EXAMPLES, 'app'));
    await runToEnd(first.controller, first.push('push-1'));
    first.controller.dispose();

    const second = await setUp(join(EXAMPLES, 'app'));
    const again = await runToEnd(second.controller, second.push('push-2'));
    expect(again.decision).toMatchObject({ decision: 'ignore', reason: expect.stringMatching(/^already deployed/) });
    expect(again.deployment).toBeUndefined();

    const replay = await runToEnd(second.controller, second.push('push-2', { 'replay-name': 'again' }));
    expect(replay.deployment).toMatchObject({ status: 'succeeded', trigger: { replayName: 'again' } });
  });

  it('halts on a failing migration: service untouched, SQL error in the log tail', async () => {
    const { controller, push } = await setUp(join(EXAMPLES, 'failing-app'));
    const before = await controller.ecs.describeService();
    const run = await runToEnd(controller, push('push-1'));

    expect(run.deployment).toMatchObject({
      status: 'failed',
      rollout: 'halted',
      stop: { exitCode: 1, stopCode: 'EssentialContainerExited' },
    });
    expect(run.deployment?.reason).toContain('container "app" exited with code 1');
    expect(run.deployment?.logTail?.join('\n')).toMatch(/0002_.*\.sql/);
    expect(run.deployment?.logTail?.join('\n')).toMatch(/does not exist/);
    expect(run.events.map((e) => e.detailType)).toEqual(['Migration Started', 'Migration Failed', 'Rollout Halted']);
    expect((await controller.ecs.describeService()).taskDefinitionArn).toBe(before.taskDefinitionArn);
    expect((await controller.store.loadEnvironment('local-failing-app')).active).toBeUndefined();
  });

  it('reports a command that is not in the image as a task that failed to start', async () => {
    const app = join(root, 'empty-app');
    await mkdir(join(app, 'bin'), { recursive: true });
    const { controller, push } = await setUp(app);
    const run = await runToEnd(controller, push('push-1'));
    expect(run.deployment).toMatchObject({ status: 'failed', rollout: 'halted', stop: { stopCode: 'TaskFailedToStart' } });
    expect(run.deployment?.reason).toContain('executable file not found in $PATH');
  });

  it('stops a migration that outlives TIMEOUT_MINUTES and halts', async () => {
    const { controller, push } = await setUp(join(EXAMPLES, 'slow-app'), { TIMEOUT_MINUTES: '0.03' });
    const run = await runToEnd(controller, push('push-1'));
    expect(run.deployment).toMatchObject({ status: 'timed_out', rollout: 'halted' });
    expect(run.deployment?.reason).toMatch(/still running after 0.03 minutes \(TIMEOUT_MINUTES\)/);
    expect(run.events.map((e) => e.detailType)).toEqual(['Migration Started', 'Migration Timed Out', 'Rollout Halted']);
    await controller.idle();
    // The task is really stopped: its STOPPED event arrives and is ignored as late.
    await expect.poll(() => controller.ecs.runningTasks(), { timeout: 5000 }).toEqual([]);
  });

  it('runs an allowed command without touching the service', async () => {
    const { controller, config, push } = await setUp(join(EXAMPLES, 'app'));
    await runToEnd(controller, push('push-1'));
    const service = await controller.ecs.describeService();
    const run = await runToEnd(controller, {
      ...localEnvelope('rollback-1'),
      'detail-type': 'run-command',
      source: config.EVENT_SOURCE,
      detail: { environment: config.ENVIRONMENT, command: ['db-rollback'], requestId: 'rollback-1', requestedBy: 'test' },
    });
    expect(run.deployment).toMatchObject({
      kind: 'command',
      status: 'succeeded',
      rollout: 'not-applicable',
      taskDefinitionArn: service.taskDefinitionArn,
    });
    expect(run.events.map((e) => e.detailType)).toEqual(['Command Started', 'Command Succeeded']);
    expect((await controller.ecs.describeService()).taskDefinitionArn).toBe(service.taskDefinitionArn);
    expect(await query('select version from schema_migrations order by version')).toHaveLength(2);
  });

  it('frees an environment left locked by an interrupted run', async () => {
    const app = join(root, 'hung-app');
    await mkdir(join(app, 'bin'), { recursive: true });
    await writeFile(join(app, 'bin', 'db-migrate'), '#!/bin/sh\nsleep 30\n');
    await chmod(join(app, 'bin', 'db-migrate'), 0o755);
    const first = await setUp(app);
    first.controller.publish(first.push('push-1'));
    await expect.poll(async () => (await first.controller.store.loadEnvironment('local-hung-app')).active, { timeout: 5000 }).toBeDefined();
    await expect.poll(() => first.controller.ecs.runningTasks().length, { timeout: 5000 }).toBe(1);
    // Simulate the process dying: a new controller knows nothing of that task.
    for (const task of first.controller.ecs.runningTasks()) await first.controller.ecs.stopTask('local', task, 'test cleanup');
    first.controller.dispose();

    const second = await setUp(app);
    const ended = await recoverInterrupted(second.controller);
    expect(ended).toBeDefined();
    const d = (await second.controller.store.loadDeployments([ended?.id as string]))[ended?.id as string];
    expect(d).toMatchObject({ status: 'failed', reason: expect.stringContaining('interrupted') });
    expect((await second.controller.store.loadEnvironment('local-hung-app')).active).toBeUndefined();
    const log = await readFile(join(root, '.ecs-migrate', 'local-hung-app', 'events.jsonl'), 'utf8');
    expect(log).toContain('"detailType":"Rollout Halted"');
  });
});
