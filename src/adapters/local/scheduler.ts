import { TIMEOUT_DETAIL_TYPE, TIMEOUT_SOURCE } from '../../core/events.js';
import { localEnvelope } from '../../local/task-event.js';
import type { Scheduler } from '../../ports.js';

/** One-shot timers in this process, firing the same timeout-check event EventBridge Scheduler sends on AWS. */
export class LocalScheduler implements Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly emit: (event: Record<string, unknown>) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async scheduleTimeout(deploymentId: string, environment: string, at: string): Promise<void> {
    if (this.timers.has(deploymentId)) return;
    const delay = Math.max(0, Date.parse(at) - this.now().getTime());
    const timer = setTimeout(() => {
      this.timers.delete(deploymentId);
      this.emit({
        ...localEnvelope(`timeout-${deploymentId}`, this.now()),
        'detail-type': TIMEOUT_DETAIL_TYPE,
        source: TIMEOUT_SOURCE,
        detail: { environment, deploymentId },
      });
    }, delay);
    this.timers.set(deploymentId, timer);
  }

  async cancelTimeout(deploymentId: string): Promise<void> {
    clearTimeout(this.timers.get(deploymentId));
    this.timers.delete(deploymentId);
  }

  /** Clears every timer, so the process can exit. */
  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
