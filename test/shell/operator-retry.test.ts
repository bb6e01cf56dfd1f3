import { describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../src/errors.js';
import { createController } from '../../src/shell/controller.js';
import { silentLog } from '../../src/shell/logger.js';
import { config, operatorRequest, sample } from '../support/fixtures.js';
import { FaultPlan, modelPorts } from '../support/model-ports.js';

/**
 * Found by the property test (test/properties): an operator request that names no deployment acts on the one
 * holding the environment. When PutEvents failed after its commit, the retry found nothing holding the environment,
 * refused ("nothing to cancel", "not locked") and never read the ended deployment, so its outcome events, stored
 * in its outbox, were never published.
 */
describe('a retried operator request that named no deployment', () => {
  const operator = (kind: 'cancel-request' | 'unlock-request') => operatorRequest(kind, { requestedBy: 'ops', reason: 'stuck' });

  for (const [kind, outcome] of [
    ['cancel-request', ['Migration Cancelled', 'Rollout Halted']],
    ['unlock-request', ['Environment Unlocked', 'Migration Failed', 'Rollout Halted']],
  ] as const) {
    it(`${kind}: publishes the events its first delivery committed`, async () => {
      const world = modelPorts(new FaultPlan());
      const controller = createController({
        config: config(),
        ports: world.ports,
        log: silentLog,
        now: () => new Date('2026-11-25T09:18:30Z'),
      });
      await controller.handle(sample('ecr-push'));
      world.bus.published.length = 0;
      const put = world.ports.bus.put;
      world.ports.bus.put = async () => {
        throw new TransientAwsError('PutEvents: 500');
      };

      await expect(controller.handle(operator(kind))).rejects.toThrow(TransientAwsError);
      world.ports.bus.put = put;
      await controller.handle(operator(kind));

      // (The retried unlock also says "not locked" with Event Rejected: it has nothing left to unlock.)
      expect(world.bus.published.map((e) => e.detailType).filter((t) => t !== 'Event Rejected')).toEqual(outcome);
    });
  }
});
