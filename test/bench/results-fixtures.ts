/** Crafted benchmark results for the renderer's tests: one machine, summaries of constant runs, bundles by size. */
import type { BundleName, BundleResult } from '../../bench/bundle.js';
import type { AwsCall } from '../../bench/lib/aws-requests.js';
import type { Summary } from '../../bench/lib/stats.js';

export const KB = 1024;

export const machine = {
  cores: 2,
  memoryGiB: 8,
  cpu: 'test',
  node: 'v20',
  platform: 'linux-x64',
  date: '2026-11-30T00:00:00Z',
  loadAverageAtStart: 0,
};

/** `n` runs that all took `median`. */
export const summary = (median: number, n = 30): Summary => ({ n, min: median, median, max: median });

/** One bundle's timed imports: wall and CPU time `ms`. */
export const timed = (ms: number) => ({ importMs: summary(ms), cpuMs: summary(ms), processMs: summary(ms + 30) });

/** One bundle's profiled import parts. */
export const parts = (compile: number, run: number) => ({
  compile: summary(compile),
  run: summary(run),
  gc: summary(2),
  rest: summary(25),
});

/** A bundle section with these raw sizes in KB (gzip 1 byte: not looked at) and this composition. */
export function bundleOf(sizesKb: Record<BundleName, number>, composition: BundleResult['composition'] = []): BundleResult {
  return {
    settingsFrom: 'infra/esbuild-settings.mjs lambdaOptions',
    settingsSummary: 'minify: true',
    files: {
      launchFloor: 'lf',
      watchFloor: 'wf',
      launchParser: 'lp',
      launchValidation: 'lv',
      watchParser: 'wp',
      watchValidation: 'wv',
      launch: 'l',
      watch: 'w',
    },
    sizes: Object.fromEntries(Object.entries(sizesKb).map(([name, kb]) => [name, { raw: kb * KB, gzip: 1 }])) as BundleResult['sizes'],
    composition,
  };
}

/** `launcher` requests of the launcher, then `watcher` of the watcher, each one of its own API. */
export function calls(launcher: number, watcher: number): AwsCall[] {
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
