import { randomBytes } from 'node:crypto';
import { createWriteStream, constants as fsConstants, type WriteStream } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { LaunchRequest, ServiceUpdateTarget } from '../../core/actions.js';
import { definedFields } from '../../core/defined-fields.js';
import { deploymentIdFromStartedBy } from '../../core/deployment.js';
import type { TaskSnapshot } from '../../core/inputs.js';
import type {
  HookAnswer,
  HookAnswerOutcome,
  ImageRollout,
  ServiceDeploymentInfo,
  ServiceRevisionInfo,
  ServiceRolloutResult,
} from '../../core/service-deployment.js';
import type { ServiceInfo } from '../../core/state.js';
import { parseTaskDefinitionArn } from '../../core/task-definition.js';
import { ServiceNotFoundError } from '../../errors.js';
import { hookStateEvent } from '../../local/hook-event.js';
import { appDigest, type LocalImages } from '../../local/images.js';
import type { LocalLayout } from '../../local/layout.js';
import { shebangOf } from '../../local/shebang.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalTaskView, taskStateEvent } from '../../local/task-event.js';
import { TaskProcess } from '../../local/task-process.js';
import type { Ecs, LaunchOutcome } from '../../ports.js';
import { readJson, writeJson } from './json-file.js';
import { RecentLines } from './recent-lines.js';
import { answer as answerPausedHook, type LocalServiceDeployment, localDeploymentId, pausedDeployment } from './service-deployments.js';

export interface LocalTaskDefinition {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  containers: { name: string; image: string }[];
  tags?: Record<string, string>;
}

export interface LocalService {
  serviceName: string;
  clusterArn: string;
  taskDefinitionArn: string;
}

export interface LocalEcsOptions {
  layout: LocalLayout;
  images: LocalImages;
  cluster: string;
  service: string;
  /** Where task state change events go (local mode's EventBridge). */
  emit: (event: Record<string, unknown>) => void;
  /** Live task output, for the CLI's progress display. */
  onOutput?: (taskArn: string, line: string) => void;
  now?: () => Date;
  /** Grace between SIGTERM and SIGKILL when a task is stopped (ECS's stopTimeout). */
  stopTimeoutMs?: number;
  /**
   * The environment of a task started from `appDir` (PATH, database, declared variables): the whole of it,
   * nothing is inherited. `deploymentId` is undefined for a task not started by the controller; `taskId` is the
   * task's (random) id, as in its ARN.
   */
  taskEnvironment: (appDir: string, task: { deploymentId: string | undefined; taskId: string }) => Record<string, string>;
  /**
   * Told when a task's process group starts (its leader's pid, the task id its processes inherit and its output as
   * /proc links it) and ends: the environment lock records it.
   */
  onTaskProcess?: (task: { pid: number; taskId: string; outputs: string[] } | undefined) => void;
}

interface RunningTask {
  view: LocalTaskView;
  process?: TaskProcess;
  stopReason?: string;
  /** Its last lines of output, until its log file has them all: the log tail if the file cannot be written. */
  output?: RecentLines;
  /** Set once its log file could not be written (a full disk): the file stops there, `output` has the tail. */
  logFailed?: boolean;
}

/**
 * How much of a task's output is kept in memory for its log tail: more than the controller reads (50 lines, 64 KiB),
 * which is not the adapter's to know.
 */
const OUTPUT_KEPT = { lines: 200, chars: 256 * 1024 };

/**
 * ECS on this machine: a task is the app's command run from the app directory in its own process group
 * (`TaskProcess`), with the environment `taskEnvironment` gives it and nothing else; its output is the task
 * log, stopping it is SIGTERM then SIGKILL to the group, and it reports its states as ECS events.
 */
export class LocalEcs implements Ecs {
  private readonly tasks = new Map<string, RunningTask>();
  private readonly byClientToken = new Map<string, LaunchOutcome>();
  private readonly now: () => Date;
  /** Set once the CLI is interrupted: tasks launched from then on are stopped as soon as they start. */
  private stopAllReason: string | undefined;

