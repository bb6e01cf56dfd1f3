import { describe, expect, it } from 'vitest';
import type { AwsCallsResult } from '../../bench/aws-calls.js';
import type { BundleResult } from '../../bench/bundle.js';
import { type Results, renderMarkdown, TARGETS } from '../../bench/lib/report.js';
import { bundleOf, calls, KB, machine, parts, timed } from './results-fixtures.js';

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

  // Was: the bench sent the push and the STOPPED event only; the RUNNING event's requests were in no row.
  it("counts the task's RUNNING event in the total, not on the watcher's path, lists its requests and says how many it adds", () => {
    const running = calls(0, 3).map((c) => ({ ...c, role: 'watcher-running' }));
    const a: AwsCallsResult = {
      ...awsCalls(11, 5),
      decisions: { launcher: ['launch'], watcher: ['continue'], watcherRunning: ['record'] },
      calls: [...calls(11, 0), ...running, ...calls(0, 5)],
    };
    const md = renderMarkdown({ machine, awsCalls: a });
    expect(row(md, 'AWS requests per successful migration')).toContain(
      "19 (launcher 11 + watcher 8: 3 on the task's RUNNING event, 5 on its STOPPED event)",
    );
    expect(row(md, 'AWS requests per successful migration')).toContain('❌ missed');
    expect(row(md, "AWS requests on the watcher's path")).toContain('5 (of which');
    expect(md.split('\n').filter((line) => /^\| \d+ \| watcher \| task RUNNING \|/.test(line))).toHaveLength(3);
    expect(md.split('\n').filter((line) => /^\| \d+ \| watcher \| task STOPPED \(exit 0\) \|/.test(line))).toHaveLength(5);
    expect(md).toContain("The task's RUNNING event adds 3 requests");
    expect(md).toContain(
      "issue 14's baseline counted the push and the STOPPED event only, which in this run is 16 (launcher 11 + watcher 5)",
    );
  });

  it('says why a section was not measured', () => {
    const results: Results = { machine, reaction: { notMeasured: 'moto_server is not on PATH' } };
    expect(row(renderMarkdown(results), 'Reaction latency')).toContain('not measured: moto_server is not on PATH');
  });
});

