import { assertNever } from './actions.js';
import { classifyStop, verdictDue } from './classify-stop.js';
import type { Config } from './config.js';
import { hookDeploymentId } from './decide-rollout.js';
import { deploymentIdFromStartedBy, deploymentIdOfTrigger } from './deployment.js';
import { sidecarsOf } from './essential-sidecars.js';
import type { Input, TaskStateInput } from './inputs.js';
import { ignoredPush } from './push-policy.js';
import type { ControllerState } from './state.js';
import { keepsEarlyTaskEvent } from './transitions.js';

/** What the shell reads before deciding on an input: decided here, carried out by the shell. */
export interface LoadPlan {
  /** The deployment the input is about (the active and queued ones are read with the environment record). */
  deploymentId?: string;
  /**
   * Also read the deployments the last operator requests ended (`lastCancel`, `lastUnlock`): a retried request
   * that names no deployment finds its target there, and publishes what its first delivery committed.
   */
  lastOperated?: true;
  /**
   * Read the service; `image` also reads its task definition: the migration container's image (a trigger compares it)
   * and the deployment the revision was registered for (`migratedBy`); `if-launching`, only when the input's
   * deployment is still launching (a timeout check: its rollout shows only by that tag, `rolledOutUnrecorded`).
   */
  service?: {
    image: boolean | 'if-launching';
    /**
     * Only while the input's deployment is open, or when its end may resume a launch it handed over
     * (`readsService`): a timeout check of an ended deployment decides on the records alone.
     */
    whileOpen?: true;
    /**
     * A task event that is progress only (no verdict due: `verdictDue`): the service only for an ended deployment (its
     * stray task, a rollout its end missed) or a launch handed over that the event may resume (`readsService`).
     */
    unlessProgress?: true;
  };
  /** pause-hook mode: read this service deployment and the revision it deploys. */
  serviceDeployment?: string;
  /** Also read the deployment that succeeded last (its image, and the rollouts it started). */
  lastSucceeded?: boolean;
  /** Also read the deployment that recorded this rollout (`ecs-svc/…`), by the environment record's index. */
  rollout?: string;
  /**
   * Also read the task of the running deployment the input would end otherwise (`ControllerState.task`): the one it
   * names or that holds the environment (`named`), or the one whose environment lock has expired (`expired-lock`).
   */
  openTask?: 'named' | 'expired-lock';
  /**
   * Read nothing: the decision needs no record (an ECS deployment still in progress, not rolling back, is ignored by
   * `decideDeploymentState` whatever the state). A leftover outbox is published by the next invocation that reads.
   */
  nothing?: true;
}

