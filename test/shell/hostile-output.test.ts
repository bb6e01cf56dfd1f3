import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastLines } from '../../src/adapters/last-lines.js';
import { LocalStore } from '../../src/adapters/local/store.js';
import type { Deployment } from '../../src/core/deployment.js';
import { redact } from '../../src/core/redact.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ecs, OutgoingEvent, Ports } from '../../src/ports.js';
import { type ControllerDeps, createController } from '../../src/shell/controller.js';
import { keptTail, LOG_TAIL, REDACT_LINE_CHARS } from '../../src/shell/load-state.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from '../support/fake-ecs.js';

import { config, runningDeployment, SAMPLE_DEPLOYMENT, sample, withEvent } from '../support/fixtures.js';
import { watcherOnRunning } from '../support/watch-harness.js';

const handleEvent = (raw: unknown, deps: ControllerDeps) => createController(deps).handle(raw);

/**
 * Issue 10, defects 5 and 11, through the runner with a real local store and recording ports: what a migration
 * prints, and what a hostile event carries, reaches the bus and the store only redacted and bounded.
 */

const DB_PASSWORD = 'S3cr3t-Pa55w0rd-9f8e7d';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-hostile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every string in a value (keys included) that holds a lone surrogate. */
function illFormedStrings(value: unknown): string[] {
  if (typeof value === 'string') return value.isWellFormed() ? [] : [value];
  if (Array.isArray(value)) return value.flatMap(illFormedStrings);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [...illFormedStrings(k), ...illFormedStrings(v)]);
  }
  return [];
}

async function harness(logTail: string[], overrides: Record<string, string> = {}) {
  const layout = new LocalLayout(dir, 'staging');
  const store = new LocalStore(layout);
  const events: OutgoingEvent[] = [];
  const ecs: Ecs = fakeEcs();
  const ports: Ports = {
    ecs,
    store,
    bus: { put: async (e) => void events.push(...e) },
    // As the real adapters do: at most `limits`, a long line cut from its start.
    logs: { tail: async (_ref, limits) => lastLines(logTail, limits) },
    scheduler: { scheduleTimeout: async () => {} },
    registry: { describeImage: async () => ({ digest: `sha256:${'c'.repeat(64)}`, pushedAt: '2026-11-25T09:00:00.000Z' }) },
  };
  // The deployment the task-* samples belong to, running and holding the environment.
  const running: Deployment = { ...runningDeployment(), revision: 1 };
  await store.commit({
    env: {
      state: { environment: 'staging', version: 1, active: { deploymentId: SAMPLE_DEPLOYMENT, lockExpiresAt: '2026-11-25T10:30:00.000Z' } },
      expectedVersion: 0,
    },
    deployments: [{ deployment: running, expectedRevision: 0 }],
  });
  const deps = { config: config(overrides), ports, log: silentLog, now: () => new Date('2026-11-25T09:18:00Z') };
  const storedText = async () => readFile(layout.deploymentFile(SAMPLE_DEPLOYMENT), 'utf8');
  const stored = async (id: string) => (await store.loadDeployments([id]))[id];
  return { deps, events, storedText, stored };
}

