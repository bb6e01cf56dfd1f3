import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/core/command-policy.js';
import type { ContainerState, TaskStateInput } from '../../src/core/inputs.js';
import { retryDelayMinutes } from '../../src/core/launch-retry.js';
import { redact } from '../../src/core/redact.js';
import type { EnvironmentState } from '../../src/core/state.js';
import type { Ecs } from '../../src/ports.js';
import { createRoleController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { WATCH_FUNCTION } from '../../src/shell/watch-function.js';
import {
  ACCOUNT,
  activeState,
  committed,
  config,
  ctx,
  given,
  idleState,
  launchingDeployment,
  only,
  parse,
  REGION,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  SAMPLE_TASK,
  sample,
  service,
  TD,
  withEvent,
} from '../support/fixtures.js';
import { watcherOnRunning } from '../support/watch-harness.js';

/**
 * Review of the README's "Guarantees": each test here passes on the code as it is and fails under a small, plausible
 * mutation that every other test let through (the mutation is named in each test's comment).
 */

const filler = (n: number) => `20261125-08${String(n).padStart(2, '0')}00-${String(n).padStart(8, '0')}`;

describe('Idempotent: "the environment record remembers its requestId among the last 20"', () => {
  // Mutation caught: SEEN_REQUESTS_KEPT = 20 -> 1 (src/core/state.ts).
  it('a request put on the bus again after other requests were admitted is still a duplicate', () => {
    const resent = withEvent(sample('run-command'), { top: { id: 'resent-a', time: '2026-11-25T11:00:00Z' } });
    // Request A (the sample's requestId) was admitted first; 18 others came after it: 19 remembered.
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
});

describe('The queue keeps the newest image: "an image seen before (the environment record keeps the last 20) keeps the time it was first seen"', () => {
  // Mutation caught: SEEN_IMAGES_KEPT = 20 -> 1 (src/core/state.ts).
  it('an old image tagged again after another image was pushed is as old as when first seen: superseded on arrival', () => {
    const registry = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api`;
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
});

describe('Only our own task counts: an event before RunTask\'s answer is kept as "the newest of each task"', () => {
  // Mutation caught: keepsEarlyTaskEvent `same.version < event.version` -> `same.version !== event.version`
  // (src/core/transitions.ts): an older event of the same task replaced the kept STOPPED.
  it('an older event of a kept task is dropped, and the kept STOPPED is judged when RunTask answers', () => {
    const kept = committed(
      given(activeState(launchingDeployment()))
        .when(sample('task-stopped-exit-1')) // version 6
        .then({ decision: 'record', reason: /before RunTask's answer was recorded/ }),
      SAMPLE_DEPLOYMENT,
    );
    given(activeState(kept))
      .when(sample('task-running')) // version 3 of the same task, delivered late
      .then({ decision: 'ignore', reason: /stale event: task version 3 is not newer/ });
    const launchResult = {
      kind: 'launch-result',
      deploymentId: SAMPLE_DEPLOYMENT,
      ok: true,
      taskArn: SAMPLE_TASK,
      taskDefinitionArn: TD(43),
    } as const;
    given(activeState(kept))
      .when(launchResult)
      .then({ decision: 'halt', reason: /exited with code 1/ });
  });
});

describe('A launch that never started for a reason that can pass is retried "1 then 4 minutes later (16 at most)"', () => {
  // Mutation caught: retryDelayMinutes `Math.min(4 ** (retry - 1), 16)` -> `Math.min(4 ** (retry - 1), 64)`
  // (src/core/launch-retry.ts): the tests pinned only retries 1 to 3.
  it('waits 16 minutes at most, also before the fifth and sixth attempts', () => {
    expect([1, 2, 3, 4, 5].map(retryDelayMinutes)).toEqual([1, 4, 16, 16, 16]);
    const raw = parse(sample('task-stopped-failed-to-start'));
    if (raw.kind !== 'task-state') throw new Error('not a task event');
    const reason = 'ResourceInitializationError: unable to pull secrets or registry auth: i/o timeout';
    const taskArn = `${SAMPLE_TASK}4`;
    const failed: TaskStateInput = {
      ...raw,
      taskArn,
      stoppedReason: reason,
      containers: raw.containers.map((c) => (c.name === 'app' ? { ...c, reason } : c)),
    };
    const fourth = runningDeployment({ attempt: 4, taskArn });
    const d = given(activeState(fourth), ctx({ LAUNCH_RETRIES: '5' }))
      .when(failed)
      .then({ decision: 'record', events: ['Launch Retry Scheduled'] });
    expect(only(d, 'scheduleTimeout')).toMatchObject({ at: '2026-11-25T09:34:00.000Z', attempt: 5, purpose: 'retry' });
  });
});

describe('Allowlisted commands: a pattern\'s "*" is a run of safe characters, "at most 256 characters each"', () => {
  // Mutation caught: dropping `arg.length > 256 ||` in matchEntry (src/core/command-policy.ts): only bare entries
  // were held to 256 characters, so a pattern let a word of 4,096 characters through to the redactor and the record.
  it('refuses a pattern argument longer than 256 characters', () => {
    const rules = { allowed: ['db-rollback --to *'], redact };
    expect(checkCommand(['db-rollback', '--to', '1'.repeat(256)], rules)).toEqual({ ok: true });
    expect(checkCommand(['db-rollback', '--to', '1'.repeat(257)], rules).ok).toBe(false);
  });
});

describe('No secret reaches the events or the record: ECS text the watcher reads, and a log tail it could not read', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-review-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** events/task-running-migration-exited.json with the migration container ("app") STOPPED and no exit code. */
  function exitedWithoutCode(): Record<string, unknown> {
    const raw = sample('task-running-migration-exited');
    const containers = ((raw.detail as { containers: Record<string, unknown>[] }).containers ?? []).map((c) => {
      if (c.name !== 'app') return c;
      const { exitCode: _e, reason: _r, ...rest } = c;
      return { ...rest, lastStatus: 'STOPPED' };
    });
    return withEvent(raw, { detail: { containers } });
  }

  // Mutation caught: in enrichWatchInput (src/shell/load-state.ts), the containers DescribeTasks answers taken
  // without `redactEcsText` (`enriched = { ...enriched, containers: described.containers }`).
  it("a container reason read with DescribeTasks (the event had no exit code) is redacted like the event's", async () => {
    const described: ContainerState[] = [
      {
        name: 'app',
        lastStatus: 'STOPPED',
        exitCode: 1,
        reason: 'exec: "db-migrate --url postgres://app:Sup3rS3cretPassw0rd@db.internal/app": exit status 1',
      },
      { name: 'web', lastStatus: 'RUNNING' },
    ];
    const ecs: Partial<Ecs> = {
      describeService: async () => service,
      stopTask: async () => {},
      describeTask: async () => ({ lastStatus: 'RUNNING', containers: described }),
    };
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:18:00Z'), logLines: ['migration failed'] });

    const steps = await h.watch.handle(exitedWithoutCode());

    expect(steps.map((s) => s.decision.decision)).toEqual(['halt']);
    const stored = await h.stored();
    expect(stored).toMatchObject({ status: 'ended', outcome: 'failed', stop: { exitCode: 1 } });
    expect(JSON.stringify([h.events, stored, steps])).not.toMatch(/Sup3rS3cret/);
    expect(JSON.stringify(stored)).toContain('postgres://app:[REDACTED]@db.internal/app');
  });

  // Mutation caught: in tail (src/shell/load-state.ts), the "(log tail unavailable: …)" line returned unredacted;
  // the existing test checked only the warning logged, not the tail stored and emitted.
  it('the line that stands for a log tail that could not be read is stored and emitted redacted', async () => {
    const h = await watcherOnRunning(dir, {
      ecs: { describeService: async () => service },
      now: new Date('2026-11-25T09:18:00Z'),
      logLines: [],
    });
    const watch = createRoleController(
      {
        config: config(),
        ports: { ...h.ports, logs: { tail: async () => Promise.reject(new Error('denied for token=Sup3rS3cretT0ken')) } },
        log: silentLog,
        now: () => new Date('2026-11-25T09:18:00Z'),
      },
      WATCH_FUNCTION,
    );

    const steps = await watch.handle(sample('task-stopped-exit-1'));

    expect(steps[0]?.decision.decision).toBe('halt');
    const stored = await h.stored();
    expect(stored).toMatchObject({ status: 'ended', outcome: 'failed', logTail: [expect.stringContaining('log tail unavailable')] });
    expect(JSON.stringify([h.events, stored, steps])).not.toMatch(/Sup3rS3cret/);
  });
});
