import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HANDLER_ENV } from '../../bench/fixtures/world.js';

/** Every SDK client class constructed, by name, in order (the module-scope work the cold-init rows time). */
const { constructed, wrap } = vi.hoisted(() => {
  const constructed: string[] = [];
  const wrap = (mod: Record<string, unknown>, name: string) => {
    const Base = mod[name] as new (...args: unknown[]) => object;
    const Counted = class extends Base {
      constructor(...args: unknown[]) {
        super(...args);
        constructed.push(name);
      }
    };
    return { ...mod, [name]: Counted };
  };
  return { constructed, wrap };
});

vi.mock('@aws-sdk/client-ecs', async (importOriginal) => wrap(await importOriginal(), 'ECSClient'));
vi.mock('@aws-sdk/client-dynamodb', async (importOriginal) => wrap(await importOriginal(), 'DynamoDBClient'));
vi.mock('@aws-sdk/client-eventbridge', async (importOriginal) => wrap(await importOriginal(), 'EventBridgeClient'));
vi.mock('@aws-sdk/client-scheduler', async (importOriginal) => wrap(await importOriginal(), 'SchedulerClient'));
vi.mock('@aws-sdk/client-cloudwatch-logs', async (importOriginal) => wrap(await importOriginal(), 'CloudWatchLogsClient'));
vi.mock('@aws-sdk/client-ecr', async (importOriginal) => wrap(await importOriginal(), 'ECRClient'));

/** The SDK clients a module constructs while it is imported (fresh module registry each time). */
async function clientsConstructedByImporting(load: () => Promise<unknown>): Promise<string[]> {
  vi.resetModules();
  constructed.length = 0;
  await load();
  return [...new Set(constructed)].sort();
}

describe('the floor constructs at import what the handlers construct at import', () => {
  beforeEach(() => {
    for (const [key, value] of Object.entries({ ...HANDLER_ENV, POWERTOOLS_LOG_LEVEL: 'SILENT' })) vi.stubEnv(key, value);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('constructs no SDK client at import that neither handler constructs at import (BENCHMARKS.md: "constructs the same SDK clients … as the handlers")', async () => {
    const launch = await clientsConstructedByImporting(() => import('../../handlers/launch.js'));
    const watch = await clientsConstructedByImporting(() => import('../../handlers/watch.js'));
    const floor = await clientsConstructedByImporting(() => import('../../bench/floor/handler.js'));
    const handlers = new Set([...launch, ...watch]);
    // What src/shell/lambda.ts createClients builds at cold start, for both functions.
    expect(launch).toEqual(['DynamoDBClient', 'ECSClient', 'EventBridgeClient', 'SchedulerClient']);
    expect(watch).toEqual(['DynamoDBClient', 'ECSClient', 'EventBridgeClient', 'SchedulerClient']);
    // The handlers build ECRClient (src/adapters/aws/registry.ts) and CloudWatchLogsClient (src/adapters/aws/logs.ts)
    // on first use; the floor builds both at module scope, so its init carries work neither handler's init does.
    expect(floor.filter((client) => !handlers.has(client))).toEqual([]);
  });
});