describe('secrets printed by a migration (defect 5)', () => {
  it('appear neither in the emitted events nor in the stored record', async () => {
    const h = await harness([
      'Running migration 0042_add_orders',
      `connecting to postgres://shop:${DB_PASSWORD}@db.internal:5432/shop`,
      `export AWS_ACCESS_KEY_ID=${AWS_KEY_ID}`,
      `aws_secret_access_key = ${AWS_SECRET}`,
      `retrying with password=${DB_PASSWORD} token: ${DB_PASSWORD}`,
      `credentials {"secretAccessKey":"${AWS_SECRET}"}`,
      `raw key ${AWS_SECRET} in a stack trace`,
      'ERROR: relation "orders" already exists',
    ]);
    const steps = await handleEvent(sample('task-stopped-exit-1'), h.deps);
    expect(steps.map((s) => s.decision.decision)).toEqual(['halt']);
    expect(h.events.map((e) => e.detailType)).toEqual(['Migration Failed', 'Rollout Halted']);

    const emitted = JSON.stringify(h.events);
    const stored = await h.storedText();
    for (const secret of [DB_PASSWORD, AWS_SECRET, AWS_KEY_ID]) {
      expect(emitted).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
    // What is not secret stays readable.
    expect(emitted).toContain('relation \\"orders\\" already exists');
    expect(emitted).toContain('postgres://shop:');
    expect(emitted).toContain('db.internal:5432/shop');
  });

  it('also redacts what REDACT_PATTERNS names', async () => {
    const h = await harness(['api key shop_live_0123456789abcdef in use'], { REDACT_PATTERNS: '["shop_live_[0-9a-f]{16}"]' });
    await handleEvent(sample('task-stopped-exit-1'), h.deps);
    expect(JSON.stringify(h.events)).not.toContain('shop_live_0123456789abcdef');
    expect(await h.storedText()).not.toContain('shop_live_0123456789abcdef');
  });
});

describe('oversized input (defect 11)', () => {
  const MB = 'x'.repeat(1024 * 1024);

  it('a 1 MB field of an invalid event gives a small Event Rejected', async () => {
    const h = await harness([]);
    const event = withEvent(sample('deploy-request'), { detail: { requestId: MB }, top: { source: 'ecs-migrate' } });
    const steps = await handleEvent(event, h.deps);
    expect(steps.map((s) => s.decision.decision)).toEqual(['reject']);
    expect(JSON.stringify(h.events).length).toBeLessThan(16 * 1024);
    expect(steps[0]?.decision.reason.length).toBeLessThan(4 * 1024);
  });

  it('an unsupported event with a 1 MB source and detail-type gives a small Event Rejected', async () => {
    const h = await harness([]);
    await handleEvent(withEvent(sample('deploy-request'), { top: { source: MB, 'detail-type': MB, id: MB } }), h.deps);
    expect(JSON.stringify(h.events).length).toBeLessThan(16 * 1024);
  });

  it('a task event with a 1 MB stopped reason keeps the event under 256 KB and the record under 400 KB', async () => {
    const h = await harness([]);
    const event = withEvent(sample('task-stopped-exit-1'), { detail: { stoppedReason: MB } });
    await handleEvent(event, h.deps);
    expect(h.events.map((e) => e.detailType)).toEqual(['Migration Failed', 'Rollout Halted']);
    for (const e of h.events) expect(Buffer.byteLength(JSON.stringify(e.detail))).toBeLessThan(256 * 1024);
    expect(Buffer.byteLength(await h.storedText())).toBeLessThan(400 * 1024);
  });

  it('a lone surrogate in a request is stored and emitted well-formed', async () => {
    const h = await harness([]);
    // Queued behind the running deployment: its record holds what the request said.
    const steps = await handleEvent(withEvent(sample('deploy-request'), { detail: { requestedBy: 'mallory \uD800 was here' } }), h.deps);
    const queued = steps[0]?.decision.deploymentId as string;
    expect(steps[0]?.decision.decision).toBe('queue');
    expect(illFormedStrings(await h.stored(queued))).toEqual([]);
    // Echoed by a rejection.
    await handleEvent(withEvent(sample('deploy-request'), { top: { source: 'evil\uDC00' } }), h.deps);
    expect(h.events.map((e) => e.detailType)).toEqual(['Event Rejected']);
    for (const e of h.events) expect(illFormedStrings(e.detail)).toEqual([]);
  });
});

describe('a secret in a line longer than the kept tail (defect 5)', () => {
  it('is redacted before the line is cut, so no part of it remains', async () => {
    // Cut to the kept 8 KB, this line would keep the last 10 characters of the password without its key.
    const line = `${'x'.repeat(4 * 1024)} password=${DB_PASSWORD}${'y'.repeat(8 * 1024 - 4 - 10)}`;
    const h = await harness([line]);
    await handleEvent(sample('task-stopped-exit-1'), h.deps);
    expect(h.events.map((e) => e.detailType)).toEqual(['Migration Failed', 'Rollout Halted']);
    expect(JSON.stringify(h.events)).not.toContain(DB_PASSWORD.slice(-10));
    expect(await h.storedText()).not.toContain(DB_PASSWORD.slice(-10));
  });
});

describe('one hostile line of migration output', () => {
  // 64 KB (all the adapter reads) of secret-key words with no ":" or "=": the redactor backtracked on it for hours, so
  // neither the STOPPED verdict nor the timeout check could end the deployment, and the environment stayed locked.
  it('does not hold the STOPPED verdict up', async () => {
    const h = await harness(['applying 0043', 'pwd'.repeat(21_846)]);
    const started = performance.now();
    const steps = await handleEvent(sample('task-stopped-exit-1'), h.deps);
    const took = performance.now() - started;
    expect(steps.map((s) => s.decision.decision)).toEqual(['halt']);
    expect(took).toBeLessThan(2_000); // milliseconds in linear time; generous for a slow shared machine
  });

  it('is redacted in a window of its end, which bounds what any pattern (REDACT_PATTERNS too) reads', () => {
    let longest = 0;
    const spy = (text: string) => {
      longest = Math.max(longest, text.length);
      return redact(text);
    };
    const line = `${'x'.repeat(64 * 1024)} password=hunter2`;
    const kept = keptTail(['applying 0043', line], spy);
    expect(longest).toBeLessThanOrEqual(REDACT_LINE_CHARS);
    // Its end, redacted; the word the window cut is left out, and the cut is marked.
    expect(kept).toEqual(['applying 0043', '…password=[REDACTED]']);
    const [words] = keptTail([`${'word '.repeat(16 * 1024)}password=hunter2`], redact);
    expect(words).toMatch(/^…[a-z ]+ password=\[REDACTED\]$/);
    expect(Buffer.byteLength(words ?? '')).toBeLessThanOrEqual(LOG_TAIL.bytes);
  });
});

describe('a log line longer than the redaction window', () => {
  /**
   * The window (the last REDACT_LINE_CHARS characters of a line) starts inside a key: `DB_PASS|WORD=<secret>` was seen
   * as `WORD=<secret>`, which no rule redacts. The rest of the window holds a long secret value that redaction shrinks
   * to `[REDACTED]`, so the redacted window was shorter than LOG_TAIL.bytes and kept whole, its cut start included.
   */
  const SECRET = 'hunter2-Sup3rS3cret';
  const start = `WORD=${SECRET} `;
  const end = ` api_token=${'x'.repeat(12_000)}`;
  const window = `${start}${'a'.repeat(REDACT_LINE_CHARS - start.length - end.length)}${end}`;
  const line = `config: DB_PASS${window}`;

  it('the whole line, redacted, holds no secret (sanity: the rules know this key)', () => {
    expect(window).toHaveLength(REDACT_LINE_CHARS);
    expect(redact(line)).not.toContain(SECRET);
  });

  it('keeps no secret whose key was cut off by the redaction window', () => {
    const kept = keptTail(['applying 0043_drop_legacy.sql', line], redact);
    expect(kept.join('\n')).not.toContain(SECRET);
  });

  describe('through the watcher, into the stored record and the emitted events', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-window-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('a failed migration that printed the line stores and emits no part of the secret', async () => {
      const h = await watcherOnRunning(dir, {
        ecs: {},
        now: new Date('2026-11-25T09:18:00Z'),
        logLines: ['applying 0043_drop_legacy.sql', line],
      });
      const steps = await h.watch.handle(sample('task-stopped-exit-1'));
      expect(steps.map((s) => s.decision.decision)).toEqual(['halt']);
      expect(JSON.stringify(await h.stored())).not.toContain(SECRET);
      expect(JSON.stringify(h.events)).not.toContain(SECRET);
    });
  });
});
