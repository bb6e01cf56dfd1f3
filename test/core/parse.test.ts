import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { redact } from '../../src/core/redact.js';
import { PUSHED_IMAGE, parse, sample, withEvent } from '../support/fixtures.js';

const expectedKinds: Record<string, string> = {
  'ecr-push': 'ecr-image-action',
  'ecr-push-by-digest': 'ecr-image-action',
  'ecr-push-failure': 'ecr-image-action',
  'ecr-push-other-repository': 'ecr-image-action',
  'ecr-push-untagged-pattern-miss': 'ecr-image-action',
  'ecr-delete': 'ecr-image-action',
  'ecr-push-replay': 'ecr-image-action',
  'deploy-request': 'deploy-request',
  'deploy-request-task-definition': 'deploy-request',
  'deploy-request-rerun': 'deploy-request',
  'deploy-request-other-environment': 'deploy-request',
  'deploy-request-invalid': 'invalid',
  'run-command': 'run-command',
  'run-command-not-allowed': 'run-command',
  'task-running': 'task-state',
  'task-running-migration-exited': 'task-state',
  'task-stopped-success': 'task-state',
  'task-stopped-exit-1': 'task-state',
  'task-stopped-sidecar-first': 'task-state',
  'task-stopped-oom': 'task-state',
  'task-stopped-failed-to-start': 'task-state',
  'task-stopped-by-user': 'task-state',
  'task-stopped-no-exit-code': 'task-state',
  'task-stopped-not-ours': 'task-state',
  'timeout-check': 'timeout-check',
  'hook-in-progress': 'hook-state',
  'hook-awaiting-action': 'hook-state',
  'hook-succeeded': 'hook-state',
  'hook-failed': 'hook-state',
  'hook-timed-out': 'hook-state',
  'deployment-completed': 'deployment-state',
  'deployment-failed': 'deployment-state',
  'deployment-rolling-back': 'deployment-state',
};

describe('parseInput', () => {
  it('has an expectation for every sample in events/', () => {
    const samples = readdirSync('events')
      .filter((f) => f.endsWith('.json') && f !== 'config.json')
      .map((f) => f.slice(0, -5));
    expect(samples.sort()).toEqual(Object.keys(expectedKinds).sort());
  });

  it.each(Object.entries(expectedKinds))('%s → %s', (name, kind) => {
    expect(parse(sample(name)).kind).toBe(kind);
  });

  it('pins the pushed image by digest and keeps the tag and event time', () => {
    expect(parse(sample('ecr-push'))).toMatchObject({
      image: PUSHED_IMAGE,
      tag: 'v1.4.0',
      trigger: { type: 'ecr-push', eventId: '13cde686-328b-6117-af20-0e5566167482', at: '2026-11-25T09:14:58Z', imageTag: 'v1.4.0' },
    });
  });

  it('marks an EventBridge replay', () => {
    expect(parse(sample('ecr-push-replay'))).toMatchObject({ trigger: { replayName: 'rerun-shop-api-v1-4-0' } });
  });

  it('names the field and what was expected', () => {
    expect(parse(sample('deploy-request-invalid'))).toEqual({
      kind: 'invalid',
      eventId: '7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e',
      source: 'ecs-migrate',
      detailType: 'deploy-request',
      reason: expect.stringMatching(/detail\.requestId: .*expected/),
    });
    const both = withEvent(sample('deploy-request'), {
      detail: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:9' },
    });
    expect(parse(both)).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('detail.image: expected exactly one of "image" or "taskDefinitionArn"'),
    });
    const digest = withEvent(sample('ecr-push'), { detail: { 'image-digest': 'latest' } });
    expect(parse(digest)).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('detail.image-digest: expected "sha256:" and 64 hex digits'),
    });
  });

  it.each([
    ['null', null, /not an EventBridge event/],
    ['a string', 'hello', /not an EventBridge event/],
    ['an envelope without time', { ...sample('ecr-push'), time: undefined }, /time/],
    [
      'an unknown source',
      { ...sample('ecr-push'), source: 'aws.s3', 'detail-type': 'Object Created' },
      /unsupported event: source "aws.s3"/,
    ],
    [
      'a request from a foreign source',
      { ...sample('deploy-request'), source: 'someone.else' },
      /unsupported event: source "someone.else"/,
    ],
  ])('turns %s into an invalid input instead of throwing', (_what, raw, reason) => {
    const input = parse(raw);
    expect(input.kind).toBe('invalid');
    if (input.kind === 'invalid') expect(input.reason).toMatch(reason);
  });
});

describe("ECS's free text cut to its bound", () => {
  // It is redacted after parsing (enrichWatchInput): a cut through a connection string before its `@` left a part of
  // the password that no rule sees as one.
  it('leaves out the word the cut splits, and says it cut', () => {
    const password = 'Sup3rS3cret-Pa55w0rd';
    const before = 'x'.repeat(2_000 - 'CannotStartContainerError: exec postgres://app:'.length - 8);
    const reason = `${before} CannotStartContainerError: exec postgres://app:${password}@db.internal/app`;
    expect(reason.indexOf(password)).toBeLessThan(2_000);
    expect(reason.indexOf('@db.internal')).toBeGreaterThan(2_000);
    const input = parse(withEvent(sample('task-stopped-exit-1'), { detail: { stoppedReason: reason } }));
    const kept = input.kind === 'task-state' ? (input.stoppedReason ?? '') : '';
    expect(kept.length).toBeLessThanOrEqual(2_000);
    expect(kept.endsWith('exec …')).toBe(true);
    expect(redact(kept)).not.toContain(password.slice(0, 8));
  });
});
