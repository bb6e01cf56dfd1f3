import { describe, expect, it } from 'vitest';
import { cancelRequest, config, sample } from '../support/fixtures.js';
import { FaultPlan, modelPorts } from '../support/model-ports.js';
import { controllerOn } from '../support/race.js';

const AT = '2026-11-25T09:15:00Z';

describe('a RunTask answer that arrives after its deployment was ended', () => {
  it('stops the task it names: a cancel while RunTask is in flight leaves no migration running', async () => {
    const world = modelPorts(new FaultPlan());
    const cfg = config();
    // The operator's cancel runs in another invocation while the launcher's RunTask is on the wire: it reads the
    // deployment `launching`, finds no task by its startedBy yet (ECS has not created it), and ends it.
    const operator = controllerOn(world.ports, cfg, AT);
    const cancel = cancelRequest(AT);
    let first = true;
    const launcher = controllerOn(world.ports, cfg, AT, {
      ecs: {
        launch: async (request) => {
          if (first) {
            first = false;
            await operator.handle(cancel);
          }
          return world.ports.ecs.launch(request);
        },
      },
    });

    await launcher.handle(sample('ecr-push'));

    const [d] = world.store.all();
    expect(d?.status === 'ended' ? d.outcome : d?.status).toBe('cancelled');
    // RunTask's answer names the task it started for that deployment (authoritative, unlike a forgeable startedBy):
    // the task is stopped, so no migration runs on after its deployment was cancelled and the environment freed.
    expect(world.ecs.running().map((t) => t.deploymentId)).toEqual([]);
  });
});
