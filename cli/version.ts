/**
 * The CLI's version: package.json's, inlined by the bundle (esbuild `define`) and read from package.json when
 * run from source.
 */
import { createRequire } from 'node:module';

declare const __ECS_MIGRATE_VERSION__: string | undefined;

export const VERSION: string =
  typeof __ECS_MIGRATE_VERSION__ === 'string'
    ? __ECS_MIGRATE_VERSION__
    : (createRequire(import.meta.url)('../package.json') as { version: string }).version;
