import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { type ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  type ContainerDefinition,
  CreateClusterCommand,
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { expect } from 'vitest';
import { DynamoDbStore } from '../../src/adapters/aws/store.js';
import type { InvocationResult } from '../../src/shell/lambda.js';
import { resetMoto as resetServer } from '../support/moto-server.js';

/**
 * One test environment on the moto server the global setup started: the resources a stack would have
 * (cluster, service in a VPC, task definition with awslogs, tables, bus, schedule group) plus an SQS queue
 * that a rule on the bus fills with every event ecs-migrate emits, so tests read what was published.
 */

export const REGION = process.env.AWS_REGION ?? 'us-east-1';
/** moto's fixed account. */
export const ACCOUNT = '123456789012';
export const ENVIRONMENT = 'staging';
export const CLUSTER = 'shop-staging';
export const SERVICE = 'shop-api';
/** The two services of the tests that gate several (SERVICES=shop-web,shop-worker). */
export const WEB = 'shop-web';
export const WORKER = 'shop-worker';
export const CONTAINER = 'app';
export const REPOSITORY = 'shop-api';
export const FAMILY = 'shop-api';
export const LOG_GROUP = '/ecs/shop-api';
export const LOG_PREFIX = 'ecs';
export const EVENT_BUS = 'ecs-migrate-test';
export const DEPLOYMENTS_TABLE = 'ecs-migrate-deployments';
export const IDEMPOTENCY_TABLE = 'ecs-migrate-idempotency';
export const SCHEDULER_GROUP = 'ecs-migrate-staging';
export const WATCH_FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ecs-migrate-staging-watch`;
export const SCHEDULER_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/ecs-migrate-staging-scheduler`;
export const SCHEDULER_DLQ_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:ecs-migrate-staging-failed`;
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
export const REPOSITORY_URI = `${REGISTRY}/${REPOSITORY}`;
export const OLD_IMAGE = `${REPOSITORY_URI}:v1.3.0`;

/** The test repository's image pinned by `digest`. */
export const imageOf = (digest: string): string => `${REPOSITORY_URI}@${digest}`;

export function endpoint(): string {
  const url = process.env.AWS_ENDPOINT_URL;
  if (url === undefined || url === '') {
    throw new Error(
      'AWS_ENDPOINT_URL is not set: run these tests with `npm run test:aws` (test/support/moto-global-setup.ts starts moto_server)',
    );
  }
  return url;
}

/** The handlers' configuration, as the stack would set it. */
export function handlerEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ENVIRONMENT,
    CLUSTER,
    SERVICE,
    CONTAINER,
    REPOSITORY,
    MIGRATION_COMMAND: 'db-migrate --verbose',
    ALLOWED_COMMANDS: 'db-seed',
    TIMEOUT_MINUTES: '60',
    EVENT_SOURCE: 'ecs-migrate',
    REGISTRY,
    DEPLOYMENTS_TABLE,
    IDEMPOTENCY_TABLE,
    EVENT_BUS,
    SCHEDULER_GROUP,
    SCHEDULER_ROLE_ARN,
    SCHEDULER_DLQ_ARN,
    WATCH_FUNCTION_ARN,
    // One attempt: an emulator error shows at once instead of after the SDK's backoff.
    AWS_MAX_ATTEMPTS: '1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...overrides,
  };
}

/**
 * Sets process.env to the handlers' configuration with `overrides` for several services (SERVICES, so no SERVICE);
 * returns what puts the environment back as it was.
 */
export function setServicesEnv(overrides: Record<string, string>): () => void {
  const saved = { ...process.env };
  const { SERVICE: _one, ...env } = handlerEnv(overrides);
  delete process.env.SERVICE;
  Object.assign(process.env, env);
  return () => {
    // SERVICES with a SERVICE another file sets would be refused: leave the environment as it was.
    for (const name of Object.keys(overrides)) delete process.env[name];
    Object.assign(process.env, saved);
  };
}

/** A Lambda function's handler, called in process. */
export type Handler = (event: unknown, context: Context) => Promise<InvocationResult>;

/** Imports the launcher's and watcher's handlers, which read process.env once, at import (cold start), as on Lambda. */
export async function importHandlers(): Promise<{ launch: Handler; watch: Handler }> {
  const launch = (await import('../../handlers/launch.js')).handler;
  const watch = (await import('../../handlers/watch.js')).handler;
  return { launch, watch };
}

/** Test clients: one attempt each, so an emulator error shows at once. */
export function testClients() {
  const options = { region: REGION, maxAttempts: 1 };
  return {
    ecs: new ECSClient(options),
    dynamodb: new DynamoDBClient(options),
    eventbridge: new EventBridgeClient(options),
    logs: new CloudWatchLogsClient(options),
    scheduler: new SchedulerClient(options),
    sqs: new SQSClient(options),
  };
}
export type TestClients = ReturnType<typeof testClients>;

export interface Stack {
  subnets: string[];
  securityGroup: string;
  baseTaskDefinitionArn: string;
  queueUrl: string;
}

/**
 * Makes a client send one request at a time, in call order: a stand-in for the isolation DynamoDB gives
 * concurrent transactions and moto's server does not (see the concurrency test).
 */
export function sendOneAtATime(client: DynamoDBClient): void {
  let queue: Promise<unknown> = Promise.resolve();
  client.middlewareStack.add(
    (next) => (args) => {
      const turn = queue.then(() => next(args));
      queue = turn.catch(() => undefined);
      return turn;
    },
    { step: 'initialize', name: 'sendOneAtATimeForMoto' },
  );
}

/** Forgets everything moto holds, between tests. */
export function resetMoto(): Promise<void> {
  return resetServer(endpoint());
}

/** Forgets everything moto holds and creates the stack anew: the state every test starts from. */
export async function freshStack(c: TestClients): Promise<Stack> {
  await resetMoto();
  return createStack(c);
}

export async function createStack(c: TestClients): Promise<Stack> {
  // moto workaround: its own default VPC's subnets. A VPC created here would need DNS hostnames enabled,
  // or RunTask fails with a 500 (ENI has no private_dns_name); the default VPC has them.
  const { subnets, securityGroup } = await defaultNetwork();

  await c.ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  const baseTaskDefinitionArn = await registerTaskDefinition(c, [appContainer(OLD_IMAGE)], {
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/shop-api-execution`,
  });
  await c.ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: SERVICE,
      taskDefinition: baseTaskDefinitionArn,
      desiredCount: 1,
      // moto workaround: an explicit launch type; moto ignores capacity provider strategies and then 500s on RunTask.
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      // moto workaround: securityGroups always present; without it RunTask fails with a 500 (KeyError).
      networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [securityGroup], assignPublicIp: 'DISABLED' } },
    }),
  );

  await c.logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));

  await c.dynamodb.send(
    new CreateTableCommand({
      TableName: DEPLOYMENTS_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  await c.dynamodb.send(
    new CreateTableCommand({
      TableName: IDEMPOTENCY_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await c.dynamodb.send(
    new UpdateTimeToLiveCommand({ TableName: IDEMPOTENCY_TABLE, TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true } }),
  );

  await c.scheduler.send(new CreateScheduleGroupCommand({ Name: SCHEDULER_GROUP }));

  // moto workaround: an SQS target. A Lambda target would make PutEvents fail with a 500 in moto.
  await c.eventbridge.send(new CreateEventBusCommand({ Name: EVENT_BUS }));
  const queueUrl = await ruleQueue(c, {
    queue: 'ecs-migrate-emitted',
    rule: 'emitted',
    bus: EVENT_BUS,
    pattern: { source: ['ecs-migrate'] },
  });

  return { subnets, securityGroup, baseTaskDefinitionArn, queueUrl };
}

/** A `deploy-request` of ENVIRONMENT as the request bus delivers it: `target` names the image or the task definition. */
export function deployRequestEvent(
  id: string,
  requestId: string,
  target: { image: string } | { taskDefinitionArn: string },
): Record<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': 'deploy-request',
    source: 'ecs-migrate',
    account: ACCOUNT,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources: [],
    detail: { environment: ENVIRONMENT, ...target, requestId, requestedBy: 'ci' },
  };
}

/** The migration container (CONTAINER) running the app's server from `image`, logging through awslogs to LOG_GROUP. */
export function appContainer(image: string, memory = 512): ContainerDefinition {
  return {
    name: CONTAINER,
    image,
    essential: true,
    // moto workaround: container-level memory; without it RunTask fails with a 500 (it sums container memory).
    memory,
    command: ['bin/server'],
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': LOG_GROUP, 'awslogs-region': REGION, 'awslogs-stream-prefix': LOG_PREFIX },
    },
  };
}

/** Registers a FARGATE revision of FAMILY (256 CPU units, 512 MiB) with `containerDefinitions`; returns its ARN. */
export async function registerTaskDefinition(
  c: TestClients,
  containerDefinitions: ContainerDefinition[],
  input: Partial<RegisterTaskDefinitionCommandInput> = {},
): Promise<string> {
  const registered = await c.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: FAMILY,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions,
      ...input,
    }),
  );
  return registered.taskDefinition?.taskDefinitionArn ?? '';
}

