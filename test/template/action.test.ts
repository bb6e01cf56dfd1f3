import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './template.js';

/** action.yml and the example workflow, parsed by PyYAML (python3 is required by the template tests anyway). */
function yamlFile(path: string): Record<string, unknown> {
  const json = execFileSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', path], {
    encoding: 'utf8',
  });
  return JSON.parse(json) as Record<string, unknown>;
}

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

const action = yamlFile(join(repoRoot, 'action.yml')) as {
  inputs: Record<string, { required?: boolean; default?: string }>;
  runs: { using: string; steps: Step[] };
};
const scratch = mkdtempSync(join(tmpdir(), 'ecs-migrate-action-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs the action's deploy step as GitHub would (bash, its env with the inputs filled in), with a stand-in
 * CLI that records its arguments and exits with `exitCode`.
 */
function runDeployStep(inputs: Record<string, string>, exitCode: number) {
  const step = action.runs.steps.find((s) => s.id === 'deploy');
  if (step?.run === undefined) throw new Error('action.yml has no deploy step');
  const cli = join(scratch, 'cli.mjs');
  writeFileSync(cli, `console.log(JSON.stringify(process.argv.slice(2))); process.exit(${exitCode});\n`);
  const output = join(scratch, 'output');
  const summary = join(scratch, 'summary');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(step.env ?? {})) {
    env[name] = value.replace(
      /\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g,
      (_, input: string) => inputs[input] ?? action.inputs[input]?.default ?? '',
    );
  }
  const runnerTemp = join(scratch, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  const result = spawnSync('bash', ['-c', step.run], {
    cwd: scratch,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env, CLI: cli, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, RUNNER_TEMP: runnerTemp },
  });
  return {
    code: result.status,
    argv: JSON.parse(result.stdout.split('\n')[0] ?? '[]') as string[],
    output: readFileSync(output, 'utf8'),
    summary: readFileSync(summary, 'utf8'),
  };
}

describe('action.yml: deploy --wait as a GitHub Action', () => {
  it('takes stack (required), environment, image or tag or task-definition, timeout (default 45m)', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.inputs.stack?.required).toBe(true);
    for (const name of ['environment', 'image', 'tag', 'task-definition', 'region']) expect(action.inputs[name]?.required).toBe(false);
    expect(action.inputs.timeout?.default).toBe('45m');
  });

  it('puts inputs in the environment of its scripts, never into the script text (no script injection)', () => {
    for (const step of action.runs.steps) if (step.run !== undefined) expect(step.run).not.toContain('${{');
  });

  it('runs deploy --wait with the inputs and fails the step with the CLI exit code (1: rollout halted)', () => {
    const halted = runDeployStep({ stack: 'ecs-migrate-staging', environment: 'staging', tag: 'v1.5.0', timeout: '30m' }, 1);
    expect(halted.code).toBe(1);
    expect(halted.argv).toEqual(
      expect.arrayContaining([
        'deploy',
        '--stack',
        'ecs-migrate-staging',
        '--wait',
        '--timeout',
        '30m',
        '--environment',
        'staging',
        '--tag',
        'v1.5.0',
      ]),
    );
    expect(halted.argv).not.toContain('--image');
    expect(halted.output).toBe('exit-code=1\n');
    expect(halted.summary).toContain('ecs-migrate deploy to stack `ecs-migrate-staging`');

    // The workspace's own files are left alone: the step's log lives in the runner's temporary directory.
    writeFileSync(join(scratch, 'ecs-migrate-deploy.log'), 'a file of the repository\n');
    const continued = runDeployStep({ stack: 'ecs-migrate-staging', image: 'repo:v2' }, 0);
    expect(readFileSync(join(scratch, 'ecs-migrate-deploy.log'), 'utf8')).toBe('a file of the repository\n');
    expect(readdirSync(join(scratch, 'runner-temp'))).toEqual([]);
    expect(continued.code).toBe(0);
    expect(continued.argv).toEqual(expect.arrayContaining(['--image', 'repo:v2', '--timeout', '45m']));
    expect(continued.argv).not.toContain('--environment');
    expect(continued.output).toBe('exit-code=0\n');
  });

  it('the example workflow uses it with OIDC credentials', () => {
    const workflow = yamlFile(join(repoRoot, 'infra', 'github-actions-deploy-request.yml')) as {
      permissions: Record<string, string>;
      jobs: Record<string, { steps: Step[] }>;
    };
    expect(workflow.permissions['id-token']).toBe('write');
    const steps = Object.values(workflow.jobs)[0]?.steps ?? [];
    const credentials = steps.findIndex((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
    const deploy = steps.findIndex((s) => s.uses?.includes('/ecs-migrate@'));
    expect(credentials).toBeGreaterThanOrEqual(0);
    expect(deploy).toBeGreaterThan(credentials);
    expect(steps[credentials]?.with).toHaveProperty('role-to-assume');
    expect(Object.keys(steps[deploy]?.with ?? {})).toEqual(expect.arrayContaining(['stack', 'tag', 'timeout']));
  });

  it("names the role samconfig.toml's RequestPrincipalArns and docs/deploy.md name (the bus denies any other)", () => {
    const workflow = readFileSync(join(repoRoot, 'infra', 'github-actions-deploy-request.yml'), 'utf8');
    const role = /ECS_MIGRATE_REQUEST_ROLE_ARN .*e\.g\. (arn:aws:iam::\d{12}:role\/[\w+=,.@-]+)$/m.exec(workflow)?.[1];
    expect(role).toBeDefined();
    const principals = [...readFileSync(join(repoRoot, 'samconfig.toml'), 'utf8').matchAll(/"RequestPrincipalArns=([^"]*)"/g)];
    expect(principals.length).toBeGreaterThan(0);
    for (const [, arns] of principals) expect(arns?.split(',')).toContain(role);
    expect(readFileSync(join(repoRoot, 'docs', 'deploy.md'), 'utf8')).toContain(`RequestPrincipalArns=${role}`);
  });
});
