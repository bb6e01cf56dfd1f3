/**
 * The launcher's floor (bench/floor/launch.ts) plus the launcher's event parser only (`parseLauncherInput`: zod/mini, the envelope and the launcher's
 * event schemas, the watcher's events only recognised), as dist/launch carries it; not the watcher's schemas. Like
 * dist/launch, it also keeps the top-level code esbuild cannot drop from the modules src/core/launcher.ts imports
 * for its decider (e.g. the field table of src/core/config.ts, reached through command-policy.ts).
 * With bench/floor/launch-validation.ts it splits the launcher's cold-init difference from the floor. Same settings
 * as the floor (bench/bundle.ts).
 */
import { parseLauncherInput } from '../../src/core/launcher.js';
import { handler as floor } from './launch.js';
import { floorParsingWith } from './parsing.js';

export const handler = floorParsingWith(parseLauncherInput, floor);
