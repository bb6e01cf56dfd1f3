// The one place that holds how ecs-migrate is bundled.
import { readFileSync } from 'node:fs';

//
// - `npm run build` (infra/build.mjs) bundles with these options.
// - `sam build` bundles with Metadata.BuildProperties of each function in template.yaml, which must be
//   samBuildProperties(<entry point>) of these options: test/template/build-settings.test.ts fails otherwise.
//   Change an option here, then paste the new BuildProperties into template.yaml (the failing test prints them).

/**
 * The AWS SDK v3 and some of its dependencies call `require()` for Node built-ins; an ESM bundle has no
 * `require`, so the bundle defines one first.
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * esbuild options of the Lambda bundles: one self-contained ES module per function, the AWS SDK included
 * (the bundle pins the SDK version of package-lock.json instead of the runtime's), for Node.js 22 on arm64.
 * @type {import('esbuild').BuildOptions}
 */
export const lambdaOptions = Object.freeze({
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  mainFields: ['module', 'main'],
  outExtension: { '.js': '.mjs' },
  banner: { js: ESM_REQUIRE_BANNER },
});

/** The functions of template.yaml: logical id, entry point (Handler `<entry without .ts>.handler`) and npm run build's output. */
export const lambdaFunctions = Object.freeze([
  { logicalId: 'LaunchFunction', entryPoint: 'handlers/launch.ts', outfile: 'dist/launch/index.mjs' },
  { logicalId: 'WatchFunction', entryPoint: 'handlers/watch.ts', outfile: 'dist/watch/index.mjs' },
]);

/**
 * The CLI bundle: ESM for the Node.js that runs it (package.json engines: >= 20.12). Dependencies stay in
 * node_modules (`packages: 'external'`): PGlite loads its WebAssembly and data files from its own package.
 * `splitting`: each command stays a chunk of its own (dist/cli/chunks/), loaded when the command runs, so
 * `--help`, `local` and `explain` do not load the AWS SDK (one file would hoist every import to the top).
 * @type {{ entryPoint: string, outfile: string, options: import('esbuild').BuildOptions }}
 */
export const cliBuild = Object.freeze({
  entryPoint: 'cli/main.ts',
  outfile: 'dist/cli/index.mjs',
  options: Object.freeze({
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: false,
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    // `ecs-migrate --version` (cli/version.ts); from source it reads package.json instead.
    define: {
      __ECS_MIGRATE_VERSION__: JSON.stringify(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version),
    },
  }),
});

/**
 * `lambdaOptions` in the spelling of SAM's esbuild builder (Metadata.BuildProperties): SAM always bundles
 * for platform node; MainFields is one comma-separated value; OutExtension and Banner are `key=value` lists.
 * @param {string} entryPoint
 */
export function samBuildProperties(entryPoint) {
  return {
    Format: lambdaOptions.format,
    OutExtension: Object.entries(lambdaOptions.outExtension ?? {}).map(([from, to]) => `${from}=${to}`),
    Target: lambdaOptions.target,
    Minify: lambdaOptions.minify,
    Sourcemap: lambdaOptions.sourcemap,
    MainFields: (lambdaOptions.mainFields ?? []).join(','),
    Banner: Object.entries(lambdaOptions.banner ?? {}).map(([kind, text]) => `${kind}=${text}`),
    EntryPoints: [entryPoint],
  };
}
