// CI smoke test of the package as users install it: `npm pack` (prepack builds dist/cli), install the
// tarball into an empty directory, then run its postinstall (which must do nothing, quietly) and the installed
// `ecs-migrate`: --version, --help, a command's --help, explain, and an AWS command's usage error (which must not
// need tsx, a checkout or AWS access).
// Exit code 0 when all of them behave; otherwise the failing step and its output.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'ecs-migrate-pack-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs a command; returns { code, stdout, stderr } without throwing (stderr also when it exits 0). */
function run(file, args, options = {}) {
  const result = spawnSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  return { code: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? String(result.error ?? '') };
}

function check(name, result, expected) {
  const problems = [];
  if (result.code !== expected.code) problems.push(`exit code ${result.code}, expected ${expected.code}`);
  for (const [stream, pattern] of Object.entries(expected.match ?? {})) {
    if (!pattern.test(result[stream])) problems.push(`${stream} does not match ${pattern}`);
  }
  if (/NodeVersionSupportWarning|tsx| {4}at /.test(result.stderr)) problems.push('stderr has SDK warnings, tsx or a stack trace');
  if (problems.length > 0) {
    console.error(`pack smoke test: ${name}: ${problems.join('; ')}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
    process.exitCode = 1;
  } else console.log(`ok ${name}`);
}

try {
  const packed = run(npm, ['pack', '--silent', '--pack-destination', work], { cwd: root });
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
  const tarball = join(work, packed.stdout.trim().split('\n').at(-1));
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'smoke', version: '1.0.0', private: true }));
  // The dependencies come from npm's cache when `npm ci` ran before (CI), from the registry otherwise.
  const installed = run(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', tarball], { cwd: app });
  if (installed.code !== 0) throw new Error(`npm install of the tarball failed:\n${installed.stderr}`);

  // npm runs an installed package's postinstall in the background and hides its output: run it again to see it.
  // It must do nothing, quietly: the package ships no TypeScript and no tsx.
  const postinstall = run(npm, ['run', '--silent', 'postinstall'], { cwd: join(app, 'node_modules', 'ecs-migrate') });
  check('postinstall of the installed package: nothing, quietly', postinstall, { code: 0, match: { stdout: /^$/, stderr: /^$/ } });

  const bin = join(app, 'node_modules', '.bin', 'ecs-migrate');
  const cli = (args, env = {}) => run(bin, args, { cwd: app, env: { ...process.env, NO_COLOR: '1', ...env } });
  check('--version', cli(['--version']), { code: 0, match: { stdout: /^ecs-migrate \d+\.\d+\.\d+/ } });
  check('--help', cli(['--help']), { code: 0, match: { stdout: /deploy .*--wait/ } });
  check('deploy --help', cli(['deploy', '--help']), { code: 0, match: { stdout: /--image URI \| --tag TAG/ } });
  check('explain', cli(['explain', '--config', join(root, 'events', 'config.json'), join(root, 'events', 'ecr-push.json'), '--json']), {
    code: 0,
    match: { stdout: /"decision": "launch"/ },
  });
  check(
    'history --stack without a region: a one-line usage error',
    cli(['history', '--stack', 'ecs-migrate-staging'], {
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: join(work, 'none'),
    }),
    { code: 2, match: { stderr: /^ecs-migrate: no AWS region: pass --region REGION, or set AWS_REGION.*\n$/ } },
  );
} catch (error) {
  console.error(`pack smoke test: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
