/**
 * AWS calls per migration, counted against moto: one push that succeeds, through the real handlers
 * (handlers/launch.ts with its Powertools idempotency, then handlers/watch.ts on the STOPPED exit-0 event).
 *
 * Every SDK client the handlers use gets a counting middleware (one count per `send`, before retries: the
 * calls the code makes). Calls are split by role (launcher / watcher), by API, and by purpose:
 * - controller: what the controller itself needs (ECS, the deployments table, EventBridge, Scheduler);
 * - idempotency: Powertools' records in the idempotency table;
 * - log tail: CloudWatch Logs, and the ECS DescribeTaskDefinition the log tail makes to find the task's awslogs
 *   settings (the same clients as in production; only the log tail is given its own ECS client instance, so its
 *   calls can be told apart).
 *
 * moto is started by the integration tests' launcher (test/support/moto-server.ts) and the world is theirs too
 * (test/aws/environment.ts). Run:
 * node --import tsx bench/aws-calls.ts. Prints one JSON line (or {"notMeasured": why}).
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import type { Context } from 'aws-lambda';
import { MotoNotInstalledError, startMotoServer } from '../test/support/moto-server.js';

interface Call {
  role: string;
  purpose: 'controller' | 'idempotency' | 'log tail';
  api: string;
  detail: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the middleware sees every command's input
type AnyInput = Record<string, any>;
type Middleware = (
  next: (args: { input: AnyInput }) => Promise<unknown>,
  context: { commandName?: string },
) => (args: { input: AnyInput }) => Promise<unknown>;
/** The part of any SDK v3 client's middleware stack used here. */
interface Countable {
  middlewareStack: unknown;
}
const stackOf = (client: Countable) =>
  client.middlewareStack as { add: (middleware: Middleware, options: { step: 'initialize'; name: string }) => void };

