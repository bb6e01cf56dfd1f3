import type { PublishedEvent } from '../adapters/local/bus.js';
import type { Decision } from '../core/actions.js';
import type { Deployment, Ended } from '../core/deployment.js';
import { UNLOCK_REQUEST } from '../core/events.js';
import type { LocalController } from './controller.js';
import { LockWaitAbortedError } from './env-lock.js';
import { localEnvelope } from './task-event.js';

export interface LocalRun {
  /** The first decision on the triggering event. */
  decision: Decision;
  /** The deployment it created, as it ended (absent when the event was ignored or rejected). */
  deployment?: Ended;
  events: PublishedEvent[];
}

/**
 * Publishes a trigger event into the local controller and waits until the deployment it starts has ended
 * (or the event was ignored or rejected). Everything in between — task states, timeouts, the rollout — flows
 * through the same event loop and core as on AWS.
 */
export function runToEnd(controller: LocalController, event: Record<string, unknown>): Promise<LocalRun> {
  return new Promise((resolve, reject) => {
    const events: PublishedEvent[] = [];
    controller.bus.onEvent((e) => events.push(e));
    let first: Decision | undefined;
    let done = false;
    const finish = (run: LocalRun) => {
      if (done) return;
      done = true;
      resolve(run);
    };
    controller.onError((failed, error) => {
      if (!done && (failed === event || first !== undefined)) {
        done = true;
        reject(error);
      }
    });
    controller.onSteps(async (handled, steps) => {
      if (handled === event) {
        first = steps[0]?.decision;
        if (first === undefined || first.deploymentId === undefined || first.decision === 'ignore' || first.decision === 'reject') {
          if (first !== undefined) finish({ decision: first, events });
          return;
        }
      }
      if (first?.deploymentId === undefined || first.decision === 'ignore') return;
      const found = await controller.store.loadDeployments([first.deploymentId]);
      const d = found[first.deploymentId];
      if (d?.status === 'ended') finish({ decision: first, deployment: d, events });
    });
    controller.publish(event);
  });
}

/** The deployment a dead earlier run left active, as the unlock that was to end it left it. */
export interface Recovery {
  /** As it is now: `ended` when the unlock ended it, else as it was (the unlock was refused). */
  deployment: Deployment;
  /** The unlock's decision: its reason says why a deployment that is not ended was left as it is. */
  decision?: Decision;
}

/**
 * Ending an interrupted run's deployment failed (its commit could not be written: a full disk, no permission): the
 * run stops there, as any failed commit stops it, and the deployment stays active for the next run to end.
 */
export class RecoveryError extends Error {
  override name = 'RecoveryError';
  constructor(deploymentId: string, cause: unknown) {
    super(
      `could not end deployment ${deploymentId}, left active by an interrupted run: ${cause instanceof Error ? cause.message : String(cause)}; fix that (free disk space, the state directory's permissions) and run again`,
      { cause },
    );
  }
}

/**
 * A task of the previous local run cannot outlive the process that ran it. Before a new run, such a deployment
 * is ended the way an operator would on AWS: an unlock request, which ends it as failed and frees the environment.
 * Rejects with RecoveryError when handling the unlock fails, and stops waiting (LockWaitAbortedError, as a wait for
 * the environment does) when `signal` aborts.
 */
export async function recoverInterrupted(controller: LocalController, signal?: AbortSignal): Promise<Recovery | undefined> {
  const env = await controller.store.loadEnvironment(controller.config.ENVIRONMENT);
  if (env.active === undefined) return undefined;
  const d = (await controller.store.loadDeployments([env.active.deploymentId]))[env.active.deploymentId];
  if (d === undefined || d.status === 'ended') return undefined;
  const id = `recover-${d.id}`;
  const stopped = () => new LockWaitAbortedError(`stopped before deployment ${d.id} of an interrupted run was ended`);
  if (signal?.aborted) throw stopped();
  let aborted = () => {};
  // Settled by the unlock's steps or by its failure: a failure goes only to onError, never to onSteps.
  const recovered = new Promise<Decision | undefined>((resolve, reject) => {
    controller.onSteps((handled, steps) => handled.id === id && resolve(steps[0]?.decision));
    controller.onError((failed, error) => failed.id === id && reject(new RecoveryError(d.id, error)));
    aborted = () => reject(stopped());
    signal?.addEventListener('abort', aborted, { once: true });
  });
  controller.publish({
    ...localEnvelope(id, new Date()),
    'detail-type': UNLOCK_REQUEST,
    source: controller.config.EVENT_SOURCE,
    detail: {
      environment: controller.config.ENVIRONMENT,
      requestId: id,
      requestedBy: 'ecs-migrate local',
      reason: 'the local task ended with the ecs-migrate process that ran it (interrupted)',
    },
  });
  const decision = await recovered.finally(() => signal?.removeEventListener('abort', aborted));
  const now = (await controller.store.loadDeployments([d.id]))[d.id] ?? d;
  return { deployment: now, ...(decision !== undefined ? { decision } : {}) };
}