  constructor(private readonly options: LocalEcsOptions) {
    this.now = options.now ?? (() => new Date());
  }

  get clusterArn(): string {
    return `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster/${this.options.cluster}`;
  }

  taskDefinitionArn(family: string, revision: number): string {
    return `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:task-definition/${family}:${revision}`;
  }

  /** Creates the local service with a first task definition, the first time local mode runs. */
  async ensureService(container: string, initialImage: string): Promise<LocalService> {
    const existing = await readJson<LocalService>(this.options.layout.serviceFile);
    if (existing !== undefined) return existing;
    const family = this.options.service;
    const td: LocalTaskDefinition = {
      taskDefinitionArn: this.taskDefinitionArn(family, 1),
      family,
      revision: 1,
      containers: [{ name: container, image: initialImage }],
    };
    await writeJson(this.options.layout.taskDefinitionFile(family, 1), td);
    const service: LocalService = {
      serviceName: this.options.service,
      clusterArn: this.clusterArn,
      taskDefinitionArn: td.taskDefinitionArn,
    };
    await writeJson(this.options.layout.serviceFile, service);
    return service;
  }

  async describeService(): Promise<ServiceInfo> {
    const service = await readJson<LocalService>(this.options.layout.serviceFile);
    if (service === undefined) {
      throw new ServiceNotFoundError(
        `no local service "${this.options.service}" under ${this.options.layout.envDir}: run "ecs-migrate local --app DIR" first`,
      );
    }
    const td = await this.readTaskDefinition(service.taskDefinitionArn);
    return {
      serviceName: service.serviceName,
      clusterArn: service.clusterArn,
      taskDefinitionArn: service.taskDefinitionArn,
      ...(td?.containers[0] ? { image: td.containers[0].image } : {}),
      ...(td?.tags?.['ecs-migrate:deployment'] !== undefined ? { migratedBy: td.tags['ecs-migrate:deployment'] } : {}),
    };
  }

  async launch(request: LaunchRequest): Promise<LaunchOutcome> {
    const earlier = this.byClientToken.get(request.clientToken);
    if (earlier !== undefined) return earlier;

    const td =
      request.taskDefinitionArn !== undefined ? await this.readTaskDefinition(request.taskDefinitionArn) : await this.register(request);
    if (td === undefined)
      return { ok: false, reason: `task definition ${request.taskDefinitionArn ?? request.baseTaskDefinitionArn} does not exist locally` };
    const container = td.containers.find((c) => c.name === request.container);
    if (container === undefined)
      return { ok: false, reason: `task definition ${td.taskDefinitionArn} has no container "${request.container}": check CONTAINER` };

    const taskId = randomBytes(16).toString('hex');
    const at = this.now().toISOString();
    const view: LocalTaskView = {
      taskArn: `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:task/${this.options.cluster}/${taskId}`,
      clusterArn: this.clusterArn,
      taskDefinitionArn: td.taskDefinitionArn,
      family: td.family,
      startedBy: request.startedBy,
      container: request.container,
      command: request.command,
      version: 1,
      lastStatus: 'PROVISIONING',
      createdAt: at,
      containers: td.containers.map((c) => ({ name: c.name, lastStatus: 'PENDING' })),
    };
    const outcome: LaunchOutcome = { ok: true, taskArn: view.taskArn, taskDefinitionArn: td.taskDefinitionArn };
    this.byClientToken.set(request.clientToken, outcome);
    const task: RunningTask = { view };
    this.tasks.set(view.taskArn, task);
    await this.start(task, container.image, taskId);
    return outcome;
  }

  async stopTasksStartedBy(cluster: string, startedBy: string, reason: string): Promise<void> {
    for (const [taskArn, task] of this.tasks)
      if (task.view.startedBy === startedBy && task.view.lastStatus !== 'STOPPED') await this.stopTask(cluster, taskArn, reason);
  }

