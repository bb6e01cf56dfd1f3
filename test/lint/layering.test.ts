import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The layering rules live in biome.jsonc. These probes are small files placed where the rules apply, linted with
 * the project's own configuration in a scratch directory, so the check is the same one `npm run lint` runs.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const BIOME = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
const LAYERING_RULES = new Set(['lint/style/noRestrictedImports', 'lint/style/noProcessEnv', 'lint/style/useNodejsImportProtocol']);

const PROBES: Record<string, string> = {
  'src/core/imports-sdk.ts': "import { ECSClient } from '@aws-sdk/client-ecs';\nexport const probe = ECSClient;\n",
  'src/core/imports-smithy.ts': "import { isTransientError } from '@smithy/core/retry';\nexport const probe = isTransientError;\n",
  'src/core/imports-fs.ts': "import { readFile } from 'node:fs/promises';\nexport const probe = readFile;\n",
  'src/core/imports-bare-builtin.ts': "import { readFile } from 'fs';\nexport const probe = readFile;\n",
  'src/core/imports-crypto.ts': "import { createHash } from 'node:crypto';\nexport const probe = createHash;\n",
  'src/core/imports-zod.ts': "import * as z from 'zod/mini';\nexport const probe = z.string();\n",
  'src/core/imports-core.ts': "import { probe as other } from './imports-zod.js';\nexport const probe = other;\n",
  'src/core/imports-shell.ts': "import { loadState } from '../shell/load-state.js';\nexport const probe = loadState;\n",
  'src/core/imports-adapter.ts': "import { AwsEcs } from '../adapters/aws/ecs.js';\nexport const probe = AwsEcs;\n",
  'src/core/reads-env.ts': 'export const probe = process.env.CLUSTER;\n',
  'src/adapters/aws/imports-shell.ts': "import { loadState } from '../../shell/load-state.js';\nexport const probe = loadState;\n",
  'src/adapters/aws/imports-ports.ts': "import type { Ecs } from '../../ports.js';\nexport type Probe = Ecs;\n",
  'src/adapters/aws/reads-env.ts': 'export const probe = process.env.AWS_REGION;\n',
  'src/shell/reads-env.ts': 'export const probe = process.env.CLUSTER;\n',
  'src/shell/config.ts': 'export const probe = process.env;\n',
  'handlers/reads-env.ts': 'export const probe = process.env.CLUSTER;\n',
  'cli/reads-env.ts': 'export const probe = process.env.NO_COLOR;\n',
};

let dir: string;
/** Layering diagnostics by probe path. */
let found: Record<string, string[]>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-migrate-lint-'));
  await copyFile(join(ROOT, 'biome.jsonc'), join(dir, 'biome.jsonc'));
  for (const [path, text] of Object.entries(PROBES)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const run = spawnSync(process.execPath, [BIOME, 'lint', '--reporter=json', '--max-diagnostics=none', '.'], {
    cwd: dir,
    encoding: 'utf8',
  });
  const report = JSON.parse(run.stdout) as { diagnostics: { category: string; severity: string; location: { path: string } }[] };
  found = Object.fromEntries(Object.keys(PROBES).map((path) => [path, []]));
  for (const d of report.diagnostics) {
    if (LAYERING_RULES.has(d.category) && d.severity === 'error') found[d.location.path]?.push(d.category.replace('lint/style/', ''));
  }
}, 30_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the layering lint', () => {
  it.each([
    ['src/core/imports-sdk.ts', 'noRestrictedImports'],
    ['src/core/imports-smithy.ts', 'noRestrictedImports'],
    ['src/core/imports-fs.ts', 'noRestrictedImports'],
    ['src/core/imports-bare-builtin.ts', 'useNodejsImportProtocol'],
    ['src/core/imports-shell.ts', 'noRestrictedImports'],
    ['src/core/imports-adapter.ts', 'noRestrictedImports'],
    ['src/core/reads-env.ts', 'noProcessEnv'],
    ['src/adapters/aws/imports-shell.ts', 'noRestrictedImports'],
    ['src/adapters/aws/reads-env.ts', 'noProcessEnv'],
    ['src/shell/reads-env.ts', 'noProcessEnv'],
    ['handlers/reads-env.ts', 'noProcessEnv'],
  ])('rejects %s (%s)', (path, rule) => {
    expect(found[path]).toEqual([rule]);
  });

  it.each([
    'src/core/imports-crypto.ts',
    'src/core/imports-zod.ts',
    'src/core/imports-core.ts',
    'src/adapters/aws/imports-ports.ts',
    'src/shell/config.ts',
    'cli/reads-env.ts',
  ])('accepts %s', (path) => {
    expect(found[path]).toEqual([]);
  });
});
