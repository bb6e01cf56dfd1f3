import { isJsonObject } from '../src/core/json-value.js';
import type { HookContext } from '../src/core/state.js';

type Bad = (key: string, problem: string) => Error;

const DEPLOYMENT_SHAPE =
  'expected { serviceDeploymentArn, serviceArn, clusterArn, status, lifecycleStage?, targetServiceRevisionArn?, hooks: [{ hookId, status, expiresAt?, timeoutAction? }] }';
const REVISION_SHAPE =
  'expected { serviceRevisionArn, serviceArn, clusterArn, taskDefinitionArn, containerImages: [{ containerName, image, imageDigest? }] }';

/**
 * `hook` of a `--state` file: the paused service deployment a hook event is about and the revision it deploys, as
 * DescribeServiceDeployments and DescribeServiceRevisions would give them (`ControllerState.hook`), so a pause-hook
 * event can be dry-run. Only the fields the decisions read are checked; a malformed one is a usage error naming it.
 */
export function readHook(value: unknown, bad: Bad): HookContext | undefined {
  if (value === undefined) return undefined;
  if (!isJsonObject(value) || !isJsonObject(value.deployment)) throw bad('hook', 'expected { deployment, revision? }');
  const d = value.deployment;
  requireText(d, ['serviceDeploymentArn', 'serviceArn', 'clusterArn', 'status'], 'hook.deployment', DEPLOYMENT_SHAPE, bad);
  optionalText(d, ['lifecycleStage', 'targetServiceRevisionArn', 'statusReason'], 'hook.deployment', bad);
  if (!Array.isArray(d.hooks)) throw bad('hook.deployment.hooks', DEPLOYMENT_SHAPE);
  d.hooks.forEach((h, i) => {
    const key = `hook.deployment.hooks.${i}`;
    if (!isJsonObject(h)) throw bad(key, 'expected { hookId, status, expiresAt?, timeoutAction? }');
    requireText(h, ['hookId', 'status'], key, 'expected { hookId, status, expiresAt?, timeoutAction? }', bad);
    optionalText(h, ['targetType', 'expiresAt', 'timeoutAction'], key, bad);
  });
  const deployment = { sourceServiceRevisionArns: [], ...d } as unknown as HookContext['deployment'];
  if (value.revision === undefined) return { deployment };
  const r = value.revision;
  if (!isJsonObject(r)) throw bad('hook.revision', REVISION_SHAPE);
  requireText(r, ['serviceRevisionArn', 'serviceArn', 'clusterArn', 'taskDefinitionArn'], 'hook.revision', REVISION_SHAPE, bad);
  if (!Array.isArray(r.containerImages)) throw bad('hook.revision.containerImages', REVISION_SHAPE);
  r.containerImages.forEach((c, i) => {
    const key = `hook.revision.containerImages.${i}`;
    if (!isJsonObject(c)) throw bad(key, 'expected { containerName, image, imageDigest? }');
    requireText(c, ['containerName', 'image'], key, 'expected { containerName, image, imageDigest? }', bad);
    optionalText(c, ['imageDigest'], key, bad);
  });
  return { deployment, revision: r as unknown as NonNullable<HookContext['revision']> };
}

function requireText(o: Record<string, unknown>, keys: string[], at: string, shape: string, bad: Bad): void {
  for (const k of keys) if (typeof o[k] !== 'string' || o[k] === '') throw bad(`${at}.${k}`, `a non-empty string: ${shape}`);
}

function optionalText(o: Record<string, unknown>, keys: string[], at: string, bad: Bad): void {
  for (const k of keys) if (o[k] !== undefined && typeof o[k] !== 'string') throw bad(`${at}.${k}`, 'expected a string');
}
