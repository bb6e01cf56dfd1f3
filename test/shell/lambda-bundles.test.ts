import { join } from 'node:path';
import { ECSClient } from '@aws-sdk/client-ecs';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaOptions } from '../../infra/esbuild-settings.mjs';
import { AwsEcs } from '../../src/adapters/aws/ecs.js';
import { NO_LOG_TAIL, NO_REGISTRY } from '../../src/shell/lambda.js';

const root = join(import.meta.dirname, '..', '..');

/**
 * A handler's bundle, built in memory with the Lambda settings: the inputs with bytes in the output (a module imported
 * but tree-shaken away is listed in the metafile's `inputs` yet contributes nothing) and its text. `keepNames`: the
 * same settings but identifiers kept, so a test can name the functions and schemas a module keeps (tree shaking is the
 * same whatever the identifiers; a module the other function also uses, decide-watch.ts, is kept only in part).
 */
async function bundleOf(entryPoint: string, keepNames = false): Promise<{ inputs: string[]; text: string }> {
  const { metafile, outputFiles } = await esbuild.build({
    ...lambdaOptions,
    ...(keepNames ? { minify: false, minifyWhitespace: true, minifySyntax: true } : {}),
    absWorkingDir: root,
    entryPoints: [entryPoint],
    write: false,
    outdir: 'out',
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : [])),
  );
  return { inputs, text: outputFiles.map((f) => f.text).join('\n') };
}

/** The packages a handler's bundle holds. */
async function packagesIn(entryPoint: string): Promise<Set<string>> {
  const { inputs } = await bundleOf(entryPoint);
  return new Set(inputs.flatMap((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? []));
}

/** The `src/core` modules a handler's bundle holds, and its text with identifiers kept. */
async function coreOf(entryPoint: string): Promise<{ modules: Set<string>; text: string }> {
  const { inputs, text } = await bundleOf(entryPoint, true);
  return { modules: new Set(inputs.flatMap((input) => /^src\/core\/([a-z-]+)\.ts$/.exec(input)?.[1] ?? [])), text };
}

/** The names (functions, schemas) of `names` that `text` declares: `function name(` or `name =` (esbuild may add a digit). */
function declared(text: string, names: string[]): string[] {
  return names.filter((name) => new RegExp(`function ${name}\\d*\\(|\\b${name}\\d*=`).test(text));
}

const LAUNCH_ONLY = {
  modules: [
    'launcher',
    'decide-launcher',
    'decide-launch',
    'decide-operator',
    'request-policy',
    'command-policy',
    'admission',
    'tag-pattern',
  ],
  names: [
    'decideEcrImageAction',
    'decideDeployRequest',
    'decideRunCommand',
    'decideCancel',
    'decideUnlock',
    'decideHookState',
    'parseLaunchEvent',
    'ecrImageActionDetail',
    'deployRequestDetail',
    'runCommandDetail',
    'cancelRequestDetail',
    'unlockRequestDetail',
    'hookStateDetail',
    'checkCommand',
    // Completing a request: its image tag resolved (src/shell/load-state.ts enrichLaunchInput).
    'resolveRequestImage',
  ],
};
const WATCH_ONLY = {
  modules: ['watcher', 'decide-watcher'],
  names: [
    'decideTaskState',
    'decideTimeoutCheck',
    'decideDeploymentState',
    'parseWatchEvent',
    'taskStateDetail',
    'timeoutCheckDetail',
    'deploymentStateDetail',
    // Completing a task event: DescribeTasks and the log tail (src/shell/load-state.ts enrichWatchInput).
    'containersToDescribe',
    'logTailToRead',
  ],
};
/** Both need these: the feedback each feeds itself (launch-result, rollout-result), and the envelope. */
const COMMON = { modules: ['decide-common', 'parse-event', 'route'], names: ['decideLaunchResult', 'decideRolloutResult', 'envelope'] };

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
    await expect(NO_REGISTRY.describeImage('repo', { tag: 'v1' })).rejects.toThrow(/resolves no images/);
  });
});

describe("each handler bundle holds only its own function's parsing and deciding", () => {
  let launcher: Promise<{ modules: Set<string>; text: string }>;
  let watcher: Promise<{ modules: Set<string>; text: string }>;
  beforeAll(() => {
    launcher = coreOf('handlers/launch.ts');
    watcher = coreOf('handlers/watch.ts');
  });

  it('neither holds the full parser and decider, which name every event and every decider', async () => {
    for (const bundle of [await launcher, await watcher]) {
      expect(bundle.modules).not.toContain('decide');
      expect(bundle.modules).not.toContain('parse');
      expect(declared(bundle.text, ['decide', 'parseInput'])).toEqual([]);
    }
  });

  it("the launcher has its own deciders and schemas, none of the watcher's", async () => {
    const { modules, text } = await launcher;
    expect([...modules]).toEqual(expect.arrayContaining([...LAUNCH_ONLY.modules, ...COMMON.modules]));
    expect(declared(text, [...LAUNCH_ONLY.names, ...COMMON.names])).toEqual([...LAUNCH_ONLY.names, ...COMMON.names]);
    expect(WATCH_ONLY.modules.filter((m) => modules.has(m))).toEqual([]);
    expect(declared(text, WATCH_ONLY.names)).toEqual([]);
  });

  it("the watcher has its own deciders and schemas, none of the launcher's (nor its request and command policies)", async () => {
    const { modules, text } = await watcher;
    expect([...modules]).toEqual(expect.arrayContaining([...WATCH_ONLY.modules, ...COMMON.modules]));
    expect(declared(text, [...WATCH_ONLY.names, ...COMMON.names])).toEqual([...WATCH_ONLY.names, ...COMMON.names]);
    expect(LAUNCH_ONLY.modules.filter((m) => modules.has(m))).toEqual([]);
    expect(declared(text, LAUNCH_ONLY.names)).toEqual([]);
  });

  it('only the launcher reads target revisions (hook events); the watcher reads a deployment only after a refused answer', async () => {
    expect((await launcher).text).toMatch(/DescribeServiceDeployments/);
    expect((await launcher).text).toMatch(/DescribeServiceRevisions/);
    // answerHook: whether ECS took the refused answer already (a retried event answering again).
    expect((await watcher).text).toMatch(/DescribeServiceDeployments/);
    expect((await watcher).text).not.toMatch(/DescribeServiceRevisions/);
  });

  it("neither lists deployment history (the CLI's DynamoDbHistoryStore) nor reads with GetItem or Query: BatchGetItem only", async () => {
    const named = (text: string, pattern: RegExp) => [...new Set(text.match(pattern))];
    for (const { text } of [await launcher, await watcher]) {
      expect(named(text, /DynamoDbHistoryStore|listDeployments|\bQueryCommand\b|"dynamodb:(?:Query|GetItem)"/g)).toEqual([]);
    }
    // The launcher's Powertools idempotency records still use GetItem (IDEMPOTENCY_TABLE); the watcher has none.
    expect(named((await watcher).text, /\bGetItemCommand\b/g)).toEqual([]);
  });

  it("the watcher's ECS adapter, asked for a service deployment anyway, says whose reads they are", async () => {
    const ecs = new AwsEcs(new ECSClient({ region: 'eu-west-1' }), { cluster: 'c', service: 's', container: 'app' });
    await expect(ecs.describeServiceDeployment('arn:sd')).rejects.toThrow(/hook events belong to the launcher/);
    await expect(ecs.describeServiceRevision('arn:sr')).rejects.toThrow(/hook events belong to the launcher/);
  });
});