// The shared launcher of the integration tests: moto_server on a free loopback port.
const moto = await startMotoServer().catch((error: unknown) => {
  const why = error instanceof MotoNotInstalledError ? `moto_server is not installed (${error.message})` : String(error);
  process.stdout.write(`${JSON.stringify({ notMeasured: why })}\n`);
  process.exit(0);
});
try {
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  // The world and the handlers' configuration of the integration tests.
  const world = await import('../test/aws/environment.js');
  Object.assign(process.env, world.handlerEnv());
  const { createClients, createLambdaRuntime } = await import('../src/shell/lambda.js');
  const { createAwsPorts } = await import('../src/adapters/aws/index.js');
  const { CloudWatchTaskLogs } = await import('../src/adapters/aws/logs.js');
  const { createLaunchHandler } = await import('../handlers/launch.js');
  const { createWatchHandler } = await import('../handlers/watch.js');

  const test = world.testClients();
  await world.resetMoto();
  await world.createStack(test);

  const calls: Call[] = [];
  let role = 'setup';
  const count = (client: Countable, service: string, purposeOf: (api: string, input: AnyInput) => Call['purpose']) => {
    stackOf(client).add(
      (next, context) => async (args) => {
        const api = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        calls.push({ role, purpose: purposeOf(api, args.input), api: `${service}:${api}`, detail: describe(api, args.input) });
        return next(args);
      },
      { step: 'initialize', name: 'benchCallCounter' },
    );
  };
  const tableOf = (input: AnyInput): string | undefined => {
    if (input.TableName !== undefined) return input.TableName;
    const first = input.TransactItems?.[0];
    return first === undefined ? undefined : (Object.values(first)[0] as AnyInput | undefined)?.TableName;
  };

  /** Builds a runtime exactly as the handlers do (createClients, createLambdaRuntime), with counting clients. */
  const runtime = () => {
    const clients = createClients();
    count(clients.ecs, 'ecs', () => 'controller');
    count(clients.eventbridge, 'events', () => 'controller');
    count(clients.scheduler, 'scheduler', () => 'controller');
    count(clients.logs, 'logs', () => 'log tail');
    count(clients.dynamodb, 'dynamodb', (_api, input) => (tableOf(input) === world.IDEMPOTENCY_TABLE ? 'idempotency' : 'controller'));
    const inRegion = clients.logsInRegion;
    if (inRegion !== undefined) {
      const seen = new WeakSet<object>();
      clients.logsInRegion = (region) => {
        const client = inRegion(region);
        if (!seen.has(client)) count(client, 'logs', () => 'log tail');
        seen.add(client);
        return client;
      };
    }
    const r = createLambdaRuntime(process.env, clients);
    // As createAwsPorts wires the log tail, but with an ECS client of its own, so its calls are told apart.
    const logTailEcs = new ECSClient({});
    count(logTailEcs, 'ecs', () => 'log tail');
    const logsInRegion = clients.logsInRegion;
    r.ports = {
      ...createAwsPorts(r.config, r.aws, clients),
      logs: new CloudWatchTaskLogs(logTailEcs, clients.logs, logsInRegion !== undefined ? { logsInRegion } : {}),
    };
    return r;
  };

  const launch = createLaunchHandler(runtime());
  const watch = createWatchHandler(runtime());

  role = 'launcher';
  const push = world.pushEvent({ id: 'b3a1c2d4-1111-4000-8000-000000000001', digest: `sha256:${'a1'.repeat(32)}`, tag: 'v1.4.0' });
  const launched = await launch(push, world.lambdaContext('ecs-migrate-staging-launch') as Context);

  role = 'check';
  const arns = await world.taskArns(test);
  const { DescribeTasksCommand, DescribeServicesCommand } = await import('@aws-sdk/client-ecs');
  const { tasks } = await test.ecs.send(new DescribeTasksCommand({ cluster: world.CLUSTER, tasks: arns }));
  const task = tasks?.[0];
  if (arns.length !== 1 || task?.taskArn === undefined || task.taskDefinitionArn === undefined || task.startedBy === undefined)
    throw new Error(`expected one migration task after the push, found ${arns.length}: ${JSON.stringify(launched)}`);
  await world.writeTaskLog(test, task.taskArn, ['applying 0007_add_orders_index.sql', 'migrations: 1 applied, 0 pending']);

  role = 'watcher';
  const stopped = world.taskStoppedEvent(
    { taskArn: task.taskArn, taskDefinitionArn: task.taskDefinitionArn, startedBy: task.startedBy },
    0,
  );
  const watched = await watch(stopped, world.lambdaContext('ecs-migrate-staging-watch') as Context);

  role = 'check';
  const { services } = await test.ecs.send(new DescribeServicesCommand({ cluster: world.CLUSTER, services: [world.SERVICE] }));
  const serviceTaskDefinition = services?.[0]?.taskDefinition;
  const rolledOut = serviceTaskDefinition === task.taskDefinitionArn;

  process.stdout.write(
    `${JSON.stringify({
      moto: true,
      rolledOut,
      serviceTaskDefinition,
      launcher: launched.decisions,
      watcher: watched.decisions,
      calls: calls.filter((c) => c.role === 'launcher' || c.role === 'watcher'),
    })}\n`,
  );
} finally {
  await moto.stop();
}

/** A few words on what a call was about, so repeated APIs can be told apart in the report. */
function describe(api: string, input: AnyInput): string {
  switch (api) {
    case 'DescribeTaskDefinition':
      return `${String(input.taskDefinition).split('/').pop()}${input.include ? ` include ${input.include.join(',')}` : ''}`;
    case 'TransactWriteItems':
      return `${input.TransactItems.length} items`;
    case 'GetItem':
      return `${input.TableName} ${Object.values(input.Key ?? {})
        .map((v) => (v as AnyInput).S)
        .join(' ')}`;
    case 'BatchGetItem':
      return Object.entries(input.RequestItems ?? {})
        .map(([table, request]) => `${table} ${((request as AnyInput).Keys ?? []).map((k: AnyInput) => k.sk?.S).join(', ')}`)
        .join('; ');
    case 'Query':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return String(input.TableName);
    case 'PutEvents':
      return (input.Entries ?? []).map((e: AnyInput) => e.DetailType).join(', ');
    case 'GetLogEvents':
      return String(input.logStreamName);
    default:
      return '';
  }
}
