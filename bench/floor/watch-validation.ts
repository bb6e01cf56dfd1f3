/**
 * bench/floor/watch-parser.ts plus the configuration check both handlers run at cold start (`lambdaConfigFromEnv`:
 * a table of plain checks, no zod), here at import. Against watch-parser.ts, it shows what the check costs at
 * init; against dist/watch, what the rest of the watcher's code costs. Same settings as the floor (bench/bundle.ts).
 */
import { lambdaConfigFromEnv } from '../../src/shell/config.js';
import { handler as withParser } from './watch-parser.js';

lambdaConfigFromEnv();

export const handler = withParser;
