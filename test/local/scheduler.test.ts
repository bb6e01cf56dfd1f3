import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalScheduler } from '../../src/adapters/local/scheduler.js';

describe('LocalScheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps a timer per check, as the schedules on AWS: a timeout brought forward fires before the one set at launch', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-25T09:00:00Z') });
    const fired: { at: string; detail: unknown }[] = [];
    const scheduler = new LocalScheduler((event) => fired.push({ at: new Date().toISOString(), detail: event.detail }));
    await scheduler.scheduleTimeout('d1', 'local', '2026-11-25T10:00:00Z');
    await scheduler.scheduleTimeout('d1', 'local', '2026-11-25T09:30:00Z', { attempt: 1, purpose: 'deadline' });
    // A retried invocation asks for the same check again: kept once.
    await scheduler.scheduleTimeout('d1', 'local', '2026-11-25T10:00:00Z');
    await vi.runAllTimersAsync();
    expect(fired).toEqual([
      { at: '2026-11-25T09:30:00.000Z', detail: { environment: 'local', deploymentId: 'd1', attempt: 1, purpose: 'deadline' } },
      { at: '2026-11-25T10:00:00.000Z', detail: { environment: 'local', deploymentId: 'd1' } },
    ]);
  });
});
