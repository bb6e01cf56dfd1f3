import { describe, expect, it } from 'vitest';
import { logLocationOf, succeeded, viewOf } from '../../cli/deployment-view.js';
import { formatDuration, parseDuration } from '../../cli/durations.js';
import { describeFailure } from '../../cli/failure.js';
import { statusText } from '../../cli/format.js';
import { outcomeText, shortWho } from '../../cli/inspect-aws.js';
import { verdictLines } from '../../cli/wait.js';
import { EcsMigrateError, TransientAwsError } from '../../src/errors.js';
import { endedDeployment, queuedDeployment, queueState, runningDeployment, SAMPLE_TASK, TD } from '../support/fixtures.js';

describe('viewOf: the one reading of a deployment record', () => {
  it('a queued deployment says which one it waits for', () => {
    const active = runningDeployment();
    const queued = queuedDeployment('20261125-092000-0000abcd', 'repo@sha256:1');
    const state = queueState(active, queued);
    expect(viewOf(queued, state.env)).toMatchObject({ status: 'queued', queuedBehind: active.id });
    expect(viewOf(active, state.env)).toMatchObject({ status: 'running', taskArn: SAMPLE_TASK });
    expect(viewOf(active, state.env)).not.toHaveProperty('queuedBehind');
  });

  it('an ended deployment carries outcome, exit code, stop code, reason and rollout; success needs the rollout too', () => {
    const failed = endedDeployment('failed', {
      stop: { exitCode: 1, stopCode: 'EssentialContainerExited' },
      reason: 'container "app" exited with code 1',
      rollout: 'halted',
      finishedAt: '2026-11-25T09:20:00Z',
    });
    const view = viewOf(failed);
    expect(view).toMatchObject({
      status: 'ended',
      outcome: 'failed',
      exitCode: 1,
      stopCode: 'EssentialContainerExited',
      rollout: 'halted',
      endedAt: '2026-11-25T09:20:00Z',
    });
    expect(succeeded(view)).toBe(false);
    expect(succeeded(viewOf({ ...failed, outcome: 'succeeded', stop: { exitCode: 0 }, rollout: 'continued' }))).toBe(true);
    expect(succeeded(viewOf({ ...failed, outcome: 'succeeded', stop: { exitCode: 0 }, rollout: 'halted' }))).toBe(false);
    // A run-command succeeds only when its command exited 0.
    expect(succeeded(viewOf({ ...failed, kind: 'command', outcome: 'succeeded', stop: { exitCode: 0 }, rollout: 'not-applicable' }))).toBe(
      true,
    );
  });

  it('a migration whose rollout could not move a gated service is not a success: deploy --wait exits 1 naming it', () => {
    // SERVICES=shop-api,shop-worker: shop-api moved, moving shop-worker failed (the controller emitted Rollout Failed).
    const record = endedDeployment('succeeded', {
      stop: { exitCode: 0, stopCode: 'EssentialContainerExited' },
      reason: 'container "app" exited with code 0: rollout: shop-api continued; shop-worker failed (AccessDenied)',
      rollout: 'continued',
      services: [
        { service: 'shop-api', result: 'continued' },
        { service: 'shop-worker', result: 'failed', reason: 'AccessDenied' },
      ],
    });
    const view = viewOf(record);
    expect(succeeded(view)).toBe(false);
    const headline = verdictLines(view).at(-1) ?? '';
    expect(headline).toMatch(/^✘ migration succeeded in .*, but the rollout failed: shop-worker \(AccessDenied\) not moved/);
    expect(headline).not.toContain('shop-api');
    // status and history show the same record as not a success.
    expect(outcomeText(view)).toBe('rollout failed');
    // A service left as it was (unchanged) or on a newer revision (moved-on) is no failure.
    const fine = viewOf({
      ...record,
      services: [
        { service: 'shop-api', result: 'continued' },
        { service: 'shop-worker', result: 'unchanged' },
      ],
    });
    expect(succeeded(fine)).toBe(true);
    expect(verdictLines(fine).at(-1)).toMatch(/^✔ migration succeeded in .*; rollout continued$/);
    expect(outcomeText(fine)).toBe('succeeded');
  });

  it('log location of a record without one: the awslogs settings of the migration container in the task definition', async () => {
    const view = viewOf(runningDeployment({ taskDefinitionArn: TD(8) }));
    const describe = async () => ({
      $metadata: {},
      taskDefinition: {
        containerDefinitions: [
          {
            name: 'sidecar',
            logConfiguration: { logDriver: 'awslogs' as const, options: { 'awslogs-group': 'x', 'awslogs-stream-prefix': 'y' } },
          },
          {
            name: 'app',
            logConfiguration: {
              logDriver: 'awslogs' as const,
              options: { 'awslogs-group': '/ecs/shop-api', 'awslogs-stream-prefix': 'ecs' },
            },
          },
        ],
      },
    });
    expect(await logLocationOf(view, 'app', describe)).toEqual({
      group: '/ecs/shop-api',
      stream: `ecs/app/${SAMPLE_TASK.split('/').pop()}`,
    });
    // A recorded location wins, and ECS is not asked.
    const recorded = { ...view, log: { group: 'g', stream: 's' } };
    expect(await logLocationOf(recorded, 'app', () => Promise.reject(new Error('not called')))).toEqual({ group: 'g', stream: 's' });
  });
});

