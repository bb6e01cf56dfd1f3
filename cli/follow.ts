import type { Work } from '../src/core/deployment.js';
import { parseImageRef } from '../src/core/image-ref.js';
import type { EnvironmentState } from '../src/core/state.js';
import type { DeploymentHistory } from '../src/ports.js';
import { type DeploymentView, failedServices, failedServicesText, type LogLocation, viewOf } from './deployment-view.js';
import { formatDuration } from './durations.js';
import type { LogLine } from './task-logs.js';

/** How `--wait` reads: the deployment records only (never ECS), plus the task's log once it is known. */
export interface FollowDeps {
  store: DeploymentHistory;
  environment: string;
  /** The request's id: its deployment is the one whose trigger carries it. */
  requestId: string;
  pollMs: number;
  /** Epoch ms after which waiting stops (exit 124); the deployment goes on. */
  deadline: number;
  now: () => number;
  /** Progress lines (queued behind …, launching, running for …). */
  print: (line: string) => void;
  /** Starts streaming the task's log; returns the function that stops it (after a last read). */
  followLog?: (view: DeploymentView, onLine: (line: LogLine) => void) => Promise<(() => Promise<void>) | undefined>;
  onLogLine?: (line: LogLine) => void;
  /** How often a still-running deployment says so. */
  heartbeatMs?: number;
  /** Consecutive failed reads of the records before giving up (default 5). */
  readAttempts?: number;
  /** How long a request may stay unrecorded before waiting stops (default 5 minutes; the launcher records in seconds). */
  unrecordedAfterMs?: number;
  /**
   * What a deploy-request asks for (an image or a task definition). The controller records no deployment for a
   * request that repeats work in progress or already done (it "ignores" it): a migration of the same work that is
   * active or queued is followed instead, and work the last successful deployment deployed ends the wait as
   * already deployed.
   */
  work?: Work;
  /** How long an unrecorded request waits before it is taken as a repeat of work in progress or done (default 30 s). */
  repeatAfterMs?: number;
}

export type FollowResult =
  | { kind: 'ended'; view: DeploymentView; logLines: number }
  | { kind: 'timeout'; view?: DeploymentView }
  /** No deployment carries the request id after `unrecordedAfterMs`: the controller rejected or never got it. */
  | { kind: 'unrecorded'; afterMs: number }
  /**
   * The image is the one the last successful deployment deployed: the controller had nothing to do. `notMoved`:
   * the gated services that deployment's rollout could not move (`shop-worker (AccessDenied)`), when there were.
   */
  | { kind: 'already-deployed'; deploymentId: string; at: string; notMoved?: string };

/** How far the controller's clock may be behind this machine's when a record's time is compared with the sending. */
const CLOCK_SKEW_MS = 2 * 60_000;

/** The longest delay `setTimeout` takes (2^31 − 1 ms, about 24.8 days): a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** How long the last read of the task log may take once the deadline passed: its lines are printed, not cut off. */
const LAST_LOG_READ_MS = 5_000;

/** Deployments looked at when searching the one a request created: newest first. */
const SEARCH_DEPTH = 25;

/** Follows the request's deployment from the records the controller writes, until it ends or the deadline. */
export async function followRequest(deps: FollowDeps): Promise<FollowResult> {
  const started = deps.now();
  // Migrations of the requested work seen open during this wait: one that ends meanwhile is the repeat's verdict.
  const seenOpen = new Set<string>();
  let id: string | undefined;
  let last: DeploymentView | undefined;
  let lastSaid = '';
  let lastHeartbeat = deps.now();
  let logLines = 0;
  const { followLog } = deps;
  const taskLog =
    followLog === undefined
      ? undefined
      : new TaskLogSwitch(
          (view) =>
            followLog(view, (line) => {
              logLines++;
              deps.onLogLine?.(line);
            }),
          deps,
        );
  /** Says a line once per state (queued behind X, launching, running), not once per poll. */
  const say = (key: string, line: string) => {
    if (key === lastSaid) return;
    lastSaid = key;
    deps.print(line);
  };
  try {
    let failures = 0;
    for (;;) {
      let view: DeploymentView | undefined;
      try {
        if (id === undefined) {
          const found = await beforeDeadline(findByRequest(deps, started, seenOpen), deps);
          if (found === undefined) return timedOut(last);
          view = found.view;
          // Unrecorded for a while although the launcher records within seconds: a repeat it ignored.
          const repeat = view === undefined && deps.now() - started >= (deps.repeatAfterMs ?? 30_000);
          if (repeat && found.sameWork !== undefined) {
            view = found.sameWork;
            deps.print(
              view.status === 'ended'
                ? `${workName(deps.work)} was last deployed by ${view.id} (a repeated request is not recorded): its verdict`
                : `${workName(deps.work)} is already being deployed by ${view.id} (a repeated request is not recorded): following it`,
            );
          } else if (repeat && found.lastSucceeded !== undefined) {
            return { kind: 'already-deployed', ...found.lastSucceeded };
          }
        } else {
          const loaded = await beforeDeadline(
            load(deps, id).then((found) => ({ view: found })),
            deps,
          );
          if (loaded === undefined) return timedOut(last);
          view = loaded.view;
        }
        failures = 0;
      } catch (error) {
        // A long wait outlives a network blip or a throttled read: a few failed reads in a row are retried.
        if (++failures >= (deps.readAttempts ?? 5)) throw error;
        view = last;
      }
      if (view !== undefined) {
        id = view.id;
        last = view;
        if (view.status === 'ended') {
          await taskLog?.stop();
          return { kind: 'ended', view, logLines };
        }
        say(`${view.status} ${view.queuedBehind ?? ''}`, progressLine(view, deps.now()));
        await taskLog?.update(view);
        if (view.status === 'running' && deps.now() - lastHeartbeat >= (deps.heartbeatMs ?? 60_000)) {
          lastHeartbeat = deps.now();
          deps.print(`still running (${formatDuration(deps.now() - Date.parse(view.startedAt ?? view.launchedAt ?? view.createdAt))})`);
        }
      } else {
        say('unrecorded', `waiting for the controller to record request ${deps.requestId}`);
      }
      if (deps.now() >= deps.deadline) return timedOut(last);
      const unrecordedAfterMs = deps.unrecordedAfterMs ?? 5 * 60_000;
      if (last === undefined && deps.now() - started >= unrecordedAfterMs) return { kind: 'unrecorded', afterMs: unrecordedAfterMs };
      await new Promise((r) => setTimeout(r, Math.min(deps.pollMs, Math.max(0, deps.deadline - deps.now()))));
    }
  } finally {
    await taskLog?.stop();
  }
}

