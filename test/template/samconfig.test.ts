import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplate, repoRoot } from './template.js';

/** samconfig.toml (read with Python's tomllib) agrees with template.yaml, so `sam deploy --config-env <env>` works. */
interface DeployParameters {
  stack_name: string;
  capabilities: string;
  parameter_overrides: string[];
}

function samconfig(): Record<string, { deploy?: { parameters: DeployParameters } }> {
  const run = spawnSync(
    'python3',
    ['-c', 'import json,sys,tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))', join(repoRoot, 'samconfig.toml')],
    {
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`samconfig.toml: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

describe('samconfig.toml', () => {
  const config = samconfig();
  const { template } = loadTemplate();

  it.each(['staging', 'production'])(
    '%s: a stack of its own, every parameter the template requires, none it does not know',
    (environment) => {
      const deploy = config[environment]?.deploy?.parameters;
      expect(deploy?.stack_name).toBe(`ecs-migrate-${environment}`);
      expect(deploy?.capabilities).toBe('CAPABILITY_IAM');
      const values = Object.fromEntries(
        (deploy?.parameter_overrides ?? []).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
      );
      expect(values.Environment).toBe(environment);
      // SAM CLI cannot parse "Key=" (an empty value): leave such a parameter out so its default applies.
      for (const [name, value] of Object.entries(values)) expect(value, name).not.toBe('');
      for (const name of Object.keys(values)) expect(template.Parameters, name).toHaveProperty([name]);
      for (const [name, p] of Object.entries(template.Parameters)) {
        if (p.Default === undefined) expect(values, `${environment} must set ${name}`).toHaveProperty([name]);
      }
    },
  );
});
