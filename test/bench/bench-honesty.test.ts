/**
 * The benchmark says what its numbers show: each handler against a floor of its own dependencies, wording that
 * follows the sign of a difference, ratios that never read as a target they miss, totals and verdicts that count every
 * request the run saw, and request purposes read from the requests themselves and their order.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AwsCallsResult } from '../../bench/aws-calls.js';
import { FLOORS, floorOf, HANDLERS } from '../../bench/bundle.js';
import { type AwsCall, identify, inOrder } from '../../bench/lib/aws-requests.js';
import type { SeenRequest } from '../../bench/lib/counting-proxy.js';
import { type Results, renderMarkdown, TARGETS } from '../../bench/lib/report.js';
import { lambdaFunctions } from '../../infra/esbuild-settings.mjs';
import { bundleInputs } from './bundle-inputs.js';
import { bundleOf, calls, machine, parts, summary, timed } from './results-fixtures.js';

const _root = join(import.meta.dirname, '..', '..');

/** The table row whose first cell starts with `measure`, split into its cells. */
function cells(markdown: string, measure: string): string[] {
  const line = markdown.split('\n').find((l) => l.startsWith(`| ${measure}`)) ?? '';
  return line.split(' | ').map((c) => c.replace(/^\| |\s\|$/g, ''));
}

/** The node_modules packages (over 512 bytes) in an esbuild build of `entry` with the handlers' settings. */
async function packagesOf(entry: string): Promise<Set<string>> {
  const bytes = await bundleInputs(entry, (input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1]);
  return new Set([...bytes].filter(([, n]) => n > 512).map(([name]) => name));
}

