import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { sampleConfigValues } from '../support/fixtures.js';

/** Issue 11 keys: ROLLOUT_MODE, HOOK_STAGE, SERVICES (with SERVICE), ROLLOUT_WATCH_MINUTES. */
describe('rollout configuration', () => {
  const problems = (values: Record<string, string | undefined>): string[] => {
    const result = parseConfig({ ...sampleConfigValues, ...values });
    return result.ok ? [] : result.problems;
  };

  it('defaults to update-service mode, PRE_SCALE_UP, the one SERVICE, and 30 minutes of rollout watch', () => {
    expect(parseConfig(sampleConfigValues)).toEqual({
      ok: true,
      config: expect.objectContaining({
        ROLLOUT_MODE: 'update-service',
        HOOK_STAGE: 'PRE_SCALE_UP',
        SERVICE: 'shop-api',
        SERVICES: ['shop-api'],
        ROLLOUT_WATCH_MINUTES: 30,
      }),
    });
  });

  it('takes pause-hook mode at another stage, several services, and a watch time', () => {
    const result = parseConfig({
      ...sampleConfigValues,
      SERVICE: undefined,
      SERVICES: ' shop-web, shop-worker ,',
      ROLLOUT_MODE: 'pause-hook',
      HOOK_STAGE: 'POST_SCALE_UP',
      ROLLOUT_WATCH_MINUTES: '45',
    });
    expect(result).toEqual({
      ok: true,
      config: expect.objectContaining({
        ROLLOUT_MODE: 'pause-hook',
        HOOK_STAGE: 'POST_SCALE_UP',
        SERVICE: 'shop-web',
        SERVICES: ['shop-web', 'shop-worker'],
        ROLLOUT_WATCH_MINUTES: 45,
      }),
    });
  });

  it('refuses SERVICE and SERVICES together, and neither', () => {
    expect(problems({ SERVICES: 'shop-web,shop-worker' })).toEqual(['SERVICES: set SERVICE (one service) or SERVICES (several), not both']);
    expect(problems({ SERVICE: ' ' })).toEqual([expect.stringMatching(/^SERVICE: missing; expected the ECS service name \(or SERVICES/)]);
  });

  it('names SERVICE together with the other bad keys', () => {
    expect(
      problems({ SERVICE: undefined, TIMEOUT_MINUTES: 'soon' })
        .map((p) => p.split(':')[0])
        .sort(),
    ).toEqual(['SERVICE', 'TIMEOUT_MINUTES']);
  });

  it.each([
    ['ROLLOUT_MODE', 'hooks', /ROLLOUT_MODE: expected update-service \(default\) or pause-hook/],
    ['HOOK_STAGE', 'PRODUCTION_TRAFFIC_SHIFT', /HOOK_STAGE: ECS does not allow PAUSE hooks at PRODUCTION_TRAFFIC_SHIFT/],
    ['HOOK_STAGE', 'TEST_TRAFFIC_SHIFT', /HOOK_STAGE: ECS does not allow PAUSE hooks at TEST_TRAFFIC_SHIFT/],
    ['HOOK_STAGE', 'pre_scale_up', /HOOK_STAGE: expected one of RECONCILE_SERVICE, PRE_SCALE_UP/],
    ['ROLLOUT_WATCH_MINUTES', '0', /ROLLOUT_WATCH_MINUTES: expected a number of minutes/],
    ['ROLLOUT_WATCH_MINUTES', 'an hour', /ROLLOUT_WATCH_MINUTES: expected a number of minutes/],
  ])('rejects %s=%j', (key, value, message) => {
    expect(problems({ [key]: value }).join('\n')).toMatch(message);
  });

  it.each([
    [',', /SERVICES: expected comma-separated ECS service names/],
    ['web,worker,web', /SERVICES: expected each service once \(web more than once\)/],
    ['web,shop api', /SERVICES: expected service names of letters, digits, "-" and "_" \(not "shop api"\)/],
  ])('rejects SERVICES=%j', (value, message) => {
    expect(problems({ SERVICE: undefined, SERVICES: value }).join('\n')).toMatch(message);
  });
});
