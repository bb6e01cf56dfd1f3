import { TIMEOUT_DETAIL_TYPE, TIMEOUT_SOURCE } from '../../core/events.js';
import { localEnvelope } from '../../local/task-event.js';
import type { ScheduledCheck, Scheduler } from '../../ports.js';
import { scheduleNameFor } from '../schedule-name.js';

/**
 * One-shot timers in this process, firing the same timeout-check event EventBridge Scheduler sends on AWS, and
 * named as the schedules are there: one per check (attempt and purpose; a `deadline` check per time), the first of
 * a name kept, so a retry and a timeout brought forward never hide one another.
 */
export class LocalScheduler implements Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly emit: (event: Record<string, unknown>) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async scheduleTimeout(deploymentId: string, environment: string, at: string, check?: ScheduledCheck): Promise<void> {
    const name = scheduleNameFor(deploymentId, check, at);
    if (this.timers.has(name)) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(name);
        this.emit({
          ...localEnvelope(`timeout-${name}`, this.now()),
          'detail-type': TIMEOUT_DETAIL_TYPE,
          source: TIMEOUT_SOURCE,
          detail: { environment, deploymentId, ...(check !== undefined ? { attempt: check.attempt, purpose: check.purpose } : {}) },
        });
      },
      Math.max(0, Date.parse(at) - this.now().getTime()),
    );
    this.timers.set(name, timer);
  }

  /** Clears every timer, so the process can exit. */
  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
