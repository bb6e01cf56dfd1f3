import fc from 'fast-check';
import type { Preempt } from './interleaving.js';
import type { Fault } from './model-ports.js';

/**
 * What the model-based property tests (test/properties/*.property.test.ts) share to run: `fc.assert` with the seed,
 * path and number of runs from the environment and a reporter that says how to reproduce a failure, and the building
 * blocks of their steps.
 *
 * Reproduce a failure with the seed and path it prints: `FC_SEED=<seed> FC_PATH=<path> npx vitest run <the file>`.
 * `FC_RUNS` sets the number of runs; `FC_STATS=1` has a test print what its runs covered.
 */

/** Whether to gather and print what the runs covered (`FC_STATS`). */
export const STATS = Boolean(process.env.FC_STATS);

/** The number of runs: `FC_RUNS`, else the test's default. */
export function runsOr(byDefault: number): number {
  return Number(process.env.FC_RUNS ?? byDefault);
}

/** `fc.assert` of `predicate` over `arbitrary`, seeded from `FC_SEED` and `FC_PATH`; a failure says how to reproduce it. */
export async function assertProperty<T>(
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
  numRuns: number,
): Promise<void> {
  const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;
  const path = process.env.FC_PATH;
  await fc.assert(fc.asyncProperty(arbitrary, predicate), {
    numRuns,
    ...(seed !== undefined ? { seed } : {}),
    ...(path !== undefined ? { path } : {}),
    reporter: (details) => {
      if (details.failed)
        throw new Error(
          `property failed; reproduce with FC_SEED=${details.seed}${details.counterexamplePath ? ` FC_PATH=${details.counterexamplePath}` : ''}\n${fc.defaultReportMessage(details)}\n${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
        );
    },
  });
}

/** How many times each value occurs. */
export function countOf(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

// Building blocks of the steps.

/** Which of what there is a step takes (a task, an event, a deployment…): modulo their number. */
export const pick = fc.nat({ max: 20 });

/** Up to `maxLength` transient failures injected into an invocation, each before or after one of its port calls. */
export function faultsOf(maxLength: number): fc.Arbitrary<Fault[]> {
  return fc.array(fc.record({ call: fc.integer({ min: 1, max: 14 }), after: fc.boolean() }), { maxLength });
}

/** A running task starts. */
export const startStep = fc.record({ type: fc.constant('start' as const), pick });
/** A running task stops, its migration container exiting 0 (most often), 1, 137 or with no exit code. */
export const stopStep = fc.record({ type: fc.constant('stop' as const), pick, exitCode: fc.constantFrom(0, 0, 0, 1, 137, undefined) });
/** The clock moves on. */
export const clockStep = fc.record({ type: fc.constant('clock' as const), minutes: fc.constantFrom(1, 30, 90) });
/** Someone else starts a task with a deployment's startedBy. */
export const spoofStep = fc.record({ type: fc.constant('spoof' as const), pick });

/** The steps that invoke the controller: `fields`, with the invocation's `faults` and its `preempt` (left out when none). */
export function invoking<P>(faults: fc.Arbitrary<Fault[]>, preempt: fc.Arbitrary<P | undefined>) {
  return <T extends object>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
    fc.record({ ...fields, faults, preempt }).map(({ preempt: p, ...rest }) => (p === undefined ? rest : { ...rest, preempt: p }));
}

/**
 * A preemption, or none (half the time): before or after the `nth` (mostly the first) call of port `portName`, or
 * the invocation's port call 1 to `maxCall`, while 1 to 3 `nested` steps run.
 */
export function preemptions<Step, PortName extends string>(
  portName: fc.Arbitrary<PortName>,
  maxCall: number,
  nested: fc.Arbitrary<Step>,
): fc.Arbitrary<(Preempt<Step> & { at: PortName | number }) | undefined> {
  return fc.option(
    fc.record({
      at: fc.oneof(portName, fc.integer({ min: 1, max: maxCall })),
      nth: fc.constantFrom(1, 1, 2),
      after: fc.boolean(),
      meanwhile: fc.array(nested, { minLength: 1, maxLength: 3 }),
    }),
    { freq: 2, nil: undefined },
  );
}
