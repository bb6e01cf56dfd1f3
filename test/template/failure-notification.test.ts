import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import { activeState, ctx, emitted, parse, runningDeployment, sample } from '../support/fixtures.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The `$.detail.<field>[N]` paths of DeploymentFailedRule's targets named `log<n>`, in the order the message prints them. */
function notifiedLogPaths(target: string): { field: string; index: number }[] {
  const template = readFileSync(join(ROOT, 'template.yaml'), 'utf8');
  const rule = template.slice(template.indexOf('  DeploymentFailedRule:'));
  const from = rule.indexOf(`- Id: ${target}`);
  const next = rule.indexOf('- Id: ', from + 1);
  const text = rule.slice(from, next === -1 ? undefined : next);
  return [...text.matchAll(/log\d+: \$\.detail\.(\w+)\[(\d+)\]/g)].map((m) => ({ field: m[1] ?? '', index: Number(m[2]) }));
}

/**
 * docs/deploy.md, "Notifications": the message's "log:" part shows the lines that say why a migration failed. Was:
 * the input transformer read `$.detail.logTail[0]`, `[1]` and `[2]`, the oldest three of the 50 lines the event
 * carries, so a migration that printed more than three lines before failing (node-pg-migrate prints each migration's
 * SQL) was notified with early progress lines and never its error. An input path cannot index from the end: the
 * events carry `logTailEnd`, the tail's last 3 lines.
 */
describe('the failure notification shows the lines that say why', () => {
  it.each(['notification-topic', 'chat-notification-topic'])('%s: the last lines of a halted migration, its error among them', (target) => {
    const tail = [
      ...Array.from({ length: 47 }, (_, i) => `applied 00${String(10 + i)}_step.sql: CREATE INDEX …`),
      'applying 0043_drop_legacy.sql',
      'ERROR: column "legacy_id" is referenced by view "report"',
      'migration failed',
    ];
    const input = { ...parse(sample('task-stopped-exit-1')), logTail: tail } as ReturnType<typeof parse>;
    const halted = emitted(decide(input, activeState(runningDeployment()), ctx())).find((e) => e.detailType === 'Rollout Halted');
    expect(halted?.detail.logTail).toEqual(tail);

    const paths = notifiedLogPaths(target);
    expect(paths, 'the template names log lines').toHaveLength(3);
    const shown = paths.map(({ field, index }) => (halted?.detail[field] as string[] | undefined)?.[index]);
    expect(shown).toEqual(tail.slice(-3));
  });
});
