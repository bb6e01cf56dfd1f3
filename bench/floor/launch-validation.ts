/**
 * bench/floor/launch-parser.ts plus the configuration check both handlers run at cold start (`lambdaConfigFromEnv`:
 * a table of plain checks, no zod), here at import. Against launch-parser.ts, it shows what the check costs at
 * init; against dist/launch, what the rest of the launcher's code costs. Same settings as the floor (bench/bundle.ts).
 */
import { lambdaConfigFromEnv } from '../../src/shell/config.js';
import { handler as withParser } from './launch-parser.js';

lambdaConfigFromEnv();

export const handler = withParser;
