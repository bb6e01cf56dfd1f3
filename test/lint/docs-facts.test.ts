/** Facts the docs state that the code decides: checked, so the two cannot drift apart. */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EMITTED_TYPES } from '../../src/core/actions.js';

/** Whoever routes ecs-migrate's events reads their detail-types in the docs: every type the core emits is listed there. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** The paragraph of `file` that begins with `opening`, up to the next blank line. */
async function paragraph(file: string, opening: string): Promise<string> {
  const text = await readFile(join(ROOT, file), 'utf8');
  const start = text.indexOf(opening);
  expect(start, `${file} has a paragraph beginning "${opening}"`).toBeGreaterThanOrEqual(0);
  const end = text.indexOf('\n\n', start);
  return text.slice(start, end === -1 ? undefined : end);
}

describe('the emitted events are documented', () => {
  it.each([
    ['README.md', 'Emitted, on `EVENT_BUS`'],
    ['docs/deploy.md', 'The stack puts '],
  ])('%s lists every detail-type the core emits', async (file, opening) => {
    const listed = await paragraph(file, opening);
    expect(EMITTED_TYPES.filter((t) => !listed.includes(`\`${t}\``))).toEqual([]);
  });
});

describe('the Node.js version the docs ask for', () => {
  it("is package.json's engines.node", async () => {
    const { engines } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const required = engines.node.replace(/^>=\s*/, '');
    for (const file of ['README.md', 'docs/deploy.md']) {
      const text = await readFile(join(ROOT, file), 'utf8');
      const stated = [...text.matchAll(/Node\.js ≥ ([\d.]+)/g)].map((m) => m[1]);
      expect(stated.length, `${file} states a Node.js version`).toBeGreaterThan(0);
      expect(stated, file).toEqual(stated.map(() => required));
    }
  });
});

describe("local mode's configuration", () => {
  it('is stated in the README as localDefaults() fills it, with --config to change it and no environment variable', async () => {
    const { localDefaults } = await import('../../cli/local-config.js');
    const stated = await paragraph('README.md', '- **Configuration.** Local mode fills');
    const fixed = Object.entries(localDefaults('app')).filter(([key]) => !['ENVIRONMENT', 'SERVICE', 'REPOSITORY'].includes(key));
    expect(fixed.filter(([key, value]) => !stated.includes(`\`${key}=${value}\``))).toEqual([]);
    expect(stated).toContain('`ENVIRONMENT`\n  `local-<app dir name>`');
    expect(stated).toContain('`--config FILE`');
    // The CLI reads no configuration from its environment: the README must not offer ROLLOUT_MODE=… as a way.
    const text = await readFile(join(ROOT, 'README.md'), 'utf8');
    expect(text).not.toContain('(`ROLLOUT_MODE=pause-hook`)');
  });
});

describe("the README's commands", () => {
  /** Every command line of the README's bash blocks and `$ ` lines of its console blocks, comments left out. */
  async function commands(): Promise<string[]> {
    const text = await readFile(join(ROOT, 'README.md'), 'utf8');
    const bash = [...text.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').split('\n'));
    const console = [...text.matchAll(/```console\n([\s\S]*?)```/g)].flatMap((m) =>
      (m[1] ?? '').split('\n').flatMap((line) => (line.startsWith('$ ') ? [line.slice(2)] : [])),
    );
    return [...bash, ...console].map((line) => line.replace(/(^|\s)#.*$/, '').trim()).filter((line) => line !== '');
  }

  it('paste into bash: no <placeholder>, which bash reads as a redirect', async () => {
    expect((await commands()).filter((c) => /<[^>]*>/.test(c))).toEqual([]);
  });

  it('install the packed tarball into a project, never into the checkout that packed it', async () => {
    expect((await commands()).filter((c) => /npm pack\b.*npm install|npm install\b.*\.\/ecs-migrate-[\d.]+\.tgz/.test(c))).toEqual([]);
  });
});

describe('what `npm test` needs', () => {
  it('is the same wherever the README says it, and what .ci/run asks for', async () => {
    const ci = await readFile(join(ROOT, '.ci/run'), 'utf8');
    const packages = /pip install ('moto\[server\]'[^)]*)\)/.exec(ci)?.[1]?.split(/\s+/) ?? [];
    expect(packages).toEqual(["'moto[server]'", 'cfn-lint', 'aws-sam-translator']);
    const tools = ['moto_server', 'cfn-lint', 'aws-sam-translator'];
    const text = await readFile(join(ROOT, 'README.md'), 'utf8');
    const tryIt = text.split('\n').find((line) => line.startsWith('npm install && npm test')) ?? '';
    const needs = await paragraph('README.md', 'The tests need ');
    expect(tools.filter((t) => !tryIt.includes(t))).toEqual([]);
    expect(tools.filter((t) => !needs.includes(`\`${t}\``))).toEqual([]);
  });
});

describe('where local mode keeps its state', () => {
  it('is stated in the README: .ecs-migrate/ in the current directory (the CLI default), or --state-dir', async () => {
    const local = await readFile(join(ROOT, 'cli/local.ts'), 'utf8');
    expect(local).toMatch(/'state-dir': \{[^}]*default: '\.ecs-migrate'/);
    const stated = await paragraph('README.md', '- **State.**');
    expect(stated).toContain("`.ecs-migrate/` in the current directory (not the app's)");
    expect(stated).toContain('`--state-dir DIR`');
  });
});
