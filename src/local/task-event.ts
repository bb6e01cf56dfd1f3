import { ECS_SOURCE, ECS_TASK_DETAIL_TYPE } from '../core/events.js';
import type { ContainerState } from '../core/inputs.js';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';

/** A local image reference: the repository's registry address and `@sha256:…` or `:tag`. */
export function localImage(repository: string, ref: string): string {
  return `${LOCAL_ACCOUNT}.dkr.ecr.${LOCAL_REGION}.amazonaws.com/${repository}${ref}`;
}

/** The image the local service runs until a migration is rolled out: a placeholder, never built. */
export function initialImage(repository: string): string {
  return localImage(repository, ':initial');
}

/** The envelope of an event local mode makes, as EventBridge delivers it (this account and region, time to the second). */
export function localEnvelope(id: string, at: Date | string = new Date(), resources: string[] = []) {
  const time = (typeof at === 'string' ? at : at.toISOString()).replace(/\.\d{3}Z$/, 'Z');
  return { version: '0', id, account: LOCAL_ACCOUNT, time, region: LOCAL_REGION, resources };
}

export interface LocalTaskView {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  family: string;
  startedBy: string;
  container: string;
  command: string[];
  version: number;
  lastStatus: 'PROVISIONING' | 'RUNNING' | 'STOPPED';
  createdAt: string;
  startedAt?: string;
  stoppedAt?: string;
  stopCode?: string;
  stoppedReason?: string;
  containers: ContainerState[];
}

/** An `ECS Task State Change` event in the shape ECS sends to EventBridge, for a local task. */
export function taskStateEvent(task: LocalTaskView, now: string): Record<string, unknown> {
  const detail: Record<string, unknown> = {
    clusterArn: task.clusterArn,
    containers: task.containers.map((c) => ({ ...c, taskArn: task.taskArn })),
    createdAt: task.createdAt,
    desiredStatus: task.lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
    group: `family:${task.family}`,
    launchType: 'FARGATE',
    lastStatus: task.lastStatus,
    overrides: { containerOverrides: [{ name: task.container, command: task.command }] },
    startedBy: task.startedBy,
    taskArn: task.taskArn,
    taskDefinitionArn: task.taskDefinitionArn,
    updatedAt: now,
    version: task.version,
    ...(task.startedAt !== undefined ? { startedAt: task.startedAt } : {}),
    ...(task.stoppedAt !== undefined ? { stoppedAt: task.stoppedAt, stoppingAt: task.stoppedAt } : {}),
    ...(task.stopCode !== undefined ? { stopCode: task.stopCode } : {}),
    ...(task.stoppedReason !== undefined ? { stoppedReason: task.stoppedReason } : {}),
  };
  return {
    ...localEnvelope(`local-${task.taskArn.split('/').pop()}-${task.version}`, now, [task.taskArn]),
    'detail-type': ECS_TASK_DETAIL_TYPE,
    source: ECS_SOURCE,
    detail,
  };
}
