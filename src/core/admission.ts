import { type Action, type Decision, ignore } from './actions.js';
import { commitActions } from './commit.js';
import { type DecideContext, lockExpiresAt } from './context.js';
import { definedFields } from './defined-fields.js';
import {
  type Deployment,
  gatedPausedRevision,
  imageOf,
  type Launching,
  type OpenDeployment,
  pushedAtOf,
  pushedBefore,
  type Queued,
  runsServiceRevision,
  type Work,
} from './deployment.js';
import { haltOf, launchRequest, stopTaskOf } from './launch-request.js';
import { followedOn, foundOnRevision, rolledOutUnrecorded, taskOfState, withItsTask } from './rolled-out.js';
import { noCheckLeft, watchWhenNoCheckLeft } from './rollout-watch.js';
import { lastSucceededOf, stopsMigration, waitForStop, withStartRead } from './settle.js';
import { type ControllerState, type EnvironmentState, type ServiceInfo, withAdmitted } from './state.js';
import { end, startLaunch, supersede, type Transition } from './transitions.js';

/** The open deployment holding the environment, while its lock has not expired. */
export function lockHolder(state: ControllerState, now: string): OpenDeployment | undefined {
  const active = state.env.active;
  const d = active !== undefined ? state.deployments[active.deploymentId] : undefined;
  if (active === undefined || d === undefined || d.status === 'ended') return undefined;
  return Date.parse(active.lockExpiresAt) > Date.parse(now) ? d : undefined;
}

/** Same kind, command and work (what the request names, not the revision registered for it). */
export function sameWork(a: Pick<Deployment, 'kind' | 'command' | 'work'>, b: Deployment): boolean {
  const sameTarget =
    a.work.type === 'image'
      ? imageOf(b) === a.work.image
      : b.work.type === 'task-definition' && b.work.taskDefinitionArn === a.work.taskDefinitionArn;
  return a.kind === b.kind && sameTarget && a.command.join('\0') === b.command.join('\0');
}

/**
 * A new deployment waits behind the one holding the environment. The one-slot queue keeps the newest image:
 * the new deployment supersedes the one waiting, unless its image was pushed before the waiting or running
 * one's, whatever the order the events came in — then it is superseded on arrival.
 */
export function enqueue(
  queued: Queued,
  deliberate: boolean,
  holder: OpenDeployment,
  state: ControllerState,
  ctx: DecideContext,
  what: string,
): Decision {
  const waiting = state.env.queued !== undefined ? state.deployments[state.env.queued] : undefined;
  if (!deliberate && sameWork(queued, holder))
    return ignore(`already in progress: ${holder.id} runs the same ${describeWork(queued.work)}`, holder.id);
  if (!deliberate && waiting !== undefined && sameWork(queued, waiting)) {
    return ignore(`already queued: ${waiting.id} will run the same ${describeWork(queued.work)}`, waiting.id);
  }
  const newer = [holder, waiting].find(
    (d) => d !== undefined && d.status !== 'ended' && agesCompared(queued, d, deliberate) && newerImage(d, queued),
  );
  const note =
    newer !== undefined
      ? `superseded on arrival: ${newer.id} runs an image pushed later (${pushedAtOf(newer)})`
      : waiting?.status === 'queued' && !mayReplace(queued, waiting)
        ? commandGivesWay(waiting.id)
        : undefined;
  if (note !== undefined) {
    const superseded = supersedeQueued(queued, (newer ?? waiting ?? holder).id, ctx, note);
    // Remembered as admitted all the same: a request sent again is a duplicate of this one, not new work.
    const admitted = withAdmitted(state.env, queued);
    return {
      decision: 'record',
      reason: `${what}: ${note}`,
      deploymentId: queued.id,
      actions: [...superseded.before, ...commitActions(state, admitted !== state.env ? admitted : undefined, [superseded.change])],
    };
  }
  const changes: (Transition | Deployment)[] = [queued];
  const before: Action[] = [];
  let reason = `queued ${what} behind ${holder.id}`;
  if (waiting !== undefined && waiting.status === 'queued') {
    const superseded = supersedeQueued(waiting, queued.id, ctx);
    changes.push(superseded.change);
    before.push(...superseded.before);
    reason += `; it replaces ${waiting.id}, which is superseded`;
  }
  const env: EnvironmentState = withAdmitted({ ...state.env, queued: queued.id }, queued);
  return { decision: 'queue', reason, deploymentId: queued.id, actions: [...before, ...commitActions(state, env, changes)] };
}

