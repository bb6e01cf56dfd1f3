/**
 * Bundle size: the handlers as `npm run build` makes them (infra/build.mjs's buildAll, into bench/.work/ so the
 * shared dist/ is left alone; byte for byte dist/launch/index.mjs and dist/watch/index.mjs), each against its own
 * floor (bench/floor/launch.ts, watch.ts: a handler importing that handler's dependencies and doing nothing) bundled
 * in the same run with the same options (infra/esbuild-settings.mjs `lambdaOptions`). The esbuild metafile of each
 * says which packages the bytes come from. Per handler, two more floors are built with the same options, only for the
 * cold-init breakdown (not sized): its floor plus its own event parser, and that plus the configuration check at
 * import (FLOOR_VARIANTS).
 *
 * Run alone: npx tsx bench/bundle.ts (prints the result as JSON).
 */
import { readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { buildAll } from '../infra/build.mjs';
import { lambdaFunctions, lambdaOptions } from '../infra/esbuild-settings.mjs';

const root = join(import.meta.dirname, '..');
export const HANDLERS = ['launch', 'watch'] as const;
export type HandlerName = (typeof HANDLERS)[number];
/** A handler's own floor: its dependencies, nothing else (a floor of both functions' would flatter either). */
export type FloorName = `${HandlerName}Floor`;
export const floorOf = (name: HandlerName): FloorName => `${name}Floor`;
export const FLOORS = { launchFloor: 'bench/floor/launch.ts', watchFloor: 'bench/floor/watch.ts' } as const satisfies Record<
  FloorName,
  string
>;
export type BundleName = HandlerName | FloorName;
export const BUNDLES: readonly BundleName[] = ['launchFloor', 'launch', 'watchFloor', 'watch'];

/**
 * Per handler, the floor plus only that handler's event parser (`<handler>Parser`), then that plus the configuration
 * check at import (`<handler>Validation`): only timed, for the split of that handler's cold-init difference from the
 * floor. One parser floor for both would carry both functions' event schemas, which neither handler does.
 */
export const FLOOR_VARIANTS = {
  launchParser: 'bench/floor/launch-parser.ts',
  launchValidation: 'bench/floor/launch-validation.ts',
  watchParser: 'bench/floor/watch-parser.ts',
  watchValidation: 'bench/floor/watch-validation.ts',
} as const satisfies Record<`${HandlerName}${'Parser' | 'Validation'}`, string>;
export type FloorVariant = keyof typeof FLOOR_VARIANTS;
/** The floor variants of one handler: with its parser, and with its parser and the configuration check. */
export const floorVariantsOf = (name: HandlerName) => ({ parser: `${name}Parser`, validation: `${name}Validation` }) as const;
/** Every bundle the cold-init section imports. */
export type TimedBundle = BundleName | FloorVariant;

export interface Size {
  raw: number;
  gzip: number;
}
export type PackageBytes = { package: string } & Record<BundleName, number>;
export interface BundleResult {
  settingsFrom: string;
  settingsSummary: string;
  /** Paths relative to the repository. */
  files: Record<TimedBundle, string>;
  sizes: Record<BundleName, Size>;
  composition: PackageBytes[];
}

/** The name the composition gives the project's own code. */
export const OWN_CODE = 'ecs-migrate (src, handlers)';

/** The package a bundled input belongs to: `@scope/name` or `name` under node_modules, else the project itself. */
function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match?.[1] ?? OWN_CODE;
}

/** Bytes in the output per package, from an esbuild metafile with one output. */
function composition(metafile: esbuild.Metafile): Record<string, number> {
  const bytes: Record<string, number> = {};
  for (const output of Object.values(metafile.outputs))
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      bytes[name] = (bytes[name] ?? 0) + bytesInOutput;
    }
  return bytes;
}

async function sizeOf(file: string): Promise<Size> {
  const content = await readFile(file);
  return { raw: content.length, gzip: gzipSync(content).length };
}

export async function buildBundles(workDir: string): Promise<BundleResult> {
  // The real bundles, exactly as `npm run build` makes them, under <workDir>/dist/.
  const built = await buildAll({ root, outDir: workDir, strict: true, log: () => {} });
  const outputs = {} as Record<BundleName, { file: string; metafile: esbuild.Metafile }>;
  for (const name of HANDLERS) {
    const fn = lambdaFunctions.find((f) => f.outfile === `dist/${name}/index.mjs`);
    // buildAll returns each build's metafile too (infra/build.mjs); its .d.mts declares only what the tests use.
    const entry = built.find((b) => b.entryPoint === fn?.entryPoint) as { outfile: string; metafile?: esbuild.Metafile } | undefined;
    if (entry?.metafile === undefined) throw new Error(`infra/build.mjs built no dist/${name}/index.mjs (with a metafile)`);
    outputs[name] = { file: entry.outfile, metafile: entry.metafile };
  }

  // The floors, with the same options, in the same way.
  const bundleFloor = async (entry: string, dir: string) => {
    const file = join(workDir, dir, 'index.mjs');
    const built = await esbuild.build({
      ...lambdaOptions,
      absWorkingDir: root,
      entryPoints: [join(root, entry)],
      outfile: file,
      metafile: true,
      logLevel: 'warning',
    });
    return { file, metafile: built.metafile };
  };
  for (const [floor, entry] of Object.entries(FLOORS) as [FloorName, string][])
    outputs[floor] = await bundleFloor(entry, `floor-${basename(entry, '.ts')}`);
  const files = {} as Record<TimedBundle, string>;
  for (const [variant, entry] of Object.entries(FLOOR_VARIANTS) as [FloorVariant, string][])
    files[variant] = relative(root, (await bundleFloor(entry, `floor-${basename(entry, '.ts')}`)).file);

  const names = BUNDLES;
  const sizes = {} as Record<BundleName, Size>;
  const perPackage = {} as Record<BundleName, Record<string, number>>;
  for (const name of names) {
    sizes[name] = await sizeOf(outputs[name].file);
    files[name] = relative(root, outputs[name].file);
    perPackage[name] = composition(outputs[name].metafile);
  }
  const packages = new Set(names.flatMap((n) => Object.keys(perPackage[n])));
  const table = [...packages]
    .map((name) => ({
      package: name,
      ...(Object.fromEntries(names.map((n) => [n, perPackage[n][name] ?? 0])) as Record<BundleName, number>),
    }))
    .sort((a, b) => Math.max(...names.map((n) => b[n])) - Math.max(...names.map((n) => a[n])));

  const { entryPoints: _e, outfile: _o, banner: _b, ...shown } = lambdaOptions;
  return {
    settingsFrom: 'infra/esbuild-settings.mjs lambdaOptions',
    settingsSummary: Object.entries(shown)
      .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
      .join(', '),
    files,
    sizes,
    composition: table,
  };
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const result = await buildBundles(join(import.meta.dirname, '.work'));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
