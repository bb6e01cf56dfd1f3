import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeState, decideOn, emitted, operatorRequest, runningDeployment } from '../support/fixtures.js';

/**
 * Was: README's "Event contracts" said every emitted event carries `kind`, `status`, `image`, `trigger`, timings…,
 * but `Environment Unlocked` carries the operator's unlock only: a rule written from the README (`$.detail.status`)
 * found nothing. The README now names its fields; this keeps the two in step.
 */
describe('Environment Unlocked carries the fields README names for it', () => {
  it('exactly those', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const sentence = /`Environment Unlocked` carries (.*?);/.exec(readme)?.[1];
    expect(sentence, 'the README sentence').toBeDefined();
    const named = [...(sentence ?? '').matchAll(/`(\w+)`/g)].map((m) => m[1]);

    const d = runningDeployment();
    const decision = decideOn(operatorRequest('unlock-request', { reason: 'task lost in the eu-west-1a outage' }), activeState(d));
    const unlocked = emitted(decision).find((e) => e.detailType === 'Environment Unlocked');
    expect(unlocked?.detail).toMatchObject({ environment: 'staging', deploymentId: d.id });
    expect(Object.keys(unlocked?.detail ?? {}).sort()).toEqual([...named].sort());
  });
});
