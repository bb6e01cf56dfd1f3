#!/usr/bin/env node
// The `ecs-migrate` command. In a checkout it runs the TypeScript source through tsx, so it is never older
// than the code; a packaged install, which ships only the bundle from `npm run build`, runs dist/cli/index.mjs.
import { existsSync } from 'node:fs';

const source = new URL('../cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/index.mjs', import.meta.url).href);
}