describe("each handler is divided by a floor of that handler's own dependencies", () => {
  // One floor of both functions' dependencies divided the watcher by Powertools Idempotency, its JMESPath and the ECR
  // client (~63 KB it never carries: 1.17× "met" where its own floor gives 1.38×), the launcher by CloudWatch Logs.
  it.each(HANDLERS)(
    "%s: its floor carries no package the handler's bundle lacks, and every SDK client it has",
    async (name) => {
      const entry = lambdaFunctions.find((f) => f.outfile === `dist/${name}/index.mjs`)?.entryPoint ?? '';
      const [handler, floor] = await Promise.all([packagesOf(entry), packagesOf(FLOORS[floorOf(name)])]);
      expect([...floor].filter((p) => !handler.has(p))).toEqual([]);
      const clients = (set: Set<string>) => [...set].filter((p) => /^@aws-sdk\/client-|^@aws-lambda-powertools\//.test(p)).sort();
      expect(clients(floor)).toEqual(clients(handler));
    },
    60_000,
  );

  it("divides each handler's bundle and import by its own floor's", () => {
    const md = renderMarkdown({
      machine,
      bundle: bundleOf({ launchFloor: 470, watchFloor: 410, launch: 640, watch: 566 }),
      coldInit: {
        runs: 30,
        bundles: { launchFloor: timed(40), watchFloor: timed(36), launch: timed(47), watch: timed(44) },
      },
    } as Results);
    expect(cells(md, 'Bundle size, `dist/watch/index.mjs`')[3]).toMatch(/^1\.38× /);
    expect(cells(md, 'Bundle size, `dist/launch/index.mjs`')[3]).toMatch(/^1\.36× /);
    expect(cells(md, 'Cold init of `dist/watch` in a fresh process: import')[3]).toBe('median 1.22×, min 1.22×');
  });
});

// The cold-init note said "Its bundle is X KB larger than the floor's" and "(µs per KB the bundle has over the floor's)"
// whatever the sign: a handler whose bundle is smaller than its floor was "−10.0 KB larger".
describe('the cold-init note follows the sign of the bundle difference', () => {
  it('does not call a bundle smaller than the floor "larger", nor count "KB the bundle has over the floor\'s" when it has fewer', () => {
    const results: Results = {
      machine,
      // The watcher's bundle is 10 KB smaller than the floor's; its import is still 1.10× the floor's.
      bundle: bundleOf({ launchFloor: 480, watchFloor: 480, launch: 500, watch: 470 }),
      coldInit: {
        runs: 30,
        bundles: {
          launchFloor: timed(40),
          watchFloor: timed(40),
          launchParser: timed(41),
          launchValidation: timed(41.5),
          watchParser: timed(42),
          watchValidation: timed(42.5),
          launch: timed(42),
          watch: timed(44),
        },
        profile: {
          runs: 12,
          intervalUs: 100,
          bundles: { launchFloor: parts(16, 15), watchFloor: parts(16, 15), launch: parts(16.5, 15.5), watch: parts(17, 17) },
        },
      },
    };
    const md = renderMarkdown(results);
    const note = md.split('\n').find((line) => line.startsWith('- **Cold init `watch`**')) ?? '';
    expect(note).not.toBe('');
    // Was: "Its bundle is -10.0 KB larger than the floor's (0.98×)" and "(-100.00 µs per KB the bundle has over the floor's".
    expect(note).not.toMatch(/-[\d.]+ KB larger/);
    expect(note).not.toMatch(/-[\d.]+ µs per KB the bundle has over/);
  });
});

// Was: the cold-init split of a handler's CPU-time gap (parser floor, configuration check, rest) used fixed words
// whatever the sign of each part: "adds −1.00 ms to the floor", "checking the configuration at import −0.50 ms more"
// (the committed BENCHMARKS.md itself read "−0.23 ms more").
describe('the cold-init split follows the sign of each part', () => {
  type ColdInit = Exclude<Results['coldInit'], { notMeasured: string } | undefined>;
  const note = (md: string, name: string) => md.split('\n').find((line) => line.startsWith(`- **Cold init \`${name}\`**`)) ?? '';
  // The launcher misses (44 / 40 = 1.10). Its parser floor is 42 (+2 ms), its validation floor 41.5: the configuration
  // check measured 0.5 ms *less* than the parser floor alone (noise).
  const coldInit: ColdInit = {
    runs: 30,
    bundles: {
      launchFloor: timed(40),
      watchFloor: timed(40),
      launchParser: timed(42),
      launchValidation: timed(41.5),
      watchParser: timed(40.5),
      watchValidation: timed(41),
      launch: timed(44),
      watch: timed(41),
    },
  };

  it('does not say "−0.50 ms more" for a configuration check that measured less than the parser floor', () => {
    const launch = note(renderMarkdown({ machine, coldInit }), 'launch');
    expect(launch).not.toBe('');
    expect(launch).not.toMatch(/[−-]\d[\d.]* ms more/);
    expect(launch).toContain('adds +2.00 ms to the floor, checking the configuration at import 0.50 ms less, which leaves +2.50 ms');
  });

  it('does not say a parser floor that measured under the floor "adds −x ms to the floor"', () => {
    const md = renderMarkdown({
      machine,
      coldInit: { ...coldInit, bundles: { ...coldInit.bundles, launchParser: timed(39), launchValidation: timed(39.5) } },
    });
    const launch = note(md, 'launch');
    expect(launch).not.toBe('');
    expect(launch).not.toMatch(/adds [−-]\d/);
    expect(launch).toContain('measures 1.00 ms less than the floor, checking the configuration at import +0.50 ms more');
  });

  it('does not say "leaves −x ms to the rest" when the handler measured under its floor with the check', () => {
    const md = renderMarkdown({
      machine,
      coldInit: { ...coldInit, bundles: { ...coldInit.bundles, launchParser: timed(44.5), launchValidation: timed(45) } },
    });
    const launch = note(md, 'launch');
    expect(launch).not.toMatch(/leaves [−-]\d/);
    expect(launch).toContain('the launcher itself measures 1.00 ms less than that floor, which leaves nothing to the rest of its code');
  });
});

// Was: the reaction note said the process "fires its `exit` event -5.11 ms after its last line" when the exit came
// before the span's start (BENCHMARKS.md's own run had -0.34 ms / -0.11 ms / 0.08 ms; bench/reaction.ts alone gave
// -5.1, -5.5 and -1.2 ms while the span started at the controller's read of the last line).
describe('the reaction-latency note follows the sign of the exit time', () => {
  it('does not say the process exits "-x ms after its last line"', () => {
    const results: Results = {
      machine,
      reaction: {
        app: 'examples/app',
        processes: 2,
        migrationsPerProcess: 3,
        decidedMs: summary(10, 6),
        recordedMs: summary(53, 6),
        exitedMs: { n: 6, min: -5.46, median: -5.11, max: -1.16 },
        aloneClosedMs: summary(5.4, 6),
      },
    };
    const md = renderMarkdown(results);
    const note = md.split('\n').find((line) => line.startsWith('- **Reaction latency**')) ?? '';
    expect(note).not.toBe('');
    expect(note).not.toMatch(/-[\d.]+ ms after its last line/);
    expect(note).toContain('5.11 ms before its last line');
  });
});

// Was: x() added a third decimal "when two would round it onto a target it misses" (1.202× is not 1.20×), but three
// decimals round 1.0804 onto 1.080×: the row read "median 1.080×", target "≤ 1.08× floor", "❌ missed".
describe('a ratio shown next to a missed target is not shown equal to the target', () => {
  it('a median 1.0804× the floor, a missed target, is not printed as 1.080×', () => {
    const floor = timed(40);
    const handler = timed(40 * 1.0804);
    const md = renderMarkdown({
      machine,
      coldInit: { runs: 30, bundles: { launchFloor: floor, watchFloor: floor, launch: handler, watch: floor } },
    } as Results);
    const row = cells(md, 'Cold init of `dist/launch` in a fresh process: import');
    expect(row[5]).toBe('❌ missed');
    const shown = [...(row[3] ?? '').matchAll(/([\d.]+)×/g)].map((m) => Number(m[1]));
    expect(shown.length).toBe(2);
    // Every ratio the row shows for a missed "≤ 1.08×" target must read above 1.08.
    for (const ratio of shown) expect(ratio, row[3]).toBeGreaterThan(TARGETS.initRatio);
  });

  it('a ratio a hair above its target still reads above it', () => {
    const floor = timed(40);
    const md = renderMarkdown({
      machine,
      coldInit: {
        runs: 30,
        bundles: { launchFloor: floor, watchFloor: floor, launch: timed(40 * (TARGETS.initRatio + 1e-9)), watch: floor },
      },
    } as Results);
    const row = cells(md, 'Cold init of `dist/launch` in a fresh process: import');
    const shown = [...(row[3] ?? '').matchAll(/([\d.]+)×/g)].map((m) => Number(m[1]));
    for (const ratio of shown) expect(ratio, row[3]).toBeGreaterThan(TARGETS.initRatio);
  });
});

// Was: when only a handler's minimum import missed "≤ 1.08× the floor (median and minimum)", the note spoke of the
// medians alone ("within 1.08× would be 43.2 ms and 43.2 ms", which the median 42.0 ms already was), never of the
// minimum that missed (40.0 ms against 35.0 ms, 1.14×): it explained a miss with numbers that all met the target.
describe('a cold-init miss on the minimum alone is explained with the minimum', () => {
  const s = (min: number, median: number, max: number, n = 30) => ({ n, min, median, max });
  const timedAs = (v: ReturnType<typeof s>) => ({ importMs: v, cpuMs: v, processMs: v });
  const floors = { launchFloor: timedAs(s(35, 40, 45)), watchFloor: timedAs(s(35, 40, 45)), watch: timedAs(s(35, 40, 45)) };
  // The launcher: median 42 / 40 = 1.05 (met), minimum 40 / 35 = 1.14 (missed).
  const results: Results = { machine, coldInit: { runs: 30, bundles: { ...floors, launch: timedAs(s(40, 42, 46)) } } };

  it('the row misses, and the note gives the minimum that missed and what within 1.08× would be for it', () => {
    const md = renderMarkdown(results);
    const row = cells(md, 'Cold init of `dist/launch` in a fresh process: import');
    expect(row[3]).toBe('median 1.05×, min 1.14×');
    expect(row[5]).toBe('❌ missed');
    const note = md.split('\n').find((l) => l.startsWith('- **Cold init `launch`**')) ?? '';
    expect(note).toContain(
      "The minimum import takes 40.0 ms of wall time and 40.0 ms of CPU time against the floor's minimum 35.0 ms and 35.0 ms (1.14× and 1.14×: +5.00 ms and +5.00 ms); within 1.08× would be 37.8 ms and 37.8 ms.",
    );
  });

  it('says nothing of the minimums when they meet the target (a miss on the median alone)', () => {
    // The launcher: median 45 / 40 = 1.125 (missed), minimum 36 / 35 = 1.03 (met).
    const md = renderMarkdown({ machine, coldInit: { runs: 30, bundles: { ...floors, launch: timedAs(s(36, 45, 46)) } } });
    const note = md.split('\n').find((l) => l.startsWith('- **Cold init `launch`**')) ?? '';
    expect(note).toContain("the median import differs from the floor's by +5.00 ms");
    expect(note).not.toContain('minimum');
  });
});

// Was: aws-calls.ts counted the requests sent while the bundles were imported (module scope) apart (`initRequests`):
// the details said how many, but the total and its verdict left them out.
describe('the AWS request target counts every request the run saw', () => {
  it('a run that sent 2 requests at import and 15 in the handlers is not "met" for "≤ 16"', () => {
    const awsCalls: AwsCallsResult = {
      rolledOut: true,
      decisions: { launcher: ['launch', 'record'], watcher: ['continue', 'record'] },
      initRequests: 2,
      calls: calls(10, 5),
    };
    const md = renderMarkdown({ machine, awsCalls });
    expect(md).toContain('Requests while the bundles were imported: 2');
    expect(cells(md, 'AWS requests per successful migration')[1]).toMatch(/^17 \(at import 2 \+ /);
    expect(cells(md, 'AWS requests per successful migration')[5]).toBe('❌ missed');
  });
});

// Was: "How each number is taken" said "20 batches per process" whatever the run did.
describe('the decision cost says the batches the results give', () => {
  it('takes the batches per process from the results', () => {
    const md = renderMarkdown({
      machine,
      decide: {
        processes: 3,
        batches: 12,
        events: 100_000,
        kinds: 26,
        decisions: {},
        parseAndDecideUs: summary(27, 36),
        decideAloneUs: summary(18, 36),
      },
    });
    expect(md).toContain('12 batches per process after a warm-up');
    expect(md).not.toContain('20 batches per process');
  });
});

// Every PutEvents was said to go out "just before the commit that records them, so no outbox is left to clear",
// whatever the order the proxy saw (the completed event's comes after its commit, then the outbox is cleared); every
// CreateSchedule "deletes itself after it runs", and the timeout check's schedule too, without reading the request.

const tables = { deployments: 'ecs-migrate-staging-deployments', idempotency: 'ecs-migrate-staging-idempotency' };

/** A request as the counting proxy records it (SigV4 scope, X-Amz-Target or REST route, JSON body). */
function seen(phase: string, service: string, op: { target?: string; method?: string; path?: string }, body: unknown): SeenRequest {
  return {
    phase,
    method: op.method ?? 'POST',
    path: op.path ?? '/',
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=AKIA/20261130/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      ...(op.target !== undefined ? { 'x-amz-target': op.target } : {}),
    },
    body: JSON.stringify(body),
    status: 200,
  };
}

function withLater(completed: AwsCall[], timeoutCheck: AwsCall[]): AwsCallsResult {
  return {
    rolledOut: true,
    decisions: { launcher: ['launch', 'record'], watcher: ['continue', 'record'] },
    initRequests: 0,
    calls: [],
    later: { completed: { decisions: ['record'], calls: completed }, timeoutCheck: { decisions: ['ignore'], calls: timeoutCheck } },
  };
}

describe('request purposes are what the run shows, not fixed claims', () => {
  it('says a PutEvents followed by its commit went out before it, even after an earlier commit of the same invocation', () => {
    const item = { pk: { S: 'ENV#staging' }, sk: { S: 'DEP#20261130-1' } };
    const commit = (phase: string) =>
      seen(
        phase,
        'dynamodb',
        { target: 'DynamoDB_20120810.TransactWriteItems' },
        { TransactItems: [{ Put: { TableName: tables.deployments, Item: item } }] },
      );
    // The launcher: commit the launch, RunTask, report Migration Started, commit RunTask's answer.
    const calls = inOrder(
      [
        commit('launcher'),
        seen('launcher', 'ecs', { target: 'AmazonEC2ContainerServiceV20141113.RunTask' }, {}),
        seen('launcher', 'events', { target: 'AWSEvents.PutEvents' }, { Entries: [{ DetailType: 'Migration Started' }] }),
        commit('launcher'),
      ].map((r) => identify(r, tables)),
    );
    expect(calls[2]?.purpose).toContain('just before the commit that records them');
  });

  // Was: inOrder said "no outbox is stored" from the order of the requests alone, where src/core/commit.ts
  // withoutOutbox keeps in the environment's outbox the events a reportFirst commit does not report (`unreported`).
  it('does not say "no outbox is stored" when the commit after the PutEvents writes an outbox, and says what it stores', () => {
    const env = { pk: { S: 'ENV#staging' }, sk: { S: 'STATE' }, v: { N: '8' } };
    const outbox = { L: [{ M: { detailType: { S: 'Migration Superseded' }, detail: { M: {} } } }] };
    const calls = inOrder(
      [
        seen('watcher', 'events', { target: 'AWSEvents.PutEvents' }, { Entries: [{ DetailType: 'Migration Succeeded' }] }),
        seen(
          'watcher',
          'dynamodb',
          { target: 'DynamoDB_20120810.TransactWriteItems' },
          { TransactItems: [{ Put: { TableName: tables.deployments, Item: { ...env, outbox }, ConditionExpression: '#v = :expected' } }] },
        ),
      ].map((r) => identify(r, tables)),
    );
    expect(calls[1]?.api).toBe('dynamodb:TransactWriteItems');
    expect(calls[1]?.outbox).toEqual(['Migration Superseded']);
    expect(calls[0]?.purpose).not.toMatch(/no outbox is stored/);
    expect(calls[0]?.purpose).toContain('Migration Superseded');
  });

  it('does not say a PutEvents sent after the commit (its outbox then cleared) went out before the commit with no outbox to clear', () => {
    const dep = { pk: { S: 'ENV#staging' }, sk: { S: 'DEP#20261130-1' } };
    // The rollout-completed event as the last run saw it: commit (outbox stored), publish, clear the outbox.
    const completed = [
      seen(
        'completed',
        'dynamodb',
        { target: 'DynamoDB_20120810.TransactWriteItems' },
        {
          TransactItems: [{ Put: { TableName: tables.deployments, Item: { ...dep, outbox: { L: [] } } } }],
        },
      ),
      seen('completed', 'events', { target: 'AWSEvents.PutEvents' }, { Entries: [{ DetailType: 'Rollout Completed' }] }),
      seen(
        'completed',
        'dynamodb',
        { target: 'DynamoDB_20120810.UpdateItem' },
        {
          TableName: tables.deployments,
          Key: dep,
          UpdateExpression: 'REMOVE outbox',
        },
      ),
    ].map((r) => identify(r, tables));
    const md = renderMarkdown({ machine, awsCalls: withLater(completed, []) });
    const putEvents = md.split('\n').find((line) => /^\| \d+ \| completed \| events:PutEvents \|/.test(line)) ?? '';
    expect(putEvents).not.toBe('');
    expect(putEvents).not.toMatch(/before the commit|no outbox is left to clear/);
  });

  it('does not say a schedule deletes itself when its CreateSchedule asked for no deletion after completion', () => {
    const call = identify(
      seen(
        'launcher',
        'scheduler',
        { method: 'POST', path: '/schedules/ecs-migrate-20261130-1' },
        {
          GroupName: 'ecs-migrate-staging',
          ScheduleExpression: 'at(2026-11-30T10:00:00)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'NONE',
          Target: { Arn: 'arn:aws:lambda:us-east-1:123456789012:function:w', RoleArn: 'r', Input: '{}' },
        },
      ),
      tables,
    );
    expect(call.api).toBe('scheduler:CreateSchedule');
    expect(call.purpose).not.toMatch(/deletes itself/);
  });

  it('does not say "its schedule deletes itself" when the timeout check deleted the schedule with DeleteSchedule', () => {
    const timeoutCheck = [
      seen(
        'timeout-check',
        'dynamodb',
        { target: 'DynamoDB_20120810.BatchGetItem' },
        {
          RequestItems: { [tables.deployments]: { Keys: [{ pk: { S: 'ENV#staging' }, sk: { S: 'STATE' } }] } },
        },
      ),
      seen('timeout-check', 'scheduler', { method: 'DELETE', path: '/schedules/ecs-migrate-20261130-1?groupName=g' }, {}),
    ].map((r) => identify(r, tables));
    expect(timeoutCheck.map((c) => c.api)).toEqual(['dynamodb:BatchGetItem', 'scheduler:DeleteSchedule']);
    const md = renderMarkdown({ machine, awsCalls: withLater([], timeoutCheck) });
    expect(md).toContain('| timeout-check | scheduler:DeleteSchedule |');
    expect(md).not.toContain('its schedule deletes itself');
  });
});

// Was: with no load average at the end in the results (bench/render.ts on results written without it, or a run that
// stopped before it), the first sentence read "… of 1.6 at the start and 0.0 at the end": a number no measurement gave.
describe('the machine sentence says only what the results hold', () => {
  it('does not report a load average of 0.0 at the end when the results have none', () => {
    const md = renderMarkdown({ machine: { ...machine, loadAverageAtStart: 1.6 } });
    expect(md).toContain('1-minute load average of 1.6 at the start and ? at the end');
    expect(md).not.toContain('0.0 at the end');
    expect(renderMarkdown({ machine: { ...machine, loadAverageAtStart: 1.6, loadAverageAtEnd: 0 } })).toContain('0.0 at the end');
  });
});
