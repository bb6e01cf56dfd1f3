import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTemplate } from '../../src/local/db-template.js';
import type { Ecs, Store } from '../../src/ports.js';
import { createRoleController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { WATCH_FUNCTION } from '../../src/shell/watch-function.js';
import { ROOT, scriptApp, startCli, TEMPLATE_CACHE } from '../local/helpers.js';
import { config, sample, service, TD } from '../support/fixtures.js';
import { watcherOnRunning } from '../support/watch-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-review-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A circuit breaker's rollback: ECS sends SERVICE_DEPLOYMENT_FAILED and SERVICE_DEPLOYMENT_IN_PROGRESS ("rolling
 * back") for the same ECS deployment at the same moment (events/deployment-failed.json, deployment-rolling-back.json),
 * and EventBridge may deliver either twice. Two watcher invocations then race. With the outbox, the loser's events
 * were never published (its retry ignores "recorded as failed already"): one Rollout Failed, one SNS message. With
 * reportFirst (d31bcd9), the loser has published its Rollout Failed before its commit lost.
 */
describe('ECS Deployment State Change delivered twice at once (circuit breaker: FAILED and rolling back)', () => {
  it('puts one Rollout Failed on the bus for the one failed rollout', async () => {
    const ecsDeploymentId = 'ecs-svc/5169280574093855189';
    const ecs: Partial<Ecs> = {
      describeService: async () => ({ ...service, taskDefinitionArn: TD(42) }),
      updateService: async () => ({ ecsDeploymentId }),
    };
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:30:00Z'), logLines: [] });
    await h.watch.handle(sample('task-stopped-success'));
    expect(await h.stored()).toMatchObject({ status: 'ended', services: [{ ecsDeploymentId }] });
    h.events.length = 0;

    // Invocation A (FAILED) decides, and the other (rolling back) runs to its end just before A's commit.
    const store = h.ports.store;
    let other: Promise<unknown> | undefined;
    const racing = new Proxy(store, {
      get(target, key) {
        if (key === 'commit')
          return async (request: Parameters<Store['commit']>[0]) => {
            other ??= h.watch.handle(sample('deployment-rolling-back'));
            await other;
            return store.commit(request);
          };
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const a = createRoleController(
      {
        config: config(),
        ports: { ...h.ports, store: racing },
        log: silentLog,
        now: () => new Date('2026-11-25T09:38:48Z'),
        sleep: async () => {},
      },
      WATCH_FUNCTION,
    );
    await a.handle(sample('deployment-failed'));

    expect(await h.stored()).toMatchObject({ services: [{ completion: 'failed' }] });
    expect(h.events.filter((e) => e.detailType === 'Rollout Failed')).toHaveLength(1);
  });
});

/**
 * `ecs-migrate local … 2>&1 | head`: the reader of both stdout and stderr goes away. The run should go on to its
 * verdict (08006c0) but the handler's own note goes to stderr, whose EPIPE nothing handles: the CLI dies with an
 * unhandled 'error' event, abandoning the migration, as before the change.
 */
describe('local into a closed pipe that is also its stderr (2>&1 | head)', () => {
  beforeAll(async () => {
    await ensureTemplate(TEMPLATE_CACHE);
  }, 120_000);

  it('runs on to the verdict and exits with its code (0)', async () => {
    const marker = join(dir, 'finished');
    const script = `echo "step 1"\nsleep 1\necho "step 2"\nsleep 0.5\necho finished > '${marker}'\nexit 0`;
    const app = await scriptApp(join(dir, 'app'), script);
    const run = startCli(['local', '--app', app, '--state-dir', join(dir, 'state')], dir);
    await run.waitFor(/step 1/, 60_000);
    run.child.stdout.destroy();
    run.child.stderr.destroy();
    const exit = await run.exited;
    expect(existsSync(marker)).toBe(true);
    expect(exit.code).toBe(0);
  }, 90_000);
});

/**
 * BENCHMARKS.md and bench/results.json (3c47b78) were written before d31bcd9 (Rollout Completed reported before its
 * commit: no outbox to clear) and 55e5399 (the timeout check of an ended deployment reads no service), whose commit
 * messages and docs cite BENCHMARKS.md's "after the rollout" table for the saving: that table still lists the
 * UpdateItem clearing the outbox and the DescribeServices, and its row says "7 (completed: 5; timeout check: 2)".
 */
describe("BENCHMARKS.md's requests after the rollout", () => {
  it('are the writes and service reads the watcher makes now for the completed event and the timeout check', async () => {
    const ops: string[] = [];
    const ecs: Partial<Ecs> = {
      describeService: async () => {
        ops.push('ecs:DescribeServices');
        return { ...service, taskDefinitionArn: TD(42) };
      },
      updateService: async () => ({ ecsDeploymentId: 'ecs-svc/5169280574093855189' }),
    };
    const h = await watcherOnRunning(dir, { ecs, now: new Date('2026-11-25T09:30:00Z'), logLines: [] });
    await h.watch.handle(sample('task-stopped-success'));
    const store = h.ports.store;
    const commit = store.commit.bind(store);
    const clearOutbox = store.clearOutbox.bind(store);
    store.commit = async (request) => {
      ops.push('dynamodb:TransactWriteItems');
      await commit(request);
    };
    store.clearOutbox = async (ref) => {
      ops.push('dynamodb:UpdateItem');
      await clearOutbox(ref);
    };
    const put = h.ports.bus.put;
    h.ports.bus.put = async (events) => {
      ops.push('events:PutEvents');
      await put(events);
    };
    ops.length = 0;
    await h.watch.handle(sample('deployment-completed'));
    await h.watch.handle(sample('timeout-check'));

    const results = JSON.parse(await readFile(join(ROOT, 'bench', 'results.json'), 'utf8')) as {
      awsCalls: { later: Record<string, { calls: { api: string }[] }> };
    };
    const benchmarked = Object.values(results.awsCalls.later)
      .flatMap((l) => l.calls.map((c) => c.api))
      .filter((api) => api !== 'dynamodb:BatchGetItem' && api !== 'dynamodb:GetItem');
    expect(benchmarked).toEqual(ops);
  });
});
