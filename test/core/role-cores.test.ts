import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import type { Input } from '../../src/core/inputs.js';
import { LAUNCHER } from '../../src/core/launcher.js';
import { parseInput } from '../../src/core/parse.js';
import { misrouted, type Role, type RoleCore, roleOf } from '../../src/core/route.js';
import { WATCHER } from '../../src/core/watcher.js';
import { config, ctx, idleState, runningDeployment, SAMPLE_DEPLOYMENT, sample, withEvent } from '../support/fixtures.js';

const options = { requestSource: config().EVENT_SOURCE, registry: config().REGISTRY };

/** Which function takes each event (README "How it works"), and what it is, by the name of its sample. */
const EVENTS: [prefix: string, kind: Input['kind'], owner: Role][] = [
  ['ecr-', 'ecr-image-action', 'launch'],
  ['deploy-request', 'deploy-request', 'launch'],
  ['run-command', 'run-command', 'launch'],
  ['cancel-request', 'cancel-request', 'launch'],
  ['unlock-request', 'unlock-request', 'launch'],
  ['hook-', 'hook-state', 'launch'],
  ['task-', 'task-state', 'watch'],
  ['timeout-check', 'timeout-check', 'watch'],
  ['deployment-', 'deployment-state', 'watch'],
];

const request = (kind: 'cancel-request' | 'unlock-request') => ({
  version: '0',
  id: `${kind}-1`,
  source: config().EVENT_SOURCE,
  account: '123456789012',
  time: '2026-11-25T09:18:00Z',
  region: 'eu-west-1',
  resources: [],
  'detail-type': kind,
  detail: { environment: 'staging', requestId: 'op-1', requestedBy: 'arn:aws:iam::123456789012:user/ana', reason: 'lost' },
});

/** Every sample in events/, and an operator request of each kind. */
const RAW: [string, Record<string, unknown>][] = [
  ...readdirSync('events')
    .filter((f) => f.endsWith('.json') && f !== 'config.json')
    .map((f): [string, Record<string, unknown>] => [f.slice(0, -5), sample(f.slice(0, -5))]),
  ['cancel-request', request('cancel-request')],
  ['unlock-request', request('unlock-request')],
];

function eventOf(name: string): { kind: Input['kind']; owner: Role } {
  const found = EVENTS.find(([prefix]) => name.startsWith(prefix));
  if (found === undefined) throw new Error(`no expectation for ${name}`);
  return { kind: found[1], owner: found[2] };
}

const CORES: RoleCore[] = [LAUNCHER, WATCHER];

describe("each function's parser", () => {
  it.each(RAW)('%s: read in full by the function that takes it, only recognised by the other', (name, raw) => {
    const { kind, owner } = eventOf(name);
    const full = parseInput(raw, options);
    for (const core of CORES) {
      const parsed = core.parse(raw, options);
      if (core.role === owner) expect(parsed).toEqual(full);
      else expect(parsed).toEqual({ kind: 'misrouted', eventId: raw.id, event: kind, owner, receiver: core.role });
    }
  });

  it.each([
    ['an unsupported event', withEvent(sample('ecr-push'), { top: { source: 'aws.s3' } })],
    ['a value that is no EventBridge event', { hello: 'world' }],
  ])('gives %s the same invalid input as the full parser', (_what, raw) => {
    const full = parseInput(raw, options);
    expect(full.kind).toBe('invalid');
    for (const core of CORES) expect(core.parse(raw, options)).toEqual(full);
  });
});

describe("each function's decider", () => {
  const state = idleState({ deployments: { [SAMPLE_DEPLOYMENT]: runningDeployment() } });
  const common: Input[] = [
    { kind: 'launch-result', deploymentId: SAMPLE_DEPLOYMENT, ok: false, reason: 'capacity' },
    { kind: 'rollout-result', deploymentId: SAMPLE_DEPLOYMENT, services: [] },
    { kind: 'invalid', reason: 'not JSON' },
  ];

  it.each(RAW)('%s: decided as the full decide does by its function, refused as misrouted by the other', (_name, raw) => {
    const input = parseInput(raw, options);
    const owner = roleOf(input);
    for (const core of CORES) {
      const expected =
        owner === undefined || owner === core.role ? decide(input, state, ctx()) : misrouted(input, core.role, ctx().config.ENVIRONMENT);
      expect(core.decide(input, state, ctx())).toEqual(expected);
    }
  });

  it.each(common)('$kind: decided by either function as the full decide does', (input) => {
    for (const core of CORES) expect(core.decide(input, state, ctx())).toEqual(decide(input, state, ctx()));
  });

  it.each(RAW)("%s: the other function's parser keeps what it is, and it is refused exactly as the parsed event is", (name, raw) => {
    const { kind, owner } = eventOf(name);
    const receiver = owner === 'launch' ? 'watch' : 'launch';
    const core = CORES.find((c) => c.role === receiver) as RoleCore;
    const stand = core.parse(raw, options);
    const reason = `a "${kind}" event belongs to the ${owner} function, not the ${receiver} function: check the EventBridge rules that target it`;
    const refusal = misrouted(stand, receiver, 'staging');
    expect(refusal).toEqual({
      decision: 'reject',
      reason,
      actions: [{ type: 'putEvent', detailType: 'Event Rejected', detail: { environment: 'staging', reason, input: kind } }],
    });
    // The refusal of the parsed event by a controller that parses every event (a malformed one is refused as invalid there).
    const parsed = parseInput(raw, options);
    if (parsed.kind !== 'invalid') expect(misrouted(parsed, receiver, 'staging')).toEqual(refusal);
    expect(core.decide(stand, state, ctx())).toEqual(refusal);
    expect(decide(stand, state, ctx())).toEqual(refusal);
  });
});
