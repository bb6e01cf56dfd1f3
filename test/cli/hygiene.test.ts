import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ignore from 'ignore';
import { describe, expect, it } from 'vitest';
import { CANCEL_USAGE, UNLOCK_USAGE } from '../../cli/usage.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** No region and no credentials from anywhere: what a fresh CI runner without AWS setup looks like. */
const NO_AWS = {
  AWS_REGION: '',
  AWS_DEFAULT_REGION: '',
  AWS_PROFILE: '',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_CONFIG_FILE: join(ROOT, 'no-such-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(ROOT, 'no-such-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '',
};

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', TSX, join(ROOT, 'cli', 'main.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env } },
      (error, stdout, stderr) => done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

const COMMANDS = ['deploy', 'run-command', 'status', 'history', 'logs', 'cancel', 'unlock', 'local', 'explain', 'replay', 'request'];

describe('CLI hygiene', () => {
  it('--help on every command prints its usage and exits 0 (even next to other options)', async () => {
    const results = await Promise.all(COMMANDS.map((c) => cli([c, '--stack', 'x', '--help'])));
    for (const [i, r] of results.entries()) {
      expect(r.code, COMMANDS[i]).toBe(0);
      expect(r.stdout, COMMANDS[i]).toContain(`ecs-migrate ${COMMANDS[i] === 'request' ? 'request deploy' : COMMANDS[i]}`);
      expect(r.stderr, COMMANDS[i]).toBe('');
    }
  });

  it('--version prints the package version; --help lists the commands and the exit codes', async () => {
    const [version, help] = await Promise.all([cli(['--version']), cli(['--help'])]);
    expect(version).toEqual({ code: 0, stdout: `ecs-migrate ${VERSION}\n`, stderr: '' });
    expect(help.code).toBe(0);
    for (const c of COMMANDS.filter((c) => c !== 'request')) expect(help.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(help.stdout).toMatch(/124 --timeout/);
  });

  it('a missing region is one line naming the fix, exit 2: no Lambda wording, no stack trace, no SDK warning', async () => {
    const r = await cli(['history', '--stack', 'ecs-migrate-staging'], NO_AWS);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('ecs-migrate: no AWS region: pass --region REGION, or set AWS_REGION (or a region in the --profile)\n');
  });

  it('a missing --stack (or --environment, --table) is named before the missing region or credentials', async () => {
    const cases: [string[], string][] = [
      [['cancel'], 'which environment? pass --stack NAME (or --environment ENV)'],
      [['unlock', '--reason', 'lost'], 'which environment? pass --stack NAME (or --environment ENV)'],
      [['deploy', '--tag', 'v1'], 'which environment? pass --stack NAME (or --environment ENV)'],
      [['deploy', '--tag', 'v1', '--environment', 'staging'], '--tag needs --stack NAME (its RepositoryUri output); or pass --image URI'],
      [
        ['run-command', '--environment', 'staging', '--tag', 'v1', '--', 'db-seed'],
        '--tag needs --stack NAME (its RepositoryUri output); or pass --image URI',
      ],
      [
        ['deploy', '--image', 'repo:v1', '--environment', 'staging', '--wait'],
        'which deployments table? pass --stack NAME (or --table TABLE)',
      ],
      [['status', '--table', 'deployments'], 'which environment? pass --stack NAME (or --environment ENV)'],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args, NO_AWS)));
    expect(results.map((r) => [r.code, r.stderr])).toEqual(cases.map(([, line]) => [2, `ecs-migrate: ${line}\n`]));
  });

  it('an AWS failure is one line (exit 1); --debug adds the stack trace', async () => {
    const r = await cli(['status', '--stack', 'ecs-migrate-staging', '--region', 'eu-west-1'], NO_AWS);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ecs-migrate: no usable AWS credentials \(.*\): pass --profile NAME, set AWS_PROFILE, or log in \(aws sso login\)\n$/,
    );
    expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|retried/);

    const debug = await cli(['status', '--stack', 'ecs-migrate-staging', '--region', 'eu-west-1', '--debug'], NO_AWS);
    expect(debug.code).toBe(1);
    expect(debug.stderr.split('\n').length).toBeGreaterThan(3);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('an unreachable AWS endpoint is one line naming the call that failed and what to check, exit 1', async () => {
    const unreachable = {
      ...NO_AWS,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_MAX_ATTEMPTS: '1',
    };
    const runs: [string[], string][] = [
      [['status', '--stack', 's'], 'cloudformation:DescribeStacks'],
      [['deploy', '--stack', 's', '--tag', 'v1'], 'cloudformation:DescribeStacks'],
      [['cancel', '--stack', 's'], 'cloudformation:DescribeStacks'],
      [['cancel', '--environment', 'staging'], 'sts:GetCallerIdentity'],
      [['history', '--environment', 'staging', '--table', 't'], 'dynamodb:BatchGetItem'],
      [['replay', '--archive', 'a', '--from', '2026-11-25T09:00:00Z', '--to', '2026-11-25T10:00:00Z'], 'events:DescribeArchive'],
    ];
    const results = await Promise.all(runs.map(([args]) => cli(args, unreachable)));
    expect(results.map((r) => [r.code, r.stderr])).toEqual(
      runs.map(([, call]) => [
        1,
        `ecs-migrate: ${call} failed: connect ECONNREFUSED 127.0.0.1:9: check the region, credentials and network\n`,
      ]),
    );
  });

  it('what cancel and unlock say they need names cloudformation:DescribeStacks, their first call with --stack (above)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const deployDoc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
    const said: [string, string][] = [
      ['cancel --help', CANCEL_USAGE],
      ['unlock --help', UNLOCK_USAGE],
      ['README.md', readme.split('\n').find((l) => l.startsWith('| `cancel [ID]`')) ?? ''],
      ['docs/deploy.md', /\(`ecs-migrate cancel`, `ecs-migrate unlock`:[^)]*\)/.exec(deployDoc)?.[0] ?? ''],
    ];
    for (const [where, text] of said) {
      expect(text, where).toContain('PutEvents');
      expect(text.replace(/\s+/g, ' '), where).toContain('cloudformation:DescribeStacks');
    }
  });

  it('wrong options are a one-line usage error, exit 2', async () => {
    const r = await cli(['deploy', '--imgae', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ecs-migrate: unknown option --imgae (see --help)\n');
    const results = await Promise.all([cli(['explain']), cli(['deploy', '--environment', 'staging']), cli(['logs', '--stack', 'x'])]);
    expect(results.map((x) => [x.code, x.stderr.split('\n').length])).toEqual([
      [2, 2],
      [2, 2],
      [2, 2],
    ]);
    expect(results[1]?.stderr).toBe(
      'ecs-migrate: deploy needs exactly one of --image, --tag or --task-definition (see ecs-migrate deploy --help)\n',
    );
    // parseArgs' own messages run over three lines, or quote unbalanced: one line each, naming the option.
    const parsed = await Promise.all([
      cli(['local', '--app', '--state-dir', 'x']),
      cli(['local', '--app', 'examples/app', '--timeout-minutes', '-1']),
      cli(['history', '--limit', '-1']),
      cli(['explain', '--bogus']),
      cli(['status', 'stray']),
    ]);
    expect(parsed.map((x) => [x.code, x.stderr])).toEqual([
      [2, 'ecs-migrate: --app needs a value (to pass a value starting with "-", write --app=-x)\n'],
      [2, 'ecs-migrate: --timeout-minutes needs a value (to pass a value starting with "-", write --timeout-minutes=-x)\n'],
      [2, 'ecs-migrate: --limit needs a value (to pass a value starting with "-", write --limit=-x)\n'],
      [2, 'ecs-migrate: unknown option --bogus (see --help)\n'],
      [2, 'ecs-migrate: unexpected argument "stray" (see --help)\n'],
    ]);
    const timeout = await cli(['deploy', '--environment', 'staging', '--image', 'x:1', '--timeout', 'soon']);
    expect(timeout).toMatchObject({ code: 2, stderr: 'ecs-migrate: --timeout soon: expected a duration such as 45m, 2h or 90s\n' });
  });

  it('an option the command would ignore is refused, not taken silently', async () => {
    const ignored = await Promise.all([
      cli(['status', '--follow']),
      cli(['status', '--limit', '5']),
      cli(['history', '--follow']),
      cli(['logs', '20261125-091500-3c1f2a9b', '--limit', '5']),
      cli(['cancel', '--environment', 'staging', '--table', 'T']),
      cli(['unlock', '--environment', 'staging', '--reason', 'x', '--log-group', '/ecs/x']),
    ]);
    expect(ignored.map((x) => [x.code, x.stderr])).toEqual(
      ['--follow', '--limit', '--follow', '--limit', '--table', '--log-group'].map((o) => [
        2,
        `ecs-migrate: unknown option ${o} (see --help)\n`,
      ]),
    );
  });
});