/**
 * The task log a follow of one deployment streams (`deploy --wait`, `logs ID --follow`): its running task's. A retried
 * launch (the first task never started) runs another task, with its own log stream: that one is followed from then
 * on, after a last read of the one before. A stop waits for its last read until the deadline, or at least
 * {@link LAST_LOG_READ_MS}: a read that never answers (a stalled FilterLogEvents, which the follower cannot abort)
 * holds neither the verdict nor the exit.
 */
export class TaskLogSwitch {
  private stopLog: (() => Promise<void>) | undefined;
  /** The task (and log stream) whose log `stopLog` stops. */
  private followed: string | undefined;

  constructor(
    /** Starts streaming the log of the view's task; returns the function that stops it (after a last read). */
    private readonly start: (view: DeploymentView) => Promise<(() => Promise<void>) | undefined>,
    /** `deadline`: epoch ms until which a last read may take (none: {@link LAST_LOG_READ_MS}). */
    private readonly bound: { deadline?: number; now: () => number },
  ) {}

  /** Follows the log of the view's task when it runs one whose log is not followed yet. */
  async update(view: DeploymentView): Promise<void> {
    const task = `${view.taskArn ?? ''} ${view.log?.stream ?? ''}`;
    if (view.status !== 'running' || task === this.followed) return;
    await this.stop();
    this.followed = task;
    this.stopLog = await this.start(view);
  }

  /** Stops the log followed, after its last read. */
  async stop(): Promise<void> {
    const stop = this.stopLog;
    this.stopLog = undefined;
    if (stop === undefined) return;
    const { now } = this.bound;
    await beforeDeadline(stop(), { deadline: Math.max(this.bound.deadline ?? 0, now() + LAST_LOG_READ_MS), now });
  }
}

function timedOut(last: DeploymentView | undefined): FollowResult {
  return last === undefined ? { kind: 'timeout' } : { kind: 'timeout', view: last };
}

/**
 * What `read` gives, unless the deadline passes first (undefined): a read that never answers (a stalled connection;
 * the SDK's own request timeout is longer) cannot hold the wait past --timeout. A late answer or failure is dropped.
 */
