#!/usr/bin/env node
// `./bin/ecs-migrate.mjs` in a checkout: runs the TypeScript source through tsx (a dev dependency), so it is
// never older than the code. The installed command is the bundle (package.json "bin": dist/cli/index.mjs,
// built by `npm run build` and by `npm pack`'s prepack), which needs no tsx.
import { existsSync } from 'node:fs';

const source = new URL('../cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/index.mjs', import.meta.url).href);
}
