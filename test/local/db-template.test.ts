import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureDataDir, ensureTemplate } from '../../src/local/db-template.js';
import { TEMPLATE_CACHE } from './helpers.js';

let template: string;
let dir: string;
beforeAll(async () => {
  template = await ensureTemplate(TEMPLATE_CACHE);
}, 120_000);
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-db-template-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function files(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

describe('a new local database', () => {
  it('is a byte-for-byte copy of the template (holes read as the zeros they replace), made once', async () => {
    const dataDir = join(dir, 'pgdata');
    expect(await ensureDataDir(dataDir, TEMPLATE_CACHE)).toBe('copied');
    const names = await files(template);
    expect(await files(dataDir)).toEqual(names);
    for (const name of names) {
      const [a, b] = await Promise.all([readFile(join(template, name)), readFile(join(dataDir, name))]);
      expect(b.equals(a), name).toBe(true);
    }
    const wal = names.find((n) => n.startsWith('pg_wal/') && !n.includes('/archive_status') && (n.split('/')[1]?.length ?? 0) === 24);
    expect((await stat(join(dataDir, wal as string))).size).toBe(16 * 1024 * 1024);
    expect(await ensureDataDir(dataDir, TEMPLATE_CACHE)).toBe('existing');
  });
});