export function loadPlan(input: Input, config: Config): LoadPlan {
  switch (input.kind) {
    // The service's revision with its tags, and the open deployment's task: a rollout the watcher did but did not
    // record shows there (rolled-out.ts).
    case 'ecr-image-action':
    case 'deploy-request':
    case 'run-command':
      // A push is ignored in pause-hook mode (decideEcrImageAction): nothing to read.
      if (input.kind === 'ecr-image-action' && config.ROLLOUT_MODE === 'pause-hook') return {};
      return { deploymentId: deploymentIdOfTrigger(input.trigger, config.ENVIRONMENT), service: { image: true }, openTask: 'expired-lock' };
    case 'cancel-request':
      return input.deploymentId !== undefined
        ? { deploymentId: input.deploymentId, service: { image: true }, openTask: 'named' }
        : { lastOperated: true, service: { image: true }, openTask: 'named' };
    case 'unlock-request':
      return { lastOperated: true, service: { image: true }, openTask: 'named' };
    case 'task-state': {
      // A task event reads the service when it may judge the migration (and roll out), or resume a launch handed over
      // by its ended deployment (`resumeHandover`): a resumed RunTask must send the service's network and launch
      // settings again, byte for byte, or ECS refuses the reused clientToken (ConflictException) while the first task
      // runs. The RUNNING event of an open deployment's task is progress only: no read (`readsService`).
      const id = deploymentIdFromStartedBy(input.startedBy);
      // (A migration container STOPPED without an exit code is read with DescribeTasks, and may be judged then.)
      const stopping = input.containers.some((c) => c.name === config.CONTAINER && c.lastStatus === 'STOPPED');
      const progress = verdictDue(input, config.CONTAINER) === undefined && !stopping ? { unlessProgress: true as const } : {};
      return { ...(id !== undefined ? { deploymentId: id } : {}), service: { image: false, ...progress } };
    }
    case 'timeout-check':
      return { deploymentId: input.deploymentId, service: { image: 'if-launching', whileOpen: true } };
    case 'launch-result':
    case 'rollout-result':
      // Read only after a lost race (feedback first decides on the state its invocation committed, which has the
      // service): the end may hand the environment to the queued deployment, whose RunTask takes the service's
      // network; and an early STOPPED event that a launch result judges may continue the rollout.
      return { deploymentId: input.deploymentId, service: { image: false } };
    case 'hook-state':
      if (config.ROLLOUT_MODE !== 'pause-hook') return {};
      // A paused deployment's migration may take over an expired lock, as a push does: the lost deployment's task is
      // read, so one that stopped long ago is judged on what it did, not waited on as still running.
      return input.eventName === 'HOOK_AWAITING_ACTION'
        ? {
            deploymentId: hookDeploymentId(input, config.ENVIRONMENT),
            serviceDeployment: input.serviceDeploymentArn,
            lastSucceeded: true,
            service: { image: false },
            openTask: 'expired-lock',
          }
        : { lastSucceeded: true };
    case 'deployment-state':
      // ECS sends one for every deployment the rollout starts: two reads saved per migration.
      if (input.eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS' && !input.rollingBack) return { nothing: true };
      return { lastSucceeded: true, rollout: input.deploymentId };
    case 'invalid':
    case 'misrouted':
      return {};
    default:
      return assertNever(input);
  }
}

/**
 * The image of a push to date by ECR's own push time before the decision: a push the launcher would act on
 * (`ignoredPush`) of an image the environment has not seen. An image tagged again keeps the time it was first seen
 * (`seenImages`) and needs no read.
 */
export function pushToDate(input: Input, state: ControllerState, config: Config): { repository: string; digest: string } | undefined {
  if (input.kind !== 'ecr-image-action' || ignoredPush(input, config) !== undefined) return undefined;
  if (state.env.seenImages?.some((s) => s.image === input.image) === true) return undefined;
  return { repository: input.repository, digest: input.digest };
}

/**
 * Whether the shell reads the service, once the records are read. A plan `whileOpen` skips it for a deployment that
 * has ended (or is unknown), unless the environment's active deployment is a launch handed over by an end, which
 * `resumeHandover` may resume (its RunTask sends the service's network again).
 */
export function readsService(plan: LoadPlan, state: ControllerState): boolean {
  if (plan.service === undefined) return false;
  const { whileOpen, unlessProgress } = plan.service;
  if (whileOpen !== true && unlessProgress !== true) return true;
  const d = plan.deploymentId !== undefined ? state.deployments[plan.deploymentId] : undefined;
  if (d === undefined) return false;
  const active = state.env.active !== undefined ? state.deployments[state.env.active.deploymentId] : undefined;
  const handedOver = active?.status === 'launching' && active.handedOverBy !== undefined;
  if (unlessProgress === true) return d.status === 'ended' || handedOver;
  return d.status !== 'ended' || handedOver;
}

/**
 * The deployment's own task, stopped or with its migration container stopped while the task runs on, whose event has
 * no exit code for the migration container: read it with DescribeTasks (ECS events may leave the exit code out).
 */
export function containersToDescribe(
  input: Input,
  state: ControllerState,
  config: Config,
): { cluster: string; taskArn: string; deploymentId: string } | undefined {
  const judged = input.kind === 'task-state' ? taskToJudge(input, state) : undefined;
  if (input.kind !== 'task-state' || judged === undefined) return undefined;
  const mine = input.containers.find((c) => c.name === config.CONTAINER);
  if (mine === undefined || mine.exitCode !== undefined || input.stopCode === 'TaskFailedToStart') return undefined;
  if (input.lastStatus !== 'STOPPED' && mine.lastStatus !== 'STOPPED') return undefined;
  return { cluster: input.clusterArn, taskArn: input.taskArn, deploymentId: judged.deploymentId };
}

/** A timeout check of a running deployment reads its task: one that stopped unseen is judged, not timed out. */
export function taskToCheck(input: Input, state: ControllerState, config: Config): { cluster: string; taskArn: string } | undefined {
  if (input.kind !== 'timeout-check') return undefined;
  const d = state.deployments[input.deploymentId];
  return d?.status === 'running' ? { cluster: config.CLUSTER, taskArn: d.taskArn } : undefined;
}

/**
 * The log tail to read: only for a task whose migration is judged now (the task stopped, or its migration container
 * exited while the task runs on) and did not succeed, or that timed out (a success needs no evidence).
 */
export function logTailToRead(
  input: Input,
  state: ControllerState,
  config: Config,
): { deploymentId: string; taskArn: string; taskDefinitionArn: string } | undefined {
  if (input.kind === 'task-state' && verdictDue(input, config.CONTAINER) !== undefined) {
    const task = taskToJudge(input, state);
    if (task === undefined || classifyStop(input, config.CONTAINER, sidecarsOf(state.deployments[task.deploymentId])).ok) return undefined;
    return task;
  }
  if (input.kind === 'timeout-check') {
    const d = state.deployments[input.deploymentId];
    // A task found stopped is judged: a success needs no evidence; still running, the tail says where it stood.
    const task = input.task;
    if (task !== undefined && verdictDue(task, config.CONTAINER) !== undefined && classifyStop(task, config.CONTAINER, sidecarsOf(d)).ok)
      return undefined;
    if (d?.status === 'running') return { deploymentId: d.id, taskArn: d.taskArn, taskDefinitionArn: d.taskDefinitionArn };
  }
  return undefined;
}

/**
 * The task of an event a verdict may be taken on: the deployment's own, or one its launching deployment keeps until
 * RunTask's answer names it (`keepEarlyTaskEvent`), which is then judged on what is read now, as the event arrives.
 */
function taskToJudge(
  input: TaskStateInput,
  state: ControllerState,
): { deploymentId: string; taskArn: string; taskDefinitionArn: string } | undefined {
  const d = state.deployments[deploymentIdFromStartedBy(input.startedBy) ?? ''];
  if (d?.status === 'running' && d.taskArn === input.taskArn)
    return { deploymentId: d.id, taskArn: d.taskArn, taskDefinitionArn: d.taskDefinitionArn };
  if (d?.status === 'launching' && !d.attempts?.some((a) => a.taskArn === input.taskArn) && keepsEarlyTaskEvent(d, input))
    return { deploymentId: d.id, taskArn: input.taskArn, taskDefinitionArn: input.taskDefinitionArn };
  return undefined;
}
