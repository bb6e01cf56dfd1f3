import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appFiles } from '../../src/local/app-files.js';

let app: string;
beforeEach(async () => {
  app = await mkdtemp(join(tmpdir(), 'ecs-migrate-app-files-'));
  await mkdir(join(app, 'bin'));
  await mkdir(join(app, 'db', 'migrations'), { recursive: true });
  await mkdir(join(app, '.git'));
  await mkdir(join(app, 'node_modules', 'x'), { recursive: true });
  await mkdir(join(app, 'logs'));
  await writeFile(join(app, 'bin', 'db-migrate'), '#!/bin/sh\n');
  await chmod(join(app, 'bin', 'db-migrate'), 0o755);
  await writeFile(join(app, 'db', 'migrations', '001.sql'), 'select 1;');
  await writeFile(join(app, 'db', 'migrations', 'notes.tmp'), 'x');
  await writeFile(join(app, '.git', 'HEAD'), 'ref');
  await writeFile(join(app, 'node_modules', 'x', 'index.js'), 'x');
  await writeFile(join(app, 'logs', 'today.log'), 'x');
  await symlink('db/migrations/001.sql', join(app, 'latest.sql'));
});
afterEach(async () => {
  await rm(app, { recursive: true, force: true });
});

const paths = async (exclude: string[] = []) => (await appFiles(app, exclude)).map((f) => f.path);

describe('the files of a local image', () => {
  it('are every file but .git/ and node_modules/, with executable bits and links as links', async () => {
    expect(await paths()).toEqual(['bin/db-migrate', 'db/migrations/001.sql', 'db/migrations/notes.tmp', 'latest.sql', 'logs/today.log']);
    const files = await appFiles(app);
    expect(files.find((f) => f.path === 'bin/db-migrate')?.executable).toBe(true);
    expect(files.find((f) => f.path === 'latest.sql')?.content.toString()).toBe('db/migrations/001.sql');
  });

  it('honour .gitignore (patterns at any depth) when there is no .dockerignore', async () => {
    await writeFile(join(app, '.gitignore'), '*.tmp\nlogs/\n');
    expect(await paths()).toEqual(['.gitignore', 'bin/db-migrate', 'db/migrations/001.sql', 'latest.sql']);
  });

  it('honour .dockerignore (Docker rules: from the root, with exceptions) over .gitignore', async () => {
    await writeFile(join(app, '.gitignore'), 'bin/\n');
    await writeFile(join(app, '.dockerignore'), '*.tmp\nlogs\n!logs/today.log\n');
    // In Docker's rules "*.tmp" matches at the top level only: db/migrations/notes.tmp stays.
    expect(await paths()).toEqual([
      '.dockerignore',
      '.gitignore',
      'bin/db-migrate',
      'db/migrations/001.sql',
      'db/migrations/notes.tmp',
      'latest.sql',
      'logs/today.log',
    ]);
  });

  it('leave out the state directory', async () => {
    await mkdir(join(app, '.ecs-migrate', 'local-app'), { recursive: true });
    await writeFile(join(app, '.ecs-migrate', 'local-app', 'environment.json'), '{}');
    expect(await paths([join(app, '.ecs-migrate')])).not.toContain('.ecs-migrate/local-app/environment.json');
  });
});