describe('history lines', () => {
  it('of local state show a migration that left a gated service unmoved as "rollout failed", as on a stack', () => {
    const moved = endedDeployment('succeeded', { services: [{ service: 'shop-api', result: 'continued' }] });
    const unmoved = endedDeployment('succeeded', {
      services: [
        { service: 'shop-api', result: 'continued' },
        { service: 'shop-worker', result: 'failed', reason: 'AccessDenied' },
      ],
    });
    expect(statusText(moved)).toContain('succeeded');
    expect(statusText(unmoved)).toContain('rollout failed');
  });

  it('say who asked in short: role/session, the IAM user, or the text given', () => {
    expect(shortWho('arn:aws:sts::123456789012:assumed-role/shop-api-deploy/gh-9812')).toBe('shop-api-deploy/gh-9812');
    expect(shortWho('arn:aws:iam::123456789012:user/ops/alice')).toBe('alice');
    expect(shortWho('alice@laptop')).toBe('alice@laptop');
    expect(shortWho(`github-actions/${'x'.repeat(60)}`)).toHaveLength(40);
  });
});

describe('durations and failures', () => {
  it('parses and prints durations', () => {
    expect(parseDuration('45m', '--timeout')).toBe(45 * 60_000);
    expect(parseDuration('1h30m', '--timeout')).toBe(90 * 60_000);
    expect(parseDuration('90s', '--timeout')).toBe(90_000);
    expect(() => parseDuration('45', '--timeout')).toThrow('--timeout 45: expected a duration such as 45m, 2h or 90s');
    expect(formatDuration(3_723_000)).toBe('1h 2m 3s');
    expect(formatDuration(65_000)).toBe('1m 5s');
  });

  it('an adapter error loses its Lambda wording; a missing region becomes the usage error naming the fix', () => {
    const region = new TransientAwsError(
      "dynamodb:Query failed: Error: Region is missing (after the SDK's retries; the event will be retried)",
      {
        cause: new Error('Region is missing'),
      },
    );
    expect(describeFailure(region)).toEqual({
      line: 'no AWS region: pass --region REGION, or set AWS_REGION (or a region in the --profile)',
      exitCode: 2,
    });
    const throttled = new TransientAwsError(
      "dynamodb:Query failed: ThrottlingException: Rate exceeded (after the SDK's retries; the event will be retried)",
    );
    expect(describeFailure(throttled)).toEqual({ line: 'dynamodb:Query failed: ThrottlingException: Rate exceeded', exitCode: 1 });
    const missing = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
    const noTable = new EcsMigrateError(
      'dynamodb:GetItem failed: ResourceNotFoundException: Requested resource not found; check DEPLOYMENTS_TABLE ("nope") and its key schema',
      { cause: missing },
    );
    expect(describeFailure(noTable)).toEqual({
      line: 'no deployments table "nope" in this account and region: check --stack (or --table) and --region',
      exitCode: 1,
    });
  });
});
