/**
 * `npm run bench`: measures ecs-migrate on this machine, each number next to a floor measured in the same run,
 * and writes bench/results.json and BENCHMARKS.md. It reports and never fails: a section that cannot run here
 * says "not measured" and why, and the exit code is 0 even when a target is missed.
 *
 * Sections (each also runnable alone, see the files): bundle size (bench/bundle.ts), cold init
 * (bench/lib/import-once.ts in fresh processes), decision cost (bench/decide.ts), AWS requests per migration
 * against moto (bench/aws-calls.ts), reaction latency in local mode (bench/reaction.ts), `npm start`.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import type { AwsCallsResult } from './aws-calls.js';
import {
  BUNDLES,
  type BundleName,
  type BundleResult,
  buildBundles,
  FLOOR_VARIANTS,
  type FloorVariant,
  type TimedBundle,
} from './bundle.js';
import { HANDLER_ENV } from './fixtures/world.js';
import { type CpuProfile, IMPORT_PARTS, type ImportPart, importParts } from './lib/cpu-profile.js';
import {
  type ColdInitResult,
  type DecideResult,
  type DemoResult,
  type NotMeasured,
  type ReactionResult,
  type Results,
  renderMarkdown,
} from './lib/report.js';
import { failureReason, lastJsonLine, loadNow, machine, messageOf, run, type Summary, summary, wallClock } from './lib/stats.js';
import type { ReactionSample } from './reaction.js';

const root = join(import.meta.dirname, '..');
const workDir = join(import.meta.dirname, '.work');
const tsx = ['--no-warnings', '--import', 'tsx'];

const COLD_INIT_RUNS = 30;
/** Profiled imports per bundle, and V8's sampling interval for them (µs). */
const PROFILE_RUNS = 12;
const PROFILE_INTERVAL_US = 100;
const DECIDE_PROCESSES = 3;
const DECIDE_EVENTS = 100_000;
const DECIDE_BATCHES = 20;
const REACTION_PROCESSES = 2;
const REACTION_MIGRATIONS = 3;
const DEMO_RUNS = 3;

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** Runs one section; whatever goes wrong becomes "not measured: why". */
async function section<T>(name: string, fn: () => Promise<T>): Promise<T | NotMeasured> {
  const started = performance.now();
  log(`${name}…`);
  try {
    const result = await fn();
    log(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    const why = messageOf(error);
    log(`${name}: not measured: ${why}`);
    return { notMeasured: (why.split('\n')[0] ?? why).slice(0, 300) };
  }
}

const isMeasured = <T>(s: T | NotMeasured | undefined): s is T => s !== undefined && (s as NotMeasured).notMeasured === undefined;

/** Runs a bench script with tsx in a child process; its last stdout line is its JSON result. */
async function runScript<T>(script: string, args: string[] = []): Promise<T> {
  const result = await run(process.execPath, [...tsx, join(import.meta.dirname, script), ...args], { cwd: root, timeoutMs: 300_000 });
  const out = lastJsonLine(result.stdout);
  if (result.code !== 0 || out === undefined) throw new Error(`bench/${script} failed: ${failureReason(result)}`);
  return out as T;
}

/**
 * Imports each bundle in a fresh Node process, interleaved so drift on the machine hits every bundle alike: each
 * handler's floor, its floor variants (its own event parser; that plus the configuration check) and the handler.
 */
async function coldInit(bundles: BundleResult): Promise<ColdInitResult> {
  // The child as plain JavaScript: no TypeScript loader in the measured process.
  const child = join(workDir, 'import-once.mjs');
  await esbuild.build({
    entryPoints: [join(import.meta.dirname, 'lib', 'import-once.ts')],
    outfile: child,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  // No inherited NODE_OPTIONS (e.g. --enable-source-maps): the bundles start as Lambda starts them.
  const env = { ...process.env, ...HANDLER_ENV, POWERTOOLS_LOG_LEVEL: 'WARN', NODE_OPTIONS: '' };
  const variants = Object.keys(FLOOR_VARIANTS) as FloorVariant[];
  const names: TimedBundle[] = [...BUNDLES, ...variants];
  const times = Object.fromEntries(names.map((n) => [n, { importMs: [] as number[], cpuMs: [] as number[], processMs: [] as number[] }]));
  for (let i = -1; i < COLD_INIT_RUNS; i++) {
    for (const name of names) {
      const result = await run(process.execPath, [child, join(root, bundles.files[name])], { env, timeoutMs: 30_000 });
      const out = lastJsonLine(result.stdout) as { importMs: number; cpuMs: number } | undefined;
      if (result.code !== 0 || out === undefined) throw new Error(`importing ${name} failed: ${failureReason(result)}`);
      if (i < 0) continue; // the first round warms the file cache
      times[name]?.importMs.push(out.importMs);
      times[name]?.cpuMs.push(out.cpuMs);
      times[name]?.processMs.push(result.ms);
    }
  }
  const profile = await profileImports(child, bundles, env);
  const summarise = (n: TimedBundle) => {
    const t = times[n] ?? { importMs: [], cpuMs: [], processMs: [] };
    return { importMs: summary(t.importMs), cpuMs: summary(t.cpuMs), processMs: summary(t.processMs) };
  };
  return {
    runs: COLD_INIT_RUNS,
    bundles: {
      launchFloor: summarise('launchFloor'),
      watchFloor: summarise('watchFloor'),
      launchParser: summarise('launchParser'),
      launchValidation: summarise('launchValidation'),
      watchParser: summarise('watchParser'),
      watchValidation: summarise('watchValidation'),
      launch: summarise('launch'),
      watch: summarise('watch'),
    },
    profile,
  };
}

/**
 * Imports each handler and its floor under `node --cpu-prof`, interleaved, and splits each import's CPU time into
 * compiling the module, running the bundle's code, GC and the rest (bench/lib/cpu-profile.ts). Apart from the
 * timed imports: sampling slows a process down.
 */
async function profileImports(child: string, bundles: BundleResult, env: NodeJS.ProcessEnv): Promise<ColdInitResult['profile']> {
  const dir = join(workDir, 'profiles');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const names = BUNDLES;
  const parts = Object.fromEntries(names.map((n) => [n, Object.fromEntries(IMPORT_PARTS.map((p) => [p, [] as number[]]))]));
  for (let i = 0; i < PROFILE_RUNS; i++) {
    for (const name of names) {
      const file = join(root, bundles.files[name]);
      const profileName = `${name}-${i}.cpuprofile`;
      const flags = ['--cpu-prof', `--cpu-prof-interval=${PROFILE_INTERVAL_US}`, `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${profileName}`];
      const result = await run(process.execPath, [...flags, child, file], { env, timeoutMs: 30_000 });
      if (result.code !== 0) throw new Error(`profiling the import of ${name} failed: ${failureReason(result)}`);
      const profile = JSON.parse(await readFile(join(dir, profileName), 'utf8')) as CpuProfile;
      const split = importParts(profile, pathToFileURL(file).href);
      for (const part of IMPORT_PARTS) parts[name]?.[part]?.push(split[part]);
    }
  }
  await rm(dir, { recursive: true, force: true });
  const summarise = (name: BundleName) =>
    Object.fromEntries(IMPORT_PARTS.map((part) => [part, summary(parts[name]?.[part] ?? [])])) as Record<ImportPart, Summary>;
  return {
    runs: PROFILE_RUNS,
    intervalUs: PROFILE_INTERVAL_US,
    bundles: {
      launchFloor: summarise('launchFloor'),
      launch: summarise('launch'),
      watchFloor: summarise('watchFloor'),
      watch: summarise('watch'),
    },
  };
}

async function decideSection(): Promise<DecideResult> {
  const withParse: number[] = [];
  const decideOnly: number[] = [];
  let info = { total: 0, batches: DECIDE_BATCHES, kinds: 0, decisions: {} as Record<string, number> };
  for (let p = 0; p < DECIDE_PROCESSES; p++) {
    const out = await runScript<{
      total: number;
      batches: number;
      kinds: number;
      decisions: Record<string, number>;
      parseAndDecide: number[];
      decideAlone: number[];
    }>('decide.ts', [String(DECIDE_EVENTS), String(DECIDE_BATCHES)]);
    withParse.push(...out.parseAndDecide);
    decideOnly.push(...out.decideAlone);
    info = out;
  }
  return {
    processes: DECIDE_PROCESSES,
    batches: info.batches,
    events: info.total,
    kinds: info.kinds,
    decisions: info.decisions,
    parseAndDecideUs: summary(withParse),
    decideAloneUs: summary(decideOnly),
  };
}

async function reactionSection(): Promise<ReactionResult> {
  const decided: number[] = [];
  const recorded: number[] = [];
  const exited: number[] = [];
  const alone: number[] = [];
  let app = '';
  let spanStart: ReactionResult['spanStart'];
  for (let p = 0; p < REACTION_PROCESSES; p++) {
    const out = await runScript<{ app: string; spanStart?: 'last-write'; samples: ReactionSample[] }>('reaction.ts', [
      workDir,
      String(REACTION_MIGRATIONS),
    ]);
    app = out.app;
    spanStart = out.spanStart;
    for (const sample of out.samples) {
      decided.push(sample.decidedMs);
      recorded.push(sample.recordedMs);
      exited.push(sample.exitedMs);
      alone.push(sample.aloneClosedMs);
    }
  }
  return {
    app,
    processes: REACTION_PROCESSES,
    migrationsPerProcess: REACTION_MIGRATIONS,
    ...(spanStart !== undefined ? { spanStart } : {}),
    decidedMs: summary(decided),
    recordedMs: summary(recorded),
    exitedMs: summary(exited),
    aloneClosedMs: summary(alone),
  };
}

/** `npm start` as the README runs it, on a fresh state directory each time. */
async function demoSection(): Promise<DemoResult> {
  const npm = process.env.npm_execpath;
  const [command, prefix] = npm?.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  const wall: number[] = [];
  const firstLine: number[] = [];
  for (let i = 0; i < DEMO_RUNS; i++) {
    const stateDir = join(workDir, `demo-${i}`);
    await rm(stateDir, { recursive: true, force: true });
    let first: number | undefined;
    const started = wallClock();
    const result = await run(command, [...prefix, 'start', '--silent', '--', '--state-dir', stateDir], {
      cwd: root,
      timeoutMs: 180_000,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      onLine: (line, at) => {
        if (first === undefined && line.includes('│')) first = at - started;
      },
    });
    await rm(stateDir, { recursive: true, force: true });
    if (result.code !== 0) throw new Error(`npm start run ${i + 1} exited with ${result.code}: ${failureReason(result)}`);
    if (first === undefined) throw new Error('npm start printed no migration output line (none with the task-output prefix "│")');
    wall.push(result.ms);
    firstLine.push(first);
  }
  return {
    runs: DEMO_RUNS,
    command: 'npm start -- --state-dir <fresh dir>',
    wallMs: summary(wall),
    firstMigrationLineMs: summary(firstLine),
  };
}

const started = performance.now();
await mkdir(workDir, { recursive: true });
const results: Results = { machine: machine() };
const bundle = await section('bundle size', () => buildBundles(workDir));
results.bundle = bundle;
results.coldInit = await section('cold init', () => {
  if (!isMeasured(bundle)) throw new Error('no bundles to import (the bundle section failed)');
  return coldInit(bundle);
});
results.decide = await section('decision cost', decideSection);
results.awsCalls = await section('AWS requests per migration (moto)', () => {
  if (!isMeasured(bundle)) throw new Error('no bundles to run (the bundle section failed)');
  return runScript<AwsCallsResult>('aws-calls.ts', [join(root, bundle.files.launch), join(root, bundle.files.watch)]);
});
results.reaction = await section('reaction latency (local mode)', reactionSection);
results.demo = await section('npm start', demoSection);
results.machine.loadAverageAtEnd = loadNow();
results.machine.benchSeconds = Math.round((performance.now() - started) / 100) / 10;

await writeFile(join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
await writeFile(join(root, 'BENCHMARKS.md'), renderMarkdown(results));
log(`wrote bench/results.json and BENCHMARKS.md in ${results.machine.benchSeconds} s`);
