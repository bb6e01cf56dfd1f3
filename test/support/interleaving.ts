import { AsyncLocalStorage } from 'node:async_hooks';
import { TransientAwsError } from '../../src/errors.js';
import { type Fault, FaultPlan } from './model-ports.js';

/**
 * The preemption harness of the concurrency property tests (test/properties/*concurrency*): Lambda invocations that
 * overlap. Each invocation counts its own port calls (AsyncLocalStorage, so concurrent and nested invocations do not
 * share a counter), may fail at one of them (as `FaultPlan`), and may be preempted just before or just after one of
 * them while other steps run to completion; then it goes on from where it was.
 */

/**
 * Before (`after: false`) or after the `nth` call of port `at` by the invocation (`at` a number: its `at`-th port call
 * of any port, `nth` ignored), the `meanwhile` steps run to completion.
 */
export interface Preempt<Step> {
  at: string | number;
  nth: number;
  after: boolean;
  meanwhile: Step[];
}

/** One Lambda invocation in flight: its port calls, its injected failure and its preemption. */
export interface Invocation<Step> {
  raw: Record<string, unknown>;
  label: string;
  faults: Fault[];
  preempt?: Preempt<Step>;
  fired: boolean;
  calls: number;
  byName: Map<string, number>;
}

/** The invocation whose port calls are being made (undefined outside any: the test's own reads of the world). */
export const current = new AsyncLocalStorage<Invocation<unknown>>();

export function invocation<Step>(
  raw: Record<string, unknown>,
  label: string,
  faults: Fault[],
  preempt: Preempt<Step> | undefined,
): Invocation<Step> {
  return { raw, label, faults, fired: false, calls: 0, byName: new Map(), ...(preempt ? { preempt } : {}) };
}

/** The fault plan of overlapping invocations: `interrupt` runs the preempting steps. */
export class Interleaving<Step> extends FaultPlan {
  constructor(private readonly interrupt: (inv: Invocation<Step>, where: string) => Promise<void>) {
    super();
  }

  override async around<T>(name: string, effect: () => Promise<T>): Promise<T> {
    const inv = current.getStore() as Invocation<Step> | undefined;
    if (inv === undefined) return effect();
    inv.calls += 1;
    const nth = (inv.byName.get(name) ?? 0) + 1;
    inv.byName.set(name, nth);
    const fault = inv.faults.find((f) => f.call === inv.calls);
    const at = inv.preempt?.at;
    const due = typeof at === 'number' ? at === inv.calls : at === name && inv.preempt?.nth === nth;
    const preempt = !inv.fired && due ? inv.preempt : undefined;
    if (preempt !== undefined && !preempt.after) {
      inv.fired = true;
      await this.interrupt(inv, `before ${name}#${nth}`);
    }
    if (fault !== undefined && !fault.after) throw new TransientAwsError(`injected: ${name} failed before its effect`);
    const result = await effect();
    if (preempt?.after === true) {
      inv.fired = true;
      await this.interrupt(inv, `after ${name}#${nth}`);
    }
    if (fault?.after === true) throw new TransientAwsError(`injected: ${name} took effect, then the invocation died`);
    return result;
  }
}

/** The calls of model-ports' ports (`modelPorts`) an invocation may be preempted at, but for the racy ones a test names first. */
export const MODEL_PORT_CALLS = [
  'describeService',
  'putEvents',
  'loadEnvironmentWith',
  'loadDeployments',
  'describeTask',
  'scheduleTimeout',
  'stopTask',
  'stopTasksStartedBy',
  'tail',
  'clearOutbox',
] as const;