  async stopTask(_cluster: string, taskArn: string, reason: string): Promise<void> {
    const task = this.tasks.get(taskArn);
    if (task === undefined || task.view.lastStatus === 'STOPPED') return;
    task.stopReason ??= reason;
    task.process?.stop(this.options.stopTimeoutMs ?? 30_000);
  }

  /** Stops every task, now and any launched later (ECS's StopTask for the whole cluster, when the CLI is interrupted). */
  stopAll(reason: string): void {
    this.stopAllReason ??= reason;
    for (const taskArn of this.runningTasks()) void this.stopTask(this.options.cluster, taskArn, reason);
  }

  /** SIGKILL to every task's process group, synchronously (a second Ctrl-C, or the CLI process exiting). */
  killAll(): void {
    for (const task of this.tasks.values()) task.process?.kill();
  }

  async updateService(_target: ServiceUpdateTarget, taskDefinitionArn: string): Promise<{ ecsDeploymentId?: string }> {
    const service = await readJson<LocalService>(this.options.layout.serviceFile);
    if (service === undefined) throw new ServiceNotFoundError(`no local service "${this.options.service}"`);
    await writeJson(this.options.layout.serviceFile, { ...service, taskDefinitionArn });
    return {};
  }

  async containerImage(taskDefinitionArn: string, container: string): Promise<string | undefined> {
    return (await this.readTaskDefinition(taskDefinitionArn))?.containers.find((c) => c.name === container)?.image;
  }

  async describeTask(_cluster: string, taskArn: string): Promise<TaskSnapshot | undefined> {
    const view = this.tasks.get(taskArn)?.view;
    if (view === undefined) return undefined;
    const { lastStatus, stopCode, stoppedReason, startedAt, stoppedAt, version, containers } = view;
    return definedFields({ lastStatus, stopCode, stoppedReason, startedAt, stoppedAt, version, containers });
  }

  /**
   * pause-hook mode: simulates the service owner's deployment of `image` (UpdateService with a PAUSE lifecycle
   * hook at `stage`): registers a revision of the service's task definition with CONTAINER on `image`, and keeps a
   * deployment IN_PROGRESS whose hook is AWAITING_ACTION. The service moves only when the hook is answered CONTINUE.
   */
  async startPausedDeployment(container: string, image: string, stage: string): Promise<ServiceDeploymentInfo> {
    const service = await readJson<LocalService>(this.options.layout.serviceFile);
    const base = service !== undefined ? await this.readTaskDefinition(service.taskDefinitionArn) : undefined;
    if (service === undefined || base === undefined)
      throw new ServiceNotFoundError(`no local service "${this.options.service}" under ${this.options.layout.envDir}`);
    if (!base.containers.some((c) => c.name === container))
      throw new ServiceNotFoundError(`task definition ${base.taskDefinitionArn} has no container "${container}": check CONTAINER`);
    const revision = await this.nextRevision(base.family, base.revision);
    const { tags: _ownersHaveNone, ...untagged } = base;
    const td: LocalTaskDefinition = {
      ...untagged,
      taskDefinitionArn: this.taskDefinitionArn(base.family, revision),
      revision,
      containers: base.containers.map((c) => (c.name === container ? { ...c, image } : c)),
    };
    await writeJson(this.options.layout.taskDefinitionFile(td.family, revision), td);
    const record = pausedDeployment({
      id: randomBytes(12).toString('base64url'),
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      cluster: this.options.cluster,
      service: this.options.service,
      stage,
      now: this.now(),
      sourceTaskDefinitionArn: service.taskDefinitionArn,
      targetTaskDefinitionArn: td.taskDefinitionArn,
      containers: td.containers,
    });
    await this.writeServiceDeployment(record);
    return record.deployment;
  }

  async describeServiceDeployment(serviceDeploymentArn: string): Promise<ServiceDeploymentInfo | undefined> {
    const record = await this.readServiceDeployment(serviceDeploymentArn);
    return record?.deployment.serviceDeploymentArn === serviceDeploymentArn ? record.deployment : undefined;
  }