describe('BENCHMARKS.md: where the import time goes', () => {
  const results: Results = {
    machine,
    bundle: bundleOf({ launchFloor: 400, watchFloor: 400, launch: 500, watch: 440 }),
    coldInit: {
      runs: 30,
      bundles: {
        launchFloor: timed(40),
        watchFloor: timed(40),
        launchParser: timed(41),
        launchValidation: timed(42),
        watchParser: timed(40.5),
        watchValidation: timed(41),
        launch: timed(48),
        watch: timed(42),
      },
      profile: {
        runs: 12,
        intervalUs: 100,
        bundles: { launchFloor: parts(16, 17), watchFloor: parts(16, 17), launch: parts(20, 18.5), watch: parts(17.6, 17.2) },
      },
    },
  };

  it("says what a missed bundle target leaves for ecs-migrate's own code", () => {
    const own = { package: 'ecs-migrate (src, handlers)', launchFloor: 0, watchFloor: 0, launch: 90 * 1024, watch: 30 * 1024 };
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

  it("tables the parts of each import against the handler's own floor", () => {
    const md = renderMarkdown(results);
    expect(row(md, 'compiling the module')).toBe(
      '| compiling the module (`compileSourceTextModule`) | 16.0 ms | 20.0 ms | +4.00 ms | 16.0 ms | 17.6 ms | +1.60 ms |',
    );
    expect(row(md, "running the bundle's code")).toContain('| +1.50 ms | 17.0 ms | 17.2 ms | +0.20 ms |');
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

describe("each handler's cold-init difference is split with a floor carrying that handler's own event parser only", () => {
  // Both handlers miss the target (50 / 40, 47 / 40). The launcher's parser floor is 3 ms over the floor, the
  // watcher's 1 ms: a split taken from one shared parser floor gives both handlers the same parser cost.
  const coldInit: ColdInit = {
    runs: 30,
    bundles: {
      launchFloor: timed(40),
      watchFloor: timed(40),
      launchParser: timed(43),
      launchValidation: timed(44),
      watchParser: timed(41),
      watchValidation: timed(41.5),
      launch: timed(50),
      watch: timed(47),
    },
  };
  const note = (md: string, name: string) => md.split('\n').find((line) => line.startsWith(`- **Cold init \`${name}\`**`)) ?? '';

  it("takes the watcher's parser, check and rest from the watcher's floor variants, and the launcher's from its own", () => {
    const md = renderMarkdown({ machine, coldInit });
    const watch = note(md, 'watch');
    expect(watch).toContain(
      'In CPU time (differences of medians; floors `bench/floor/watch-parser.ts` and `bench/floor/watch-validation.ts`), loading',
    );
    expect(watch).toContain(
      "loading only the watcher's event parser (`parseWatcherInput` and what it pulls into the bundle, such as zod/mini and the watcher's event schemas; not the other function's) adds +1.00 ms to the floor, checking the configuration at import +0.50 ms more, which leaves +5.50 ms to the rest of the watcher's code.",
    );
    expect(watch).not.toContain('launch-parser');
    const launch = note(md, 'launch');
    expect(launch).toContain(
      "loading only the launcher's event parser (`parseLauncherInput` and what it pulls into the bundle, such as zod/mini and the launcher's event schemas; not the other function's) adds +3.00 ms to the floor, checking the configuration at import +1.00 ms more, which leaves +6.00 ms to the rest of the launcher's code.",
    );
    expect(launch).not.toContain('watch-parser');
    // No sentence speaks of one parser of both functions any more.
    expect(md).not.toContain('both functions (zod/mini');
  });

  it("tables each floor variant per handler against the handler's floor", () => {
    const md = renderMarkdown({ machine, coldInit });
    expect(row(md, "Cold init of the watcher's floor plus its event parser only (`bench/floor/watch-parser.ts`): CPU time")).toContain(
      '| 41.0 ms / **41.0 ms** / 41.0 ms | 40.0 ms / **40.0 ms** / 40.0 ms | median 1.02×, min 1.02× | (informative) |',
    );
    expect(
      row(
        md,
        "Cold init of the launcher's floor plus its event parser and the configuration check at import (`bench/floor/launch-validation.ts`): import",
      ),
    ).toContain('| 44.0 ms / **44.0 ms** / 44.0 ms |');
    // Two measures (import, CPU time) × two handlers × two variants.
    expect(md.split('\n').filter((line) => /^\| Cold init of the (launcher|watcher)'s floor plus/.test(line))).toHaveLength(8);
  });

  it('renders results written before the per-handler variants (bench/results.json through bench/render.ts): "not measured", no split', () => {
    // The old shape: one parser floor with both functions' parsers, under keys the report no longer reads.
    const old = JSON.parse(
      JSON.stringify({
        ...coldInit,
        bundles: {
          launchFloor: timed(40),
          watchFloor: timed(40),
          floorWithParser: timed(41),
          floorWithValidation: timed(42),
          launch: timed(50),
          watch: timed(47),
        },
      }),
    ) as ColdInit;
    const md = renderMarkdown({ machine, coldInit: old });
    expect(row(md, "Cold init of the watcher's floor plus its event parser only")).toContain(
      'not measured: these results have no timings of it (written before it was added)',
    );
    const watch = note(md, 'watch');
    expect(watch).toContain(
      "How that splits between the watcher's event parser, the configuration check and the rest of its code is not measured in these results (no timings of `bench/floor/watch-parser.ts` and `bench/floor/watch-validation.ts`).",
    );
    expect(watch).toContain("the median import differs from the floor's by +7.00 ms of wall time");
  });
});

describe('the missed-bundle note splits the difference into parts that add up', () => {
  // launch is 100 KB larger than the floor: +90 own code, +30 zod, and −20 of a client only the floor carries.
  const bundle: BundleResult = bundleOf({ launchFloor: 400, watchFloor: 400, launch: 500, watch: 400 }, [
    { package: 'ecs-migrate (src, handlers)', launchFloor: 0, watchFloor: 0, launch: 90 * KB, watch: 0 },
    { package: 'zod', launchFloor: 0, watchFloor: 0, launch: 30 * KB, watch: 0 },
    { package: '@aws-sdk/client-cloudwatch-logs', launchFloor: 20 * KB, watchFloor: 20 * KB, launch: 0, watch: 20 * KB },
    { package: '@smithy/core', launchFloor: 310 * KB, watchFloor: 310 * KB, launch: 310 * KB, watch: 310 * KB },
  ]);

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
