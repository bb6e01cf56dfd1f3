#!/usr/bin/env node
// The `ecs-migrate` command: the bundled CLI when `npm run build` has made it, else the TypeScript source through tsx.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/index.mjs', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../cli/main.ts', import.meta.url).href);
}
