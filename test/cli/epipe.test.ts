import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KEYS } from '../../src/adapters/aws/store.js';
import { encodeDeployment, encodeEnvironment } from '../../src/core/records.js';
import { ensureTemplate } from '../../src/local/db-template.js';
import { scriptApp, startCli, TEMPLATE_CACHE } from '../local/helpers.js';
import { startAwsEndpoint } from '../support/aws-endpoint.js';
import { endedDeployment, PUSHED_IMAGE, TD } from '../support/fixtures.js';

/**
 * Issue 10, defect 11: `ecs-migrate explain … | head -1` must not die with EPIPE when the reader goes away.
 * The reading end is closed before the CLI writes, so every write it makes meets a closed pipe.
 */

const ROOT = resolve(import.meta.dirname, '..', '..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

function explainIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'cli', 'main.ts'), 'explain', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('explain into a closed pipe', () => {
  it.each([
    ['text', ['--config', 'events/config.json', '--now', '2026-11-25T09:15:00Z', 'events/ecr-push.json']],
    ['JSON', ['--config', 'events/config.json', '--now', '2026-11-25T09:15:00Z', 'events/ecr-push.json', '--json']],
  ])('ends quietly with exit code 0 (%s output)', async (_what, args) => {
    const { code, stderr } = await explainIntoClosedPipe(args);
    expect(stderr).not.toMatch(/EPIPE/);
    expect(code).toBe(0);
  });
});

/**
 * `ecs-migrate local … | head`: the reader goes away while the migration runs. The run's exit code is its verdict,
 * so it runs on to the verdict with its output discarded: ending at once (exit 0) abandoned the migration halfway and
 * left its deployment `launching`, and said 0, which means "rollout continued".
 */
describe('local into a pipe closed while the migration runs', () => {
  let work: string;
  beforeAll(async () => {
    await ensureTemplate(TEMPLATE_CACHE);
  }, 120_000);
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'ecs-migrate-epipe-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it.each([
    ['succeeds', 0, 0, 'stdout'],
    ['fails', 3, 1, 'stdout'],
    // `2>&1 | head`: stderr is the same closed pipe, and the note saying stdout closed met EPIPE too (found by a review).
    ['succeeds', 0, 0, 'stdout and stderr'],
  ] as const)(
    'runs on to the verdict when the migration %s (exit %i), and exits with its code, %i (%s closed)',
    async (_what, migrationExit, cliExit, closed) => {
      const marker = join(work, 'finished');
      const script = `echo "step 1"\nsleep 1\necho "step 2"\nsleep 0.5\necho finished > '${marker}'\nexit ${migrationExit}`;
      const app = await scriptApp(join(work, 'app'), script);
      const run = startCli(['local', '--app', app, '--state-dir', join(work, 'state')], work);
      await run.waitFor(/step 1/, 60_000);
      run.child.stdout.destroy();
      if (closed !== 'stdout') run.child.stderr.destroy();
      const exit = await run.exited;
      expect(existsSync(marker)).toBe(true);
      expect(exit.code).toBe(cliExit);
      if (closed === 'stdout') {
        expect(run.stderr()).toMatch(/stdout closed/);
        expect(run.stderr()).not.toMatch(/EPIPE/);
      }
    },
    90_000,
  );
});

/**
 * `ecs-migrate deploy … --wait | head -0` (or a log shipper that went away) on a deployed stack: the exit code is
 * still the verdict, by either spelling (README: `request deploy` is the earlier spelling of `deploy`).
 * Was: cli/main.ts gave `deploy` and `run-command` the 'run-on' policy but not `request`, so `request deploy --wait`
 * ended with exit 0 at its first write after the reader left, while the migration failed.
 */
describe('deploy --wait into a closed pipe', () => {
  const TABLE = 'ecs-migrate-staging-DeploymentsTable-ABC123';
  const REQUEST_ID = 'gh-31-1-deploy';
  const failed = endedDeployment('failed', {
    trigger: { type: 'deploy-request', eventId: 'e-1', at: '2026-11-25T09:15:00Z', requestId: REQUEST_ID, requestedBy: 'ci' },
    work: { type: 'image', image: PUSHED_IMAGE, baseTaskDefinitionArn: TD(42) },
    stop: { exitCode: 1, stopCode: 'EssentialContainerExited' },
    logTail: ['ERROR: relation "orders" already exists'],
  });
  const envItem = marshall({ ...encodeEnvironment({ environment: 'staging', version: 4 }), ...KEYS.environment('staging') });
  const depItem = marshall({ ...encodeDeployment(failed), ...KEYS.deployment('staging', failed.id) }, { removeUndefinedValues: true });

  let endpoint: { close: () => Promise<void> };
  beforeEach(async () => {
    endpoint = await startAwsEndpoint((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const answer = (json: unknown, type: string) => {
          res.writeHead(200, { 'content-type': type });
          res.end(JSON.stringify(json));
        };
        // The records are read a moment later, as over a real network: the reader is gone by then.
        const later = (json: unknown) => setTimeout(() => answer(json, 'application/x-amz-json-1.0'), 300);
        if (target.startsWith('AWSEvents.'))
          return answer({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] }, 'application/x-amz-json-1.1');
        if (target.endsWith('.BatchGetItem')) {
          const request = JSON.parse(body) as { RequestItems: Record<string, { Keys: { sk: { S: string } }[] }> };
          const keys = request.RequestItems[TABLE]?.Keys ?? [];
          return later({
            Responses: { [TABLE]: [envItem, depItem].filter((i) => keys.some((k) => k.sk.S === i.sk?.S)) },
            UnprocessedKeys: {},
          });
        }
        if (target.endsWith('.Query')) return later({ Items: [depItem], Count: 1 });
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
      });
    });
  });
  afterEach(async () => {
    await endpoint.close();
  });

  it.each([[['deploy']], [['request', 'deploy']]])(
    '%j exits 1, the verdict of the failed migration, not 0',
    async (spelling) => {
      const target = ['--environment', 'staging', '--table', TABLE, '--region', 'eu-west-1'];
      const wait = ['--requested-by', 'ci', '--request-id', REQUEST_ID, '--wait', '--timeout', '20s', '--image', PUSHED_IMAGE];
      const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'cli', 'main.ts'), ...spelling, ...target, ...wait], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // The reader went away before the CLI wrote anything.
      child.stdout.destroy();
      child.stderr.resume();
      const code = await new Promise<number | null>((done) => child.on('exit', done));
      expect(code).toBe(1);
    },
    30_000,
  );
});
