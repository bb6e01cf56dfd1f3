import type { Config } from '../../src/core/config.js';
import type { Waiter } from '../../src/core/deployment.js';
import type { Ecs, Ports, Store } from '../../src/ports.js';
import { type Controller, createController, createRoleController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { WATCH_FUNCTION } from '../../src/shell/watch-function.js';
import { config } from './fixtures.js';
import type { ModelStore } from './model-ports.js';

/**
 * A controller on `ports` (the model world's) with some calls replaced: how a test runs another invocation in the
 * middle of one (a push while the watcher updates the service, a task event while RunTask is on the wire). `now`: a
 * fixed time, or the test's clock read at each call.
 */
export function controllerOn(
  ports: Ports,
  cfg: Config,
  now: string | (() => number),
  replaced: { ecs?: Partial<Ecs>; store?: Partial<Store> } = {},
): Controller {
  return createController({
    config: cfg,
    ports: { ...ports, ecs: { ...ports.ecs, ...replaced.ecs }, store: { ...ports.store, ...replaced.store } },
    log: silentLog,
    now: typeof now === 'string' ? () => new Date(now) : () => new Date(now()),
    sleep: async () => {},
  });
}

/**
 * A store whose first commit loses a race: just before it, the launcher commits the running deployment of `store` with
 * `waiters` (an owner's deployment of the same digest paused and joined the migration).
 */
export function joinedBeforeFirstCommit(store: ModelStore, ports: Ports, waiters: Waiter[]): Partial<Store> {
  let raced = false;
  return {
    commit: async (request) => {
      if (!raced) {
        raced = true;
        const [seen] = store.all();
        if (seen?.status !== 'running') throw new Error('expected the running deployment');
        await store.commit({
          deployments: [{ deployment: { ...seen, revision: seen.revision + 1, waiters }, expectedRevision: seen.revision }],
        });
      }
      return ports.store.commit(request);
    },
  };
}

/** The watcher on `ports` (the test's config), its clock at `time`, retrying a lost race at once. */
export function watcherAt(ports: Ports, time: string): Controller {
  return createRoleController(
    { config: config(), ports, log: silentLog, now: () => new Date(time), sleep: async () => {} },
    WATCH_FUNCTION,
  );
}

/**
 * `store`, whose commits wait for `other` (started at the first commit) to run to its end first: how a test makes
 * another invocation win the race between this one's decision and its commit.
 */
export function losingFirstCommit(store: Store, other: () => Promise<unknown>): Store {
  let running: Promise<unknown> | undefined;
  return new Proxy(store, {
    get(target, key) {
      if (key === 'commit')
        return async (request: Parameters<Store['commit']>[0]) => {
          running ??= other();
          await running;
          return store.commit(request);
        };
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** `store`, whose first commit fails: the invocation dies after its actions (an UpdateService), before recording them. */
export function dyingAtFirstCommit(store: Store): Store {
  let died = false;
  return new Proxy(store, {
    get(target, key) {
      if (key === 'commit')
        return async (request: Parameters<Store['commit']>[0]) => {
          if (!died) {
            died = true;
            throw new Error('Task timed out after 30.00 seconds');
          }
          return store.commit(request);
        };
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
