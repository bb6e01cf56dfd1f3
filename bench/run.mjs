#!/usr/bin/env node
/**
 * `npm run bench`: measures ecs-migrate on this machine, each number side by side with a floor measured in the
 * same run, and writes bench/results.json and BENCHMARKS.md. It reports and never fails: a section that cannot
 * run here says "not measured" and why, and the exit code is 0 even when a target is missed.
 *
 * Sections (each also runnable alone, see the files): bundle size (bench/bundle.mjs), cold init
 * (bench/lib/import-once.mjs in fresh processes), decision cost (bench/decide.ts), AWS calls per migration
 * against moto (bench/aws-calls.ts), reaction latency in local mode (bench/reaction.ts), local demo wall time.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderMarkdown } from './lib/report.mjs';
import { failureReason, lastJsonLine, loadNow, machine, run, summary } from './lib/stats.mjs';

const root = join(import.meta.dirname, '..');
const workDir = join(import.meta.dirname, '.work');
const tsx = ['--no-warnings', '--import', 'tsx'];

const COLD_INIT_RUNS = 20;
const DECIDE_PROCESSES = 3;
const DECIDE_EVENTS = 100_000;
const REACTION_PROCESSES = 4;
const REACTION_MIGRATIONS = 5;
const DEMO_RUNS = 3;

/** What the handler bundles need at import: the configuration contract (README "Configuration") and a region. */
const HANDLER_ENV = {
  ENVIRONMENT: 'staging',
  CLUSTER: 'shop-staging',
  SERVICE: 'shop-api',
  CONTAINER: 'app',
  REPOSITORY: 'shop-api',
  DEPLOYMENTS_TABLE: 'ecs-migrate-staging-deployments',
  IDEMPOTENCY_TABLE: 'ecs-migrate-staging-idempotency',
  EVENT_BUS: 'ecs-migrate-staging',
  SCHEDULER_GROUP: 'ecs-migrate-staging',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/ecs-migrate-staging-scheduler',
  WATCH_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-watch',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  POWERTOOLS_LOG_LEVEL: 'WARN',
};

function log(line) {
  process.stderr.write(`[bench] ${line}\n`);
}

