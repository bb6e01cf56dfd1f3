import { beforeAll, describe, expect, it } from 'vitest';
import { functionStatements, grantedActions } from './iam-statements.js';
import { sdkActionsOf } from './sdk-calls.js';
import { loadTemplate, sampleParameters } from './template.js';

/**
 * The functions' grants against the SDK calls their own code can make (each bundle's SDK command modules), so a call
 * added to a function without its grant, or a grant left after its call is gone, fails here (Powertools' idempotency
 * calls are in the launcher's bundle too). Which resources each action is granted on is checked in iam.test.ts.
 */

type Mode = 'update-service' | 'pause-hook';

/** Calls only one rollout mode makes, so the other mode's stack does not grant them. */
const ONLY_IN: Record<Mode, string[]> = {
  // pause-hook mode runs the target revision's task definition as it is and never updates a service.
  'update-service': ['ecs:UpdateService', 'ecs:RegisterTaskDefinition', 'ecs:ListTaskDefinitions'],
  // update-service mode has no paused deployments.
  'pause-hook': ['ecs:ContinueServiceDeployment', 'ecs:DescribeServiceDeployments', 'ecs:DescribeServiceRevisions'],
};

/** Commands in a bundle that are never sent, and why. */
const NEVER_SENT: Record<string, string> = {
  // The DynamoDB client's endpoint discovery, which is off unless a client enables it (none does).
  'dynamodb:DescribeEndpoints': 'endpoint discovery is off',
};

describe('IAM: each function is granted exactly the calls its code can make', () => {
  const { cloudformation: cfn } = loadTemplate();
  const calls: Record<string, string[]> = {};
  beforeAll(async () => {
    for (const id of ['LaunchFunction', 'WatchFunction']) calls[id] = await sdkActionsOf(id);
  }, 60_000);

  for (const mode of ['update-service', 'pause-hook'] as const) {
    const other: Mode = mode === 'update-service' ? 'pause-hook' : 'update-service';
    for (const id of ['LaunchFunction', 'WatchFunction']) {
      it(`${id}, ${mode} mode`, () => {
        const expected = (calls[id] ?? []).filter((a) => !(a in NEVER_SENT) && !ONLY_IN[other].includes(a));
        const granted = grantedActions(functionStatements(cfn, id, { ...sampleParameters, RolloutMode: mode }));
        expect(granted, `${id} (${mode}): granted vs called`).toEqual(expected);
      });
    }
  }
});