  async describeServiceRevision(serviceRevisionArn: string): Promise<ServiceRevisionInfo | undefined> {
    const record = await this.readServiceDeployment(serviceRevisionArn);
    return record?.target.serviceRevisionArn === serviceRevisionArn ? record.target : undefined;
  }

  /**
   * ContinueServiceDeployment: CONTINUE moves the local service to the deployment's revision, ROLLBACK leaves it on
   * the one it ran. ECS's HOOK_SUCCEEDED / HOOK_FAILED event follows, as on AWS.
   */
  async answerHook(answer: HookAnswer): Promise<HookAnswerOutcome> {
    const record = await this.readServiceDeployment(answer.serviceDeploymentArn);
    if (record?.deployment.serviceDeploymentArn !== answer.serviceDeploymentArn)
      return { ok: false, cause: 'not-found', reason: `local mode has no service deployment ${answer.serviceDeploymentArn}` };
    const result = answerPausedHook(record, answer.hookId, answer.action, this.now());
    if (!result.ok) return result.outcome;
    const service = await readJson<LocalService>(this.options.layout.serviceFile);
    if (service === undefined) throw new ServiceNotFoundError(`no local service "${this.options.service}"`);
    await writeJson(this.options.layout.serviceFile, { ...service, taskDefinitionArn: result.serviceTaskDefinitionArn });
    await this.writeServiceDeployment(result.record);
    const event = hookStateEvent(result.record.deployment, answer.action === 'CONTINUE' ? 'HOOK_SUCCEEDED' : 'HOOK_FAILED', this.now());
    if (event !== undefined) this.options.emit(event);
    return { ok: true };
  }

  private async readServiceDeployment(arn: string): Promise<LocalServiceDeployment | undefined> {
    const id = localDeploymentId(arn);
    return id === undefined ? undefined : readJson<LocalServiceDeployment>(this.options.layout.serviceDeploymentFile(id));
  }

  private async writeServiceDeployment(record: LocalServiceDeployment): Promise<void> {
    const id = localDeploymentId(record.deployment.serviceDeploymentArn) as string;
    await writeJson(this.options.layout.serviceDeploymentFile(id), record);
  }

  /** Refused: local mode has one service and moves it with `updateService`. */
  async rollOutImage(request: ImageRollout): Promise<ServiceRolloutResult[]> {
    return request.services.map((service) => ({
      service,
      ok: false,
      reason: `local mode runs one service ("${this.options.service}"); update-service with SERVICES is not simulated`,
    }));
  }

  /**
   * The last lines of a task's output, when its log file could not be written (a full disk): the file stops where a
   * write failed, and this process kept the rest. Undefined when the file has the whole output (read that).
   */
  logTailInMemory(taskArn: string): string[] | undefined {
    const task = this.tasks.get(taskArn);
    return task?.logFailed === true ? task.output?.lines() : undefined;
  }

  /** Tasks still running, so the CLI can wait for or stop them. */
  runningTasks(): string[] {
    return [...this.tasks.values()].filter((t) => t.view.lastStatus !== 'STOPPED').map((t) => t.view.taskArn);
  }

  private async register(request: LaunchRequest): Promise<LocalTaskDefinition | undefined> {
    if (request.baseTaskDefinitionArn === undefined || request.image === undefined) return undefined;
    const base = await this.readTaskDefinition(request.baseTaskDefinitionArn);
    if (base === undefined) return undefined;
    const revision = await this.nextRevision(base.family, base.revision);
    const td: LocalTaskDefinition = {
      ...base,
      taskDefinitionArn: this.taskDefinitionArn(base.family, revision),
      revision,
      containers: base.containers.map((c) => (c.name === request.container ? { ...c, image: request.image as string } : c)),
      tags: request.tags,
    };
    await writeJson(this.options.layout.taskDefinitionFile(td.family, revision), td);
    return td;
  }

  private async nextRevision(family: string, from: number): Promise<number> {
    let revision = from + 1;
    while ((await readJson(this.options.layout.taskDefinitionFile(family, revision))) !== undefined) revision++;
    return revision;
  }