describe('the package', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    scripts: Record<string, string>;
    files: string[];
  };

  it("runs a postinstall the package ships (the checkout's TypeScript and tsx are not), which says nothing without them", async () => {
    const script = /^node (\S+)$/.exec(pkg.scripts.postinstall ?? '')?.[1];
    expect(script, `postinstall "${pkg.scripts.postinstall}" runs one shipped script with node`).toBeDefined();
    expect(pkg.files).toContain(script);
    // Alone in a directory, as in an installed package: nothing to prebuild, nothing printed, exit 0.
    const dir = mkdtempSync(join(tmpdir(), 'ecs-migrate-postinstall-'));
    try {
      mkdirSync(join(dir, dirname(script as string)), { recursive: true });
      copyFileSync(join(ROOT, script as string), join(dir, script as string));
      const r = await new Promise<{ code: number; output: string }>((done) =>
        execFile(process.execPath, [script as string], { cwd: dir }, (error, stdout, stderr) =>
          done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: stdout + stderr }),
        ),
      );
      expect(r).toEqual({ code: 0, output: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves what npm pack writes out of git (it packs into the checkout's directory)", () => {
    const rules = ignore().add(readFileSync(join(ROOT, '.gitignore'), 'utf8'));
    expect(rules.ignores(`${pkg.name}-${pkg.version}.tgz`)).toBe(true);
  });
});
