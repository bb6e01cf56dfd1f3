import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { explainCommand } from '../../cli/explain.js';
import { logsCommand } from '../../cli/inspect.js';
import { CliUsageError } from '../../cli/local-config.js';
import { LocalStore } from '../../src/adapters/local/store.js';
import { LocalLayout } from '../../src/local/layout.js';
import { activeState, runningDeployment, SAMPLE_DEPLOYMENT } from '../support/fixtures.js';

/** Arguments a command takes without using them: what the user wrote is silently not what is shown. */
let root: string;
let out: string[];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecs-migrate-review-args-'));
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(root, { recursive: true, force: true });
});

describe('logs DEPLOYMENT_ID', () => {
  it('refuses a second deployment id (as cancel, unlock and deploy refuse stray arguments) instead of ignoring it', async () => {
    const store = new LocalStore(new LocalLayout(root, 'local-app'));
    await store.commit({ deployments: [{ deployment: runningDeployment({ environment: 'local-app' }), expectedRevision: 0 }] });
    // Was: exit 0, the first deployment shown, "20261125-091600-00000000" silently dropped.
    await expect(logsCommand([SAMPLE_DEPLOYMENT, '20261125-091600-00000000', '--state-dir', root])).rejects.toThrow(CliUsageError);
  });
});

describe('explain --state FILE', () => {
  it('refuses a state file whose keys are none of { env, deployments, service, task, hook } (a typo) instead of explaining against an idle environment', async () => {
    // "deployment" for "deployments", "environment" for "env". Was: the running deployment silently left out, and the
    // STOPPED event of its task explained as "no deployment … (another environment's task, or purged)".
    const { env, deployments, service } = activeState(runningDeployment());
    const state = join(root, 'typo.json');
    await writeFile(state, JSON.stringify({ environment: env, deployment: deployments, service }));
    const explained = explainCommand(['--config', 'events/config.json', '--state', state, 'events/task-stopped-exit-1.json']);
    await expect(explained).rejects.toThrow(
      /state file .*typo\.json: environment: not a key of a state file \(expected env, deployments, service, task, hook\)/,
    );
    expect(out.join('')).not.toMatch(/^ignore: no deployment/);
  });
});
