/**
 * Renders bench/results.json as BENCHMARKS.md: one table with every measure next to its floor, target and
 * verdict, then the details (AWS calls one by one, bundle composition). Every sentence that says something
 * about the numbers is computed from the results of the same run; the rest only says how they were taken. A handler's
 * cold-init difference from the floor is split with that handler's own floor variants (bench/bundle.ts FLOOR_VARIANTS:
 * the floor plus its event parser only, then plus the configuration check), never with the other function's parser.
 */
import type { AwsCallsResult, LaterEvent } from '../aws-calls.js';
import type { BundleName, BundleResult, FloorVariant, HandlerName } from '../bundle.js';
import { FLOOR_VARIANTS, floorOf, floorVariantsOf, HANDLERS, OWN_CODE } from '../bundle.js';
import { type AwsCall, handlerOf, inOrder } from './aws-requests.js';
import { IMPORT_PARTS, type ImportPart } from './cpu-profile.js';
import type { Machine, Summary } from './stats.js';

export const TARGETS = {
  /** Each handler's bundle, raw bytes, against its floor's. */
  bundleRatio: 1.2,
  /** Each handler's import, median and minimum, against its floor's. */
  initRatio: 1.08,
  decideUs: 50,
  awsCallsTotal: 16,
  awsCallsWatcher: 6,
  reactionMs: 50,
};

export interface NotMeasured {
  notMeasured: string;
}
type Section<T> = T | NotMeasured | undefined;

/** One bundle's timed imports. */
export interface Timed {
  importMs: Summary;
  cpuMs: Summary;
  processMs: Summary;
}
export interface ColdInitResult {
  runs: number;
  /** Each handler, its floor and its floor variants. */
  bundles: Record<BundleName, Timed> & Partial<Record<FloorVariant, Timed>>;
  /** Profiled imports (bench/lib/cpu-profile.ts): milliseconds of each part of the process, per bundle. */
  profile?: { runs: number; intervalUs: number; bundles: Record<BundleName, Record<ImportPart, Summary>> };
}
export interface DecideResult {
  processes: number;
  /** Timed batches per process (bench/decide.ts); absent in results written before it was kept. */
  batches?: number;
  events: number;
  kinds: number;
  decisions: Record<string, number>;
  parseAndDecideUs: Summary;
  decideAloneUs: Summary;
}
export interface ReactionResult {
  app: string;
  processes: number;
  migrationsPerProcess: number;
  /**
   * Where each span starts: `'last-write'`, the migration process's own last write to stdout or stderr (recorded in
   * that process, bench/reaction.ts); absent in results written when the span started at the controller's read of the
   * last line, which can come after the process exited.
   */
  spanStart?: 'last-write';
  decidedMs: Summary;
  recordedMs: Summary;
  /** Last output line → the migration process's `exit` event. */
  exitedMs: Summary;
  /** The reference: the migration process alone, last output line → process closed. */
  aloneClosedMs: Summary;
}
export interface DemoResult {
  runs: number;
  command: string;
  wallMs: Summary;
  firstMigrationLineMs: Summary;
}
export interface Results {
  machine: Machine;
  bundle?: Section<BundleResult>;
  coldInit?: Section<ColdInitResult>;
  decide?: Section<DecideResult>;
  awsCalls?: Section<AwsCallsResult>;
  reaction?: Section<ReactionResult>;
  demo?: Section<DemoResult>;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)} ms`;
const s = (v: number) => `${(v / 1000).toFixed(1)} s`;
const us = (v: number) => `${v.toFixed(2)} µs`;
/**
 * A ratio with two decimals, or as many more as it takes not to round it onto a target it misses or meets (1.202× is
 * not 1.20×, 1.0804× not 1.080×). Past six decimals a ratio still on a target is rounded away from it (up when above),
 * so a missed ratio never reads as its target.
 */
const x = (v: number) => {
  const targets = [TARGETS.bundleRatio, TARGETS.initRatio].filter((t) => v !== t);
  const onTarget = (text: string) => targets.some((t) => Number(text) === t);
  for (let digits = 2; digits <= 6; digits++) {
    const text = v.toFixed(digits);
    if (!onTarget(text)) return `${text}×`;
  }
  const target = targets.find((t) => Number(v.toFixed(6)) === t) ?? v;
  const micro = Math.round(target * 1e6);
  return `${((v > target ? micro + 1 : micro - 1) / 1e6).toFixed(6)}×`;
};
const mmm = (v: Summary, fmt: (n: number) => string) => `${fmt(v.min)} / **${fmt(v.median)}** / ${fmt(v.max)}`;
const verdict = (ok: boolean) => (ok ? '✅ met' : '❌ missed');

function measured<T>(section: Section<T>): section is T {
  return section !== undefined && (section as NotMeasured).notMeasured === undefined;
}
const why = (section: Section<unknown>) =>
  `not measured: ${(section as NotMeasured | undefined)?.notMeasured?.replaceAll('|', '\\|') ?? 'the section did not run'}`;

/** A handler's ratios to the floor that the target bounds: of the medians and of the minimums. */
function initRatios(t: Summary, floor: Summary): number[] {
  return [t.median / floor.median, t.min / floor.min];
}

/** The calls of one role, and how many of them are Powertools idempotency records. */
function callsOf(a: AwsCallsResult, role: string) {
  const calls = a.calls.filter((c) => c.role === role);
  return {
    calls,
    idempotency: calls.filter((c) => c.idempotency).length,
    logTail: calls.filter((c) => c.purpose.startsWith('log tail')).length,
  };
}

/**
 * The success path's requests by event (bench/aws-calls.ts SUCCESS_PATH) and their total, the requests sent while the
 * bundles were imported and those sent after a handler had returned (`strays`) included: the proxy cannot tell which
 * handler sent a stray, so it counts against the total rather than nowhere. `running` is undefined in results written
 * before the task's RUNNING event was sent.
 */
function awsCounts(a: AwsCallsResult) {
  const running = a.decisions.watcherRunning !== undefined || a.calls.some((c) => c.role === 'watcher-running');
  const strays = a.strays ?? [];
  return {
    launcher: callsOf(a, 'launcher'),
    running: running ? callsOf(a, 'watcher-running') : undefined,
    watcher: callsOf(a, 'watcher'),
    strays,
    total: a.initRequests + a.calls.length + strays.length,
  };
}

/**
 * A total and its parts: `at import n + launcher n + after a handler returned n + watcher n: n on the task's RUNNING
 * event, n on its STOPPED event` (the strays before the watcher, so they do not read as part of its breakdown).
 */
function awsTotalText(a: AwsCallsResult, without: 'running' | 'nothing' = 'nothing'): string {
  const { launcher, running, watcher, strays, total } = awsCounts(a);
  const init = a.initRequests > 0 ? `at import ${a.initRequests} + ` : '';
  const watcherText =
    running !== undefined && without === 'nothing'
      ? `watcher ${running.calls.length + watcher.calls.length}: ${running.calls.length} on the task's RUNNING event, ${watcher.calls.length} on its STOPPED event`
      : `watcher ${watcher.calls.length}`;
  const after = strays.length > 0 ? `after a handler returned ${strays.length} + ` : '';
  const shown = without === 'running' ? total - (running?.calls.length ?? 0) : total;
  return `${shown} (${init}launcher ${launcher.calls.length} + ${after}${watcherText})`;
}

