import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/core/actions.js';
import { jsonBytes, LIMITS } from '../../src/core/bounds.js';
import { decide } from '../../src/core/decide.js';
import type { ControllerState } from '../../src/core/state.js';
import type { CommitRequest, OutgoingEvent, Ports } from '../../src/ports.js';
import { type ControllerDeps, createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { fakeEcs } from '../support/fake-ecs.js';

import { activeState, config, ctx, idleState, NOW, parse, runningDeployment, sample, service } from '../support/fixtures.js';

const handleEvent = (raw: unknown, deps: ControllerDeps) => createController(deps).handle(raw);

/**
 * Issue 10, defect 11: mutated real-shaped events (every sample in events/) with fields replaced by values of
 * other types, strings of several MB, lone surrogates and prototype keys, removed fields and added ones. Parsing
 * and deciding always return normally; a reject is bounded; every event and record is within the AWS limits and
 * well-formed. Seeded: set FUZZ_SEED to replay a run; fast-check prints the seed and path of a failure.
 */

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const EVENT_LIMIT = 256 * 1024;
const RECORD_LIMIT = 400 * 1024;

const SAMPLES = readdirSync(join(import.meta.dirname, '..', '..', 'events'))
  .filter((f) => f.endsWith('.json') && f !== 'config.json')
  .map((f) => f.slice(0, -'.json'.length));

type Path = (string | number)[];

/** Every path to a value in a JSON tree (the root excluded), down to a depth of 12. */
function paths(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null || prefix.length >= 12) return [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? Array.from(value, (v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> | undefined {
  let node = root;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>) : undefined;
}

const LONE = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF', 'a\uD800b', '\uDC00\uD800'];

/** Strings a hostile sender would try: huge (up to several MB), unicode, lone surrogates, injection-shaped. */
const hostileString = fc.oneof(
  fc
    .tuple(fc.constantFrom('x', 'é', '😀', '\uD800', 'password=hunter2 ', '$(id);'), fc.integer({ min: 1, max: 2_000_000 }))
    .map(([chunk, n]) => chunk.repeat(n)),
  fc.constantFrom(...LONE),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ maxLength: 16 }).map((s) => `${s}${LONE[s.length % LONE.length]}`),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'STOPPED', 'ecs-migrate/20261125-091500-5f2c1a9e', ''),
);

