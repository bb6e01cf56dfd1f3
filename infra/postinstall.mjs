// package.json "postinstall". In a checkout it prebuilds local mode's database template (cli/local-template.ts, run
// through tsx, a dev dependency), so the first `ecs-migrate local` copies a database instead of running initdb. An
// installed package ships neither (its first local run builds the template): there it does nothing, quietly. It never
// fails an install.
import { existsSync } from 'node:fs';

const source = new URL('../cli/local-template.ts', import.meta.url);
if (existsSync(source)) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    const { prebuildTemplate } = await import(source.href);
    await prebuildTemplate();
  } catch (error) {
    console.log(
      `ecs-migrate: no local database template (${error instanceof Error ? error.message : String(error)}); the first local run will build it`,
    );
  }
}
