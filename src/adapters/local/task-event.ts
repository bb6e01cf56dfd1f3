import type { ContainerState } from '../../core/inputs.js';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';

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
    version: '0',
    id: `local-${task.taskArn.split('/').pop()}-${task.version}`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: LOCAL_ACCOUNT,
    time: now.replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [task.taskArn],
    detail,
  };
}