  private async readTaskDefinition(arn: string): Promise<LocalTaskDefinition | undefined> {
    const ref = parseTaskDefinitionArn(arn);
    return ref === undefined ? undefined : readJson<LocalTaskDefinition>(this.options.layout.taskDefinitionFile(ref.family, ref.revision));
  }

  private async start(task: RunningTask, image: string, taskId: string): Promise<void> {
    const logPath = this.options.layout.taskLogFile(taskId);
    await mkdir(dirname(logPath), { recursive: true });
    const log = createWriteStream(logPath, { flags: 'a' });
    task.output = new RecentLines(OUTPUT_KEPT);
    // A failed write (ENOSPC, EFBIG) must not crash the CLI: the task runs on, its output only leaves the file.
    log.on('error', (error) => this.logFailed(task, logPath, error));
    const appDir = await this.options.images.resolve(image);
    const [command, ...args] = task.view.command;
    // An image is its app directory's files when it was built: a directory edited since is another image.
    const digest = image.slice(image.lastIndexOf('@') + 1);
    const changed = appDir !== undefined && image.includes('@') && (await appDigest(appDir, [this.options.layout.root])) !== digest;
    if (appDir === undefined || command === undefined || changed) {
      const reason =
        appDir === undefined
          ? `CannotPullContainerError: image ${image} is not known on this machine (build it with "ecs-migrate local --app DIR")`
          : changed
            ? `CannotPullContainerError: image ${image} not found: ${appDir}, which it was built from, has changed since (local mode runs an image from its app directory; build the one you want with "ecs-migrate local --app DIR")`
            : 'CannotStartContainerError: empty command';
      task.output.push(reason);
      this.endLog(task, log, logPath, `${reason}\n`, () =>
        this.stopped(task, { stopCode: 'TaskFailedToStart', stoppedReason: reason, containerReason: reason }),
      );
      return;
    }
    const env = this.options.taskEnvironment(appDir, { deploymentId: deploymentIdFromStartedBy(task.view.startedBy), taskId });
    const executable = (await appCommand(appDir, command, env.PATH)) ?? command;
    const child = new TaskProcess({
      command: executable,
      args,
      cwd: appDir,
      env,
      log,
      onLine: (line) => {
        task.output?.push(line);
        this.options.onOutput?.(task.view.taskArn, line);
      },
    });
    task.process = child;
    const started = await child.started;
    if (!started.ok) {
      const shebang = started.error.code === 'ENOENT' ? await shebangOf(executable, env.PATH, appDir) : undefined;
      const reason =
        shebang !== undefined
          ? `CannotStartContainerError: exec: "${command}": its interpreter "${shebang.interpreter}" (the #! line of ${shebang.file}) was not found`
          : started.error.code === 'ENOENT'
            ? `CannotStartContainerError: exec: "${command}": executable file not found in $PATH`
            : `CannotStartContainerError: ${started.error.message}`;
      task.view = { ...task.view, lastStatus: 'STOPPED' };
      task.output.push(reason);
      this.endLog(task, log, logPath, `${reason}\n`, () =>
        this.stopped(task, { stopCode: 'TaskFailedToStart', stoppedReason: reason, containerReason: reason }),
      );
      return;
    }
    this.options.onTaskProcess?.({ pid: started.pid, taskId, outputs: child.outputs });
    task.view = {
      ...task.view,
      lastStatus: 'RUNNING',
      startedAt: this.now().toISOString(),
      version: task.view.version + 1,
      containers: task.view.containers.map((c) => ({ ...c, lastStatus: 'RUNNING' })),
    };
    this.options.emit(taskStateEvent(task.view, this.now().toISOString()));
    if (this.stopAllReason !== undefined) task.stopReason ??= this.stopAllReason;
    if (task.stopReason !== undefined) child.stop(this.options.stopTimeoutMs ?? 30_000);
    void child.exited.then(({ code, signal }) => this.exited(task, log, logPath, code, signal));
  }

