import { describe, expect, it } from 'vitest';
import { atExpression, timeoutCheckEvent } from '../../src/adapters/aws/scheduler.js';
import { scheduleNameFor } from '../../src/adapters/schedule-name.js';
import type { Deployment } from '../../src/core/deployment.js';
import { TransientAwsError } from '../../src/errors.js';
import type { Ports, ScheduledCheck } from '../../src/ports.js';
import { config, sample, withEvent } from '../support/fixtures.js';
import { FaultPlan, type ModelTask, modelPorts } from '../support/model-ports.js';
import { controllerOn } from '../support/race.js';

/**
 * A launch retry is scheduled *before* the commit that records it (retryLater, src/core/launch-retry.ts), under a name
 * per attempt (`ecs-migrate-<id>-retry-2`), and EventBridge Scheduler keeps the first schedule of a name (the adapter
 * takes ConflictException as "scheduled already"). When the invocation fails at that commit, Lambda retries the event
 * a minute later: the retried decision computes a later `retryAt`, schedules again (the first schedule is kept), and
 * commits the later `retryAt`. The schedule then fires before the recorded `retryAt`.
 * Was: that check was ignored ("not due until …") with nothing scheduled again; the deployment stayed `launching`,
 * holding the environment, with no attempt 2 ever launched. README: "is launched again up to `LAUNCH_RETRIES` times,
 * 1 then 4 minutes later (16 at most), by a one-shot schedule per attempt".
 */
const WATCHER = 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-migrate-staging-watch';
const RESOURCE_INIT = 'ResourceInitializationError: unable to pull secrets or registry auth: dial tcp 10.0.0.1:443: i/o timeout';

/** EventBridge Scheduler as the adapter uses it: one schedule per name, the first kept, firing at `atExpression(at)`. */
class KeepFirstScheduler {
  readonly schedules = new Map<string, { deploymentId: string; at: string; fireAt: string; check?: ScheduledCheck }>();
  async scheduleTimeout(deploymentId: string, _environment: string, at: string, check?: ScheduledCheck): Promise<void> {
    const name = scheduleNameFor(deploymentId, check, at);
    if (this.schedules.has(name)) return; // ConflictException: "scheduled already"
    const fireAt = `${atExpression(at).slice(3, -1)}.000Z`;
    this.schedules.set(name, { deploymentId, at, fireAt, ...(check !== undefined ? { check } : {}) });
  }
}

describe('a retry check that fires before the recorded retryAt', () => {
  it('is not dropped for good: attempt 2 is launched, or checked again when due', async () => {
    const world = modelPorts(new FaultPlan());
    const scheduler = new KeepFirstScheduler();
    const ports: Ports = { ...world.ports, scheduler };
    let now = Date.parse('2026-11-25T09:15:00Z');
    const clock = () => now;
    const cfg = config();
    const plain = controllerOn(ports, cfg, clock);

    await plain.handle(sample('ecr-push'));
    const first = world.ecs.tasks[0] as ModelTask;
    const id = first.deploymentId as string;
    const read = () => world.store.all().find((d: Deployment) => d.id === id) as Deployment;
    expect(read()).toMatchObject({ status: 'running' });

    // Attempt 1's task never starts.
    const base = sample('task-stopped-failed-to-start');
    const detail = base.detail as { containers: Record<string, unknown>[] };
    const failed = withEvent(base, {
      detail: {
        startedBy: `ecs-migrate/${id}`,
        taskArn: first.taskArn,
        version: 4,
        stoppedReason: RESOURCE_INIT,
        containers: detail.containers.map((c) => (c.name === 'app' ? { ...c, reason: RESOURCE_INIT } : c)),
      },
    });

    // The watcher decides the retry and schedules it, then its commit fails (DynamoDB throttled): the invocation fails.
    now = Date.parse('2026-11-25T09:16:00Z');
    const throttled = controllerOn(ports, cfg, clock, {
      store: {
        commit: async () => {
          throw new TransientAwsError('ProvisionedThroughputExceededException: rate of requests exceeds the allowed throughput');
        },
      },
    });
    await expect(throttled.handle(failed)).rejects.toThrow(TransientAwsError);
    expect(read()).toMatchObject({ status: 'running' });

    // Lambda retries the event a minute later (plus the failed invocation's own time).
    now = Date.parse('2026-11-25T09:17:05Z');
    await plain.handle(failed);
    const waiting = read() as Deployment & { retryAt?: string };
    expect(waiting).toMatchObject({ status: 'launching', attempt: 2 });

    // Scheduler fires the one retry schedule it kept, at its own time.
    const retry = [...scheduler.schedules.values()].find((s) => s.check?.purpose === 'retry');
    if (retry === undefined) throw new Error('no retry schedule');
    now = Date.parse(retry.fireAt);
    const before = new Set(scheduler.schedules.keys());
    const steps = await plain.handle(timeoutCheckEvent(id, 'staging', retry.at, WATCHER, retry.check));

    // Attempt 2 is launched now (or checked again at the retryAt recorded), never dropped for good.
    const launched = world.ecs.tasks.length > 1;
    const again = [...scheduler.schedules.entries()].filter(
      ([name, s]) => !before.has(name) && Date.parse(s.fireAt) >= Date.parse(waiting.retryAt ?? ''),
    );
    expect(
      { launched, checkedAgain: again.length > 0 },
      `retryAt ${waiting.retryAt}, fired ${retry.fireAt}: ${steps.map((x) => x.decision.reason).join('; ')}`,
    ).not.toEqual({ launched: false, checkedAgain: false });
  });
});