/** The APIs of some calls in order, a repeated one counted (`dynamodb:BatchGetItem ×2`). */
function apisOf(calls: AwsCall[]): string {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.api, (counts.get(call.api) ?? 0) + 1);
  return [...counts].map(([api, n]) => (n > 1 ? `${api} ×${n}` : api)).join(', ');
}

/** The event each phase of the success path handles, or the import (the per-request table's `event` column). */
const EVENT_OF_PHASE: Record<string, string> = {
  'launcher-init': 'import of its bundle (module scope)',
  'watcher-init': 'import of its bundle (module scope)',
  launcher: 'ECR push',
  'watcher-running': 'task RUNNING',
  watcher: 'task STOPPED (exit 0)',
};

type Row = [measure: string, value: string, floor: string, ratio: string, target: string, result: string];

/** How the report names each function and its event parser (src/core/launcher.ts, src/core/watcher.ts). */
const ROLE: Record<HandlerName, { who: string; parser: string }> = {
  launch: { who: 'the launcher', parser: 'parseLauncherInput' },
  watch: { who: 'the watcher', parser: 'parseWatcherInput' },
};

/** The table's name of a handler's floor variant. */
function variantLabel(name: HandlerName, kind: 'parser' | 'validation'): string {
  const entry = FLOOR_VARIANTS[floorVariantsOf(name)[kind]];
  const what = kind === 'parser' ? 'event parser only' : 'event parser and the configuration check at import';
  return `${ROLE[name].who}'s floor plus its ${what} (\`${entry}\`)`;
}

/** Why a floor variant has no numbers: the results predate it (bench/render.ts on an older bench/results.json). */
const NO_VARIANT = 'not measured: these results have no timings of it (written before it was added)';