/** An object whose own keys include prototype names, as JSON.parse makes them. */
const prototypeKeyed = fc
  .record({ key: fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty'), value: fc.jsonValue({ maxDepth: 2 }) })
  .map(({ key, value }) => JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}}`) as unknown);

const nested = fc.integer({ min: 10, max: 5_000 }).map((depth) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
});

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 200 }) },
  { weight: 1, arbitrary: prototypeKeyed },
  { weight: 1, arbitrary: nested },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

type Mutation =
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: hostileValue }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('add' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'replay-name', 'rerun', 'command', 'image', 'x\uD800'), fc.string()),
    value: hostileValue,
  }),
);

function mutate(raw: unknown, mutations: Mutation[]): unknown {
  const root: unknown = raw;
  for (const m of mutations) {
    const all = paths(root);
    if (all.length === 0) break;
    const path = all[m.at % all.length] as Path;
    const parent = parentOf(root, path);
    const key = path[path.length - 1] as string | number;
    if (parent === undefined) continue;
    if (m.kind === 'set') Object.defineProperty(parent, key, { value: m.value, writable: true, enumerable: true, configurable: true });
    else if (m.kind === 'delete') delete parent[key];
    else {
      const target = typeof parent[key] === 'object' && parent[key] !== null ? (parent[key] as Record<string, unknown>) : parent;
      Object.defineProperty(target, m.key, { value: m.value, writable: true, enumerable: true, configurable: true });
    }
  }
  return root;
}

const hostileEvent = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([name, ms]) => mutate(sample(name), ms)),
  },
  { weight: 1, arbitrary: fc.anything() },
);

/** Every string (keys too) holding a lone surrogate. */
function illFormed(value: unknown, depth = 0): string[] {
  if (depth > 64) return [];
  if (typeof value === 'string') return value.isWellFormed() ? [] : [value.slice(0, 40)];
  if (Array.isArray(value)) return Array.from(value, (v) => illFormed(v, depth + 1)).flat();
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([k, v]) => [...illFormed(k), ...illFormed(v, depth + 1)]);
  return [];
}

/** What every decision must respect, whatever the input. */
function checkDecision(d: Decision): void {
  expect(d.reason.length).toBeLessThanOrEqual(16 * 1024);
  expect(d.reason.isWellFormed()).toBe(true);
  if (d.decision === 'reject') expect(d.reason.length).toBeLessThanOrEqual(LIMITS.reasonChars + 100);
  for (const action of d.actions) {
    if (action.type === 'putEvent') {
      expect(jsonBytes(action.detail)).toBeLessThan(EVENT_LIMIT);
      expect(illFormed(action.detail)).toEqual([]);
    }
    if (action.type === 'commit') {
      for (const { deployment } of action.deployments) {
        expect(jsonBytes(deployment)).toBeLessThan(RECORD_LIMIT);
        expect(illFormed(deployment)).toEqual([]);
      }
    }
  }
}

const states: ControllerState[] = [
  idleState(),
  activeState(runningDeployment()),
  idleState({ service: undefined, serviceProblem: 'not found' }),
];

describe(`fuzz: parse and decide on mutated real events (FUZZ_SEED=${SEED})`, () => {
  it('always return normally, with bounded, well-formed rejects, events and records', () => {
    fc.assert(
      fc.property(hostileEvent, fc.constantFrom(...states), (raw, state) => {
        const decision = decide(parse(raw), state, ctx());
        checkDecision(decision);
      }),
      { seed: SEED, numRuns: 400 },
    );
  }, 120_000);

  it('the runner (both handlers run it) returns normally and sends and stores only bounded, well-formed data', async () => {
    await fc.assert(
      fc.asyncProperty(hostileEvent, async (raw) => {
        const events: OutgoingEvent[] = [];
        const commits: CommitRequest[] = [];
        const running = runningDeployment();
        const ports: Ports = {
          ecs: fakeEcs({
            launch: async () => ({
              ok: true,
              taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/abc',
              taskDefinitionArn: service.taskDefinitionArn,
            }),
          }),
          store: {
            loadEnvironment: async () => activeState(running).env,
            loadDeployments: async (ids) => (ids.includes(running.id) ? { [running.id]: running } : {}),
            loadEnvironmentWith: async (_e, ids) => ({
              env: activeState(running).env,
              deployments: ids.includes(running.id) ? { [running.id]: running } : {},
            }),
            commit: async (request) => void commits.push(request),
            clearOutbox: async () => {},
          },
          bus: { put: async (e) => void events.push(...e) },
          logs: { tail: async () => ['password=hunter2', 'x'.repeat(20_000), 'end \uD800'] },
          scheduler: { scheduleTimeout: async () => {} },
          registry: { describeImage: async () => ({ digest: `sha256:${'a'.repeat(64)}`, pushedAt: NOW }) },
        };
        await handleEvent(raw, { config: config(), ports, log: silentLog, now: () => new Date(NOW) });
        for (const e of events) {
          expect(jsonBytes(e.detail)).toBeLessThan(EVENT_LIMIT);
          expect(illFormed(e.detail)).toEqual([]);
          expect(JSON.stringify(e.detail)).not.toContain('hunter2');
        }
        for (const { deployment } of commits.flatMap((c) => c.deployments)) {
          expect(jsonBytes(deployment)).toBeLessThan(RECORD_LIMIT);
          expect(illFormed(deployment)).toEqual([]);
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  }, 120_000);
});
