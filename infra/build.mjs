// npm run build: the Lambda bundles (dist/launch/index.mjs, dist/watch/index.mjs, each exporting `handler`)
// and the CLI (dist/cli/index.mjs), with the settings of infra/esbuild-settings.mjs.
//
// An entry point whose source file does not exist yet is skipped with a warning, so the build works while
// a part of the code base is still being written; `--strict` (or buildAll({ strict: true })) makes it an error.
import { existsSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { cliBuild, lambdaFunctions, lambdaOptions } from './esbuild-settings.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Bundles every entry point.
 * @param {{ root?: string, outDir?: string, strict?: boolean, log?: (line: string) => void }} [options]
 *   root: the repository (default: this one); outDir: where `dist/...` paths are placed (default: root);
 *   strict: a missing entry point is an error instead of a warning.
 * @returns {Promise<{ entryPoint: string, outfile: string, exports: string[], metafile: esbuild.Metafile }[]>} what was built
 */
export async function buildAll({ root = repoRoot, outDir = root, strict = false, log = (line) => console.log(line) } = {}) {
  const jobs = [
    ...lambdaFunctions.map((f) => ({ entryPoint: f.entryPoint, outfile: f.outfile, options: lambdaOptions })),
    { entryPoint: cliBuild.entryPoint, outfile: cliBuild.outfile, options: cliBuild.options },
  ];
  const built = [];
  const missing = [];
  for (const job of jobs) {
    const source = join(root, job.entryPoint);
    if (!existsSync(source)) {
      missing.push(job.entryPoint);
      log(`warning: ${job.entryPoint} does not exist yet; ${job.outfile} not built`);
      continue;
    }
    const outfile = join(outDir, job.outfile);
    // A bundle split into chunks is placed by directory: the entry keeps the name of `outfile`.
    const placement = job.options.splitting ? { outdir: dirname(outfile), entryNames: basename(outfile, extname(outfile)) } : { outfile };
    // Chunk names carry content hashes: without a clean directory, `npm pack` would ship stale ones.
    if (job.options.splitting) rmSync(dirname(outfile), { recursive: true, force: true });
    const result = await esbuild.build({
      ...job.options,
      absWorkingDir: root,
      entryPoints: [source],
      ...placement,
      metafile: true,
      logLevel: 'warning',
    });
    const output = result.metafile.outputs[relative(root, outfile).split('\\').join('/')];
    const exports = output?.exports ?? [];
    built.push({ entryPoint: job.entryPoint, outfile, exports, metafile: result.metafile });
    log(`built ${job.entryPoint} -> ${relative(process.cwd(), outfile) || outfile} (${Math.round((output?.bytes ?? 0) / 1024)} KiB)`);
  }
  if (strict && missing.length > 0) throw new Error(`missing entry points: ${missing.join(', ')}`);
  for (const f of lambdaFunctions) {
    const entry = built.find((b) => b.entryPoint === f.entryPoint);
    if (entry !== undefined && !entry.exports.includes('handler')) {
      throw new Error(`${f.entryPoint} must export \`handler\` (template.yaml: Handler ${f.entryPoint.replace(/\.ts$/, '')}.handler)`);
    }
  }
  return built;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    await buildAll({ strict: process.argv.includes('--strict') });
  } catch (error) {
    console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
