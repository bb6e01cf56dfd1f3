import type { DecideContext } from './context.js';
import { definedFields } from './defined-fields.js';
import {
  attemptOf,
  type Deployment,
  type LaunchAttempt,
  type Launching,
  type PendingEvent,
  type Running,
  type StopReport,
  statusOf,
} from './deployment.js';
import { eventDetail } from './event-detail.js';
import type { Transition } from './transitions.js';

/** Why an attempt failed, as recorded in the deployment's `attempts`. */
export interface AttemptFailure {
  reason: string;
  stop?: StopReport;
}

/** How many times a deployment's task is launched at most: the first attempt and LAUNCH_RETRIES more. */
export function maxAttempts(ctx: DecideContext): number {
  return 1 + ctx.config.LAUNCH_RETRIES;
}

/**
 * The attempt failed before the migration ran; the next one launches at `retryAt` (a scheduled check). The
 * deployment keeps the environment and goes back to `launching`, its failed attempt (and task, if it had one)
 * recorded in `attempts`; `Launch Retry Scheduled` says which attempt failed and why.
 */
export function scheduleRetry(
  d: Launching | Running,
  failure: AttemptFailure,
  now: string,
  retryAt: string,
  maxAttempts: number,
): Transition<Launching> {
  const attempt = attemptOf(d);
  const record: LaunchAttempt = definedFields({
    attempt,
    failedAt: now,
    reason: failure.reason,
    taskArn: d.status === 'running' ? d.taskArn : undefined,
    launchedAt: d.status === 'running' ? d.launchedAt : undefined,
    taskDefinitionArn: d.status === 'running' ? d.taskDefinitionArn : undefined,
    stop: failure.stop,
  });
  const launching: Launching = {
    ...commonOf(d),
    status: 'launching',
    launchStartedAt: now,
    attempt: attempt + 1,
    attempts: [...(d.attempts ?? []), record],
    retryAt,
  };
  const note = `attempt ${attempt} of ${maxAttempts} failed: ${failure.reason}; attempt ${attempt + 1} launches at ${retryAt}`;
  const next = step(launching, now, note);
  const event: PendingEvent = {
    detailType: 'Launch Retry Scheduled',
    // The task the stop report is about: the failed attempt's (the deployment, launching again, has none).
    detail: {
      ...eventDetail(next),
      ...(record.taskArn !== undefined ? { taskArn: record.taskArn } : {}),
      failedAttempt: attempt,
      maxAttempts,
      retryAt,
      reason: failure.reason,
      ...stopFields(failure.stop),
    },
  };
  return { deployment: next, events: [event] };
}

/** The scheduled retry is due: the attempt launches now (its RunTask follows the commit). */
export function launchRetry(d: Launching, now: string): Launching {
  const { retryAt: _r, waitsFor: _w, ...rest } = d;
  const note = (d.attempts?.length ?? 0) > 0 ? `attempt ${attemptOf(d)}: launching again` : 'launching';
  return step({ ...rest, launchStartedAt: now }, now, note);
}

/** A note in the history of a launching deployment (nothing else changes). */
export function noteLaunching(d: Launching, now: string, note: string): Launching {
  return step(d, now, note);
}

/** The fields every state shares: what carries over into the next attempt. */
function commonOf(d: Launching | Running) {
  if (d.status === 'launching') {
    const { status: _s, launchStartedAt: _l, handedOverBy: _h, earlyTaskEvents: _e, retryAt: _r, ...common } = d;
    return common;
  }
  const { status: _s, taskArn: _t, taskDefinitionArn: _d, launchedAt: _l, startedAt: _st, taskVersion: _v, log: _g, ...common } = d;
  return common;
}

function stopFields(stop: StopReport | undefined): Record<string, unknown> {
  return stop === undefined ? {} : definedFields<Record<string, unknown>>({ ...stop });
}

function step<D extends Deployment>(d: D, at: string, note: string): D {
  return { ...d, history: [...d.history, { at, status: statusOf(d), note }] };
}
