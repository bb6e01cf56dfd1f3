import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessDeniedError } from '../../src/errors.js';
import { sample } from '../support/fixtures.js';
import { watcherOnRunning } from '../support/watch-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-described-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a STOPPED event without the migration exit code, when DescribeTasks is refused', () => {
  // The read that fills in the exit code was the only DescribeTasks not guarded like the timeout check's: a refusal
  // (access denied, a validation error) was re-thrown, so Lambda retried it and parked the STOPPED event in the
  // failed-invocation queue, and only the timeout check ended the deployment, as a timeout.
  it('is decided without the read, as a task with no exit code: halted, not thrown for Lambda to retry', async () => {
    const denied = new AccessDeniedError(
      'ecs:DescribeTasks',
      "the function's role ecs:DescribeTasks",
      'AccessDeniedException: User is not authorized to perform: ecs:DescribeTasks',
    );
    const h = await watcherOnRunning(dir, {
      ecs: {
        describeTask: async () => {
          throw denied;
        },
      },
      now: new Date('2026-11-25T09:18:00Z'),
      logLines: ['migrating…'],
    });

    const steps = await h.watch.handle(sample('task-stopped-no-exit-code'));

    expect(steps[0]?.decision.decision).toBe('halt');
    expect(await h.stored()).toMatchObject({ status: 'ended', outcome: 'failed', rollout: 'halted' });
    expect(h.events.map((e) => e.detailType)).toContain('Migration Failed');
  });
});
