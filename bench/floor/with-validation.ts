/**
 * The floor plus what ecs-migrate validates with: the configuration check the handlers run at cold start
 * (`lambdaConfigFromEnv`, zod/mini) and the event parser (`parseInput`, the zod/mini event schemas) kept in
 * the bundle. Against the floor, it shows what validation costs at init; against a handler, what the rest of
 * its code costs. Bundled with the same settings as the floor (see bench/bundle.ts).
 */
import { parseInput } from '../../src/core/parse.js';
import { lambdaConfigFromEnv } from '../../src/shell/config.js';
import { handler as floor } from './handler.js';

lambdaConfigFromEnv();

export const handler = (event: unknown) => {
  parseInput(event, { requestSource: 'ecs-migrate' });
  return floor(event);
};
