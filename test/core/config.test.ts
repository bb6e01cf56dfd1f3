import { describe, expect, it } from 'vitest';
import { parseConfig, splitCommand } from '../../src/core/config.js';
import { sampleConfigValues } from '../support/fixtures.js';

describe('configuration contract', () => {
  it('accepts the sample configuration and applies types and defaults', () => {
    const result = parseConfig({
      ...sampleConfigValues,
      MIGRATION_COMMAND: undefined,
      TIMEOUT_MINUTES: undefined,
      EVENT_SOURCE: undefined,
    });
    expect(result).toEqual({
      ok: true,
      config: expect.objectContaining({
        ENVIRONMENT: 'staging',
        MIGRATION_COMMAND: ['db-migrate'],
        ALLOWED_COMMANDS: ['db-migrate', 'db-rollback', 'db-seed'],
        TIMEOUT_MINUTES: 60,
        EVENT_SOURCE: 'ecs-migrate',
        TAG_PATTERN: 'v*',
        LAUNCH_RETRIES: 2,
      }),
    });
  });

  it('names every missing key and what it expects', () => {
    const result = parseConfig({ ENVIRONMENT: 'staging' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    // SERVICE is checked with SERVICES, after the single keys.
    expect(result.problems).toEqual([
      expect.stringMatching(/^CLUSTER: missing; expected the ECS cluster/),
      expect.stringMatching(/^CONTAINER: missing; expected the name of the container/),
      expect.stringMatching(/^REPOSITORY: missing; expected the ECR repository/),
      expect.stringMatching(/^SERVICE: missing; expected the ECS service/),
    ]);
  });

  it.each([
    ['TIMEOUT_MINUTES', 'soon', /TIMEOUT_MINUTES: expected a number of minutes/],
    ['LAUNCH_RETRIES', '1.5', /LAUNCH_RETRIES: expected a whole number of retries between 0 and 5/],
    ['LAUNCH_RETRIES', '6', /LAUNCH_RETRIES: expected a whole number of retries between 0 and 5/],
    ['TIMEOUT_MINUTES', '0', /TIMEOUT_MINUTES: expected a number of minutes/],
    ['ENVIRONMENT', 'Prod_EU', /ENVIRONMENT: expected lower-case letters/],
    ['EVENT_SOURCE', 'aws.ecs', /EVENT_SOURCE: expected a source that does not start with "aws."/],
  ])('rejects %s=%j', (key, value, message) => {
    const result = parseConfig({ ...sampleConfigValues, [key]: value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join('\n')).toMatch(message);
  });

  it('treats a blank optional key as unset', () => {
    const result = parseConfig({ ...sampleConfigValues, MIGRATION_COMMAND: '   ', TAG_PATTERN: '' });
    expect(result).toMatchObject({ ok: true, config: { MIGRATION_COMMAND: ['db-migrate'], TAG_PATTERN: undefined } });
  });

  it('splits commands like a shell, or takes a JSON argv as it is', () => {
    expect(splitCommand('db-migrate --to "2026 11 01" \'x y\'')).toEqual(['db-migrate', '--to', '2026 11 01', 'x y']);
    expect(splitCommand('["bundle","exec","rake","db:migrate"]')).toEqual(['bundle', 'exec', 'rake', 'db:migrate']);
  });
});

describe('configuration values that are not text (a JSON config file)', () => {
  it('names the key and the type it got, once, and keeps checking the others', () => {
    const result = parseConfig({ ...sampleConfigValues, TAG_PATTERN: true, TIMEOUT_MINUTES: null, CLUSTER: 7 });
    expect(result).toEqual({
      ok: false,
      problems: [
        'CLUSTER: expected the ECS cluster name or ARN',
        'TAG_PATTERN: expected text, received boolean',
        'TIMEOUT_MINUTES: expected text, received null',
      ],
    });
  });
});
