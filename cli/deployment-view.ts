/**
 * The ONE place the CLI reads deployment records. Everything else (deploy --wait, status, history, logs)
 * works on `DeploymentView`, so when the record changes shape (the queued | launching | running | ended
 * union of the core redesign), only `viewOf` changes.
 */
import type { DescribeTaskDefinitionCommand, DescribeTaskDefinitionCommandOutput } from '@aws-sdk/client-ecs';
import { type Deployment, imageOf, type ServiceRollout, taskDefinitionOf } from '../src/core/deployment.js';
import type { EnvironmentState } from '../src/core/state.js';

export type ViewStatus = 'queued' | 'launching' | 'running' | 'ended';
export type ViewOutcome = 'succeeded' | 'failed' | 'timed_out' | 'superseded' | 'cancelled';

export interface LogLocation {
  group: string;
  stream: string;
  /** The log's region when the record says it differs from the stack's. */
  region?: string;
}

export interface DeploymentView {
  id: string;
  environment: string;
  kind: 'migration' | 'command';
  status: ViewStatus;
  /** Set once `status` is `ended`. */
  outcome?: ViewOutcome;
  /** The deployment this one waits for, while queued. */
  queuedBehind?: string;
  trigger: { type: string; requestId?: string; requestedBy?: string; imageTag?: string; replayName?: string; rerun: boolean };
  image?: string;
  taskDefinitionArn?: string;
  command: string[];
  taskArn?: string;
  /** Where the task's container logs, when the record says. */
  log?: LogLocation;
  createdAt: string;
  launchedAt?: string;
  startedAt?: string;
  endedAt?: string;
  exitCode?: number;
  stopCode?: string;
  reason?: string;
  rollout?: string;
  supersededBy?: string;
  logTail: string[];
  /** Each gated service: what the end did to it and how its rollout ended (pause-hook answers, UpdateService). */
  services: ServiceRollout[];
  history: { at: string; status: string; note: string }[];
}

/** A deployment record as the CLI shows it; `env` says what a queued one waits for. */
export function viewOf(record: Deployment, env?: EnvironmentState): DeploymentView {
  const task = record.status === 'running' || record.status === 'ended' ? record : undefined;
  const ended = record.status === 'ended' ? record : undefined;
  const view: DeploymentView = {
    id: record.id,
    environment: record.environment,
    kind: record.kind,
    status: record.status,
    trigger: {
      type: record.trigger.type,
      rerun: record.trigger.rerun === true,
      ...defined({
        requestId: record.trigger.requestId,
        requestedBy: record.trigger.requestedBy,
        imageTag: record.trigger.imageTag,
        replayName: record.trigger.replayName,
      }),
    },
    command: record.command,
    createdAt: record.createdAt,
    logTail: ended?.logTail ?? [],
    services: ended?.services ?? [],
    history: record.history,
    ...defined({
      outcome: ended?.outcome,
      image: imageOf(record),
      taskDefinitionArn: taskDefinitionOf(record),
      taskArn: task?.taskArn,
      // Recorded by the controller from the definition it launched: no task definition read needed.
      log: task?.log,
      launchedAt: task?.launchedAt,
      startedAt: task?.startedAt,
      endedAt: ended?.finishedAt ?? ended?.stoppedAt,
      exitCode: ended?.stop?.exitCode,
      stopCode: ended?.stop?.stopCode,
      reason: ended?.reason,
      rollout: ended?.rollout,
      supersededBy: ended?.supersededBy,
    }),
  };
  if (record.status === 'queued' && env?.active !== undefined && env.active.deploymentId !== record.id)
    view.queuedBehind = env.active.deploymentId;
  return view;
}

/**
 * Whether the deployment ended as its requester wanted: exit 0 for `deploy --wait` / `run-command --wait`. A
 * migration whose rollout could not move a gated service (`services[].result` 'failed', announced with `Rollout
 * Failed`) did not: that service still runs its previous revision.
 */
export function succeeded(view: DeploymentView): boolean {
  if (view.outcome !== 'succeeded') return false;
  return view.kind === 'command' ? view.exitCode === 0 : view.rollout !== 'halted' && failedServices(view).length === 0;
}

/**
 * The gated services the rollout could not move: their update was refused, or ECS reported their deployment failed or
 * rolled back afterwards (`completion` 'failed', announced with `Rollout Failed`): the schema moved, the service did not.
 * Each service by its last entry: a later rollout of the same migration (its owner deployed the image again) stands.
 */
export function failedServices(view: { services?: readonly ServiceRollout[] | undefined }): ServiceRollout[] {
  const last = new Map<string, ServiceRollout>();
  for (const s of view.services ?? []) last.set(s.service, s);
  return [...last.values()].filter((s) => s.result === 'failed' || s.completion === 'failed');
}

/** The services the rollout could not move, each with its reason: `shop-worker (AccessDenied)`. */
export function failedServicesText(view: { services?: readonly ServiceRollout[] | undefined }): string {
  return failedServices(view)
    .map((s) => {
      const reason = s.result === 'failed' ? s.reason : (s.completionReason ?? 'its ECS deployment failed');
      return reason !== undefined ? `${s.service} (${reason})` : s.service;
    })
    .join(', ');
}

/**
 * Where the task's log is: what the controller recorded at launch (`log`), or, for a deployment recorded
 * without it (a task definition run as it is, or one of release 0.1.0), from the awslogs settings of the
 * migration container in its task definition (stream `<awslogs-stream-prefix>/<container>/<task id>`), which
 * needs ecs:DescribeTaskDefinition.
 */
export async function logLocationOf(
  view: DeploymentView,
  container: string | undefined,
  describe: (input: DescribeTaskDefinitionCommand['input']) => Promise<DescribeTaskDefinitionCommandOutput>,
): Promise<LogLocation | undefined> {
  if (view.log !== undefined) return view.log;
  if (view.taskArn === undefined || view.taskDefinitionArn === undefined) return undefined;
  const { taskDefinition } = await describe({ taskDefinition: view.taskDefinitionArn });
  const definitions = taskDefinition?.containerDefinitions ?? [];
  const found = definitions.find((c) => c.name === container) ?? (definitions.length === 1 ? definitions[0] : undefined);
  const options = found?.logConfiguration?.logDriver === 'awslogs' ? found.logConfiguration.options : undefined;
  const group = options?.['awslogs-group'];
  const prefix = options?.['awslogs-stream-prefix'];
  if (found?.name === undefined || group === undefined || prefix === undefined) return undefined;
  const region = options?.['awslogs-region'];
  return { group, stream: `${prefix}/${found.name}/${view.taskArn.split('/').pop()}`, ...(region !== undefined ? { region } : {}) };
}

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** The deployment that ended last (a replay is listed at its event's older time, so not necessarily the first). */
export function lastEnded<T extends { status: string; endedAt?: string }>(views: T[]): T | undefined {
  const ended = views.filter((v) => v.status === 'ended');
  return ended.reduce<T | undefined>(
    (last, v) => (last === undefined || Date.parse(v.endedAt ?? '') > Date.parse(last.endedAt ?? '') ? v : last),
    undefined,
  );
}
