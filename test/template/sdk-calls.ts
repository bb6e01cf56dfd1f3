import * as esbuild from 'esbuild';
import { lambdaFunctions, lambdaOptions } from '../../infra/esbuild-settings.mjs';
import { repoRoot } from './template.js';

/** The IAM service prefix of each AWS SDK v3 client package the functions bundle. */
const IAM_PREFIX: Record<string, string> = {
  'client-ecs': 'ecs',
  'client-ecr': 'ecr',
  'client-dynamodb': 'dynamodb',
  'client-eventbridge': 'events',
  'client-scheduler': 'scheduler',
  'client-cloudwatch-logs': 'logs',
};

/**
 * The IAM actions a request of one SDK command needs. A TransactWriteItems needs the action of each item it writes
 * (the store's are Puts: src/adapters/aws/store.ts), not an action of its own.
 */
const ACTIONS_OF: Record<string, string[]> = {
  'dynamodb:TransactWriteItems': ['dynamodb:PutItem'],
};

/**
 * Every IAM action the SDK commands bundled into a function can need, as `service:Action`: a command module is in
 * the bundle only when code of the function imports it (esbuild's metafile lists each input it kept), so this is
 * what the function can call, read from its own code rather than from a list kept by hand.
 */
export async function sdkActionsOf(logicalId: string): Promise<string[]> {
  const fn = lambdaFunctions.find((f) => f.logicalId === logicalId);
  if (fn === undefined) throw new Error(`no function ${logicalId} in infra/esbuild-settings.mjs`);
  const built = await esbuild.build({
    ...lambdaOptions,
    absWorkingDir: repoRoot,
    entryPoints: [fn.entryPoint],
    outdir: 'unused',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const actions = new Set<string>();
  for (const output of Object.values(built.metafile.outputs))
    for (const input of Object.keys(output.inputs)) {
      const m = /@aws-sdk\/(client-[a-z0-9-]+)\/dist-es\/commands\/(\w+)Command\.js$/.exec(input);
      if (m === null) continue;
      const [, client = '', command = ''] = m;
      const prefix = IAM_PREFIX[client];
      if (prefix === undefined) throw new Error(`${logicalId} bundles ${client}: add its IAM prefix to test/template/sdk-calls.ts`);
      for (const action of ACTIONS_OF[`${prefix}:${command}`] ?? [`${prefix}:${command}`]) actions.add(action);
    }
  return [...actions].sort();
}
