/**
 * The floor plus what ecs-migrate validates with: the configuration check the handlers run at cold start
 * (`lambdaConfigFromEnv`: a table of plain checks, no zod) and the event parser (`parseInput`, the zod/mini event schemas) kept in
 * the bundle. Against the floor, it shows what validation costs at init; against a handler, what the rest of
 * its code costs. Bundled with the same settings as the floor (see bench/bundle.ts).
 */
import { lambdaConfigFromEnv } from '../../src/shell/config.js';
import { handler as withParser } from './with-parser.js';

lambdaConfigFromEnv();

export const handler = withParser;
