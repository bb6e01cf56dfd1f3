import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, scriptApp } from '../local/helpers.js';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'ecs-migrate-review-registry-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('ecs-migrate local --config with REGISTRY (as events/config.json has it)', () => {
  it('refuses the key as a usage error, never a run whose every task fails to pull', async () => {
    const app = await scriptApp(join(work, 'app'), 'echo migrated');
    // README: "--config FILE (a JSON object of keys, as for explain, …) sets any of them over these; any other key
    // is refused". events/config.json, the explain sample, names the stack's REGISTRY.
    const config = join(work, 'config.json');
    await writeFile(config, JSON.stringify({ REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' }));
    const run = await cli(['local', '--app', app, '--state-dir', join(work, 'state'), '--config', config], work);

    // Was: exit 1, "the task failed to start (CannotPullContainerError: image 123456789012.dkr.ecr…/app@sha256:…
    // is not known on this machine (build it with "ecs-migrate local --app DIR"))": the push names the image in
    // REGISTRY, local images are only ever built in local mode's own registry, and the advice given is what was run.
    expect(run.stdout).not.toMatch(/CannotPullContainerError/);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/key REGISTRY in .*config\.json: local mode builds and pulls its images in its own registry/);
  }, 60_000);
});