function tableRows(r: Results): Row[] {
  const rows: Row[] = [];
  const b = r.bundle;
  if (measured(b)) {
    for (const name of HANDLERS) {
      const floor = b.sizes[floorOf(name)];
      const ratio = b.sizes[name].raw / floor.raw;
      rows.push([
        `Bundle size, \`dist/${name}/index.mjs\` (raw / gzip)`,
        `${kb(b.sizes[name].raw)} / ${kb(b.sizes[name].gzip)}`,
        `${kb(floor.raw)} / ${kb(floor.gzip)}`,
        `${x(ratio)} / ${x(b.sizes[name].gzip / floor.gzip)}`,
        `≤ ${TARGETS.bundleRatio}× floor (raw)`,
        verdict(ratio <= TARGETS.bundleRatio),
      ]);
    }
  } else rows.push(['Bundle size', why(b), '', '', `≤ ${TARGETS.bundleRatio}× floor`, '—']);

  const c = r.coldInit;
  if (measured(c)) {
    const measures = [
      ['importMs', 'import (wall time)'],
      ['cpuMs', 'CPU time of the import (user + system; time spent waiting for a core excluded)'],
    ] as const;
    for (const [measure, what] of measures) {
      for (const name of HANDLERS) {
        const floor = c.bundles[floorOf(name)][measure];
        const t = c.bundles[name][measure];
        const ok = initRatios(t, floor).every((ratio) => ratio <= TARGETS.initRatio);
        rows.push([
          `Cold init of \`dist/${name}\` in a fresh process: ${what}, ${t.n} runs (min / median / max)`,
          mmm(t, ms),
          mmm(floor, ms),
          `median ${x(t.median / floor.median)}, min ${x(t.min / floor.min)}`,
          `≤ ${TARGETS.initRatio}× floor (median and min)`,
          verdict(ok),
        ]);
      }
      for (const name of HANDLERS)
        for (const kind of ['parser', 'validation'] as const) {
          const floor = c.bundles[floorOf(name)][measure];
          const label = `Cold init of ${variantLabel(name, kind)}: ${what.split(' (')[0]}`;
          const v = c.bundles[floorVariantsOf(name)[kind]]?.[measure];
          if (v === undefined) {
            rows.push([label, NO_VARIANT, '', '', '(informative)', '—']);
            continue;
          }
          rows.push([
            label,
            mmm(v, ms),
            mmm(floor, ms),
            `median ${x(v.median / floor.median)}, min ${x(v.min / floor.min)}`,
            '(informative)',
            '—',
          ]);
        }
    }
  } else rows.push(['Cold init', why(c), '', '', `≤ ${TARGETS.initRatio}× floor`, '—']);

  const d = r.decide;
  if (measured(d)) {
    rows.push([
      `Decision cost: \`parseInput\` + \`decide\`, ${d.events.toLocaleString('en')} events × ${d.processes} processes, µs per event (min / median / max of batches)`,
      mmm(d.parseAndDecideUs, us),
      '—',
      '—',
      `< ${TARGETS.decideUs} µs`,
      verdict(d.parseAndDecideUs.median < TARGETS.decideUs),
    ]);
    rows.push(['Decision cost: `decide` alone (input parsed beforehand)', mmm(d.decideAloneUs, us), '—', '—', '(informative)', '—']);
  } else rows.push(['Decision cost', why(d), '', '', `< ${TARGETS.decideUs} µs`, '—']);

  const a = r.awsCalls;
  if (measured(a)) {
    const { launcher, running, watcher, total } = awsCounts(a);
    const parts = (p: ReturnType<typeof callsOf>) => `${p.idempotency} idempotency, ${p.logTail} log tail`;
    const events =
      running !== undefined
        ? "the push through the launcher, the task's RUNNING and STOPPED events through the watcher"
        : "launcher + watcher — **without the task's RUNNING event** (these results were written before it was sent)";
    rows.push([
      `AWS requests per successful migration (HTTP, against moto, the requests at import included): ${events}${a.rolledOut ? '' : ' — **the service was not rolled out**'}`,
      awsTotalText(a),
      '—',
      '—',
      `≤ ${TARGETS.awsCallsTotal}`,
      verdict(total <= TARGETS.awsCallsTotal && a.rolledOut),
    ]);
    rows.push([
      "AWS requests on the watcher's path (task exit → rollout: the task's STOPPED event)",
      `${watcher.calls.length} (of which ${parts(watcher)})`,
      '—',
      '—',
      `≤ ${TARGETS.awsCallsWatcher}`,
      verdict(watcher.calls.length <= TARGETS.awsCallsWatcher && a.rolledOut),
    ]);
    rows.push(['AWS requests of the launcher', `${launcher.calls.length} (of which ${parts(launcher)})`, '—', '—', '(informative)', '—']);
    if (running !== undefined)
      rows.push([
        "AWS requests of the watcher on the task's RUNNING event",
        `${running.calls.length} (of which ${parts(running)})`,
        '—',
        '—',
        '(informative)',
        '—',
      ]);
    if (a.later !== undefined) {
      const { inProgress, completed, timeoutCheck } = a.later;
      const counted = (label: string, e: LaterEvent) => `${label}: ${e.calls.length}, ${decisionsText(e.decisions)}`;
      const [events, started] =
        inProgress !== undefined
          ? [
              "ECS's rollout-started (SERVICE_DEPLOYMENT_IN_PROGRESS) and rollout-completed events of the deployment the rollout started, then the one-shot timeout check when it fires (all through the watcher)",
              `${counted('in progress', inProgress)}; `,
            ]
          : [
              "ECS's rollout-completed event, then the one-shot timeout check when it fires (both through the watcher) — **without ECS's rollout-started (SERVICE_DEPLOYMENT_IN_PROGRESS) event** (these results were written before it was sent)",
              '',
            ];
      rows.push([
        `AWS requests after the rollout, apart from the success path: ${events}`,
        `${(inProgress?.calls.length ?? 0) + completed.calls.length + timeoutCheck.calls.length} (${started}${counted('completed', completed)}; ${counted('timeout check', timeoutCheck)})`,
        '—',
        '—',
        '(informative)',
        '—',
      ]);
    }
  } else rows.push(['AWS requests per successful migration', why(a), '', '', `≤ ${TARGETS.awsCallsTotal}`, '—']);

  const re = r.reaction;
  if (measured(re)) {
    // The span includes the process's teardown only when it starts in the process (its last write), not at our read.
    const start =
      re.spanStart === 'last-write'
        ? "the migration's last output line (its process's own last write) → rollout decision recorded (its process's teardown included)"
        : "the migration's last output line as the controller read it → rollout decision recorded (**the part of its process's teardown before that read is not included**: results written before the span started in the process)";
    rows.push([
      `Reaction latency, local mode, \`${re.app}\`: ${start}, ${re.recordedMs.n} migrations (min / median / max)`,
      mmm(re.recordedMs, ms),
      mmm(re.aloneClosedMs, ms),
      `median ${x(re.recordedMs.median / re.aloneClosedMs.median)}`,
      `median < ${TARGETS.reactionMs} ms`,
      verdict(re.recordedMs.median < TARGETS.reactionMs),
    ]);
    rows.push([
      'Reaction latency: last output line → `decide` returned (before its actions ran)',
      mmm(re.decidedMs, ms),
      '—',
      '—',
      '(informative)',
      '—',
    ]);
    rows.push([
      "Reaction latency: last output line → the migration process's `exit` event",
      mmm(re.exitedMs, ms),
      '—',
      '—',
      '(informative)',
      '—',
    ]);
  } else rows.push(['Reaction latency, local mode', why(re), '', '', `median < ${TARGETS.reactionMs} ms`, '—']);

  const dm = r.demo;
  if (measured(dm)) {
    rows.push([
      `\`npm start\`, fresh state directory: start → first migration output line, ${dm.runs} runs (min / median / max)`,
      mmm(dm.firstMigrationLineMs, s),
      '—',
      '—',
      '(no target)',
      '—',
    ]);
    rows.push(['`npm start`, fresh state directory: wall time to exit', mmm(dm.wallMs, s), '—', '—', '(no target)', '—']);
  } else rows.push(['`npm start`, fresh state directory', why(dm), '', '', '(no target)', '—']);
  return rows;
}

