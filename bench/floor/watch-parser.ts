/**
 * The watcher's floor (bench/floor/watch.ts) plus the watcher's event parser only (`parseWatcherInput`: zod/mini, the envelope and the watcher's
 * event schemas, the launcher's events only recognised), as dist/watch carries it; not the launcher's schemas.
 * With bench/floor/watch-validation.ts it splits the watcher's cold-init difference from the floor. Same settings
 * as the floor (bench/bundle.ts).
 */
import { parseWatcherInput } from '../../src/core/watcher.js';
import { floorParsingWith } from './parsing.js';
import { handler as floor } from './watch.js';

export const handler = floorParsingWith(parseWatcherInput, floor);
