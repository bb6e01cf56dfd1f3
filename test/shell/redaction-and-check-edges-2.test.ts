import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tailToRedact } from '../../src/core/bounds.js';
import type { Ended } from '../../src/core/deployment.js';
import { redact } from '../../src/core/redact.js';
import { decideOn, idleState, SAMPLE_DEPLOYMENT, sample, TD, withEvent } from '../support/fixtures.js';
import { SECOND_TASK, secondAttemptWorld, watchChecks } from '../support/scheduling-world.js';

describe('a quoted value ending in a backslash followed by another secret', () => {
  it('bash xtrace of two single-quoted secrets keeps the second one', () => {
    // `set -x` prints: + psql --password='p4ss\' --token='TOKSECRET' (no escapes in bash single quotes).
    // The escape-aware alternative is tried first and runs past `\'` to the opening quote of --token's value.
    const line = "+ psql --password='p4ss\\' --token='TOKSECRET'";
    expect(redact(line)).not.toContain('TOKSECRET');
    expect(redact("password='s3cr3t\\' token='abc123SECRET'")).not.toContain('abc123SECRET');
    expect(redact('password="s3cr3t\\" token="abc123SECRET"')).not.toContain('abc123SECRET');
  });

  it('the log-tail cut inside the key of KEY="value" (no spaces, as env/dotenv dumps print it) keeps the whole value', () => {
    // PAIR_AT_START's word part `[^\s,;&"'}\]]*` also takes the `=`, so `sword=` is read as the cut word, `["']?` takes the
    // opening quote, and the `[:=]\s*value` branch never runs: the value, now without its key, is handed to the redactor.
    // (The same cut of `"PASSWORD":"value"` drops the value.)
    for (const value of ['"hunter2-Secret"', "'hunter2-Secret'", '"hu\\"nter2-Secret"']) {
      const line = `${'x'.repeat(50)} DB_PASSWORD=${value}`;
      const cut = tailToRedact(line, line.length - line.indexOf('SWORD') + 1);
      expect(redact(cut), cut).not.toContain('nter2-Secret');
    }
  });
});

describe('requestId credential check', () => {
  const decide = (requestId: string) => decideOn(withEvent(sample('deploy-request'), { detail: { requestId } }), idleState());
  for (const requestId of [
    'AKIAIOSFODNN7EXAMPLE', // an AWS access key id (the redactor hides it; accepted since 688a612)
    'https://ci:ab/cdSECRET@git.example.com/run-1', // a password holding `/` (base64 tokens)
    'https://:ghpSECRETtoken@github.com/shop', // empty user, token as password
  ]) {
    it(`refuses a requestId holding a credential: ${requestId}`, () => {
      const d = decide(requestId);
      expect(d.decision, d.reason).not.toBe('launch');
    });
  }
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-final-edges-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lastCheck when the earlier attempt’s timeout check has already fired', () => {
  it('attempt 2 judged at once from its RunTask answer schedules a rollout-watch when attempt 1’s check was consumed (ignored as stale)', async () => {
    // Attempt 1: RunTask answered ~09:15:01, its timeout check at 10:15:01. Its task stayed PENDING and failed
    // transiently (CannotPullContainerError) at 10:14:30; attempt 2 retried at 10:15:30. Attempt 1's check fires at
    // 10:15:40 and is ignored as stale (checked 1 ≠ current 2). Attempt 2's STOPPED exit-0 event is kept; RunTask's
    // answer at 10:16:00 judges it at once. Attempt 1's check was due already, so no check of this deployment is left:
    // a rollout-watch check is scheduled (it was not while any earlier attempt with a task counted as pending).
    const w = await secondAttemptWorld(dir, {
      failedAt: '2026-11-25T10:14:30.000Z',
      launchStartedAt: '2026-11-25T10:15:30.000Z',
      now: '2026-11-25T10:15:40Z',
    });
    // Attempt 1's timeout check arrives while attempt 2 launches: stale, ignored (consumed).
    await w.controller.handle(withEvent(sample('timeout-check'), { top: { time: '2026-11-25T10:15:40Z' } }));
    const still = (await w.store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT];
    expect(still?.status).toBe('launching');

    w.at('2026-11-25T10:16:00Z');
    await w.controller.run({
      kind: 'launch-result',
      deploymentId: SAMPLE_DEPLOYMENT,
      ok: true,
      taskArn: SECOND_TASK,
      taskDefinitionArn: TD(43),
    });
    const ended = (await w.store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT] as Ended;
    expect(ended).toMatchObject({ status: 'ended', outcome: 'succeeded' });
    // No check of this deployment is still to come, so this end must schedule the rollout-watch itself.
    expect(watchChecks(w.scheduled)).not.toEqual([]);
  });
});
