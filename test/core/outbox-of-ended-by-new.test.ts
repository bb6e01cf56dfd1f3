import { describe, expect, it } from 'vitest';
import { deploymentIdOfTrigger } from '../../src/core/deployment.js';
import {
  activeState,
  committed,
  decideOn,
  OLD_IMAGE,
  parse,
  queuedDeployment,
  queueState,
  runningDeployment,
  sample,
} from '../support/fixtures.js';

/**
 * Found by the property test (test/properties): a deployment ended by a newer trigger (superseded, or its expired
 * lock taken over) had its outcome events in its own outbox. When PutEvents failed, the retried delivery of the
 * newer trigger read only the newer record and the environment's active and queued ones, so those events were
 * never published. They now ride in the outbox of the newer deployment's record, which every retry reads.
 */
const pushId = (() => {
  const input = parse(sample('ecr-push'));
  if (input.kind !== 'ecr-image-action') throw new Error('sample is not a push');
  return deploymentIdOfTrigger(input.trigger, 'staging');
})();

const active = runningDeployment({ id: '20261125-090000-aaaaaaaa', work: { type: 'image', image: OLD_IMAGE } });

describe('events of a deployment ended by a newer one', () => {
  it('are stored in the outbox of the newer, queued deployment when it supersedes the waiting one', () => {
    const waiting = queuedDeployment('20261125-091000-bbbbbbbb', OLD_IMAGE);
    const d = decideOn(sample('ecr-push'), queueState(active, waiting));
    expect(committed(d, pushId).outbox).toEqual([
      { detailType: 'Migration Superseded', detail: expect.objectContaining({ deploymentId: waiting.id, status: 'superseded' }) },
    ]);
    expect(committed(d, waiting.id)).toMatchObject({ status: 'ended', outcome: 'superseded' });
    expect(committed(d, waiting.id).outbox).toBeUndefined();
  });

  it('are stored in the outbox of the deployment that takes over an expired lock', () => {
    const state = activeState(active, {
      env: { environment: 'staging', version: 7, active: { deploymentId: active.id, lockExpiresAt: '2026-11-25T09:00:00.000Z' } },
    });
    const d = decideOn(sample('ecr-push'), state);
    expect(committed(d, pushId).outbox?.map((e) => [e.detailType, e.detail.deploymentId])).toEqual([
      ['Migration Failed', active.id],
      ['Rollout Halted', active.id],
    ]);
    expect(committed(d, active.id).outbox).toBeUndefined();
  });
});
