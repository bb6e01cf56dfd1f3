import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { lambdaOptions } from '../../infra/esbuild-settings.mjs';
import { NO_LOG_TAIL, NO_REGISTRY } from '../../src/shell/lambda.js';

const root = join(import.meta.dirname, '..', '..');

/**
 * The packages a handler's bundle holds, from esbuild's metafile (built in memory with the Lambda settings): those
 * with bytes in the output (a module imported but tree-shaken away is listed in `inputs` yet contributes nothing).
 */
async function packagesIn(entryPoint: string): Promise<Set<string>> {
  const { metafile } = await esbuild.build({
    ...lambdaOptions,
    absWorkingDir: root,
    entryPoints: [entryPoint],
    write: false,
    outdir: 'out',
    metafile: true,
    logLevel: 'silent',
  });
  const contributing = Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : [])),
  );
  return new Set(contributing.flatMap((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? []));
}

describe('what each handler bundle carries', () => {
  it('the launcher reads no task logs, so its bundle has no CloudWatch Logs client; the watcher has one', async () => {
    expect(await packagesIn('handlers/launch.ts')).not.toContain('@aws-sdk/client-cloudwatch-logs');
    expect(await packagesIn('handlers/watch.ts')).toContain('@aws-sdk/client-cloudwatch-logs');
  });

  it("the launcher's log tail, if asked, says why it has none (the run turns that into an 'unavailable' line)", async () => {
    await expect(NO_LOG_TAIL.tail({ taskArn: 't', taskDefinitionArn: 'd', container: 'app' }, { lines: 5, bytes: 100 })).rejects.toThrow(
      /reads no task logs/,
    );
  });

  it('only the launcher resolves image tags, so only its bundle has the ECR client', async () => {
    expect(await packagesIn('handlers/launch.ts')).toContain('@aws-sdk/client-ecr');
    expect(await packagesIn('handlers/watch.ts')).not.toContain('@aws-sdk/client-ecr');
  });

  it("the watcher's registry, if asked, says why it resolves nothing", async () => {
    await expect(NO_REGISTRY.resolveDigest('repo', 'v1')).rejects.toThrow(/resolves no image tags/);
  });
});
