import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tailToRedact } from '../../src/core/bounds.js';
import type { Ended } from '../../src/core/deployment.js';
import { redact } from '../../src/core/redact.js';
import { keptTail, REDACT_LINE_CHARS } from '../../src/shell/load-state.js';
import { decideOn, idleState, SAMPLE_DEPLOYMENT, sample, TD, withEvent } from '../support/fixtures.js';

import { SECOND_TASK, secondAttemptWorld, watchChecks } from '../support/scheduling-world.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-edges-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a quoted value ending in a backslash (no escapes in bash single quotes)', () => {
  it('a quoted secret whose last character is a backslash is still redacted (bash `set` output, printf-style logs)', () => {
    // Scenario: a migration's entrypoint dumps its shell variables for debugging (`set`), or logs
    // `password="%s"`: bash prints DB_PASSWORD='s3cr3t\' (single quotes have no escapes in shell), a printf-style
    // logger prints DB_PASSWORD="s3cr3t\" for a password ending in a backslash. These lines reach the log tail.
    // Before d92f3eb the key=value rule took `"[^"]*"` / `'[^']*'` and redacted both. Now `\\.` consumes the closing
    // quote, the quoted alternative finds no closing quote, the unquoted one cannot start at a quote: nothing is
    // redacted and the whole password is kept in the tail (record, Rollout Halted, halted-migrations queue).
    // Expected: the value is redacted, as it was before the commit.
    const tail = keptTail(["DB_PASSWORD='s3cr3t\\'", 'connecting with password="Tr0ub4dor\\"'], redact);
    expect(tail.join('\n')).not.toContain('s3cr3t');
    expect(tail.join('\n')).not.toContain('Tr0ub4dor');
  });

  it('redacting twice changes nothing when a quoted value ends in a backslash before another key', () => {
    // Scenario: `token="abc password=\"`. First pass: the quoted value of `token` never closes (its last quote is
    // taken as escaped), so only `password=\` is redacted, giving `token="abc password=[REDACTED]"`, whose quote now
    // closes: the second pass (an echo redacted, then the event carrying it) changes it to `token="[REDACTED]"`.
    // Before d92f3eb the first pass gave `token="[REDACTED]"` at once (and `abc` never showed).
    // Expected: redact(redact(x)) === redact(x) (test/core/redact.test.ts), and no part of the token kept.
    const text = 'token="abc password=\\"';
    const once = redact(text);
    expect(redact(once)).toBe(once);
    expect(once).not.toContain('abc');
  });
});

describe('a requestId is refused only for a credential, not by the free-text redactor', () => {
  it('a requestId naming a service whose name holds a secret word (password-reset-api:v1.2.0) is accepted', () => {
    // Scenario: CI names its requests `<service>:<version>` (the id grammar allows ":" and "/"). For a service named
    // password-reset-api, auth-service or token-exchange, the key=value rule reads `password-reset-api:v1.2.0` as a
    // key and its value and would redact `v1.2.0`, so since d92f3eb every deploy-request of that service is rejected
    // ("looks like it holds a credential (as in user:token@host)"), though the id holds no credential; such ids were
    // accepted before the upgrade. (CLI, Action and local ids — cli-<uuid>, gh-<run>-<attempt>-<job>, uuids — pass.)
    // Expected: only an id holding a credential (user:token@host, an access key) is refused.
    // So is an image reference (`name:tag@sha256:<digest>`): nothing after that `@` is a host.
    const digest = `sha256:${'ab12'.repeat(16)}`;
    for (const requestId of ['release/password-reset-api:v1.2.0', 'auth-service:1234', `shop-api:v42@${digest}`]) {
      const d = decideOn(withEvent(sample('deploy-request'), { detail: { requestId } }), idleState());
      expect(d.decision, `${requestId}: ${d.reason}`).toBe('launch');
    }
  });

  it('a credential before a digest-shaped host is still refused', () => {
    // Only a whole digest ending the id is an image reference: `user:token@sha256:<64 hex>x.example.com` names a host.
    const digest = `sha256:${'ab12'.repeat(16)}`;
    for (const requestId of [`ci:s3cretT0ken@${digest}x.example.com/run-1`, `ci:s3cretT0ken@sha256:abc.example.com`]) {
      const d = decideOn(withEvent(sample('deploy-request'), { detail: { requestId } }), idleState());
      expect(d.decision, requestId).toBe('reject');
    }
  });
});

