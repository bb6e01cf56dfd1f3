import 'aws-sdk-client-mock-vitest/extend';
import {
  AccessDeniedException,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsEcs, DEPLOYMENT_TAG } from '../../src/adapters/aws/ecs.js';
import type { LaunchRequest } from '../../src/core/actions.js';
import { EcsModel, serveModel } from '../support/ecs-model.js';
import { ACCOUNT, REGION, TD } from '../support/fixtures.js';

const CLUSTER = 'shop-staging';
const DEPLOYMENT = '20261125-091458-1a2b3c4d';
const IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api@sha256:${'a'.repeat(64)}`;
const CI_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api@sha256:${'c'.repeat(64)}`;

function request(overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    cluster: CLUSTER,
    container: 'app',
    image: IMAGE,
    baseTaskDefinitionArn: TD(42),
    command: ['db-migrate'],
    startedBy: `ecs-migrate/${DEPLOYMENT}`,
    clientToken: `ecs-migrate-${DEPLOYMENT}`,
    tags: { 'ecs-migrate:environment': 'staging', [DEPLOYMENT_TAG]: DEPLOYMENT, 'ecs-migrate:trigger': 'ecr-push' },
    network: { subnets: ['subnet-0a1b2c3d4e5f60718'], securityGroups: ['sg-0123456789abcdef0'], assignPublicIp: 'DISABLED' },
    launchType: 'FARGATE',
    ...overrides,
  };
}

describe('AwsEcs: a resumed launch (defect 10)', () => {
  const client = new ECSClient({ region: REGION });
  const ecs = mockClient(client);
  let model: EcsModel;
  // A cold function per attempt: the retry knows nothing of the first attempt but what ECS says.
  const fresh = () => new AwsEcs(client, { cluster: CLUSTER, service: 'shop-api', container: 'app' });

  beforeEach(() => {
    model = new EcsModel();
    ecs.reset();
    serveModel(ecs, model);
  });

  it('sends RunTask the same parameters as the first attempt when another revision was registered in between', async () => {
    // Prepare: the first attempt registers its revision and starts its task, then its invocation dies.
    const first = await fresh().launch(request());
    model.register({ family: 'shop-api', containerDefinitions: [{ name: 'app', image: CI_IMAGE }], tags: [{ key: 'team', value: 'ci' }] });

    // Act
    const retry = await fresh().launch(request({ resumed: true }));

    // Assess: one revision of ours, one task, and byte-identical RunTask parameters.
    expect(first).toMatchObject({ ok: true, taskDefinitionArn: TD(43) });
    expect(retry).toEqual({ ok: true, taskArn: first.ok ? first.taskArn : '', taskDefinitionArn: TD(43), essentialSidecars: [] });
    expect(model.runs).toHaveLength(2);
    expect(JSON.stringify(model.runs[1])).toBe(JSON.stringify(model.runs[0]));
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
  });

  it('looks through a bounded number of revisions, newest first, and registers anew when none is the deployment’s', async () => {
    // Act
    const outcome = await fresh().launch(request({ resumed: true }));

    // Assess
    expect(outcome).toMatchObject({ ok: true, taskDefinitionArn: TD(43) });
    expect(ecs).toHaveReceivedCommandWith(ListTaskDefinitionsCommand, { familyPrefix: 'shop-api', sort: 'DESC', maxResults: 10 });
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
  });

  it('reports a ConflictException on our clientToken as "a task of this launch may run", not as a refusal', async () => {
    // Prepare: the first attempt's task runs under the token; the retry's parameters differ (the service's network changed).
    await fresh().launch(request());

    // Act
    const retry = await fresh().launch(
      request({ resumed: true, network: { subnets: ['subnet-0ffffffffffffffff'], securityGroups: [], assignPublicIp: 'DISABLED' } }),
    );

    // Assess
    expect(retry).toEqual({ ok: false, failure: 'token-conflict', reason: expect.stringContaining('ConflictException') });
  });

  it.each([
    { reason: 'RESOURCE:MEMORY', failure: 'capacity' },
    { reason: 'RESOURCE:ENI', failure: 'capacity' },
    { reason: 'Capacity is unavailable at this time. Please try again later or in a different availability zone', failure: 'capacity' },
    { reason: 'MISSING', failure: undefined },
    { reason: 'ATTRIBUTE', detail: 'requires ecs.capability.secrets', failure: undefined },
  ])('classifies RunTask failure "$reason" as $failure', async ({ reason, detail, failure }) => {
    // Prepare
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: TD(43), reason, ...(detail !== undefined ? { detail } : {}) }] });

    // Act
    const outcome = await fresh().launch(request());

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome).toEqual(
      failure !== undefined ? expect.objectContaining({ failure }) : expect.not.objectContaining({ failure: expect.anything() }),
    );
  });

  // Two launches of one deployment that overlapped, each with its own revision (test/shell/overlapping-launch.test.ts).
  it('each of two overlapping launches, refused on its own revision, answers with the task that runs on the other', async () => {
    // The resumed launch registers the deployment's revision and starts the task; its invocation then dies.
    const resumed = await fresh().launch(request({ resumed: true }));
    // The first launch, which was in flight, registers another revision: ECS refuses the token (the task runs).
    const first = await fresh().launch(request());
    // The resumed launch, retried.
    const retried = await fresh().launch(request({ resumed: true }));

    expect(resumed).toMatchObject({ ok: true, taskDefinitionArn: TD(43) });
    // Refused on its own revision, the first launch finds the one the task runs on.
    expect(first).toEqual(resumed);
    expect(retried).toEqual(resumed);
  });

  it('a launch whose parameters differ on every revision (the network changed) is refused once each, then says so', async () => {
    await fresh().launch(request({ resumed: true }));
    await fresh().launch(request());
    const runs = model.runs.length;

    const moved = await fresh().launch(
      request({ resumed: true, network: { subnets: ['subnet-0new'], securityGroups: [], assignPublicIp: 'DISABLED' } }),
    );

    expect(moved).toMatchObject({ ok: false, failure: 'token-conflict' });
    // Its own revision, then the other one: each tried once.
    expect(model.runs.length - runs).toBe(2);
  });

  it('stays a token conflict when the search for the other revision is refused: the deployment is never ended while its task runs', async () => {
    await fresh().launch(request({ resumed: true }));
    ecs
      .on(ListTaskDefinitionsCommand)
      .rejects(new AccessDeniedException({ $metadata: { httpStatusCode: 400 }, message: 'denied by an SCP' }));

    const first = await fresh().launch(request());

    expect(first).toMatchObject({ ok: false, failure: 'token-conflict' });
  });
});
