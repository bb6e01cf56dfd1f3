/**
 * The floor plus the handlers' event parser (`parseInput`: zod/mini and the event schemas, built on first use)
 * in the bundle, never called at import. With bench/floor/with-validation.ts, it splits what validation costs
 * at init between loading the parser and checking the configuration. Same settings as the floor (bench/bundle.ts).
 */
import { parseInput } from '../../src/core/parse.js';
import { handler as floor } from './handler.js';

export const handler = (event: unknown) => {
  parseInput(event, { requestSource: 'ecs-migrate', registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' });
  return floor(event);
};