  private exited(task: RunningTask, log: WriteStream, logPath: string, code: number | null, signal: NodeJS.Signals | null): void {
    this.options.onTaskProcess?.(undefined);
    const exitCode = code ?? (signal !== null ? 128 + signalNumber(signal) : undefined);
    const byUser = task.stopReason !== undefined;
    // The STOPPED event goes out once the log is on disk, so the watcher's log tail sees every line.
    this.endLog(task, log, logPath, undefined, () =>
      this.stopped(task, {
        ...(exitCode !== undefined ? { exitCode } : {}),
        stopCode: byUser ? 'UserInitiated' : 'EssentialContainerExited',
        stoppedReason: task.stopReason ?? 'Essential container in task exited',
      }),
    );
  }

  /**
   * Ends the task log with `last`, then `then()`, whether the file took it all or not. A write that fails while
   * the log ends calls back before the stream's 'error' event: the failure is noted here, before `then()`.
   */
  private endLog(task: RunningTask, log: WriteStream, logPath: string, last: string | undefined, then: () => void): void {
    const done = () => {
      if (log.errored !== null) this.logFailed(task, logPath, log.errored);
      // The file has the whole output: the tail is read from it.
      else task.output = undefined;
      then();
    };
    if (last !== undefined && log.writable) log.end(last, done);
    else log.end(done);
  }

  /** Once per task: its output no longer goes to the file, and the run's output says why. */
  private logFailed(task: RunningTask, logPath: string, error: Error): void {
    if (task.logFailed === true) return;
    task.logFailed = true;
    this.options.onOutput?.(task.view.taskArn, `(ecs-migrate: ${logWriteFailure(logPath, error)})`);
  }

  private stopped(task: RunningTask, how: { exitCode?: number; stopCode: string; stoppedReason: string; containerReason?: string }): void {
    const at = this.now().toISOString();
    task.view = {
      ...task.view,
      lastStatus: 'STOPPED',
      stoppedAt: at,
      version: task.view.version + 1,
      stopCode: how.stopCode,
      stoppedReason: how.stoppedReason,
      containers: task.view.containers.map((c) =>
        c.name === task.view.container
          ? {
              name: c.name,
              lastStatus: 'STOPPED',
              ...(how.exitCode !== undefined ? { exitCode: how.exitCode } : {}),
              ...(how.containerReason !== undefined ? { reason: how.containerReason } : {}),
            }
          : { ...c, lastStatus: 'STOPPED' },
      ),
    };
    this.options.emit(taskStateEvent(task.view, at));
  }
}

/**
 * The app's own `bin/<command>`, by its absolute path, when it is an executable file and the task's PATH starts with
 * the app's `bin/` (unless a declared PATH replaced it): what the PATH lookup would find first. The lookup itself
 * cannot be trusted with it: an app directory whose path holds a ":" is split into other entries there.
 */
async function appCommand(appDir: string, command: string, path: string | undefined): Promise<string | undefined> {
  const bin = join(appDir, 'bin');
  if (command.includes('/') || (path !== bin && path?.startsWith(`${bin}${delimiter}`) !== true)) return undefined;
  const file = join(bin, command);
  if ((await stat(file).catch(() => undefined))?.isFile() !== true) return undefined;
  return access(file, fsConstants.X_OK).then(
    () => file,
    () => undefined,
  );
}

/** Why the task log stops short, and the fix, in one line. */
function logWriteFailure(logPath: string, error: NodeJS.ErrnoException): string {
  const fix =
    error.code === 'ENOSPC'
      ? 'free space on its disk'
      : error.code === 'EDQUOT'
        ? 'free space within your disk quota'
        : error.code === 'EFBIG'
          ? 'raise the file size limit (ulimit -f)'
          : 'check that the state directory (--state-dir) is writable';
  return `cannot write the task log ${logPath} (${error.message}): the output goes on here, but "ecs-migrate logs" shows it only up to the failed write; ${fix}`;
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? constants.signals.SIGTERM;
}
