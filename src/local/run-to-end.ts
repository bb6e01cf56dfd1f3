import type { PublishedEvent } from '../adapters/local/bus.js';
import type { Decision } from '../core/actions.js';
import type { Deployment, Ended } from '../core/deployment.js';
import { UNLOCK_REQUEST } from '../core/events.js';
import type { LocalController } from './controller.js';
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

/**
 * A task of the previous local run cannot outlive the process that ran it. Before a new run, such a deployment
 * is ended the way an operator would on AWS: an unlock request, which ends it as failed and frees the environment.
 */
export async function recoverInterrupted(controller: LocalController): Promise<Deployment | undefined> {
  const env = await controller.store.loadEnvironment(controller.config.ENVIRONMENT);
  if (env.active === undefined) return undefined;
  const d = (await controller.store.loadDeployments([env.active.deploymentId]))[env.active.deploymentId];
  if (d === undefined || d.status === 'ended') return undefined;
  const id = `recover-${d.id}`;
  const recovered = new Promise<void>((resolve) => controller.onSteps((handled) => handled.id === id && resolve()));
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
  await recovered;
  return d;
}