/** Creates a service per name on the stack's cluster and network: one FARGATE task of the base revision, unless `input` differs. */
export async function createServices(
  c: TestClients,
  stack: Stack,
  names: readonly string[],
  input: Partial<CreateServiceCommandInput> = {},
): Promise<void> {
  for (const serviceName of names) {
    await c.ecs.send(
      new CreateServiceCommand({
        cluster: CLUSTER,
        serviceName,
        taskDefinition: stack.baseTaskDefinitionArn,
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: stack.subnets, securityGroups: [stack.securityGroup] } },
        ...input,
      }),
    );
  }
}

/** Creates an SQS queue that a new rule on `bus` (default: the default bus) fills with the events matching `pattern`; returns its URL. */
export async function ruleQueue(c: TestClients, options: { queue: string; rule: string; bus?: string; pattern: object }): Promise<string> {
  const { QueueUrl } = await c.sqs.send(new CreateQueueCommand({ QueueName: options.queue }));
  const queueUrl = QueueUrl ?? '';
  const { Attributes } = await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await c.eventbridge.send(
    new PutRuleCommand({ Name: options.rule, EventBusName: options.bus, EventPattern: JSON.stringify(options.pattern) }),
  );
  await c.eventbridge.send(
    new PutTargetsCommand({ Rule: options.rule, EventBusName: options.bus, Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn ?? '' }] }),
  );
  return queueUrl;
}

