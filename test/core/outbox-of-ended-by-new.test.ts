import { describe, expect, it } from 'vitest';
import { deploymentIdOfTrigger } from '../../src/core/deployment.js';
import {
  activeState,
  committed,
  decideOn,
  OLD_IMAGE,
  only,
  parse,
  queuedDeployment,
  queueState,
  runningDeployment,
  sample,
} from '../support/fixtures.js';

/**
 * Found by the property test (test/properties): a deployment ended by a newer trigger (superseded, or its expired
 * lock taken over) had its outcome events in its own outbox; a retried delivery of the newer trigger never read
 * that record, so the events were never published when PutEvents failed. Since then, a commit that writes the
 * environment record stores every event in that record's outbox, which every invocation reads first.
 */
const pushId = (() => {
  const input = parse(sample('ecr-push'));
  if (input.kind !== 'ecr-image-action') throw new Error('sample is not a push');
  return deploymentIdOfTrigger(input.trigger, 'staging');
})();

const active = runningDeployment({ id: '20261125-090000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });

describe('events of a deployment ended by a newer one', () => {
  it('are stored in the environment record written with it, when the newer deployment supersedes the waiting one', () => {
    const waiting = queuedDeployment('20261125-091000-bbbbbbbb', OLD_IMAGE);
    const d = decideOn(sample('ecr-push'), queueState(active, waiting));
    expect(only(d, 'commit').env?.state.outbox).toEqual([
      { detailType: 'Migration Superseded', detail: expect.objectContaining({ deploymentId: waiting.id, status: 'superseded' }) },
    ]);
    expect(only(d, 'publish').outbox).toEqual({ record: 'environment', environment: 'staging', version: 8 });
    expect(committed(d, waiting.id)).toMatchObject({ status: 'ended', outcome: 'superseded' });
    expect(committed(d, waiting.id).outbox).toBeUndefined();
    expect(committed(d, pushId).outbox).toBeUndefined();
  });

  it('are stored in the environment record when a deployment takes over an expired lock', () => {
    const state = activeState(active, {
      env: { environment: 'staging', version: 7, active: { deploymentId: active.id, lockExpiresAt: '2026-11-25T09:00:00.000Z' } },
    });
    const d = decideOn(sample('ecr-push'), state);
    expect(only(d, 'commit').env?.state.outbox?.map((e) => [e.detailType, e.detail.deploymentId])).toEqual([
      ['Migration Failed', active.id],
      ['Rollout Halted', active.id],
    ]);
    expect(committed(d, active.id).outbox).toBeUndefined();
  });
});