describe('the log tail cut drops a quoted value with escaped quotes whole', () => {
  it('a log line cut inside the key of a JSON password holding an escaped quote keeps none of the password', () => {
    // Scenario: a migration tool logs its configuration as one JSON line (pino/winston) longer than REDACT_LINE_CHARS:
    // {"…","db":{"password":"hu\"nter2-Secret-Rest"},"tls":{"private_key":"<~16 KB>"}}. The tail window
    // (tailToRedact) starts inside the key `password`. d92f3eb taught the redactor that a JSON string runs past `\"`
    // (`"(?:[^"\\]|\\.)*"`), but bounds.ts PAIR_AT_START, which drops the value of a key the cut splits, still reads
    // a quoted value as `"[^"]*"`: it drops only `sword":"hu\"` and hands `nter2-Secret-Rest"…` to the redactor with
    // no key before it. The private key after it is redacted to `[REDACTED]`, so the line now fits LOG_TAIL and
    // the rest of the password is kept in the tail (record, Rollout Halted, halted-migrations queue).
    // Expected: as when the whole line is redacted (the commit's own fix), no part of the password is kept.
    const fromCut = 'sword":"hu\\"nter2-Secret-Rest"},"tls":{"private_key":"';
    const end = '"}}';
    const privateKey = 'A'.repeat(REDACT_LINE_CHARS - 1 - fromCut.length - end.length);
    const line = `{"level":"info","msg":"loaded configuration","db":{"pas${fromCut}${privateKey}${end}`;
    expect((JSON.parse(line) as { db: { password: string } }).db.password).toBe('hu"nter2-Secret-Rest');
    // The whole line redacted hides it (the commit's fix) ...
    expect(redact(line)).not.toContain('Secret-Rest');
    // ... the tail that is actually kept must too.
    expect(keptTail([line], redact).join('\n')).not.toContain('Secret-Rest');
  });
});

describe('no extra rollout-watch check where a check of the deployment is still to come', () => {
  it('a retried attempt whose RunTask answer judges a kept exit-0 event schedules no rollout-watch: attempt 1’s timeout check is still to come', async () => {
    // Scenario (update-service, LAUNCH_RETRIES default 2): attempt 1 was launched at 09:15:01; its RunTask answer
    // scheduled the timeout check `ecs-migrate-<id>` for 10:15:01. Its task never started (CannotPullContainerError,
    // transient) and attempt 2 was scheduled. Attempt 2's task ran the migration (exit 0) and its STOPPED event came
    // before RunTask's answer (kept). At 09:17:00 RunTask's answer judges it at once (decideLaunchResult) with
    // `lastCheck: true` ("no timeout check is scheduled for this attempt, so none will follow its rollouts"), so the
    // end schedules a rollout-watch check, although attempt 1's check (10:15:01) is still to come and follows the
    // rollout when it comes (watchRollouts on an ended deployment). Before 504d988 nothing was scheduled here.
    // Expected: no extra schedule (one more CreateSchedule, then a conflicting one from attempt 1's check) — the
    // rule of watchWhenNoCheckLeft: "None on the usual path: one more schedule would be one more request."
    const w = await secondAttemptWorld(dir, {
      failedAt: '2026-11-25T09:15:40.000Z',
      launchStartedAt: '2026-11-25T09:16:50.000Z',
      now: '2026-11-25T09:17:00Z',
    });
    await w.controller.run({
      kind: 'launch-result',
      deploymentId: SAMPLE_DEPLOYMENT,
      ok: true,
      taskArn: SECOND_TASK,
      taskDefinitionArn: TD(43),
    });
    const ended = (await w.store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT] as Ended;
    expect(ended).toMatchObject({ status: 'ended', outcome: 'succeeded', services: [{ ecsDeploymentId: 'ecs-svc/77' }] });

    // Attempt 1's timeout check does come, and it is what follows the rollout:
    w.at('2026-11-25T10:16:01Z');
    const before = w.scheduled.length;
    await w.controller.handle(withEvent(sample('timeout-check'), { top: { time: '2026-11-25T10:16:01Z' } }));
    const followed = (await w.store.loadDeployments([SAMPLE_DEPLOYMENT]))[SAMPLE_DEPLOYMENT] as Ended;
    expect(followed.services?.[0]?.completion).toBe('unconfirmed');

    // So the launch result's decision needed no rollout-watch schedule of its own.
    expect(watchChecks(w.scheduled.slice(0, before))).toEqual([]);
  });
});

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
