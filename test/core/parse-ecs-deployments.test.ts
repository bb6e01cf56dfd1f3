import { describe, expect, it } from 'vitest';
import { parse, sample, withEvent } from '../support/fixtures.js';

const SD = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/NCWGC2ZR-taawPAYrIaU5';
const SERVICE = 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-api';

describe('parsing ECS Hook State Change', () => {
  it('reads the hook, its stage, the service and the service deployment, and when it expires', () => {
    expect(parse(sample('hook-awaiting-action'))).toEqual({
      kind: 'hook-state',
      eventId: '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e42',
      at: '2026-11-25T09:20:02Z',
      eventName: 'HOOK_AWAITING_ACTION',
      hookId: 'ecs-pause-7f3e9a1c2b4d4e5f8a6b7c8d9e0f1a2b',
      hookType: 'PAUSE',
      lifecycleStage: 'PRE_SCALE_UP',
      clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging',
      serviceArn: SERVICE,
      serviceDeploymentArn: SD,
      expiresAt: '2026-11-26T09:20:02Z',
      updatedAt: '2026-11-25T09:20:02Z',
    });
  });

  it.each([
    ['hook-in-progress', 'HOOK_IN_PROGRESS'],
    ['hook-succeeded', 'HOOK_SUCCEEDED'],
    ['hook-failed', 'HOOK_FAILED'],
    ['hook-timed-out', 'HOOK_TIMED_OUT'],
  ])('%s → %s', (name, eventName) => {
    expect(parse(sample(name))).toMatchObject({ kind: 'hook-state', eventName, serviceDeploymentArn: SD });
  });

  it('marks a replay', () => {
    expect(parse(withEvent(sample('hook-awaiting-action'), { top: { 'replay-name': 'again' } }))).toMatchObject({ replayName: 'again' });
  });

  it.each([
    ['an unknown eventName', { eventName: 'HOOK_PAUSED' }, /detail\.eventName: /],
    ['no hookId', { hookId: undefined }, /detail\.hookId: /],
    [
      'a service deployment that is not an ARN',
      { serviceDeploymentArn: 'NCWGC2ZR' },
      /detail\.serviceDeploymentArn: expected an ECS service-deployment ARN/,
    ],
    ['an expiry that is not a time', { expiresAt: 'tomorrow' }, /detail\.expiresAt: /],
  ])('rejects %s, naming the field', (_what, detail, reason) => {
    expect(parse(withEvent(sample('hook-awaiting-action'), { detail }))).toMatchObject({
      kind: 'invalid',
      detailType: 'ECS Hook State Change',
      reason,
    });
  });
});

describe('parsing ECS Deployment State Change', () => {
  it('reads the service from resources, the ecs-svc deployment and the reason', () => {
    expect(parse(sample('deployment-completed'))).toEqual({
      kind: 'deployment-state',
      eventId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c51',
      at: '2026-11-25T09:31:12Z',
      eventType: 'INFO',
      eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
      serviceArn: SERVICE,
      deploymentId: 'ecs-svc/5169280574093855189',
      updatedAt: '2026-11-25T09:31:12Z',
      reason: 'ECS deployment ecs-svc/5169280574093855189 completed.',
      rollingBack: false,
    });
  });

  it('tells a circuit-breaker rollback (IN_PROGRESS, "rolling back") from a failure and a plain IN_PROGRESS', () => {
    expect(parse(sample('deployment-failed'))).toMatchObject({
      eventName: 'SERVICE_DEPLOYMENT_FAILED',
      eventType: 'ERROR',
      rollingBack: false,
    });
    expect(parse(sample('deployment-rolling-back'))).toMatchObject({ eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', rollingBack: true });
    const plain = withEvent(sample('deployment-rolling-back'), { detail: { reason: 'ECS deployment ecs-svc/1 in progress.' } });
    expect(parse(plain)).toMatchObject({ eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', rollingBack: false });
  });

  it('rejects an event without the service in resources', () => {
    expect(parse(withEvent(sample('deployment-completed'), { top: { resources: [] } }))).toMatchObject({
      kind: 'invalid',
      reason: 'invalid "ECS Deployment State Change" event: resources: expected the service ARN',
    });
  });
});