/**
 * Whether `newcomer` may take `waiting`'s place in the queue: a command never takes a migration's, whose image would
 * then never be migrated nor rolled out; a migration takes a command's, and the command's requester hears it
 * (`Command Failed`).
 */
function mayReplace(newcomer: Queued, waiting: Queued): boolean {
  return newcomer.kind === 'migration' || waiting.kind === 'command';
}

const commandGivesWay = (migrationId: string) =>
  `superseded on arrival: migration ${migrationId} waits for the environment, and a command never takes a migration's place; send the command again once it ran`;

/**
 * Ends a deployment that will not run. Paused deployments waiting for its migration (pause-hook mode) are answered
 * ROLLBACK first: nothing else would answer them, and ECS would apply the hook's own timeout action a day later.
 */
function supersedeQueued(d: Queued, by: string, ctx: DecideContext, note?: string): { change: Transition; before: Action[] } {
  const change = supersede(d, by, ctx.now, note);
  return { change, before: (d.waiters?.length ?? 0) > 0 ? haltOf(d, ctx, change.deployment.reason) : [] };
}

/**
 * Whether `queued` gives way to an image pushed after its own: unless it is a deliberate rerun (a rollback asked
 * for); but the pushes one archive replay delivers, in no set order (StartReplay), keep the order they were pushed in.
 */
function agesCompared(queued: Queued, other: Deployment, deliberate: boolean): boolean {
  const replay = queued.trigger.replayName;
  return !deliberate || (replay !== undefined && other.trigger.replayName === replay);
}

/** Whether `d` is a migration of an image pushed after `than`'s image. */
function newerImage(d: Deployment, than: Queued): boolean {
  return d.kind === 'migration' && than.kind === 'migration' && pushedBefore(pushedAtOf(than), pushedAtOf(d));
}

/**
 * The environment is free (or its lock expired with no result): the deployment takes it and launches. An open
 * deployment whose lock expired is ended as failed, its task stopped and its rollout halted; unless the service shows
 * its rollout (`rolledOutUnrecorded`, one gated service): then it is ended as succeeded. A deployment still waiting in
 * the queue is superseded by the new one, unless its image is the newer: then it launches instead.
 */