export async function beforeDeadline<T>(read: Promise<T>, deps: Pick<FollowDeps, 'deadline' | 'now'>): Promise<T | undefined> {
  // A deadline past what a timer can wait (--timeout 1000h): wait for the read itself.
  if (deps.deadline - deps.now() > MAX_TIMER_MS) return read;
  read.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deps.deadline - deps.now()), undefined);
  });
  try {
    return await Promise.race([read, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function findByRequest(
  deps: FollowDeps,
  sentAt: number,
  seenOpen: Set<string>,
): Promise<{
  view?: DeploymentView;
  sameWork?: DeploymentView;
  lastSucceeded?: { deploymentId: string; at: string; notMoved?: string };
}> {
  const [env, list] = await Promise.all([
    deps.store.loadEnvironment(deps.environment),
    deps.store.listDeployments(deps.environment, SEARCH_DEPTH),
  ]);
  const views = list.map((d) => viewOf(d, env));
  const view = views.find((v) => v.trigger.requestId === deps.requestId);
  const work = deps.work;
  if (view !== undefined || work === undefined || work.type === 'revision') return view !== undefined ? { view } : {};
  const last = env.lastSucceeded;
  // The newest migration of the same work (listed newest first): one still open is what the repeat waits for; one
  // that ended after the request was sent (it was open when the controller took the request for a repeat), other
  // than as the last success, is the verdict (a push of a moved tag that failed), not an older success of what the
  // tag named before. One that ended before the request says nothing of it (the controller rejected the request).
  const sameWork = views.find((v) => v.kind === 'migration' && isSameWork(v, work));
  if (sameWork !== undefined && sameWork.status !== 'ended') seenOpen.add(sameWork.id);
  const endedAt = Date.parse(sameWork?.endedAt ?? '');
  const endedAfterSending =
    sameWork !== undefined && (seenOpen.has(sameWork.id) || (endedAt >= sentAt - CLOCK_SKEW_MS && endedAt <= deps.now() + CLOCK_SKEW_MS));
  if (sameWork !== undefined && (sameWork.status !== 'ended' || (endedAfterSending && sameWork.id !== last?.deploymentId)))
    return { sameWork };
  // The last success may be older than the listing (a scheduled run-command pushes it out within a day): then it is
  // read by id, as its tag and the services its rollout left unmoved are in its record only.
  const lastView =
    views.find((v) => v.id === last?.deploymentId) ?? (last !== undefined ? await loadOne(deps, last.deploymentId, env) : undefined);
  // As the controller judges it (decide-launch.ts alreadyDeployed): the image, or the task definition, it recorded
  // as last succeeded (for an image, the revision it registered; for a task definition, the one run as it is).
  const deployed =
    last !== undefined &&
    (work.type === 'image'
      ? last.image === work.image || (lastView !== undefined && isSameImage(lastView, work.image))
      : last.taskDefinitionArn === work.taskDefinitionArn || lastView?.taskDefinitionArn === work.taskDefinitionArn);
  if (!deployed) return {};
  const notMoved = lastView !== undefined && failedServices(lastView).length > 0 ? failedServicesText(lastView) : undefined;
  return { lastSucceeded: { deploymentId: last.deploymentId, at: last.at, ...(notMoved !== undefined ? { notMoved } : {}) } };
}

/**
 * Whether an open migration does what the repeated request asks, as the controller's `sameWork` judges it: the
 * image (`isSameImage`), or the task definition run as it is (a view with no image: an image's deployment runs a
 * revision registered for it, which is other work).
 */
function isSameWork(view: DeploymentView, work: Exclude<Work, { type: 'revision' }>): boolean {
  return work.type === 'image'
    ? isSameImage(view, work.image)
    : view.image === undefined && view.taskDefinitionArn === work.taskDefinitionArn;
}

/** The work as a request names it: the image, or the task definition. */
function workName(work: Work | undefined): string {
  if (work === undefined) return 'it';
  return work.type === 'task-definition' ? work.taskDefinitionArn : work.image;
}

/**
 * Whether a deployment runs the requested image: the same reference, or what the controller resolved it to (it
 * records `registry/repository@digest` and keeps a tag in the trigger). Pinned by digest, with or without a tag
 * (`name:tag@sha256:…`), the digest is what runs; by tag alone, the tag the deployment was triggered for. Both are
 * parsed with the controller's grammar: a split at the last `:` would cut inside `sha256:`.
 */
function isSameImage(view: DeploymentView, requested: string): boolean {
  if (view.image === requested) return true;
  if (view.image === undefined) return false;
  const wanted = parseImageRef(requested);
  const recorded = parseImageRef(view.image);
  if (!wanted.ok || !recorded.ok || recorded.value.digest === undefined) return false;
  const { registry, repository, tag, digest } = wanted.value;
  if (registry !== recorded.value.registry || repository !== recorded.value.repository) return false;
  if (digest !== undefined) return digest === recorded.value.digest;
  return tag !== undefined && view.trigger.imageTag === tag;
}

/** One deployment by id, viewed with an environment record already read. */
async function loadOne(deps: FollowDeps, id: string, env: EnvironmentState): Promise<DeploymentView | undefined> {
  const record = (await deps.store.loadDeployments([id]))[id];
  return record === undefined ? undefined : viewOf(record, env);
}

async function load(deps: FollowDeps, id: string): Promise<DeploymentView | undefined> {
  const { env, deployments } = await deps.store.loadEnvironmentWith(deps.environment, [id]);
  const record = deployments[id];
  return record === undefined ? undefined : viewOf(record, env);
}

function progressLine(view: DeploymentView, now: number): string {
  switch (view.status) {
    case 'queued':
      return view.queuedBehind !== undefined ? `${view.id} queued behind ${view.queuedBehind}` : `${view.id} queued`;
    case 'launching':
      return `${view.id} launching the task`;
    case 'running':
      return `${view.id} running task ${view.taskArn?.split('/').pop() ?? '?'} (for ${formatDuration(now - Date.parse(view.startedAt ?? view.launchedAt ?? view.createdAt))})`;
    case 'ended':
      return `${view.id} ended: ${view.outcome ?? '?'}`;
  }
}

export type { LogLocation };
