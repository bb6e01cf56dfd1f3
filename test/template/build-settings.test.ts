import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../infra/build.mjs';
import { cliBuild, lambdaFunctions, samBuildProperties } from '../../infra/esbuild-settings.mjs';
import { loadTemplate, resource, resourcesOfType } from './template.js';

const scratch = mkdtempSync(join(tmpdir(), 'ecs-migrate-build-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('build settings: one place for sam build and npm run build', () => {
  const { template } = loadTemplate();

  it('lists exactly the functions of template.yaml', () => {
    const functions = resourcesOfType(template, 'AWS::Serverless::Function')
      .map(([id]) => id)
      .sort();
    expect(lambdaFunctions.map((f) => f.logicalId).sort()).toEqual(functions);
  });

  for (const f of lambdaFunctions) {
    it(`${f.logicalId}: Metadata.BuildProperties are infra/esbuild-settings.mjs's, and Handler is the entry point's handler`, () => {
      const fn = resource(template, f.logicalId);
      expect(fn.Metadata?.BuildMethod).toBe('esbuild');
      // On failure, the expected value is what to paste into template.yaml.
      expect(fn.Metadata?.BuildProperties).toEqual(samBuildProperties(f.entryPoint));
      expect(fn.Properties?.Handler).toBe(`${f.entryPoint.replace(/\.ts$/, '')}.handler`);
    });
  }
});

describe('npm run build (infra/build.mjs)', () => {
  it('bundles each handler as an ES module exporting `handler`, and the CLI', async () => {
    const outDir = join(scratch, 'full');
    const built = await buildAll({ outDir, strict: true, log: () => {} });

    for (const f of lambdaFunctions) {
      const entry = built.find((b) => b.entryPoint === f.entryPoint);
      expect(entry?.exports).toContain('handler');
      const code = readFileSync(join(outDir, f.outfile), 'utf8');
      expect(code.startsWith("import { createRequire } from 'module';")).toBe(true);
      expect(code).not.toContain('sourceMappingURL');
    }
    expect(existsSync(join(outDir, cliBuild.outfile))).toBe(true);
    expect(readFileSync(join(outDir, cliBuild.outfile), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('skips an entry point that does not exist yet with a warning, and refuses to with strict', async () => {
    const root = join(scratch, 'partial');
    mkdirSync(join(root, 'handlers'), { recursive: true });
    writeFileSync(join(root, 'handlers', 'launch.ts'), 'export const handler = async (): Promise<string> => "ok";\n');
    const lines: string[] = [];

    const built = await buildAll({ root, log: (line) => lines.push(line) });

    expect(built.map((b) => b.entryPoint)).toEqual(['handlers/launch.ts']);
    expect(existsSync(join(root, 'dist', 'launch', 'index.mjs'))).toBe(true);
    expect(lines.filter((l) => l.startsWith('warning:'))).toEqual([
      'warning: handlers/watch.ts does not exist yet; dist/watch/index.mjs not built',
      'warning: cli/main.ts does not exist yet; dist/cli/index.mjs not built',
    ]);
    await expect(buildAll({ root, strict: true, log: () => {} })).rejects.toThrow('missing entry points: handlers/watch.ts, cli/main.ts');
  });

  it('fails when a handler module does not export `handler`', async () => {
    const root = join(scratch, 'no-handler');
    mkdirSync(join(root, 'handlers'), { recursive: true });
    writeFileSync(join(root, 'handlers', 'launch.ts'), 'export const main = async (): Promise<string> => "ok";\n');

    await expect(buildAll({ root, log: () => {} })).rejects.toThrow('handlers/launch.ts must export `handler`');
  });
});