export function launchNow(queued: Queued, deliberate: boolean, state: ControllerState, ctx: DecideContext, what: string): Decision {
  const active = state.env.active !== undefined ? state.deployments[state.env.active.deploymentId] : undefined;
  const expired = active !== undefined && active.status !== 'ended' ? active : undefined;
  const waiting = state.env.queued !== undefined ? state.deployments[state.env.queued] : undefined;
  const waitingFirst =
    waiting?.status === 'queued' &&
    ((agesCompared(queued, waiting, deliberate) && newerImage(waiting, queued)) || !mayReplace(queued, waiting));
  const [next, passed] = waitingFirst ? [waiting, queued] : [queued, waiting?.status === 'queued' ? waiting : undefined];
  // When the waiting deployment launches instead, a retry of this trigger must resume it (resumeHandover).
  const launching = startLaunch(
    next,
    ctx.now,
    expired === undefined ? 'environment free' : 'environment free (expired lock taken over)',
    state.service?.taskDefinitionArn,
    next === queued ? undefined : queued.id,
  );
  const env: EnvironmentState = withAdmitted(
    { ...state.env, active: { deploymentId: next.id, lockExpiresAt: lockExpiresAt(ctx) } },
    queued,
  );
  delete env.queued;
  const changes: (Transition | Deployment)[] = [launching];
  const before: Action[] = [];
  const commandPassed = next !== queued && queued.kind === 'command';
  let reason =
    next === queued
      ? `launching ${what}`
      : commandPassed
        ? `launching ${next.id}, the migration that waited, not ${what}`
        : `launching ${next.id}, whose image was pushed after ${what}`;
  if (passed !== undefined) {
    const superseded = supersedeQueued(passed, next.id, ctx, commandPassed ? commandGivesWay(next.id) : undefined);
    changes.push(superseded.change);
    before.push(...superseded.before);
    reason += `; ${passed.id} is superseded`;
  }
  const several = ctx.config.SERVICES.length > 1;
  const shown =
    expired !== undefined && rolledOutUnrecorded(expired, state.service, ctx.config.CONTAINER, taskOfState(expired, state))
      ? state.service
      : undefined;
  if (expired !== undefined && expired.status !== 'queued' && shown !== undefined && !several) {
    // Its rollout happened: recorded as the success the service shows, not as a halt it contradicts.
    const why = `${shownSucceeded(state, shown)}; taken over by ${next.id}`;
    const own = withItsTask(expired, shown, ctx.config.CONTAINER, ctx.now);
    const ended = end(
      withStartRead(own.deployment, state, ctx.now),
      { outcome: 'succeeded', reason: why, rollout: 'continued', ...followedOn(shown) },
      ctx.now,
    );
    changes.unshift({ deployment: ended.deployment, events: [...own.events, ...ended.events] });
    before.push(...watchWhenNoCheckLeft(expired, ended.deployment, noCheckLeft(ctx)));
    env.lastSucceeded = {
      ...lastSucceededOf(expired, ended.deployment, ctx, state.env.lastSucceeded),
      taskDefinitionArn: shown.taskDefinitionArn,
    };
    before.push(...stopTaskOf(expired, ctx, why));
    reason += `; ${why}`;
  } else if (expired !== undefined) {
    // Several services: the first shows the rollout, the others may not have been moved (the watcher died between).
    const found =
      shown !== undefined
        ? `; service ${shown.serviceName} runs its revision (its migration succeeded), the other services may not: roll them out with a deploy-request of its image`
        : '';
    const why = `the environment lock expired at ${state.env.active?.lockExpiresAt} with no result${found}; taken over by ${next.id}`;
    const services =
      shown !== undefined
        ? {
            services: [
              foundOnRevision(shown, shown.taskDefinitionArn, {
                service: shown.serviceName,
                result: 'continued',
                reason: 'found on its revision at the takeover',
              }),
            ],
          }
        : {};
    const ended = end(withStartRead(expired, state, ctx.now), { outcome: 'failed', reason: why, ...services }, ctx.now);
    changes.unshift(ended);
    before.push(...watchWhenNoCheckLeft(expired, ended.deployment, noCheckLeft(ctx)));
    before.push(...stopTaskOf(expired, ctx, why), ...haltOf(expired, ctx, why));
    reason += `; ${why}`;
  }
  // A lost migration whose task may still run is given its stop timeout first: two would migrate at once. Not one the
  // service shows succeeded, nor one whose migration container DescribeTasks found exited.
  const exitCode =
    expired !== undefined ? taskOfState(expired, state)?.containers.find((c) => c.name === ctx.config.CONTAINER)?.exitCode : undefined;
  // So is a command of "the task definition the service runs" when this end answers a paused deployment ROLLBACK: the
  // service names the paused revision until ECS moves it back, and the command runs what it names at launch.
  const rolledBack = expired !== undefined ? gatedPausedRevision(expired) : undefined;
  const afterRollback: Launching | undefined =
    rolledBack !== undefined && runsServiceRevision(launching.work)
      ? { ...launching, work: { ...launching.work, afterRollbackOf: rolledBack } }
      : undefined;
  if (
    expired !== undefined &&
    shown === undefined &&
    (stopsMigration(before, expired, { stop: definedFields({ exitCode }) }) || afterRollback !== undefined)
  ) {
    const waiting = waitForStop(afterRollback ?? launching, ctx, expired);
    const [deferred] = waiting.changes;
    changes[changes.indexOf(launching)] = deferred;
    return {
      decision: 'launch',
      reason: `${reason}; it launches once the lost migration's task has had its stop timeout (${deferred.retryAt})`,
      deploymentId: next.id,
      actions: [...before, ...waiting.before, ...commitActions(state, env, changes)],
    };
  }
  return {
    decision: 'launch',
    reason,
    deploymentId: next.id,
    actions: [
      ...before,
      ...commitActions(state, env, changes),
      { type: 'launchTask', deploymentId: next.id, request: launchRequest(launching, state.service, ctx) },
    ],
  };
}

/** Why the migration whose lock expired with no result is recorded as succeeded: the service runs its revision. */
export function shownSucceeded(state: ControllerState, service: ServiceInfo): string {
  return `the environment lock expired at ${state.env.active?.lockExpiresAt} with no recorded result, but service ${service.serviceName} runs its revision ${service.taskDefinitionArn}: its migration succeeded (its task's end was never recorded)`;
}

export function describeWork(work: Work): string {
  return work.type === 'image' ? work.image : work.taskDefinitionArn;
}
