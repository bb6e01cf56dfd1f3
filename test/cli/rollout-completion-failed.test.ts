import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deployCommand } from '../../cli/deploy.js';
import { historyCommand, statusCommand } from '../../cli/inspect.js';
import type { Deployment } from '../../src/core/deployment.js';
import type { EnvironmentState } from '../../src/core/state.js';
import { endedDeployment, PUSHED_IMAGE, TD } from '../support/fixtures.js';
import { mockTable } from '../support/stack-table.js';

/**
 * A migration that succeeded, whose service UpdateService accepted (`result: 'continued'`), but whose ECS deployment
 * then FAILED (circuit breaker) or rolled back: decideDeploymentState records `completion: 'failed'` and emits
 * `Rollout Failed` ("the schema moved and the service did not", docs/deploy.md, Notifications). Was: the CLI's
 * `failedServices` only looked at `result === 'failed'`, so status, history and deploy --wait called it a success.
 */

const TABLE = 'ecs-migrate-staging-DeploymentsTable-ABC123';
const TARGET = ['--environment', 'staging', '--table', TABLE, '--region', 'eu-west-1'];

const ddb = mockClient(DynamoDBClient);
const ecs = mockClient(ECSClient);
const events = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);

let out: string[];
beforeEach(() => {
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  ecs.on(DescribeTaskDefinitionCommand).rejects(new Error('AccessDeniedException'));
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] });
  sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/ci' });
});
afterEach(() => {
  vi.restoreAllMocks();
  ddb.reset();
  ecs.reset();
  events.reset();
  sts.reset();
});

const table = (env: EnvironmentState, deployments: Deployment[]) => mockTable(ddb, env, deployments);

// UpdateService accepted; then ECS said SERVICE_DEPLOYMENT_FAILED (circuit breaker): the service never ran the revision.
const rolledBack = endedDeployment('succeeded', {
  id: '20261125-091500-5f2c1a9e',
  work: { type: 'image', image: PUSHED_IMAGE },
  taskDefinitionArn: TD(43),
  stop: { exitCode: 0, stopCode: 'EssentialContainerExited' },
  rollout: 'continued',
  reason: `container "app" exited with code 0: service shop-api updated to ${TD(43)}`,
  services: [
    {
      service: 'shop-api',
      result: 'continued',
      ecsDeploymentId: 'ecs-svc/1234567890123456789',
      completion: 'failed',
      completionReason: 'ECS deployment circuit breaker: tasks failed to start.',
    },
  ],
});
const env: EnvironmentState = {
  environment: 'staging',
  version: 9,
  lastSucceeded: { deploymentId: rolledBack.id, image: PUSHED_IMAGE, command: ['db-migrate'], at: rolledBack.finishedAt },
};

describe('a migration whose ECS rollout then failed (completion: failed, Rollout Failed)', () => {
  it('history --stack does not list it as "succeeded" (README: `status` and `history` show `rollout failed`)', async () => {
    table(env, [rolledBack]);
    expect(await historyCommand(TARGET)).toBe(0);
    const line =
      out
        .join('')
        .split('\n')
        .find((l) => l.startsWith(rolledBack.id)) ?? '';
    expect(line, line).not.toMatch(/^\S+\s+succeeded\b/);
    expect(line, line).toMatch(/rollout failed/);
  });

  it('status --stack does not show it as the last result "succeeded"', async () => {
    table(env, [rolledBack]);
    expect(await statusCommand(TARGET)).toBe(0);
    const text = out.join('');
    expect(text, text).toMatch(new RegExp(`last result\\s+${rolledBack.id} rollout failed`));
  });

  it('deploy --wait of the same image again (a repeat the controller ignores) does not end 0 "✔ already deployed … rolled out"', async () => {
    // With the circuit breaker's rollback off, a FAILED ECS deployment leaves the service on the new revision, so the
    // controller ignores the repeat as already deployed (decide-launch.ts alreadyDeployed): no deployment records it.
    table(env, [rolledBack]);
    const code = await deployCommand(
      [...TARGET, '--requested-by', 'ci', '--wait', '--timeout', '30s', '--request-id', 'gh-9812-2-deploy', '--image', PUSHED_IMAGE],
      { pollMs: 5, heartbeatMs: 3_600_000, repeatAfterMs: 30, unrecordedAfterMs: 400 },
    );
    const text = out.join('');
    expect(text, text).not.toMatch(/✔ already deployed/);
    expect(code).toBe(1);
  });
});
