import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../src/adapters/local/registry.js';
import { appFiles } from '../../src/local/app-files.js';
import { LocalImages } from '../../src/local/images.js';

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

/** `promise`, or a rejection naming `what` after `ms`: a read that blocks fails the test instead of hanging it. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} did not return within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens and closes a FIFO's writing end, so a reader blocked on it gets end-of-file (none waiting: nothing to do). */
function releaseReaders(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: no reader.
  }
}

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

  it('leave out a FIFO, whose read would wait forever for a writer', async () => {
    const fifo = join(app, 'db', 'pipe');
    execFileSync('mkfifo', [fifo]);
    try {
      expect(await within(paths(), 5000, 'appFiles with a FIFO')).not.toContain('db/pipe');
    } finally {
      releaseReaders(fifo);
    }
  });

  it('leave out a socket, which cannot be read (ENXIO)', async () => {
    const server = createServer();
    await new Promise<void>((listening) => server.listen(join(app, 'app.sock'), listening));
    try {
      expect(await paths()).toEqual(['bin/db-migrate', 'db/migrations/001.sql', 'db/migrations/notes.tmp', 'latest.sql', 'logs/today.log']);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });

  it('keep a link to a FIFO as the link (its target is never opened)', async () => {
    execFileSync('mkfifo', [join(app, 'pipe')]);
    await symlink('pipe', join(app, 'to-pipe'));
    try {
      const files = await within(appFiles(app), 5000, 'appFiles with a link to a FIFO');
      expect(files.find((f) => f.path === 'to-pipe')?.content.toString()).toBe('pipe');
    } finally {
      releaseReaders(join(app, 'pipe'));
    }
  });

  it('leave out the state directory', async () => {
    await mkdir(join(app, '.ecs-migrate', 'local-app'), { recursive: true });
    await writeFile(join(app, '.ecs-migrate', 'local-app', 'environment.json'), '{}');
    expect(await paths([join(app, '.ecs-migrate')])).not.toContain('.ecs-migrate/local-app/environment.json');
  });
});

describe('the images of a state directory (images.json and tags.json, shared by every environment)', () => {
  it('are all kept when many runs build and tag at once', async () => {
    // Each run has its own LocalImages and LocalRegistry, and each build or tag reads, changes and writes the file:
    // unless that is exclusive, a run writes back what it read before another's write, and that image is lost
    // (its launch fails with CannotPullContainerError). In one process, as here, unlocked writes also share a temporary
    // file, and some fail: the images that survive are checked first.
    const state = join(app, 'state');
    const apps = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const dir = join(app, 'apps', `app-${i}`);
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'f'), `app ${i}`);
        return dir;
      }),
    );
    const imagesFile = join(state, 'images.json');
    const builds = await Promise.allSettled(apps.map((dir, i) => new LocalImages(imagesFile).build(dir, `app-${i}`)));
    const known = JSON.parse(await readFile(imagesFile, 'utf8')) as Record<string, string>;
    expect(Object.values(known).sort()).toEqual([...apps].sort());
    expect(builds.filter((b) => b.status === 'rejected')).toEqual([]);
    const built = builds.flatMap((b) => (b.status === 'fulfilled' ? [b.value] : []));
    const images = new LocalImages(imagesFile);
    expect(await Promise.all(built.map(({ image }) => images.resolve(image)))).toEqual(apps);

    const tagsFile = join(state, 'tags.json');
    const tagged = await Promise.allSettled(
      built.map(({ digest }, i) => new LocalRegistry(tagsFile).tag(`app-${i}`, 'latest', { digest, pushedAt: '2024-01-01T00:00:00.000Z' })),
    );
    const tags = JSON.parse(await readFile(tagsFile, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(tags).sort()).toEqual(apps.map((_, i) => `app-${i}:latest`).sort());
    expect(tagged.filter((t) => t.status === 'rejected')).toEqual([]);
  });
});