const signedMs = (v: number) => `${v >= 0 ? '+' : '−'}${ms(Math.abs(v))}`;

/** What the profiled imports say about a handler's difference from the floor: compiling against running. */
function profileNote(c: ColdInitResult, b: Section<BundleResult>, name: (typeof HANDLERS)[number]): string {
  const p = c.profile;
  if (p === undefined) return '';
  const [t, floor] = [p.bundles[name], p.bundles[floorOf(name)]];
  const compileGap = t.compile.median - floor.compile.median;
  const floorBytes = measured(b) ? b.sizes[floorOf(name)].raw : 0;
  const over = measured(b) ? b.sizes[name].raw - floorBytes : 0;
  // Per KB over the floor only when there are some: a bundle smaller than the floor has none to divide by.
  const perKb =
    measured(b) && over > 0
      ? ` (${us((compileGap * 1000) / (over / 1024))} per KB the bundle has over the floor's; the floor's module compiles at ${us((floor.compile.median * 1000) / (floorBytes / 1024))} per KB)`
      : '';
  return `In CPU profiles of ${p.runs} imports each (medians), compiling the module takes ${ms(t.compile.median)} against the floor's ${ms(floor.compile.median)}: ${signedMs(compileGap)}${perKb}; running the bundle's code takes ${ms(t.run.median)} against ${ms(floor.run.median)}: ${signedMs(t.run.median - floor.run.median)}. `;
}

/**
 * A handler's CPU-time difference from the floor, split with that handler's own floor variants: its event parser
 * alone, then the configuration check, then the rest of its code (what is left of the difference).
 */
function initSplit(c: ColdInitResult, name: HandlerName): string {
  const { who, parser: parse } = ROLE[name];
  const variants = floorVariantsOf(name);
  const [withParser, withCheck] = [c.bundles[variants.parser], c.bundles[variants.validation]];
  const files = `\`${FLOOR_VARIANTS[variants.parser]}\` and \`${FLOOR_VARIANTS[variants.validation]}\``;
  if (withParser === undefined || withCheck === undefined)
    return `How that splits between ${who}'s event parser, the configuration check and the rest of its code is not measured in these results (no timings of ${files}). `;
  const floor = c.bundles[floorOf(name)].cpuMs.median;
  const [gap, parser, validation] = [c.bundles[name].cpuMs.median - floor, withParser.cpuMs.median - floor, withCheck.cpuMs.median - floor];
  // The words follow the sign of each part: a variant can measure under the floor (or the handler under a variant).
  const check = validation - parser;
  const rest = gap - validation;
  const parserText = parser >= 0 ? `adds ${signedMs(parser)} to the floor` : `measures ${ms(-parser)} less than the floor`;
  const checkText = check >= 0 ? `${signedMs(check)} more` : `${ms(-check)} less`;
  const restText =
    rest >= 0
      ? `which leaves ${signedMs(rest)} to the rest of ${who}'s code`
      : `and ${who} itself measures ${ms(-rest)} less than that floor, which leaves nothing to the rest of its code`;
  return `In CPU time (differences of medians; floors ${files}), loading only ${who}'s event parser (\`${parse}\` and what it pulls into the bundle, such as zod/mini and ${who}'s event schemas; not the other function's) ${parserText}, checking the configuration at import ${checkText}, ${restText}. `;
}

/**
 * When a handler's minimum import misses the target (the target bounds the minimum too), the minimums in numbers: the
 * median sentence alone would explain the miss with numbers that may all meet it. Empty when the minimums meet it.
 */
