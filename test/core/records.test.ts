import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDeployment, decodeEnvironment, encodeDeployment, encodeEnvironment, SCHEMA_VERSION } from '../../src/core/records.js';
import { endedDeployment, launchingDeployment, queuedDeployment, runningDeployment, SAMPLE_DEPLOYMENT } from '../support/fixtures.js';

const v1 = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'records-v1.json'), 'utf8')) as {
  environment: Record<string, unknown>;
  deployments: Record<string, unknown>[];
};

describe('the record codec', () => {
  it.each([
    ['queued', queuedDeployment(SAMPLE_DEPLOYMENT, 'repo@sha256:x')],
    ['launching', launchingDeployment()],
    ['running', runningDeployment()],
    ['ended', endedDeployment('failed', { stop: { exitCode: 1 }, logTail: ['boom'] })],
  ])('reads back a %s deployment as it was written, with a schema version', (_state, d) => {
    const stored = encodeDeployment({ ...d, revision: 1 });
    expect(stored.schemaVersion).toBe(SCHEMA_VERSION);
    expect(decodeDeployment(JSON.parse(JSON.stringify(stored)))).toEqual({ ok: true, value: { ...d, revision: 1 } });
  });

  it('reads every record release 0.1.0 wrote, in the state each one was in', () => {
    const read = v1.deployments.map((item) => decodeDeployment(item));
    expect(read.every((r) => r.ok)).toBe(true);
    const values = read.flatMap((r) => (r.ok ? [r.value] : []));
    expect(values.map((d) => (d.status === 'ended' ? `ended:${d.outcome}` : d.status))).toEqual([
      'running',
      'queued',
      'launching',
      'ended:failed',
      'ended:superseded',
      'ended:succeeded',
    ]);
    expect(values[0]).toMatchObject({
      work: { type: 'image', baseTaskDefinitionArn: expect.stringContaining(':42') },
      taskDefinitionArn: expect.stringContaining(':43'),
    });
    expect(values[3]).toMatchObject({
      reason: expect.stringContaining('exited with code 1'),
      rollout: 'halted',
      stop: { exitCode: 1 },
      logTail: [expect.any(String)],
    });
    expect(values[5]).toMatchObject({ kind: 'command', work: { type: 'task-definition' }, rollout: 'not-applicable' });
    expect(decodeEnvironment(v1.environment)).toMatchObject({ ok: true, value: { version: 12, queued: '20261125-091600-cccccccc' } });
  });

  it('reads the one early task event a launching record kept before they were kept per task', () => {
    const early = { taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/t1', version: 2, lastStatus: 'STOPPED', containers: [] };
    const stored = { ...encodeDeployment({ ...launchingDeployment(), revision: 1 }), earlyTaskEvent: early };
    expect(decodeDeployment(JSON.parse(JSON.stringify(stored)))).toEqual({
      ok: true,
      value: { ...launchingDeployment(), revision: 1, earlyTaskEvents: [early] },
    });
  });

  it('reads a version-1 failed command that failed before it knew what it would run (no image, no task definition)', () => {
    const v1Failed = {
      id: '20261125-100211-8c9c2fb2',
      revision: 1,
      environment: 'staging',
      kind: 'command',
      status: 'failed',
      reason: 'the service could not be read: ServiceNotFoundException',
      trigger: { type: 'run-command', eventId: 'e1', at: '2026-11-25T10:02:11Z' },
      command: ['db-seed'],
      createdAt: '2026-11-25T10:02:11Z',
      finishedAt: '2026-11-25T10:02:11Z',
      history: [{ at: '2026-11-25T10:02:11Z', status: 'failed', note: 'the service could not be read' }],
    };
    expect(decodeDeployment(v1Failed)).toMatchObject({
      ok: true,
      value: { status: 'ended', outcome: 'failed', kind: 'command', work: { type: 'task-definition' } },
    });
  });

  it('keeps every key of an outbox event detail', () => {
    const detail = { deploymentId: SAMPLE_DEPLOYMENT, nested: { a: [1, 'b'] }, n: null };
    const stored = encodeDeployment({ ...runningDeployment(), outbox: [{ detailType: 'Migration Started', detail }] });
    expect(decodeDeployment(JSON.parse(JSON.stringify(stored)))).toMatchObject({ ok: true, value: { outbox: [{ detail }] } });
  });

  it('reads an environment record written now', () => {
    const env = {
      environment: 'staging',
      version: 3,
      active: { deploymentId: SAMPLE_DEPLOYMENT, lockExpiresAt: '2026-11-25T10:30:00.000Z' },
    };
    expect(decodeEnvironment(encodeEnvironment(env))).toEqual({ ok: true, value: env });
  });

  it.each([
    [{ ...encodeDeployment(runningDeployment()), taskArn: undefined }, /taskArn/],
    [{ ...encodeDeployment(endedDeployment('failed')), outcome: 'exploded' }, /outcome/],
    [{ ...encodeDeployment(runningDeployment()), schemaVersion: 99 }, /schemaVersion: expected 2, got 99/],
    [{ ...encodeDeployment(runningDeployment()), work: { type: 'image' } }, /work/],
    // An outbox event's detail is an object of any keys (what PutEvents sends), never an array or text.
    [{ ...encodeDeployment(runningDeployment()), outbox: [{ detailType: 'Migration Started', detail: ['x'] }] }, /outbox\.0\.detail/],
    [{ ...encodeDeployment(runningDeployment()), outbox: [{ detailType: 'Migration Started', detail: 'x' }] }, /outbox\.0\.detail/],
  ])('names the field of a record that does not validate, never casting it', (item, field) => {
    const read = decodeDeployment(JSON.parse(JSON.stringify(item)));
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.problem).toMatch(field);
  });
});
