import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { lambdaConfigFromEnv } from '../../src/shell/config.js';

const complete = {
  ENVIRONMENT: 'staging',
  CLUSTER: 'shop-staging',
  SERVICE: 'shop-api',
  CONTAINER: 'app',
  REPOSITORY: 'shop-api',
  DEPLOYMENTS_TABLE: 'ecs-migrate-deployments',
  IDEMPOTENCY_TABLE: 'ecs-migrate-idempotency',
  EVENT_BUS: 'default',
  SCHEDULER_GROUP: 'ecs-migrate-staging',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
  WATCH_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:watch',
};

describe('lambdaConfigFromEnv', () => {
  it('reads the controller and AWS settings together, with defaults', () => {
    // Act
    const { config, aws } = lambdaConfigFromEnv(complete);

    // Assess
    expect(config).toMatchObject({
      ENVIRONMENT: 'staging',
      MIGRATION_COMMAND: ['db-migrate'],
      TIMEOUT_MINUTES: 60,
      EVENT_SOURCE: 'ecs-migrate',
    });
    expect(aws).toEqual({
      DEPLOYMENTS_TABLE: 'ecs-migrate-deployments',
      IDEMPOTENCY_TABLE: 'ecs-migrate-idempotency',
      EVENT_BUS: 'default',
      SCHEDULER_GROUP: 'ecs-migrate-staging',
      SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
      WATCH_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:watch',
    });
  });

  it('fails the cold start with one ConfigError naming every missing or bad key of both contracts', () => {
    // Prepare
    const { SERVICE: _service, DEPLOYMENTS_TABLE: _table, ...partial } = complete;

    // Act
    const error = (() => {
      try {
        lambdaConfigFromEnv({ ...partial, TIMEOUT_MINUTES: 'soon' });
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(problems.sort()).toEqual(['DEPLOYMENTS_TABLE', 'SERVICE', 'TIMEOUT_MINUTES']);
  });
});
