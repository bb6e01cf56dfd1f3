import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { lambdaOptions } from '../../infra/esbuild-settings.mjs';

const root = join(import.meta.dirname, '..', '..');

/**
 * The bytes each input (a repository path, or one under node_modules) contributes to a bundle of `entry` built with
 * the handlers' settings (infra/esbuild-settings.mjs lambdaOptions), summed by `group`'s name for it (left out when it
 * gives none), from the esbuild metafile; modules tree-shaken away are left out.
 */
export async function bundleInputs(entry: string, group: (input: string) => string | undefined): Promise<Map<string, number>> {
  const { metafile } = await esbuild.build({
    ...lambdaOptions,
    absWorkingDir: root,
    entryPoints: [join(root, entry)],
    outfile: join(root, 'out', 'index.mjs'),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs))
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = group(input);
      if (name !== undefined && bytesInOutput > 0) bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  return bytes;
}
