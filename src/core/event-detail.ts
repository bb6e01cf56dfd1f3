import { definedFields } from './defined-fields.js';
import type { Deployment } from './deployment.js';

/** Seconds between two ISO times, or undefined when either is missing. */
export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  return Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10;
}

/** The detail of every event ecs-migrate emits about a deployment: enough to act on without looking anything up. */
export function eventDetail(d: Deployment): Record<string, unknown> {
  return definedFields<Record<string, unknown>>({
    environment: d.environment,
    deploymentId: d.id,
    kind: d.kind,
    status: d.status,
    image: d.image,
    taskDefinitionArn: d.taskDefinitionArn,
    taskArn: d.taskArn,
    command: d.command,
    trigger: d.trigger,
    createdAt: d.createdAt,
    launchedAt: d.launchedAt,
    startedAt: d.startedAt,
    stoppedAt: d.stoppedAt,
    finishedAt: d.finishedAt,
    durationSeconds: secondsBetween(d.launchedAt ?? d.createdAt, d.stoppedAt ?? d.finishedAt),
    exitCode: d.stop?.exitCode,
    stopCode: d.stop?.stopCode,
    stoppedReason: d.stop?.stoppedReason,
    containerReason: d.stop?.containerReason,
    reason: d.reason,
    rollout: d.rollout,
    supersededBy: d.supersededBy,
    logTail: d.logTail,
  });
}
