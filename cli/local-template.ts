import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTemplate } from '../src/local/db-template.js';

/** Where local mode keeps its database template: the per-user cache ($XDG_CACHE_HOME, else ~/.cache). */
export function templateCacheDir(env: NodeJS.ProcessEnv): string {
  const root = env.XDG_CACHE_HOME ?? (env.HOME !== undefined ? join(env.HOME, '.cache') : tmpdir());
  return join(root, 'ecs-migrate');
}

/**
 * `npm install` in a checkout runs this (postinstall, through infra/postinstall.mjs), so the first `ecs-migrate local`
 * copies a database instead of running initdb. It never fails the install: without it the first run builds the
 * template itself.
 */
export async function prebuildTemplate(): Promise<void> {
  const started = Date.now();
  try {
    const dir = await ensureTemplate(templateCacheDir(process.env));
    process.stdout.write(`ecs-migrate: local database template ready in ${dir} (${Date.now() - started} ms)\n`);
  } catch (error) {
    process.stdout.write(`ecs-migrate: no local database template (${(error as Error).message}); the first local run will build it\n`);
  }
}
