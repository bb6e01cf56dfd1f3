import { WATCHER } from '../core/watcher.js';
import type { LambdaFunction } from './controller.js';
import { enrichWatchInput } from './load-state.js';

/** The watcher: its core, and task events completed with DescribeTasks and a failure's log tail (handlers/watch.ts). */
export const WATCH_FUNCTION: LambdaFunction = { core: WATCHER, enrich: enrichWatchInput };
