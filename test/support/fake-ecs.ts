import type { Ecs } from '../../src/ports.js';
import { service } from './fixtures.js';

/** An `Ecs` port for tests that care about a few of its calls: the rest answer as an idle, healthy ECS would. */
export function fakeEcs(overrides: Partial<Ecs> = {}): Ecs {
  return {
    describeService: async () => service,
    launch: async () => ({ ok: false, reason: 'not expected in this test' }),
    stopTask: async () => {},
    stopTasksStartedBy: async () => {},
    updateService: async () => ({}),
    containerImage: async () => undefined,
    describeTask: async () => undefined,
    describeServiceDeployment: async () => undefined,
    describeServiceRevision: async () => undefined,
    answerHook: async () => ({ ok: true }),
    rollOutImage: async () => [],
    ...overrides,
  };
}
