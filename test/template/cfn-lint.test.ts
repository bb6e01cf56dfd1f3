import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './template.js';

describe('template.yaml', () => {
  it('passes cfn-lint (which runs the SAM transform and checks the CloudFormation resource schemas)', () => {
    const run = spawnSync('cfn-lint', ['template.yaml'], { cwd: repoRoot, encoding: 'utf8' });
    if (run.error !== undefined) throw new Error(`cfn-lint could not run (pip install cfn-lint): ${run.error.message}`);
    expect(`${run.stdout}${run.stderr}`.trim()).toBe('');
    expect(run.status).toBe(0);
  });
});
