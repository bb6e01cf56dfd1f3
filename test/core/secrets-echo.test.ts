import { describe, expect, it } from 'vitest';
import { requestEntry } from '../../cli/request.js';
import type { Decision } from '../../src/core/actions.js';
import { redact } from '../../src/core/redact.js';
import { activeState, ctx, decideOn, idleState, operatorEvent, runningDeployment, sample, withEvent } from '../support/fixtures.js';

/**
 * Secrets a sender or a migration puts where the controller echoes, stores or emits it (found by a security review;
 * each test failed before its fix).
 */

/** Everything a decision stores, emits, logs (its reason) or sends to AWS. */
const everything = (d: Decision) => JSON.stringify({ reason: d.reason, actions: d.actions });

describe('secrets never reach an event, a record or a log line', () => {
  it('a pause-hook run-command naming an image echoes it redacted before it is cut, like every other refusal', () => {
    // Attack / mistake: in pause-hook mode a request principal (a CI job) sends a run-command whose `image` field carries a
    // credential, e.g. a registry URL with a token (`https://<user>:<token>@…`), long enough that the 200-character echo
    // cuts it inside the token, before its `@`.
    // Was: refuseInPauseHookMode quotes the raw image (`quote(input.work.image)`, no `redactForEcho`), so the cut
    // happens before redaction; the redactor then no longer sees a `user:password@` and the first characters of the
    // token go into the reject's reason (logged by the controller) and into the `Event Rejected` detail.
    // Now: as everywhere else (image-ref.ts, command-policy.ts, parse-event.ts), the value is redacted before it
    // is cut, so no part of the token is echoed.
    const TOKEN = 'Tr0ub4dor3SuperSecretRegistryToken';
    const user = `deploy-bot-${'x'.repeat(170)}`; // https:// + user + ':' = 190 characters: the cut keeps 10 of the token
    const image = `https://${user}:${TOKEN}@registry.example.com/shop-api:v1`;
    const d = decideOn(withEvent(sample('run-command'), { detail: { image } }), idleState(), ctx({ ROLLOUT_MODE: 'pause-hook' }));
    expect(d.decision).toBe('reject');
    expect(everything(d)).not.toContain(TOKEN.slice(0, 8));
  });

  it("a request's requestId is not stored or emitted with a credential in it (deploy-request)", () => {
    // Attack / mistake: requestId admits `:`, `/` and `@` (1–128 of A-Za-z0-9._:/@-), so a sender can (by mistake, e.g. a
    // CI template that puts a repository URL with its token in the id) send `https://ci:<token>@git.example.com/…`.
    // Was: only `requestedBy` is redacted (senderRedacted in decide-launch.ts); the trigger's requestId is stored in the
    // deployment record (history) and emitted in every event's `trigger` as sent.
    // Now: a requestId the redactor would change is refused (as a secret-looking command argument is), or stored
    // and emitted redacted: the token appears in no record, event or reason.
    const TOKEN = 'ghs0a1b2c3d4e5f6SECRETtoken';
    const requestId = `https://ci:${TOKEN}@git.example.com/shop/run-4711`;
    const d = decideOn(withEvent(sample('deploy-request'), { detail: { requestId } }), idleState());
    expect(d).toMatchObject({ decision: 'reject', reason: expect.stringContaining('requestId') });
    expect(everything(d)).not.toContain(TOKEN);
  });

  it("an unlock-request's requestId is not emitted with a credential in it (Environment Unlocked, lastUnlock)", () => {
    // Same input through the operator path: decideUnlock redacts `requestedBy` and `reason`, but puts `requestId` raw
    // into `lastUnlock` (the environment record) and the `Environment Unlocked` detail.
    const TOKEN = 'ghs0a1b2c3d4e5f6SECRETtoken';
    const unlock = operatorEvent('unlock-request', 'unlock-1', '2026-11-25T09:17:00Z', {
      environment: 'staging',
      requestId: `https://ops:${TOKEN}@tickets.example.com/OPS-1`,
      requestedBy: 'ana',
      reason: 'task lost in the outage',
    });
    const d = decideOn(unlock, activeState(runningDeployment()));
    // Refused as it arrives (the requestId looks like it holds a credential), and not echoed.
    expect(d.decision).toBe('reject');
    expect(everything(d)).not.toContain(TOKEN);
  });

  it('an `Authorization: token <secret>` header in a log tail is redacted, not only its scheme word', () => {
    // Attack / mistake: a migration calls an HTTP API and logs the request headers (`curl -v`, an HTTP client's debug
    // log); GitHub and many APIs use `Authorization: token <token>`. The tail goes into `Rollout Halted`, the record and
    // the halted-migrations queue.
    // Was: the key=value rule sees the key `Authorization` and redacts only the first word of its value (the scheme
    // `token`); the Bearer/Basic rule knows only those two schemes, so the token itself is kept:
    // `Authorization: [REDACTED] ghp_…`.
    // Now: the credential after an Authorization header's scheme is redacted.
    const TOKEN = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a';
    expect(redact(`> Authorization: token ${TOKEN}`)).not.toContain(TOKEN);
    // The same with a Basic scheme written in lower case (schemes are case-insensitive, RFC 7235):
    expect(redact('authorization: basic dXNlcjpzM2NyZXRwYXNzd29yZA==')).not.toContain('dXNlcjpzM2NyZXRwYXNzd29yZA');
  });

  it('a JSON-logged password with an escaped quote in it is redacted whole', () => {
    // Attack / mistake: a migration tool logs its configuration as JSON (pino, winston, structlog); the database password
    // holds a double quote, which JSON writes as `\"`.
    // Was: the key=value rule takes a quoted value as `"[^"]*"`, which ends at the escaped quote: `"password":"[REDACTED]"`
    // followed by the rest of the password in clear.
    // Now: the whole JSON string value is redacted.
    const line = JSON.stringify({ level: 'info', msg: 'connecting', password: 'hu"nter2-Secret-Rest' });
    expect(redact(line)).not.toContain('nter2-Secret-Rest');
  });
});