/** Runs one section; whatever goes wrong becomes "not measured: why". */
async function section(name, fn) {
  const started = performance.now();
  log(`${name}…`);
  try {
    const result = await fn();
    log(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    log(`${name}: not measured: ${why}`);
    return { notMeasured: why.split('\n')[0].slice(0, 300) };
  }
}

async function bundleSection() {
  const { buildBundles } = await import('./bundle.mjs');
  return buildBundles(workDir);
}

/** Imports each bundle in a fresh Node process, interleaved so drift on the machine hits every bundle alike. */
async function coldInitSection(bundles) {
  if (bundles?.files === undefined) throw new Error(`no bundles to import (${bundles?.notMeasured ?? 'bundle section failed'})`);
  // No inherited NODE_OPTIONS (e.g. --enable-source-maps): the bundles start as Lambda starts them.
  const env = { ...process.env, ...HANDLER_ENV, NODE_OPTIONS: '' };
  const names = Object.keys(bundles.files);
  const times = Object.fromEntries(names.map((n) => [n, { importMs: [], processMs: [] }]));
  for (let i = -1; i < COLD_INIT_RUNS; i++) {
    for (const name of names) {
      const result = await run(process.execPath, [join(import.meta.dirname, 'lib', 'import-once.mjs'), bundles.files[name]], {
        env,
        timeoutMs: 30_000,
      });
      const out = lastJsonLine(result.stdout);
      if (result.code !== 0 || out === undefined) throw new Error(`importing ${name} failed: ${failureReason(result)}`);
      if (i < 0) continue; // first round warms the file cache, not counted
      times[name].importMs.push(out.importMs);
      times[name].processMs.push(result.ms);
    }
  }
  const out = { runs: COLD_INIT_RUNS, nodeOptions: env.NODE_OPTIONS, bundles: {} };
  for (const name of names) out.bundles[name] = { importMs: summary(times[name].importMs), processMs: summary(times[name].processMs) };
  const floor = out.bundles.floor.importMs.median;
  for (const name of names) out.bundles[name].ratio = out.bundles[name].importMs.median / floor;
  return out;
}

/** Runs a bench script (TypeScript, with tsx) in a child process; its last stdout line is its JSON result. */
async function runScript(script, args = []) {
  const result = await run(process.execPath, [...tsx, join(import.meta.dirname, script), ...args], { cwd: root, timeoutMs: 120_000 });
  const out = lastJsonLine(result.stdout);
  if (result.code !== 0 || out === undefined) throw new Error(`bench/${script} failed: ${failureReason(result)}`);
  return out;
}

async function decideSection() {
  const withParse = [];
  const decideOnly = [];
  const perProcess = [];
  let info;
  for (let p = 0; p < DECIDE_PROCESSES; p++) {
    const out = await runScript('decide.ts', [String(DECIDE_EVENTS), '20']);
    withParse.push(...out.parseAndDecide);
    decideOnly.push(...out.decideAlone);
    perProcess.push({ parseAndDecide: summary(out.parseAndDecide).median, decideAlone: summary(out.decideAlone).median });
    info = { events: out.total, batches: out.batches, kinds: out.kinds, decisions: out.decisions };
  }
  return { processes: DECIDE_PROCESSES, ...info, parseAndDecideUs: summary(withParse), decideAloneUs: summary(decideOnly), perProcess };
}

async function awsCallsSection() {
  return runScript('aws-calls.ts');
}

async function reactionSection() {
  const decided = [];
  const recorded = [];
  for (let p = 0; p < REACTION_PROCESSES; p++) {
    const out = await runScript('reaction.ts', [workDir, String(REACTION_MIGRATIONS)]);
    for (const s of out.samples) {
      decided.push(s.decidedMs);
      recorded.push(s.recordedMs);
    }
  }
  return {
    processes: REACTION_PROCESSES,
    migrationsPerProcess: REACTION_MIGRATIONS,
    decidedMs: summary(decided),
    recordedMs: summary(recorded),
  };
}

/** `npm start` as the README runs it, on a fresh state directory each time. */
async function demoSection() {
  const wall = [];
  for (let i = 0; i < DEMO_RUNS; i++) {
    const stateDir = join(workDir, `demo-${i}`);
    await rm(stateDir, { recursive: true, force: true });
    const result = await run(
      process.execPath,
      [...tsx, 'cli/main.ts', 'local', '--app', 'examples/app', '--state-dir', stateDir, '--json'],
      { cwd: root, timeoutMs: 120_000 },
    );
    await rm(stateDir, { recursive: true, force: true });
    const out = (() => {
      try {
        return JSON.parse(result.stdout);
      } catch {
        return undefined;
      }
    })();
    if (result.code !== 0 || out?.outcome !== 'continued')
      throw new Error(`local demo run ${i + 1} did not continue the rollout (exit ${result.code}): ${failureReason(result)}`);
    wall.push(result.ms);
  }
  return {
    runs: DEMO_RUNS,
    command: 'node --import tsx cli/main.ts local --app examples/app --state-dir <fresh dir>',
    wallMs: summary(wall),
  };
}

const started = performance.now();
await mkdir(workDir, { recursive: true });
const results = { machine: machine() };
results.bundle = await section('bundle size', bundleSection);
results.coldInit = await section('cold init', () => coldInitSection(results.bundle));
results.decide = await section('decision cost', decideSection);
results.awsCalls = await section('AWS calls per migration (moto)', awsCallsSection);
results.reaction = await section('reaction latency (local mode)', reactionSection);
results.demo = await section('local demo wall time', demoSection);
results.machine.loadAverageAtEnd = loadNow();
results.machine.benchSeconds = Math.round((performance.now() - started) / 100) / 10;

await writeFile(join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
await writeFile(join(root, 'BENCHMARKS.md'), renderMarkdown(results));
log(`wrote bench/results.json and BENCHMARKS.md in ${results.machine.benchSeconds} s`);
