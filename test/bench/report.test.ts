import { describe, expect, it } from 'vitest';
import type { AwsCallsResult } from '../../bench/aws-calls.js';
import type { BundleResult } from '../../bench/bundle.js';
import type { AwsCall } from '../../bench/lib/aws-requests.js';
import { type Results, renderMarkdown, TARGETS } from '../../bench/lib/report.js';

const machine = {
  cores: 2,
  memoryGiB: 8,
  cpu: 'test',
  node: 'v20',
  platform: 'linux-x64',
  date: '2026-11-30T00:00:00Z',
  loadAverageAtStart: 0,
};

function calls(launcher: number, watcher: number): AwsCall[] {
  const call = (role: string, i: number): AwsCall => ({
    role,
    api: `ecs:Op${i}`,
    detail: '',
    purpose: 'p',
    idempotency: false,
    status: 200,
  });
  return [
    ...Array.from({ length: launcher }, (_, i) => call('launcher', i)),
    ...Array.from({ length: watcher }, (_, i) => call('watcher', i)),
  ];
}

function awsCalls(launcher: number, watcher: number, rolledOut = true): AwsCallsResult {
  return { rolledOut, decisions: { launcher: ['launch'], watcher: ['continue'] }, initRequests: 0, calls: calls(launcher, watcher) };
}

/** The table row whose first cell starts with `measure`. */
function row(markdown: string, measure: string): string {
  return markdown.split('\n').find((line) => line.startsWith(`| ${measure}`)) ?? '';
}

describe('BENCHMARKS.md from results', () => {
  it('checks the AWS request targets: the total and the watcher path each pass or fail on their own', () => {
    const within = renderMarkdown({
      machine,
      awsCalls: awsCalls(TARGETS.awsCallsTotal - TARGETS.awsCallsWatcher, TARGETS.awsCallsWatcher),
    });
    expect(row(within, 'AWS requests per successful migration')).toContain('✅ met');
    expect(row(within, "AWS requests on the watcher's path")).toContain('✅ met');

    const over = renderMarkdown({ machine, awsCalls: awsCalls(8, TARGETS.awsCallsWatcher + 1) });
    expect(row(over, 'AWS requests per successful migration')).toContain('✅ met');
    expect(row(over, "AWS requests on the watcher's path")).toContain('❌ missed');
    expect(over).toContain(`${TARGETS.awsCallsWatcher + 1} on the watcher's path (1 over the target)`);
  });

  it('never passes a migration that did not roll out, and lists every request', () => {
    const md = renderMarkdown({ machine, awsCalls: awsCalls(3, 2, false) });
    expect(row(md, 'AWS requests per successful migration')).toContain('❌ missed');
    expect(md.split('\n').filter((line) => /^\| \d+ \| (launcher|watcher) \|/.test(line))).toHaveLength(5);
  });

  it("lists the requests after the rollout (the completed event, the timeout check) apart from the success path's target", () => {
    const later = (role: string, n: number, decisions: string[]) => ({
      decisions,
      calls: calls(n, 0).map((c) => ({ ...c, role })),
    });
    const a = {
      ...awsCalls(11, 5),
      later: { completed: later('completed', 5, ['record']), timeoutCheck: later('timeout-check', 2, ['ignore']) },
    };
    const md = renderMarkdown({ machine, awsCalls: a });
    expect(row(md, 'AWS requests per successful migration')).toContain('16 (launcher 11 + watcher 5)');
    expect(row(md, 'AWS requests after the rollout')).toContain('7 (completed: 5, record; timeout check: 2, ignore)');
    expect(md.split('\n').filter((line) => /^\| \d+ \| (completed|timeout-check) \|/.test(line))).toHaveLength(7);
  });

  it('says why a section was not measured', () => {
    const results: Results = { machine, reaction: { notMeasured: 'moto_server is not on PATH' } };
    expect(row(renderMarkdown(results), 'Reaction latency')).toContain('not measured: moto_server is not on PATH');
  });
});

