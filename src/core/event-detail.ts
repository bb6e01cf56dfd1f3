import { definedFields } from './defined-fields.js';
import { type Deployment, imageOf, statusOf, taskDefinitionOf } from './deployment.js';

/** Seconds between two ISO times, or undefined when either is missing. */
export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  return Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10;
}

/** How many of the log tail's last lines `logTailEnd` repeats (the stack's failure notifications show them). */
export const LOG_TAIL_END_LINES = 3;

/** The detail of every event ecs-migrate emits about a deployment: enough to act on without looking anything up. */
export function eventDetail(d: Deployment): Record<string, unknown> {
  const task = d.status === 'running' || d.status === 'ended' ? d : undefined;
  const ended = d.status === 'ended' ? d : undefined;
  return definedFields<Record<string, unknown>>({
    environment: d.environment,
    deploymentId: d.id,
    kind: d.kind,
    status: statusOf(d),
    image: imageOf(d),
    taskDefinitionArn: taskDefinitionOf(d),
    taskArn: task?.taskArn,
    command: d.command,
    trigger: d.trigger,
    createdAt: d.createdAt,
    launchedAt: task?.launchedAt,
    startedAt: task?.startedAt,
    stoppedAt: ended?.stoppedAt,
    finishedAt: ended?.finishedAt,
    durationSeconds: secondsBetween(task?.launchedAt ?? d.createdAt, ended?.stoppedAt ?? ended?.finishedAt),
    exitCode: ended?.stop?.exitCode,
    stopCode: ended?.stop?.stopCode,
    stoppedReason: ended?.stop?.stoppedReason,
    containerReason: ended?.stop?.containerReason,
    reason: ended?.reason,
    rollout: ended?.rollout,
    supersededBy: ended?.supersededBy,
    cancelledBy: ended?.cancelledBy,
    attempt: d.attempt,
    logTail: ended?.logTail,
    // An input transformer's path cannot index from the end: what a notification shows of the tail is its last lines.
    logTailEnd: ended?.logTail?.slice(-LOG_TAIL_END_LINES),
  });
}
