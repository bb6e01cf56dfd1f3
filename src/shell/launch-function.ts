import { LAUNCHER } from '../core/launcher.js';
import type { LambdaFunction } from './controller.js';
import { enrichLaunchInput } from './load-state.js';

/** The launcher: its core, and requests' image tags resolved through ECR (handlers/launch.ts). */
export const LAUNCH_FUNCTION: LambdaFunction = { core: LAUNCHER, enrich: enrichLaunchInput };
