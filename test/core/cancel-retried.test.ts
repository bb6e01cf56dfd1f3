import { describe, expect, it } from 'vitest';
import {
  activeState,
  endedDeployment,
  given,
  launchingDeployment,
  NOW,
  only,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
} from '../support/fixtures.js';

/**
 * Found by the property test (test/properties): a cancel ends the active deployment and hands the environment to
 * the queued one in one commit; if the invocation dies before that RunTask, the retried cancel found the
 * deployment ended and ignored it, so the handed-over deployment stayed `launching` until its lock expired.
 * A retried cancel that named no deployment cancelled the handed-over one as well: one request, two cancelled.
 */
describe('a retried cancel-request', () => {
  const cancel = {
    version: '0',
    id: 'cancel-request-1',
    source: 'ecs-migrate',
    account: '123456789012',
    time: '2026-11-25T09:18:00Z',
    region: 'eu-west-1',
    resources: [],
    'detail-type': 'cancel-request',
    detail: { environment: 'staging', requestId: 'op-1', requestedBy: 'ops', deploymentId: SAMPLE_DEPLOYMENT },
  };

  it('resumes a launch handed on again in the same invocation (the launch it resumed ended at once)', () => {
    const between = endedDeployment('failed', { id: '20261125-091600-bbbbbbbb', handedOverBy: SAMPLE_DEPLOYMENT });
    const next = launchingDeployment({ id: '20261125-091700-cccccccc', handedOverBy: between.id });
    const state = {
      env: { environment: 'staging', version: 9, active: { deploymentId: next.id, lockExpiresAt: '2026-11-25T10:30:00.000Z' } },
      deployments: { [SAMPLE_DEPLOYMENT]: endedDeployment('cancelled'), [between.id]: between, [next.id]: next },
    };
    given(state)
      .when(cancel)
      .then({ decision: 'launch', deploymentId: next.id, reason: /itself handed it by/, actions: ['launchTask'] });
    // One handed over by someone else is not this request's to resume.
    const other = {
      ...state,
      deployments: { ...state.deployments, [between.id]: { ...between, handedOverBy: '20261125-090000-aaaaaaaa' } },
    };
    given(other).when(cancel).then({ decision: 'ignore' });
  });

  it('resumes the launch its first delivery handed over, with the same clientToken', () => {
    const next = launchingDeployment({ id: '20261125-091600-cccccccc', handedOverBy: SAMPLE_DEPLOYMENT });
    const state = {
      env: { environment: 'staging', version: 9, active: { deploymentId: next.id, lockExpiresAt: '2026-11-25T10:30:00.000Z' } },
      deployments: { [SAMPLE_DEPLOYMENT]: endedDeployment('cancelled'), [next.id]: next },
    };
    const d = given(state)
      .when(cancel)
      .then({ decision: 'launch', deploymentId: next.id, actions: ['launchTask'] });
    expect(only(d, 'launchTask').request).toMatchObject({ clientToken: `ecs-migrate-${next.id}`, resumed: true });
  });

  it('that named no deployment resumes the launch it handed over instead of cancelling that deployment too', () => {
    const next = launchingDeployment({ id: '20261125-091600-cccccccc', handedOverBy: SAMPLE_DEPLOYMENT });
    const state = {
      env: {
        environment: 'staging',
        version: 9,
        active: { deploymentId: next.id, lockExpiresAt: '2026-11-25T10:30:00.000Z' },
        lastCancel: { requestId: 'op-1', deploymentId: SAMPLE_DEPLOYMENT, at: '2026-11-25T09:17:00.000Z' },
      },
      deployments: { [SAMPLE_DEPLOYMENT]: endedDeployment('cancelled'), [next.id]: next },
    };
    const { deploymentId: _named, ...detail } = cancel.detail;
    given(state)
      .when({ ...cancel, detail })
      .then({ decision: 'launch', deploymentId: next.id, actions: ['launchTask'] });
  });

  it('records which deployment a cancel ended, for its retries', () => {
    const { deploymentId: _named, ...detail } = cancel.detail;
    const d = given(activeState(runningDeployment()))
      .when({ ...cancel, detail })
      .then({ decision: 'halt' });
    expect(only(d, 'commit').env?.state.lastCancel).toEqual({ requestId: 'op-1', deploymentId: SAMPLE_DEPLOYMENT, at: NOW });
  });

  it('is ignored when its deployment handed nothing over', () => {
    const state = { env: { environment: 'staging', version: 9 }, deployments: { [SAMPLE_DEPLOYMENT]: endedDeployment('cancelled') } };
    given(state).when(cancel).then({ decision: 'ignore', actions: [] });
  });
});