function minimumNote(t: Timed, floor: Timed): string {
  const [wall, cpu] = [t.importMs.min / floor.importMs.min, t.cpuMs.min / floor.cpuMs.min];
  if (wall <= TARGETS.initRatio && cpu <= TARGETS.initRatio) return '';
  return `The minimum import takes ${ms(t.importMs.min)} of wall time and ${ms(t.cpuMs.min)} of CPU time against the floor's minimum ${ms(floor.importMs.min)} and ${ms(floor.cpuMs.min)} (${x(wall)} and ${x(cpu)}: ${signedMs(t.importMs.min - floor.importMs.min)} and ${signedMs(t.cpuMs.min - floor.cpuMs.min)}); within ${x(TARGETS.initRatio)} would be ${ms(TARGETS.initRatio * floor.importMs.min)} and ${ms(TARGETS.initRatio * floor.cpuMs.min)}. `;
}

/** The project's own bytes in a bundle (its source and handlers), against what the target leaves for them. */
function ownCodeNote(b: BundleResult, name: (typeof HANDLERS)[number]): string {
  const own = b.composition.find((p) => p.package === OWN_CODE)?.[name];
  if (own === undefined) return '';
  const rest = b.sizes[name].raw - own;
  const floor = b.sizes[floorOf(name)].raw;
  const budget = TARGETS.bundleRatio * floor - rest;
  return ` Without ecs-migrate's own code (${kb(own)}) it would be ${kb(rest)}, ${x(rest / floor)} the floor, so the target leaves ${budget > 0 ? kb(budget) : 'nothing'} for that code.`;
}

/** Computed observations on the targets missed. */
function notes(r: Results): string[] {
  const out: string[] = [];
  const b = r.bundle;
  if (measured(b)) {
    for (const name of HANDLERS) {
      const floor = b.sizes[floorOf(name)].raw;
      const ratio = b.sizes[name].raw / floor;
      if (ratio <= TARGETS.bundleRatio) continue;
      const diffs = b.composition.map((p) => ({ name: p.package, diff: p[name] - p[floorOf(name)] }));
      const more = diffs.filter((p) => p.diff > 512).sort((p, q) => q.diff - p.diff);
      const less = diffs.filter((p) => p.diff < -512).sort((p, q) => p.diff - q.diff);
      const listed = (parts: typeof diffs) => parts.map((p) => `${p.name} ${kb(Math.abs(p.diff))}`).join(', ');
      const lessText = less.length > 0 ? `, less what only the floor carries: ${listed(less)}` : '';
      out.push(
        `- **Bundle \`${name}\`** is ${x(ratio)} its floor: ${kb(b.sizes[name].raw - floor)} more: ${listed(more)} more${lessText} (packages differing by more than 0.5 KB); ${kb(b.sizes[name].raw - TARGETS.bundleRatio * floor)} over the target.${ownCodeNote(b, name)}`,
      );
    }
  }
  const c = r.coldInit;
  // The bundle's bytes, when measured in the same run: compiling them is part of every import.
  const sizeNote = (name: (typeof HANDLERS)[number]) => {
    if (!measured(b)) return '';
    const [size, floor] = [b.sizes[name].raw, b.sizes[floorOf(name)].raw];
    return `Its bundle is ${kb(Math.abs(size - floor))} ${size >= floor ? 'larger' : 'smaller'} than its floor's (${x(size / floor)}). `;
  };
  if (measured(c)) {
    for (const name of HANDLERS) {
      const floor = c.bundles[floorOf(name)];
      const t = c.bundles[name];
      const missed = (['importMs', 'cpuMs'] as const).some((m) => initRatios(t[m], floor[m]).some((ratio) => ratio > TARGETS.initRatio));
      if (!missed) continue;
      const cpuGap = t.cpuMs.median - floor.cpuMs.median;
      out.push(
        `- **Cold init \`${name}\`**: the median import differs from the floor's by ${signedMs(t.importMs.median - floor.importMs.median)} of wall time and ${signedMs(cpuGap)} of CPU time; within ${x(TARGETS.initRatio)} would be ${ms(TARGETS.initRatio * floor.importMs.median)} and ${ms(TARGETS.initRatio * floor.cpuMs.median)}. ${minimumNote(t, floor)}${sizeNote(name)}${initSplit(c, name)}${profileNote(c, b, name)}The floor's own wall-time imports spread over ${ms(floor.importMs.max - floor.importMs.min)} (min to max) in this run, its CPU times over ${ms(floor.cpuMs.max - floor.cpuMs.min)}.`,
      );
    }
  }
  const a = r.awsCalls;
  if (measured(a)) {
    const { running, watcher, strays, total } = awsCounts(a);
    if (total > TARGETS.awsCallsTotal || watcher.calls.length > TARGETS.awsCallsWatcher) {
      const onRunning =
        running !== undefined
          ? ` On the task's RUNNING event it sends: ${running.calls.length > 0 ? apisOf(running.calls) : 'nothing'}.`
          : '';
      const imported = a.initCalls !== undefined && a.initCalls.length > 0 ? `: ${apisOf(a.initCalls)}` : '';
      const were = (n: number) => (n === 1 ? 'was' : 'were');
      const afterReturn =
        strays.length > 0 ? ` ${strays.length} ${were(strays.length)} sent after a handler had returned: ${apisOf(strays)}.` : '';
      const atImport = `${a.initRequests > 0 ? ` ${a.initRequests} of the total ${were(a.initRequests)} sent while the bundles were imported${imported}.` : ''}${afterReturn}`;
      out.push(
        `- **AWS requests**: ${total} in total (${total - TARGETS.awsCallsTotal > 0 ? `${total - TARGETS.awsCallsTotal} over` : 'within'} the target), ${watcher.calls.length} on the watcher's path (${watcher.calls.length - TARGETS.awsCallsWatcher > 0 ? `${watcher.calls.length - TARGETS.awsCallsWatcher} over` : 'within'} the target). On the task's STOPPED event the watcher sends: ${watcher.calls.length > 0 ? apisOf(watcher.calls) : 'nothing'}.${onRunning}${atImport}`,
      );
    }
    if (!a.rolledOut)
      out.push('- **AWS requests**: the watcher did not roll the service out, so these counts are not those of a successful migration.');
  }
  const re = r.reaction;
  if (measured(re) && re.recordedMs.median >= TARGETS.reactionMs) {
    // Old results (the span started at the controller's read) can have the exit before the span's start.
    const exited = re.exitedMs.median;
    const alone = re.aloneClosedMs.median;
    out.push(
      `- **Reaction latency**: median ${ms(re.recordedMs.median)} from the migration's last output line to the decision recorded. The migration process fires its \`exit\` event ${ms(Math.abs(exited))} ${exited >= 0 ? 'after' : 'before'} its last line (median); run alone, with no controller, it closes ${ms(Math.abs(alone))} ${alone >= 0 ? 'after' : 'before'} its last line (median, the floor column). The decision's actions take ${ms(re.recordedMs.median - re.decidedMs.median)} (difference of the medians of recorded and decided).`,
    );
  }
  return out;
}

