import { LocalBus, type PublishedEvent } from '../adapters/local/bus.js';
import { LocalEcs, type LocalEcsOptions } from '../adapters/local/ecs.js';
import { LocalLogs } from '../adapters/local/logs.js';
import { LocalRegistry } from '../adapters/local/registry.js';
import { LocalScheduler } from '../adapters/local/scheduler.js';
import { LocalStore } from '../adapters/local/store.js';
import type { Config } from '../core/config.js';
import type { Ports } from '../ports.js';
import { type ControllerDeps, createController, type StepRecord } from '../shell/controller.js';
import type { Log } from '../shell/logger.js';
import { LocalEventLoop } from './event-loop.js';
import { LocalImages } from './images.js';
import { LocalLayout } from './layout.js';
import { initialImage } from './task-event.js';

export interface LocalControllerOptions {
  /** The `.ecs-migrate` directory. */
  root: string;
  config: Config;
  log: Log;
  onOutput?: (taskArn: string, line: string) => void;
  onEvent?: (event: PublishedEvent) => void;
  onSteps?: (event: Record<string, unknown>, steps: StepRecord[]) => void;
  onDecision?: ControllerDeps['onDecision'];
  onError?: (event: Record<string, unknown>, error: unknown) => void;
  now?: () => Date;
  /** Grace between SIGTERM and SIGKILL when a task is stopped (ECS's stopTimeout); default 30 s. */
  stopTimeoutMs?: number;
  /** The whole environment of a task started from `appDir` (see `taskEnvironment()`). */
  taskEnvironment: LocalEcsOptions['taskEnvironment'];
  onTaskProcess?: LocalEcsOptions['onTaskProcess'];
}

/** The whole controller on this machine: local adapters behind the same ports, the same runner and core. */
export function createLocalController(options: LocalControllerOptions) {
  const now = options.now ?? (() => new Date());
  const { config } = options;
  const layout = new LocalLayout(options.root, config.ENVIRONMENT);
  const images = new LocalImages(layout.imagesFile);
  const bus = new LocalBus(layout.eventsFile, config.EVENT_SOURCE, now);
  if (options.onEvent !== undefined) bus.onEvent(options.onEvent);

  const stepListeners: ((event: Record<string, unknown>, steps: StepRecord[]) => void)[] = [];
  const errorListeners: ((event: Record<string, unknown>, error: unknown) => void)[] = [];
  if (options.onSteps !== undefined) stepListeners.push(options.onSteps);
  if (options.onError !== undefined) errorListeners.push(options.onError);

  let loop: LocalEventLoop<StepRecord[]>;
  const publish = (event: Record<string, unknown>) => loop.publish(event);
  const ecs = new LocalEcs({
    layout,
    images,
    cluster: config.CLUSTER,
    service: config.SERVICE,
    emit: publish,
    now,
    taskEnvironment: options.taskEnvironment,
    ...(options.onTaskProcess !== undefined ? { onTaskProcess: options.onTaskProcess } : {}),
    ...(options.onOutput !== undefined ? { onOutput: options.onOutput } : {}),
    ...(options.stopTimeoutMs !== undefined ? { stopTimeoutMs: options.stopTimeoutMs } : {}),
  });
  const scheduler = new LocalScheduler(publish, now);
  const store = new LocalStore(layout);
  const registry = new LocalRegistry(layout.tagsFile);
  const ports: Ports = { ecs, bus, store, logs: new LocalLogs(layout, (taskArn) => ecs.logTailInMemory(taskArn)), scheduler, registry };
  const controller = createController({
    config,
    ports,
    log: options.log,
    now,
    ...(options.onDecision !== undefined ? { onDecision: options.onDecision } : {}),
  });
  loop = new LocalEventLoop(
    (event) => controller.handle(event),
    (event, steps) => {
      for (const listener of stepListeners) listener(event, steps);
    },
    (event, error) => {
      options.log.error('event failed', { eventId: event.id, error: error instanceof Error ? error.message : String(error) });
      for (const listener of errorListeners) listener(event, error);
    },
  );

  return {
    config,
    layout,
    images,
    ecs,
    bus,
    store,
    scheduler,
    ports,
    publish,
    /** Builds the app's image and, the first time, creates the local service on a placeholder `:initial` image. */
    prepare: async (appDir: string) => {
      const built = await images.build(appDir, config.REPOSITORY, [layout.root]);
      // Built is pushed: a request for it (--command, --rerun) is dated by it, as ECR dates an image by its push.
      await registry.pushed(config.REPOSITORY, built.digest, now().toISOString());
      await ecs.ensureService(config.CONTAINER, initialImage(config.REPOSITORY));
      return built;
    },
    idle: () => loop.idle(),
    onSteps: (listener: (event: Record<string, unknown>, steps: StepRecord[]) => void) => stepListeners.push(listener),
    onError: (listener: (event: Record<string, unknown>, error: unknown) => void) => errorListeners.push(listener),
    dispose: () => scheduler.dispose(),
  };
}

export type LocalController = ReturnType<typeof createLocalController>;