/** moto's default VPC: its subnets, and a security group created in it for the service. */
async function defaultNetwork(): Promise<{ subnets: string[]; securityGroup: string }> {
  const described = await ec2('Action=DescribeSubnets&Filter.1.Name=default-for-az&Filter.1.Value.1=true');
  const subnets = [...new Set([...described.matchAll(/<subnetId>(subnet-[0-9a-f]+)<\/subnetId>/g)].map((m) => m[1] ?? ''))];
  const vpc = /<vpcId>(vpc-[0-9a-f]+)<\/vpcId>/.exec(described)?.[1];
  if (subnets.length === 0 || vpc === undefined) throw new Error(`moto returned no default subnets: ${described.slice(0, 300)}`);
  const created = await ec2(`Action=CreateSecurityGroup&GroupName=shop-api&GroupDescription=shop-api+tasks&VpcId=${vpc}`);
  const securityGroup = /<groupId>(sg-[0-9a-f]+)<\/groupId>/.exec(created)?.[1];
  if (securityGroup === undefined) throw new Error(`moto created no security group: ${created.slice(0, 300)}`);
  return { subnets: subnets.slice(0, 2), securityGroup };
}

/** EC2's Query API, called directly: no EC2 client is installed for two calls. */
async function ec2(query: string): Promise<string> {
  const response = await fetch(endpoint(), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      // moto routes an unsigned request by the service named in the credential scope.
      Authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: `${query}&Version=2016-11-15`,
  });
  const xml = await response.text();
  if (!response.ok) throw new Error(`moto EC2 ${query.split('&')[0]}: HTTP ${response.status} ${xml.slice(0, 300)}`);
  return xml;
}

/** An EventBridge event as delivered to the queue. */
export interface Delivered {
  'detail-type': string;
  source: string;
  detail: Record<string, unknown>;
}

/** Every event the queue holds now (deleted once read). */
export async function drainEvents(c: TestClients, queueUrl: string): Promise<Delivered[]> {
  const found: Delivered[] = [];
  for (;;) {
    const { Messages } = await c.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages === undefined || Messages.length === 0) return found;
    for (const m of Messages) {
      found.push(JSON.parse(m.Body ?? '{}') as Delivered);
      await c.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle ?? '' }));
    }
  }
}

/** The events of one detail-type. */
export const named = (events: Delivered[], detailType: string): Delivered[] => events.filter((e) => e['detail-type'] === detailType);

/** The controller's store of deployments, on the test table and environment. */
export function deploymentsStore(c: TestClients): DynamoDbStore {
  return new DynamoDbStore(c.dynamodb, { table: DEPLOYMENTS_TABLE, environment: ENVIRONMENT });
}

