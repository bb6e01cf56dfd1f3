import type { Config } from '../core/config.js';
import type { Log } from '../shell/logger.js';
import { createLocalController, type LocalController, type LocalControllerOptions } from './controller.js';
import { ensureTemplate } from './db-template.js';
import { EnvironmentLock, type LockOwner } from './env-lock.js';
import { LocalLayout } from './layout.js';
import { openPostgres, type PostgresEndpoint } from './postgres.js';
import { type Recovery, recoverInterrupted } from './run-to-end.js';
import { type HostEnvironment, postgresEnvironment, taskEnvironment } from './task-env.js';

export interface LocalSessionOptions {
  /** The state directory (`.ecs-migrate`). */
  root: string;
  appDir: string;
  config: Config;
  /** PATH and HOME of the CLI's environment, the only part of it a task gets. */
  host: HostEnvironment;
  /** Where the database template is kept (a per-user cache). */
  templateCacheDir: string;
  /** The task's declared environment (`--env-file`, `--env`). */
  declaredEnv: Record<string, string>;
  /** The user's own Postgres (`--database-url`): nothing embedded is started. */
  databaseUrl?: string;
  stopTimeoutMs: number;
  /** false: fail with EnvironmentBusyError instead of waiting for a run that holds the environment. */
  wait: boolean;
  /** Aborts waiting for the environment, or for the end of a deployment an earlier run left active. */
  signal?: AbortSignal;
  log: Log;
  onProgress?: (line: string) => void;
  onWait?: (owner: LockOwner, hint: string | undefined) => void;
  onStale?: (owner: LockOwner, killedTask: boolean) => void;
  onOutput?: LocalControllerOptions['onOutput'];
  onEvent?: LocalControllerOptions['onEvent'];
  onDecision?: LocalControllerOptions['onDecision'];
  now?: () => Date;
}

export interface LocalSession {
  controller: LocalController;
  image: string;
  digest: string;
  databaseUrl: string;
  /** Settles when the database accepts queries (at once for `--database-url`); rejects if it did not start. */
  databaseReady: Promise<void>;
  /** The deployment a dead earlier run left active, as the unlock that ends it left it (ended as failed, or refused). */
  interrupted?: Recovery;
  /** Stops the database and releases the environment. Tasks must have ended (see `killTasks`). */
  close(): Promise<void>;
  /** SIGKILL to every task group and the lock released, synchronously: for a process 'exit' handler. */
  emergencyStop(): void;
}

/**
 * One `ecs-migrate local` run's resources, in order: the environment lock (waiting for another run to finish),
 * then the app's image and the database endpoint together, then the controller, and the recovery of a
 * deployment an earlier, dead run left active (safe now: the lock says no live run owns it).
 */
export async function openLocalSession(o: LocalSessionOptions): Promise<LocalSession> {
  const layout = new LocalLayout(o.root, o.config.ENVIRONMENT);
  // Loading PGlite takes a while: start it now, it is needed once the environment is ours.
  const preload = o.databaseUrl === undefined ? import('@electric-sql/pglite').catch(() => undefined) : undefined;
  const lock = await EnvironmentLock.acquire(layout.lockFile, {
    environment: o.config.ENVIRONMENT,
    what: `ecs-migrate local --app ${o.appDir}`,
    wait: o.wait,
    ...(o.onWait !== undefined ? { onWait: o.onWait } : {}),
    ...(o.onStale !== undefined ? { onStale: o.onStale } : {}),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  });
  let endpoint: PostgresEndpoint | undefined;
  let controller: LocalController | undefined;
  try {
    let database: Record<string, string> = {};
    const ctl = createLocalController({
      root: o.root,
      config: o.config,
      log: o.log,
      stopTimeoutMs: o.stopTimeoutMs,
      taskEnvironment: (appDir, task) =>
        taskEnvironment({ host: o.host, environment: o.config.ENVIRONMENT, database, declared: o.declaredEnv }, appDir, task),
      onTaskProcess: (task) => {
        try {
          lock.setTask(task?.pid, task?.taskId, task?.outputs);
        } catch {
          // Only an orphan's cleanup by a later run depends on it: not worth failing the task over.
        }
      },
      ...(o.onOutput !== undefined ? { onOutput: o.onOutput } : {}),
      ...(o.onEvent !== undefined ? { onEvent: o.onEvent } : {}),
      ...(o.onDecision !== undefined ? { onDecision: o.onDecision } : {}),
      ...(o.now !== undefined ? { now: o.now } : {}),
    });
    controller = ctl;
    // The endpoint's address is there at once; the database starts behind it while the app is hashed and the
    // task launched, and the task's connections wait for it.
    const startDatabase = async (): Promise<string> => {
      if (o.databaseUrl !== undefined) return o.databaseUrl;
      const started = Date.now();
      o.onProgress?.('starting the local Postgres …');
      // Building the template (initdb, seconds) is done before the task may connect, so a tool's connect
      // timeout only ever waits for a copy and a start.
      await Promise.all([preload, ensureTemplate(o.templateCacheDir, o.onProgress).catch(() => undefined)]);
      const opened = await openPostgres({
        dataDir: layout.databaseDir,
        templateCacheDir: o.templateCacheDir,
        ...(o.onProgress !== undefined ? { onProgress: o.onProgress } : {}),
      });
      endpoint = opened;
      opened.ready.then(
        () => o.onProgress?.(`Postgres ready at ${opened.url} (${Date.now() - started} ms)`),
        (error: Error) => o.onProgress?.(`the local Postgres did not start: ${error.message}`),
      );
      return opened.url;
    };
    const [databaseUrl, { image, digest }] = await Promise.all([startDatabase(), ctl.prepare(o.appDir)]);
    database = postgresEnvironment(databaseUrl);
    const interrupted = await recoverInterrupted(ctl, o.signal);
    let closed: Promise<void> | undefined;
    return {
      controller: ctl,
      image,
      digest,
      databaseUrl,
      databaseReady: endpoint?.ready ?? Promise.resolve(),
      ...(interrupted !== undefined ? { interrupted } : {}),
      close: () => {
        closed ??= (async () => {
          ctl.dispose();
          ctl.ecs.killAll();
          await endpoint?.close();
          lock.release();
        })();
        return closed;
      },
      emergencyStop: () => {
        ctl.ecs.killAll();
        lock.release();
      },
    };
  } catch (error) {
    controller?.dispose();
    controller?.ecs.killAll();
    await endpoint?.close().catch(() => undefined);
    lock.release();
    throw error;
  }
}
