import type { PublishedEvent } from '../adapters/local/bus.js';
import type { Decision } from '../core/actions.js';
import { type Deployment, isFinal, startedByFor } from '../core/deployment.js';
import { ECS_SOURCE, ECS_TASK_DETAIL_TYPE } from '../core/events.js';
import type { LocalController } from './controller.js';
import { localEnvelope } from './task-event.js';

export interface LocalRun {
  /** The first decision on the triggering event. */
  decision: Decision;
  /** The deployment it created, as it ended (absent when the event was ignored or rejected). */
  deployment?: Deployment;
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
      if (d !== undefined && isFinal(d.status)) finish({ decision: first, deployment: d, events });
    });
    controller.publish(event);
  });
}

/**
 * A task of the previous local run cannot outlive the process that ran it. Before a new run, report such a
 * task as stopped (as ECS would have), so the core ends its deployment and frees the environment.
 */
export async function recoverInterrupted(controller: LocalController): Promise<Deployment | undefined> {
  const env = await controller.store.loadEnvironment(controller.config.ENVIRONMENT);
  if (env.active === undefined) return undefined;
  const d = (await controller.store.loadDeployments([env.active.deploymentId]))[env.active.deploymentId];
  if (d === undefined || isFinal(d.status)) return undefined;
  const taskArn = d.taskArn ?? `${controller.ecs.clusterArn.replace(':cluster/', ':task/')}/interrupted-${d.id}`;
  const reason = 'the local task ended with the ecs-migrate process that ran it (interrupted)';
  const recovered = new Promise<void>((resolve) => controller.onSteps((handled) => handled.id === `recover-${d.id}` && resolve()));
  controller.publish({
    ...localEnvelope(`recover-${d.id}`, new Date(), [taskArn]),
    'detail-type': ECS_TASK_DETAIL_TYPE,
    source: ECS_SOURCE,
    detail: {
      clusterArn: controller.ecs.clusterArn,
      taskArn,
      taskDefinitionArn: d.taskDefinitionArn ?? d.baseTaskDefinitionArn ?? 'unknown',
      startedBy: startedByFor(d.id),
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: d.taskArn === undefined ? 'TaskFailedToStart' : 'EssentialContainerExited',
      stoppedReason: reason,
      version: (d.taskVersion ?? 0) + 1,
      containers: [{ name: controller.config.CONTAINER, lastStatus: 'STOPPED' }],
    },
  });
  await recovered;
  return d;
}