/** The task definition SERVICE runs now. */
export async function serviceTaskDefinition(c: TestClients): Promise<string | undefined> {
  const { services } = await c.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
  return services?.[0]?.taskDefinition;
}

export async function taskArns(c: TestClients): Promise<string[]> {
  const { taskArns } = await c.ecs.send(new ListTasksCommand({ cluster: CLUSTER }));
  return taskArns ?? [];
}

/** A task as its task events name it. */
export interface TaskRef {
  taskArn: string;
  taskDefinitionArn: string;
  startedBy: string;
}

const refOf = (task: Task | undefined): TaskRef => ({
  taskArn: task?.taskArn ?? '',
  taskDefinitionArn: task?.taskDefinitionArn ?? '',
  startedBy: task?.startedBy ?? '',
});

/** The cluster's tasks, described, as their task events name them. */
export async function taskRefs(c: TestClients): Promise<TaskRef[]> {
  const arns = await taskArns(c);
  if (arns.length === 0) return [];
  const { tasks } = await c.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }));
  return (tasks ?? []).map(refOf);
}

/** The cluster's one task (it expects exactly one), as its task events name it. */
export async function onlyTask(c: TestClients): Promise<TaskRef> {
  const arns = await taskArns(c);
  expect(arns).toHaveLength(1);
  const { tasks } = await c.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }));
  return refOf(tasks?.[0]);
}

/** Lines the migration "wrote": put on the stream the awslogs driver would use for this task. */
export async function writeTaskLog(c: TestClients, taskArn: string, lines: string[]): Promise<void> {
  const logStreamName = `${LOG_PREFIX}/${CONTAINER}/${taskArn.split('/').pop()}`;
  await c.logs.send(new CreateLogStreamCommand({ logGroupName: LOG_GROUP, logStreamName }));
  const start = Date.now() - lines.length;
  await c.logs.send(
    new PutLogEventsCommand({
      logGroupName: LOG_GROUP,
      logStreamName,
      logEvents: lines.map((message, i) => ({ timestamp: start + i, message })),
    }),
  );
}

/** An ECR push event, as EventBridge delivers it. */
export function pushEvent(options: {
  id: string;
  digest: string;
  tag?: string;
  time?: string;
  replayName?: string;
}): Record<string, unknown> {
  return {
    version: '0',
    id: options.id,
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: ACCOUNT,
    time: options.time ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources: [],
    ...(options.replayName !== undefined ? { 'replay-name': options.replayName } : {}),
    detail: {
      result: 'SUCCESS',
      'repository-name': REPOSITORY,
      'image-digest': options.digest,
      'action-type': 'PUSH',
      ...(options.tag !== undefined ? { 'image-tag': options.tag } : {}),
    },
  };
}

/**
 * The `ECS Task State Change` event ECS would send when the task stops. moto never emits it, so the test
 * builds it in the documented shape (see events/task-stopped-exit-1.json).
 */
export function taskStoppedEvent(task: TaskRef, exitCode: number): Record<string, unknown> {
  const now = new Date();
  const at = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000).toISOString();
  return {
    version: '0',
    id: `stopped-${task.taskArn.split('/').pop()}`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: ACCOUNT,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources: [task.taskArn],
    detail: {
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
      taskArn: task.taskArn,
      taskDefinitionArn: task.taskDefinitionArn,
      group: `family:${FAMILY}`,
      launchType: 'FARGATE',
      startedBy: task.startedBy,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      version: 6,
      createdAt: at(120),
      startedAt: at(100),
      stoppingAt: at(3),
      stoppedAt: at(1),
      overrides: { containerOverrides: [{ name: CONTAINER, command: ['db-migrate', '--verbose'] }] },
      containers: [{ name: CONTAINER, lastStatus: 'STOPPED', exitCode, taskArn: task.taskArn }],
    },
  };
}

/** Enough of a Lambda context for Powertools (idempotency reads the remaining time, the logger the names). */
export function lambdaContext(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Pushes a one-layer image with `tag` to the test repository in moto's ECR; its digest (moto's, not the manifest hash). */
export async function pushImage(ecr: ECRClient, tag: string, layer: string): Promise<string> {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1, digest: `sha256:${layer.repeat(64)}` },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 5, digest: `sha256:${layer.repeat(64)}` }],
  });
  const out = await ecr.send(new PutImageCommand({ repositoryName: REPOSITORY, imageManifest: manifest, imageTag: tag }));
  return out.image?.imageId?.imageDigest ?? '';
}
