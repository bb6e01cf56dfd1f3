import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { replayCommand } from '../../cli/replay.js';
import { LocalStore } from '../../src/adapters/local/store.js';
import { parseConfig } from '../../src/core/config.js';
import { LocalLayout } from '../../src/local/layout.js';
import type { Ports } from '../../src/ports.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { explainJson } from '../support/explain-json.js';
import { fakeEcs } from '../support/fake-ecs.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const EVENTS = join(ROOT, 'events');

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'ecs-migrate-explain-replay-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(work, { recursive: true, force: true });
});

/** The reason the real controller (local store, recording ports) decides for `raw` under `values`. */
async function controllerReason(values: Record<string, string>, raw: unknown): Promise<string> {
  const parsed = parseConfig(values);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const ports: Ports = {
    ecs: fakeEcs({}),
    store: new LocalStore(new LocalLayout(join(work, 'state'), parsed.config.ENVIRONMENT)),
    bus: { put: async () => {} },
    logs: { tail: async () => [] },
    scheduler: { scheduleTimeout: async () => {} },
    registry: { describeImage: async () => ({ digest: `sha256:${'c'.repeat(64)}`, pushedAt: '2026-11-25T09:00:00.000Z' }) },
  };
  const steps = await createController({
    config: parsed.config,
    ports,
    log: silentLog,
    now: () => new Date('2026-11-25T10:05:00Z'),
  }).handle(raw);
  return steps[0]?.decision.reason ?? '';
}

describe('explain says what the controller would decide, redacted as the controller says it', () => {
  it('does not print a secret the controller redacts from an ignored request (built-in rules)', async () => {
    const event = JSON.parse(readFileSync(join(EVENTS, 'deploy-request.json'), 'utf8'));
    event.detail.environment = 'prod password=hunter2';
    const file = join(work, 'other-environment.json');
    await writeFile(file, JSON.stringify(event));
    const config = JSON.parse(readFileSync(join(EVENTS, 'config.json'), 'utf8')) as Record<string, string>;

    const real = await controllerReason(config, event);
    expect(real).toContain('password=[REDACTED]');
    const answer = await explainJson(['--config', join(EVENTS, 'config.json'), '--now', '2026-11-25T10:05:00Z', file]);
    expect(answer.decision).toBe('ignore');
    expect(answer.reason).not.toContain('hunter2');
    expect(answer.reason).toBe(real);
  });

  it("does not print what the config's REDACT_PATTERNS hide from an ignored push's reason", async () => {
    const config = {
      ...(JSON.parse(readFileSync(join(EVENTS, 'config.json'), 'utf8')) as Record<string, string>),
      REDACT_PATTERNS: JSON.stringify(['sekrit[0-9]+']),
    };
    const configFile = join(work, 'config.json');
    await writeFile(configFile, JSON.stringify(config));
    const event = JSON.parse(readFileSync(join(EVENTS, 'ecr-push.json'), 'utf8'));
    event.detail['image-tag'] = 'build-sekrit12345';
    const file = join(work, 'push.json');
    await writeFile(file, JSON.stringify(event));

    const real = await controllerReason(config, event);
    expect(real).not.toContain('sekrit12345');
    const answer = await explainJson(['--config', configFile, '--now', '2026-11-25T10:05:00Z', file]);
    expect(answer.decision).toBe('ignore');
    expect(answer.reason).not.toContain('sekrit12345');
    expect(answer.reason).toBe(real);
  });
});

describe('replay takes --from and --to only as ISO times', () => {
  /** An EventBridge client that answers DescribeArchive and records every command it is sent. */
  function fakeEventBridge() {
    const sent: string[] = [];
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        return command.constructor.name === 'DescribeArchiveCommand'
          ? {
              ArchiveArn: 'arn:aws:events:eu-west-1:123456789012:archive/ecs-migrate-staging-pushes',
              EventSourceArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/default',
            }
          : { State: 'STARTING' };
      },
    };
    return { sent, client: client as unknown as EventBridgeClient };
  }

  it.each([
    ['1', '2'],
    ['0', '2026'],
    ['Nov 25 2026', 'Nov 26 2026'],
  ])('refuses --from %j --to %j (exit 2) and starts no replay', async (from, to) => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { sent, client } = fakeEventBridge();
    await expect(
      replayCommand(['--archive', 'ecs-migrate-staging-pushes', '--region', 'eu-west-1', '--from', from, '--to', to], client),
    ).rejects.toMatchObject({ name: 'CliUsageError' });
    expect(sent).not.toContain('StartReplayCommand');
  });
});
