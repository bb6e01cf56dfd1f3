/**
 * Bundle size: the handlers as `npm run build` makes them (infra/build.mjs's buildAll, into bench/.work/ so the
 * shared dist/ is left alone; the bytes are those of dist/launch/index.mjs and dist/watch/index.mjs) against a
 * floor handler (bench/floor/handler.ts) bundled in the same run with the same options
 * (infra/esbuild-settings.mjs `lambdaOptions`). The esbuild metafile says which packages the bytes come from.
 *
 * Run alone: node bench/bundle.mjs (prints the result as JSON).
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = join(import.meta.dirname, '..');
const FLOOR_ENTRY = 'bench/floor/handler.ts';

/** The package a bundled input belongs to: `@scope/name` or `name` under node_modules, else the project itself. */
function packageOf(input) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match !== null ? match[1] : 'ecs-migrate (src, handlers)';
}

/** Bytes in the output per package, from an esbuild metafile with one output. */
function composition(metafile) {
  const [output] = Object.values(metafile.outputs);
  const bytes = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOf(input);
    bytes[name] = (bytes[name] ?? 0) + bytesInOutput;
  }
  return bytes;
}

async function sizeOf(file) {
  const content = await readFile(file);
  return { raw: content.length, gzip: gzipSync(content).length };
}

export async function buildBundles(workDir) {
  const settingsFile = join(root, 'infra', 'esbuild-settings.mjs');
  const buildFile = join(root, 'infra', 'build.mjs');
  const { lambdaOptions, lambdaFunctions } = await import(settingsFile).catch((error) => {
    throw new Error(`infra/esbuild-settings.mjs cannot be loaded (${error.message})`);
  });
  const { buildAll } = await import(buildFile).catch((error) => {
    throw new Error(`infra/build.mjs cannot be loaded (${error.message})`);
  });

  // The real bundles, exactly as `npm run build` makes them, under bench/.work/dist/.
  const outDir = workDir;
  const built = await buildAll({ root, outDir, strict: true, log: () => {} });
  const entries = Object.fromEntries(
    lambdaFunctions.map((f) => [f.outfile.split('/')[1], built.find((b) => b.entryPoint === f.entryPoint)]),
  );
  if (entries.launch === undefined || entries.watch === undefined)
    throw new Error('infra/esbuild-settings.mjs lists no launch and watch functions');

  // The floor, with the same options, in the same way.
  const floorOut = join(workDir, 'floor', 'index.mjs');
  const floorBuild = await esbuild.build({
    ...lambdaOptions,
    absWorkingDir: root,
    entryPoints: [join(root, FLOOR_ENTRY)],
    outfile: floorOut,
    metafile: true,
    logLevel: 'warning',
  });

  // Where the bytes come from: each build's metafile.
  const metafiles = { floor: floorBuild.metafile, launch: entries.launch.metafile, watch: entries.watch.metafile };

  const sizes = { floor: await sizeOf(floorOut) };
  for (const name of ['launch', 'watch']) {
    const size = await sizeOf(entries[name].outfile);
    sizes[name] = { ...size, ratio: { raw: size.raw / sizes.floor.raw, gzip: size.gzip / sizes.floor.gzip } };
  }

  const perPackage = Object.fromEntries(Object.entries(metafiles).map(([name, meta]) => [name, composition(meta)]));
  const packages = new Set(Object.values(perPackage).flatMap((p) => Object.keys(p)));
  const table = [...packages]
    .map((name) => ({
      package: name,
      floor: perPackage.floor[name] ?? 0,
      launch: perPackage.launch[name] ?? 0,
      watch: perPackage.watch[name] ?? 0,
    }))
    .sort((a, b) => Math.max(b.launch, b.watch, b.floor) - Math.max(a.launch, a.watch, a.floor));

  const { entryPoints: _e, outfile: _o, ...shown } = lambdaOptions;
  return {
    settingsFrom: 'infra/esbuild-settings.mjs lambdaOptions',
    settingsSummary: Object.entries(shown)
      .filter(([key]) => key !== 'banner')
      .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
      .join(', '),
    files: {
      floor: relative(root, floorOut),
      launch: relative(root, entries.launch.outfile),
      watch: relative(root, entries.watch.outfile),
    },
    sizes,
    composition: table,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await buildBundles(join(import.meta.dirname, '.work'));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