/** The timed batches per process of the decision cost, as the results give them. */
function decideBatches(r: Results): string {
  const d = r.decide;
  if (!measured(d)) return 'timed batches';
  const batches = d.batches ?? d.parseAndDecideUs.n / d.processes;
  return `${batches} batch${batches === 1 ? '' : 'es'}`;
}

/** When a request sent after its handler returned arrived (bench/aws-calls.ts: the bench's own steps). */
const STRAY_STEP: Record<string, string> = {
  setup: 'before the bundles were imported',
  'after-launcher': "after the launcher returned, before the task's RUNNING event",
  'after-rollout': "after the watcher returned from the task's STOPPED event, before the rollout's IN_PROGRESS event",
};

/** A handler's decisions, in order. */
function decisionsText(list: string[]): string {
  return list.length > 0 ? list.join(' → ') : 'not reported';
}

function awsDetails(r: Results): string[] {
  const a = r.awsCalls;
  if (!measured(a)) return [];
  const decisions = decisionsText;
  const { running, strays } = awsCounts(a);
  const runningEvent =
    a.decisions.watcherRunning !== undefined
      ? `, then the RUNNING event of its task through the watcher (${decisions(a.decisions.watcherRunning)})`
      : '';
  // What the RUNNING event adds, and the count as issue 14's baseline took it (the push and the STOPPED event only).
  const runningCount =
    running !== undefined
      ? ` The task's RUNNING event adds ${running.calls.length} request${running.calls.length === 1 ? '' : 's'} (event "task RUNNING" below); issue 14's baseline counted the push and the STOPPED event only, which in this run is ${awsTotalText(a, 'running')}.`
      : " These results were written before the task's RUNNING event was sent: its requests are in no row.";
  const sent = strays.length > 0 ? 'Every HTTP request the handlers sent while one of them ran' : 'Every HTTP request the handlers sent';
  // Results written before the import's requests were kept have only their number.
  const initListed =
    a.initRequests === 0
      ? ''
      : a.initCalls !== undefined
        ? ', listed first below'
        : ' (not listed: these results were written before they were kept)';
  const row = (c: AwsCall, i: number, handler: string, event: string) =>
    `| ${i + 1} | ${handler} | ${event} | ${c.api} | ${c.detail} | ${c.purpose} | ${c.status} |`;
  const lines = [
    '## AWS requests of one successful migration',
    '',
    `One ECR push through the launcher (decisions: ${decisions(a.decisions.launcher)})${runningEvent}, then ${runningEvent !== '' ? 'its' : 'the'} STOPPED exit-0 event${runningEvent !== '' ? '' : ' of its task'} through the watcher (${decisions(a.decisions.watcher)}); service moved to the new revision: ${a.rolledOut ? 'yes' : '**no**'}. Requests while the bundles were imported: ${a.initRequests}, counted in the total${initListed}.${runningCount} ${sent}, in order:`,
    '',
    '| # | handler | event | API | about | purpose | HTTP status |',
    '|---:|---|---|---|---|---|---:|',
    ...inOrder([...(a.initCalls ?? []), ...a.calls]).map((c, i) => row(c, i, handlerOf(c.role), EVENT_OF_PHASE[c.role] ?? c.role)),
    '',
  ];
  if (strays.length > 0)
    lines.push(
      `${strays.length} more request${strays.length === 1 ? '' : 's'} arrived while no handler ran, between the benchmark's own steps: sent by a handler after it had returned, without awaiting ${strays.length === 1 ? 'it' : 'them'} (in Lambda the execution environment may be frozen before such a request goes out). The proxy cannot tell which handler sent ${strays.length === 1 ? 'it' : 'them'}; counted in the total above:`,
      '',
      '| # | handler | event | API | about | purpose | HTTP status |',
      '|---:|---|---|---|---|---|---:|',
      ...strays.map((c, i) => row(c, i, 'not known', `none: arrived ${STRAY_STEP[c.role] ?? `in the benchmark's step \`${c.role}\``}`)),
      '',
    );
  if (a.later !== undefined) {
    const { inProgress } = a.later;
    const later = [...inOrder(inProgress?.calls ?? []), ...inOrder(a.later.completed.calls), ...inOrder(a.later.timeoutCheck.calls)];
    // How the schedule goes, as the run's own requests say: deleted by the check, or by itself once it ran.
    const deleted = a.later.timeoutCheck.calls.some((c) => c.api === 'scheduler:DeleteSchedule');
    const selfDeleting = a.calls.some((c) => c.api === 'scheduler:CreateSchedule' && c.purpose.includes('ActionAfterCompletion DELETE'));
    const schedule = deleted
      ? '; it deletes its schedule with DeleteSchedule'
      : selfDeleting
        ? '; its schedule deletes itself, as CreateSchedule above asked with ActionAfterCompletion DELETE'
        : '';
    const deployment =
      inProgress !== undefined
        ? `ECS's \`ECS Deployment State Change\` events of the deployment the rollout started, SERVICE_DEPLOYMENT_IN_PROGRESS (${decisions(inProgress.decisions)}) then SERVICE_DEPLOYMENT_COMPLETED (${decisions(a.later.completed.decisions)}), each through the watcher`
        : `ECS's \`ECS Deployment State Change\` (SERVICE_DEPLOYMENT_COMPLETED) through the watcher (${decisions(a.later.completed.decisions)}; these results were written before the rollout's SERVICE_DEPLOYMENT_IN_PROGRESS event was sent: its requests are in no row)`;
    lines.push(
      `After the rollout, apart from the success path and its target: ${deployment}, then the one-shot timeout check when it fires (${decisions(a.later.timeoutCheck.decisions)}${schedule}):`,
      '',
      '| # | event | API | about | purpose | HTTP status |',
      '|---:|---|---|---|---|---:|',
      ...later.map((c, i) => `| ${i + 1} | ${c.role} | ${c.api} | ${c.detail} | ${c.purpose} | ${c.status} |`),
      '',
    );
  }
  return lines;
}

const PART_LABELS: Record<ImportPart, string> = {
  compile: 'compiling the module (`compileSourceTextModule`)',
  run: "running the bundle's code (its module body and the functions it calls at import)",
  gc: 'garbage collection',
  rest: 'Node.js itself (bootstrap, module loader) and unattributed time',
};

function profileDetails(r: Results): string[] {
  const c = r.coldInit;
  if (!measured(c) || c.profile === undefined) return [];
  const p = c.profile.bundles;
  const lines = [
    "## Where an import's CPU time goes",
    '',
    `\`node --cpu-prof\` (sampling every ${c.profile.intervalUs} µs) on ${c.profile.runs} more imports of each bundle, apart from the timed ones above because sampling slows a process down; median milliseconds of self time per part of the process, from start to the end of the import:`,
    '',
    '| part | launch floor | launch | launch − its floor | watch floor | watch | watch − its floor |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const part of IMPORT_PARTS) {
    const [lf, l, wf, w] = [p.launchFloor, p.launch, p.watchFloor, p.watch].map((b) => b[part].median) as [number, number, number, number];
    lines.push(`| ${PART_LABELS[part]} | ${ms(lf)} | ${ms(l)} | ${signedMs(l - lf)} | ${ms(wf)} | ${ms(w)} | ${signedMs(w - wf)} |`);
  }
  lines.push('');
  return lines;
}

/** The floors' definition, with the dependencies each carries as this run's bundles show them. */
function floorParagraph(r: Results): string {
  const b = r.bundle;
  const carried = (name: HandlerName) =>
    measured(b)
      ? `: ${b.composition
          .filter((p) => p[floorOf(name)] > 0 && /^@aws-sdk\/client-|^@aws-lambda-powertools\/(logger|idempotency)$/.test(p.package))
          .map((p) => `\`${p.package}\``)
          .sort()
          .join(', ')}`
      : '';
  return `**Floors** (\`bench/floor/launch.ts\`, \`bench/floor/watch.ts\`): per handler, a handler that imports that handler's SDK clients and Powertools utilities and only those (the launcher's floor${carried('launch')}; the watcher's${carried('watch')}), constructs at import what the handler constructs at import (the ECR and CloudWatch Logs clients on first use, as the handlers make them), and does nothing, bundled with the same esbuild settings. Each handler's ratios are to its own floor.`;
}

function bundleDetails(r: Results): string[] {
  const b = r.bundle;
  if (!measured(b)) return [];
  const lines = [
    '## Bundle composition',
    '',
    `Settings (the same for the floors and the handlers, from \`${b.settingsFrom}\`): ${b.settingsSummary}. Bytes each package contributes to the output (esbuild metafile), the largest first:`,
    '',
    '| package | launch floor | launch | launch − its floor | watch floor | watch | watch − its floor |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of b.composition.slice(0, 16))
    lines.push(
      `| ${p.package} | ${kb(p.launchFloor)} | ${kb(p.launch)} | ${kb(p.launch - p.launchFloor)} | ${kb(p.watchFloor)} | ${kb(p.watch)} | ${kb(p.watch - p.watchFloor)} |`,
    );
  lines.push('');
  return lines;
}

export function renderMarkdown(r: Results): string {
  const m = r.machine;
  const lines = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${m.date.slice(0, 10)}: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB memory, Node ${m.node} (${m.platform}); the run took ${m.benchSeconds ?? '?'} s, with a 1-minute load average of ${m.loadAverageAtStart.toFixed(1)} at the start and ${m.loadAverageAtEnd?.toFixed(1) ?? '?'} at the end. Timings are min / **median** / max of repeated runs in fresh processes; every ratio is to a floor measured in the same run. Regenerate with \`npm run bench\` (writes this file and \`bench/results.json\`).`,
    '',
    '| measure | ecs-migrate | floor | ratio | target | result |',
    '|---|---|---|---|---|---|',
    ...tableRows(r).map((row) => `| ${row.join(' | ')} |`),
    '',
    floorParagraph(r),
    '',
  ];
  const n = notes(r);
  if (n.length > 0) lines.push('## Missed targets, in numbers of this run', '', ...n, '');
  lines.push(...awsDetails(r), ...profileDetails(r), ...bundleDetails(r));
  lines.push(
    '## How each number is taken',
    '',
    "- **Bundle size**: the handlers are built by `buildAll` of `infra/build.mjs` (what `npm run build` runs) into `bench/.work/dist/`, each handler's floor in the same run with the same `lambdaOptions`; gzip is Node's zlib at its default level.",
    "- **Cold init**: a fresh `node` process (no `NODE_OPTIONS`, no TypeScript loader: `bench/lib/import-once.ts` is compiled to JavaScript first) imports one bundle and reports the wall time and the CPU time of that `import()`, i.e. module evaluation, with the handlers' configuration in the environment. Each handler's floor, that floor with only that handler's event parser in its bundle (`bench/floor/launch-parser.ts`, `bench/floor/watch-parser.ts`: called in the handler, never at import, so esbuild keeps it and leaves the other function's event schemas out, as in the handler bundles) and that plus the configuration check the handlers run at cold start, here at import (`bench/floor/launch-validation.ts`, `bench/floor/watch-validation.ts`), and the handlers take turns, after one uncounted round. Then the floors and the handlers take turns again under `node --cpu-prof` for the profile table (`bench/lib/cpu-profile.ts` splits each profile's self time).",
    `- **Decision cost**: \`bench/decide.ts\` cycles through a weighted mix of the samples in \`events/\`, each against the state it would meet (\`bench/fixtures/states.ts\`); ${decideBatches(r)} per process after a warm-up.`,
    "- **AWS requests**: `bench/aws-calls.ts` starts `moto_server` and a counting HTTP proxy in front of it (`bench/lib/counting-proxy.ts`), sets up one environment directly on moto (`bench/fixtures/world.ts`, not counted), then imports the built bundles with `AWS_ENDPOINT_URL` pointing at the proxy (requests sent meanwhile are counted in the total and listed) and runs every event the stack routes for one successful migration: one push through the launcher, then the task's RUNNING event (the stack's `MigrationTaskStateChange` rule sends a migration task's RUNNING and STOPPED events to the watcher, and ECS emits one for every task that runs) and its STOPPED exit-0 event through the watcher; the watcher's path is the STOPPED event's requests. Then, counted apart, the `ECS Deployment State Change` events of the PRIMARY deployment of the service (the one the rollout started), SERVICE_DEPLOYMENT_IN_PROGRESS then SERVICE_DEPLOYMENT_COMPLETED (the stack's `DeploymentStateChange` rule sends every one of the service to the watcher), and the Input of each schedule the launcher created (as Scheduler would invoke the watcher; moto never fires them). The proxy records each request as it arrives, answered or not (a request it could not forward is listed with status 502); one that arrives while no handler runs (sent after its handler returned) is counted in the total and listed apart. Each request is identified by its SigV4 service and `X-Amz-Target` (or REST route); its purpose comes from the catalogue in `bench/lib/aws-requests.ts`, and what a commit stores in an outbox from its body.",
    "- **Reaction latency**: `bench/reaction.ts` runs the local controller in-process on the app of `npm start` (its `--app` in package.json), on a fresh state directory per migration, and takes the time from the migration's last output line to the end of the STOPPED event's handling. The span starts in the migration process: a preload given to it through `NODE_OPTIONS` wraps `process.stdout.write` and `process.stderr.write`, and on its `exit` event writes the time of its last write and of the exit; both processes read the same clock, `performance.timeOrigin + performance.now()` (the wall clock at each process's start plus a monotonic clock, sub-millisecond). The floor: the same migration command, with the same preload, spawned directly as the local ECS adapter spawns it (fresh database), from its last write to its process closing as its parent sees it.",
    "- **`npm start`**: `npm start -- --state-dir <fresh dir>` in a child process; the first migration output line is the first line of the CLI's task-output prefix (`│`).",
    '',
  );
  return lines.join('\n');
}
