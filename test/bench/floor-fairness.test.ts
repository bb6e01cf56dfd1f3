import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BundleResult } from '../../bench/bundle.js';
import { HANDLER_ENV } from '../../bench/fixtures/world.js';
import { type Results, renderMarkdown } from '../../bench/lib/report.js';

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

describe('the missed-bundle note splits the difference into parts that add up', () => {
  const machine = {
    cores: 2,
    memoryGiB: 8,
    cpu: 'test',
    node: 'v20',
    platform: 'linux-x64',
    date: '2026-11-30T00:00:00Z',
    loadAverageAtStart: 0,
  };
  const KB = 1024;
  // launch is 100 KB larger than the floor: +90 own code, +30 zod, and −20 of a client only the floor carries.
  const bundle: BundleResult = {
    settingsFrom: 'infra/esbuild-settings.mjs',
    settingsSummary: 'minify: true',
    files: { floor: 'f', floorWithParser: 'p', floorWithValidation: 'v', launch: 'l', watch: 'w' },
    sizes: { floor: { raw: 400 * KB, gzip: 1 }, launch: { raw: 500 * KB, gzip: 1 }, watch: { raw: 400 * KB, gzip: 1 } },
    composition: [
      { package: 'ecs-migrate (src, handlers)', floor: 0, launch: 90 * KB, watch: 0 },
      { package: 'zod', floor: 0, launch: 30 * KB, watch: 0 },
      { package: '@aws-sdk/client-cloudwatch-logs', floor: 20 * KB, launch: 0, watch: 20 * KB },
      { package: '@smithy/core', floor: 310 * KB, launch: 310 * KB, watch: 310 * KB },
    ],
  };

  it('lists what the handler carries more and what only the floor carries, adding up to the difference', () => {
    const md = renderMarkdown({ machine, bundle } as Results);
    const note = md.split('\n').find((line) => line.startsWith('- **Bundle `launch`**')) ?? '';
    // It said "153.3 KB more, of which … 109.6 KB, zod 29.5 KB, … 26.2 KB, … 1.9 KB, … 1.8 KB" (169.0 KB), leaving
    // out what the floor carries and the handler does not (CloudWatch Logs, −17.4 KB).
    const match = /: ([\d.]+) KB more: (.*?) more, less what only the floor carries: (.*?) \(/.exec(note);
    expect(match, note).not.toBeNull();
    const sum = (text: string) => [...text.matchAll(/ ([\d.]+) KB/g)].reduce((a, m) => a + Number(m[1]), 0);
    expect(sum(match?.[2] ?? '') - sum(match?.[3] ?? '')).toBeCloseTo(Number(match?.[1]), 1);
  });
});