describe('deploy --request-id: a requestId that looks like it holds a credential', () => {
  it('refuses `user:token@host`, the form README says is rejected, before anything is sent', () => {
    // Scenario: README (deploy request, `requestId`): "one that looks like it holds a credential, as `user:token@host`,
    // is rejected: it is stored and emitted as sent"; events.ts says the same of `user:token@host`. The CLI checks a
    // request with the controller's own parser before sending (requestEntry), so `ecs-migrate deploy --request-id
    // ci:<token>@git.example.com/shop/run-4711` (test/core/secrets-echo.test.ts's attack, without its `https://`)
    // should be refused as a usage error.
    // Was: the refinement only refuses what the built-in redactor changes, and the redactor takes `user:password@`
    //   only after a `scheme://`: `user:token@host` and `ci:<token>@host/…` pass, are sent, and the controller stores
    //   them in the deployment record and emits them in every event's trigger as sent.
    // Now: refused (CliUsageError naming the requestId), as the `https://user:token@host` form is.
    const entry = (requestId: string) => () =>
      requestEntry({
        kind: 'deploy',
        environment: 'staging',
        image: 'repo:v2',
        rerun: false,
        source: 'ecs-migrate',
        requestId,
        requestedBy: 'ci',
      });
    expect(entry('https://ci:ghs0a1b2c3d4e5f6SECRETtoken@git.example.com/shop/run-4711')).toThrow(/requestId/);
    expect(entry('user:token@host')).toThrow(/requestId/);
    expect(entry('ci:ghs0a1b2c3d4e5f6SECRETtoken@git.example.com/shop/run-4711')).toThrow(/requestId/);
  });
});

/**
 * Was: the requestId check refused `user:token@host` and an AWS access key id (AKIA…, not a secret) but accepted the
 * secret access key itself: 40 characters of base64 fit the id's character set, and the id is stored in the
 * deployment record and the environment's seenRequests and emitted in every event as sent (README: one "that looks
 * like it holds a credential … is rejected"). The check now asks the redactor's own test for a bare secret key.
 */
describe('a requestId holding an AWS secret access key', () => {
  const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  it.each([
    ['the key alone', SECRET_KEY],
    ['the key inside an id', `ci-${SECRET_KEY}-1`],
  ])('is refused, and not echoed: %s', (_what, requestId) => {
    const d = decideOn(withEvent(sample('deploy-request'), { detail: { requestId } }), idleState());
    expect(d).toMatchObject({ decision: 'reject', reason: expect.stringContaining('requestId') });
    expect(everything(d)).not.toContain(SECRET_KEY);
  });

  it('an id holding a git commit (40 hex digits, one case) is accepted', () => {
    const requestId = 'gh-3f05c6b25bd17fd921bedaa19354adf978dcb7f6';
    const d = decideOn(withEvent(sample('deploy-request'), { detail: { requestId } }), idleState());
    expect(d.decision, d.reason).toBe('launch');
  });
});
