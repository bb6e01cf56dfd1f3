/**
 * The floors are fair: each handler's floor carries that handler's dependencies and constructs at import what it
 * does (no more, no less), and each handler's floor variants (bench/bundle.ts FLOOR_VARIANTS) carry that handler's
 * own event parser and nothing of the parse code the handler's bundle does not carry, so a handler's cold-init split
 * is taken against code it really loads.
 */
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FLOOR_VARIANTS, floorVariantsOf, HANDLERS, type HandlerName } from '../../bench/bundle.js';
import { HANDLER_ENV } from '../../bench/fixtures/world.js';
import { lambdaFunctions } from '../../infra/esbuild-settings.mjs';
import { bundleInputs } from './bundle-inputs.js';

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

/** Each handler, its floor and its floor variants, as the test imports them (a literal path each, for Vite). */
const MODULES = {
  launch: {
    handler: () => import('../../handlers/launch.js'),
    floor: () => import('../../bench/floor/launch.js'),
    parser: () => import('../../bench/floor/launch-parser.js'),
    validation: () => import('../../bench/floor/launch-validation.js'),
  },
  watch: {
    handler: () => import('../../handlers/watch.js'),
    floor: () => import('../../bench/floor/watch.js'),
    parser: () => import('../../bench/floor/watch-parser.js'),
    validation: () => import('../../bench/floor/watch-validation.js'),
  },
} as const satisfies Record<HandlerName, Record<string, () => Promise<unknown>>>;

describe("each handler's floor constructs at import what that handler constructs at import", () => {
  beforeEach(() => {
    for (const [key, value] of Object.entries({ ...HANDLER_ENV, POWERTOOLS_LOG_LEVEL: 'SILENT' })) vi.stubEnv(key, value);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each(HANDLERS)('%s: its floor constructs the SDK clients the handler constructs at import, no more', async (name) => {
    const handler = await clientsConstructedByImporting(MODULES[name].handler);
    const floor = await clientsConstructedByImporting(MODULES[name].floor);
    // What src/shell/lambda.ts createClients builds at cold start; ECRClient (src/adapters/aws/registry.ts) and
    // CloudWatchLogsClient (src/adapters/aws/logs.ts) are made on first use, in the floors as in the handlers.
    expect(handler).toEqual(['DynamoDBClient', 'ECSClient', 'EventBridgeClient', 'SchedulerClient']);
    expect(floor).toEqual(handler);
  });

  it.each(HANDLERS)(
    "%s: its floor variants construct at import what its floor does (the configuration check passes with the handlers' environment)",
    async (name) => {
      const floor = await clientsConstructedByImporting(MODULES[name].floor);
      expect(await clientsConstructedByImporting(MODULES[name].parser)).toEqual(floor);
      expect(await clientsConstructedByImporting(MODULES[name].validation)).toEqual(floor);
    },
  );
});

const _root = join(import.meta.dirname, '..', '..');

/**
 * Bytes in the output of each `src/` module and of zod (summed as `zod`) in a bundle built with the handlers' settings
 * (infra/esbuild-settings.mjs lambdaOptions), from its esbuild metafile; modules tree-shaken away are left out.
 */
async function parseCodeBytes(entry: string): Promise<Map<string, number>> {
  return bundleInputs(entry, (input) => (input.startsWith('src/') ? input : input.includes('node_modules/zod/') ? 'zod' : undefined));
}

/**
 * What `floor` carries that `handler` does not, or carries more of: minified identifiers differ from one bundle to
 * another, so a module may be a few bytes longer in one; the other function's parser is hundreds of bytes more.
 */
function beyond(floor: Map<string, number>, handler: Map<string, number>): string[] {
  return [...floor].flatMap(([input, bytes]) => {
    const own = handler.get(input) ?? 0;
    return bytes > own * 1.05 + 16 ? [`${input}: ${bytes} bytes, ${own} in the handler`] : [];
  });
}

/** The modules that read events (src/core/parse-event.ts says which): every handler carries them, in part or in full. */
const PARSE_MODULES = ['src/core/parse-event.ts', 'src/core/parse-launch-event.ts', 'src/core/parse-watch-event.ts', 'src/core/events.ts'];

describe("each handler's floor variants carry that handler's own event parser, not the other function's", () => {
  const entryOf = (name: HandlerName) => lambdaFunctions.find((f) => f.outfile === `dist/${name}/index.mjs`)?.entryPoint ?? '';
  type Bytes = Map<string, number>;
  const built = new Map<HandlerName, { handler: Bytes; parser: Bytes; validation: Bytes }>();
  beforeAll(async () => {
    for (const name of HANDLERS) {
      const variants = floorVariantsOf(name);
      const [handler, parser, validation] = await Promise.all([
        parseCodeBytes(entryOf(name)),
        parseCodeBytes(FLOOR_VARIANTS[variants.parser]),
        parseCodeBytes(FLOOR_VARIANTS[variants.validation]),
      ]);
      built.set(name, { handler, parser, validation });
    }
  }, 60_000);

  it.each(HANDLERS)("%s: the parser floor and the validation floor carry no parse code (src/, zod) beyond the handler's bundle", (name) => {
    const bundles = built.get(name);
    if (bundles === undefined) throw new Error(`no bundles of ${name}`);
    // A floor with parseInput (src/core/parse.ts) carried both functions' event schemas: the launcher's carries only
    // watchEventKind of parse-watch-event.ts, the watcher's only launchEventKind of parse-launch-event.ts.
    expect(beyond(bundles.parser, bundles.handler)).toEqual([]);
    expect(beyond(bundles.validation, bundles.handler)).toEqual([]);
    expect(bundles.parser.has('src/core/parse.ts')).toBe(false);
  });

  it.each(HANDLERS)("%s: the parser floor carries the handler's parse code in full (its role's parser, zod)", (name) => {
    const bundles = built.get(name);
    if (bundles === undefined) throw new Error(`no bundles of ${name}`);
    expect(bundles.parser.has(name === 'launch' ? 'src/core/launcher.ts' : 'src/core/watcher.ts')).toBe(true);
    expect(bundles.parser.has(name === 'launch' ? 'src/core/watcher.ts' : 'src/core/launcher.ts')).toBe(false);
    for (const input of PARSE_MODULES) {
      const own = bundles.handler.get(input) ?? 0;
      expect(own, `${input} in dist/${name}`).toBeGreaterThan(0);
      expect(bundles.parser.get(input) ?? 0, `${input} in the parser floor of ${name}`).toBeGreaterThanOrEqual(own * 0.95 - 16);
    }
    expect(bundles.parser.get('zod') ?? 0).toBeGreaterThan(0);
    // The configuration check is only in the validation floor.
    expect(bundles.parser.has('src/shell/config.ts')).toBe(false);
    expect(bundles.validation.has('src/shell/config.ts')).toBe(true);
  });
});
