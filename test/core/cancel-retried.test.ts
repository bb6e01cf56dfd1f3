import { describe, expect, it } from 'vitest';
import { endedDeployment, given, launchingDeployment, only, SAMPLE_DEPLOYMENT } from '../support/fixtures.js';

/**
 * Found by the property test (test/properties): a cancel ends the active deployment and hands the environment to
 * the queued one in one commit; if the invocation dies before that RunTask, the retried cancel found the
 * deployment ended and ignored it, so the handed-over deployment stayed `launching` until its lock expired.
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

  it('resumes the launch its first delivery handed over, with the same clientToken', () => {
    const next = launchingDeployment({ id: '20261125-091600-cccccccc', handedOverBy: SAMPLE_DEPLOYMENT });
    const state = {
      env: { environment: 'staging', version: 9, active: { deploymentId: next.id, lockExpiresAt: '2026-11-25T10:30:00.000Z' } },
      deployments: { [SAMPLE_DEPLOYMENT]: endedDeployment('cancelled'), [next.id]: next },
    };
    const d = given(state).when(cancel).then({ decision: 'launch', deploymentId: next.id, actions: ['launchTask'] });
    expect(only(d, 'launchTask').request).toMatchObject({ clientToken: `ecs-migrate-${next.id}`, resumed: true });
  });

  it('is ignored when its deployment handed nothing over', () => {
    const state = { env: { environment: 'staging', version: 9 }, deployments: { [SAMPLE_DEPLOYMENT]: endedDeployment('cancelled') } };
    given(state).when(cancel).then({ decision: 'ignore', actions: [] });
  });
});
