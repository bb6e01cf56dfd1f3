import { describe, expect, it } from 'vitest';
import { loadPlan, readsService } from '../../src/core/load-plan.js';
import {
  activeState,
  config,
  endedDeployment,
  launchingDeployment,
  parse,
  runningDeployment,
  sample,
  withEvent,
} from '../support/fixtures.js';

/**
 * Every migration's task sends the watcher a RUNNING event (the stack's rule routes RUNNING and STOPPED). Was: every
 * task event read the service (DescribeServices), though only a verdict (a rollout) or a launch handed over (resumed
 * with the service's network) needs it: one request more per migration, on progress alone.
 */
describe('readsService: which task events read the service', () => {
  const cfg = config();
  const plan = (event: Record<string, unknown>) => loadPlan(parse(event, cfg), cfg);
  const running = sample('task-running');

  it('not the RUNNING event of an open deployment: it is progress only', () => {
    expect(readsService(plan(running), activeState(runningDeployment()))).toBe(false);
    expect(readsService(plan(running), activeState(launchingDeployment()))).toBe(false);
  });

  it('a STOPPED event, or a RUNNING one whose migration container stopped (judged, after DescribeTasks if need be)', () => {
    expect(readsService(plan(sample('task-stopped-success')), activeState(runningDeployment()))).toBe(true);
    const detail = running.detail as { containers: Record<string, unknown>[] };
    const exited = withEvent(running, {
      detail: { containers: detail.containers.map((c) => (c.name === 'app' ? { ...c, lastStatus: 'STOPPED' } : c)) },
    });
    expect(readsService(plan(exited), activeState(runningDeployment()))).toBe(true);
  });

  it("any event of an ended deployment's task (a stray task, a rollout its end missed, a launch it handed over)", () => {
    expect(readsService(plan(running), activeState(endedDeployment('cancelled')))).toBe(true);
  });
});

/**
 * Was: a paused deployment's HOOK_AWAITING_ACTION read no lost deployment's task, though it takes over an expired lock
 * as a push does: a task stopped long ago was waited on as still running (test/shell/hook-takeover-task-read.test.ts).
 */
describe('loadPlan: the inputs that may take over an expired lock read its task', () => {
  it("a paused deployment's hook event, as a push, a deploy request and a run command do", () => {
    const cfg = config({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });
    const hook = parse(sample('hook-awaiting-action'), cfg);
    expect(hook.kind).toBe('hook-state');
    expect(loadPlan(hook, cfg).openTask).toBe('expired-lock');
  });
});