describe('BENCHMARKS.md: where the import time goes', () => {
  const summary = (median: number) => ({ n: 12, min: median, median, max: median });
  const timed = (cpu: number) => ({ importMs: summary(cpu), cpuMs: summary(cpu), processMs: summary(cpu + 30) });
  const parts = (compile: number, run: number) => ({ compile: summary(compile), run: summary(run), gc: summary(2), rest: summary(25) });
  const results: Results = {
    machine,
    bundle: {
      settingsFrom: 'infra/esbuild-settings.mjs',
      settingsSummary: 'minify: true',
      files: { floor: 'f', floorWithParser: 'p', floorWithValidation: 'v', launch: 'l', watch: 'w' },
      sizes: { floor: { raw: 400 * 1024, gzip: 1 }, launch: { raw: 500 * 1024, gzip: 1 }, watch: { raw: 440 * 1024, gzip: 1 } },
      composition: [],
    },
    coldInit: {
      runs: 30,
      bundles: { floor: timed(40), floorWithParser: timed(41), floorWithValidation: timed(42), launch: timed(48), watch: timed(42) },
      profile: { runs: 12, intervalUs: 100, bundles: { floor: parts(16, 17), launch: parts(20, 18.5), watch: parts(17.6, 17.2) } },
    },
  };

  it("says what a missed bundle target leaves for ecs-migrate's own code", () => {
    const own = { package: 'ecs-migrate (src, handlers)', floor: 0, launch: 90 * 1024, watch: 30 * 1024 };
    const bundle = { ...(results.bundle as BundleResult), composition: [own] };
    const md = renderMarkdown({ ...results, bundle });
    const launch = md.split('\n').find((line) => line.startsWith('- **Bundle `launch`**')) ?? '';
    // 500 KB, 90 of them its own: 410 KB without; 1.2 × 400 = 480 KB leaves 70 KB for its own code.
    expect(launch).toContain(
      "Without ecs-migrate's own code (90.0 KB) it would be 410.0 KB, 1.02× the floor, so the target leaves 70.0 KB for that code.",
    );
    // The watcher (1.1×) meets its target: no note.
    expect(md).not.toContain('- **Bundle `watch`**');
  });

  it('tables the parts of each import against the floor', () => {
    const md = renderMarkdown(results);
    expect(row(md, 'compiling the module')).toBe(
      '| compiling the module (`compileSourceTextModule`) | 16.0 ms | 20.0 ms | 17.6 ms | +4.00 ms | +1.60 ms |',
    );
    expect(row(md, "running the bundle's code")).toContain('| +1.50 ms | +0.20 ms |');
  });

  it('puts a missed cold-init target in numbers: the extra compile time per extra KB', () => {
    const md = renderMarkdown(results);
    const launch = md.split('\n').find((line) => line.startsWith('- **Cold init `launch`**')) ?? '';
    // 4 ms for 100 KB more than the floor; the floor: 16 ms for 400 KB.
    expect(launch).toContain("compiling the module takes 20.0 ms against the floor's 16.0 ms: +4.00 ms (40.00 µs per KB");
    expect(launch).toContain("the floor's module compiles at 40.00 µs per KB");
    // The watcher meets its target (42 / 40 = 1.05): no note.
    expect(md).not.toContain('- **Cold init `watch`**');
  });

  it('renders results written before the profile existed', () => {
    const { profile: _, ...withoutProfile } = results.coldInit as NonNullable<ColdInit>;
    expect(renderMarkdown({ ...results, coldInit: withoutProfile })).not.toContain("## Where an import's CPU time goes");
  });
});

type ColdInit = Exclude<Results['coldInit'], { notMeasured: string }>;

describe('the missed-bundle note splits the difference into parts that add up', () => {
  const KB = 1024;
  // launch is 100 KB larger than the floor: +90 own code, +30 zod, and −20 of a client only the floor carries.
  const bundle: BundleResult = {
    settingsFrom: 'infra/esbuild-settings.mjs',
    settingsSummary: 'minify: true',
    files: { floor: 'f', floorWithParser: 'p', floorWithValidation: 'v', launch: 'l', watch: 'w' },
    sizes: { floor: { raw: 400 * KB, gzip: 1 }, launch: { raw: 500 * KB, gzip: 1 }, watch: { raw: 400 * KB, gzip: 1 } },
    composition: [
      { package: 'ecs-migrate (src, handlers)', floor: 0, launch: 90 * KB, watch: 0 },
      { package: 'zod', floor: 0, launch: 30 * KB, watch: 0 },
      { package: '@aws-sdk/client-cloudwatch-logs', floor: 20 * KB, launch: 0, watch: 20 * KB },
      { package: '@smithy/core', floor: 310 * KB, launch: 310 * KB, watch: 310 * KB },
    ],
  };

  it('lists what the handler carries more and what only the floor carries, adding up to the difference', () => {
    const md = renderMarkdown({ machine, bundle } as Results);
    const note = md.split('\n').find((line) => line.startsWith('- **Bundle `launch`**')) ?? '';
    // It said "153.3 KB more, of which … 109.6 KB, zod 29.5 KB, … 26.2 KB, … 1.9 KB, … 1.8 KB" (169.0 KB), leaving
    // out what the floor carries and the handler does not (CloudWatch Logs, −17.4 KB).
    const match = /: ([\d.]+) KB more: (.*?) more, less what only the floor carries: (.*?) \(/.exec(note);
    expect(match, note).not.toBeNull();
    const sum = (text: string) => [...text.matchAll(/ ([\d.]+) KB/g)].reduce((a, m) => a + Number(m[1]), 0);
    expect(sum(match?.[2] ?? '') - sum(match?.[3] ?? '')).toBeCloseTo(Number(match?.[1]), 1);
  });
});
