import { describe, expect, it } from 'vitest';
import type { AwsCallsResult } from '../../bench/aws-calls.js';
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

  it('says why a section was not measured', () => {
    const results: Results = { machine, reaction: { notMeasured: 'moto_server is not on PATH' } };
    expect(row(renderMarkdown(results), 'Reaction latency')).toContain('not measured: moto_server is not on PATH');
  });
});
