import { quote, redactForEcho } from './bounds.js';
import { redact as builtInRedact, type Redactor } from './redact.js';

/**
 * Container image references and task definition ARNs a request may name: only the configured registry and
 * repository (by tag or digest), only the service's own task definition family in its account and region.
 */

export interface ImageRef {
  /** Host, and port if any, lower-cased: `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * How a reason quotes input: redacted before it is cut (`redactForEcho`), so a credential in a rejected image
 * reference (`https://user:token@host/…`) is hidden while its `@` is still there. Request checks pass the configured
 * redactor (REDACT_PATTERNS too); the built-in rules otherwise.
 */
function echo(redact: Redactor): (value: string) => string {
  return (value) => quote(redactForEcho(value, redact));
}

const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `registry/repository[:tag][@sha256:…]`, the Docker reference grammar with the registry required. */
export function parseImageRef(image: string, redact: Redactor = builtInRedact): Checked<ImageRef> {
  const quoted = echo(redact);
  if (image.length > 512) return { ok: false, reason: `image ${quoted(image)} is longer than 512 characters` };
  const at = image.indexOf('@');
  const named = at === -1 ? image : image.slice(0, at);
  const digest = at === -1 ? undefined : image.slice(at + 1);
  if (digest !== undefined && !DIGEST.test(digest)) {
    return { ok: false, reason: `image ${quoted(image)} has a malformed digest (expected "sha256:" and 64 hex digits)` };
  }
  const slash = named.indexOf('/');
  if (slash === -1) return { ok: false, reason: `image ${quoted(image)} names no registry (expected <registry>/<repository>)` };
  const registry = named.slice(0, slash);
  let path = named.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon !== -1) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) return { ok: false, reason: `image ${quoted(image)} has a malformed tag ${quoted(tag)}` };
  }
  if (!HOST.test(registry)) return { ok: false, reason: `image ${quoted(image)} has a malformed registry ${quoted(registry)}` };
  if (path === '' || !path.split('/').every((c) => PATH_COMPONENT.test(c))) {
    return { ok: false, reason: `image ${quoted(image)} has a malformed repository ${quoted(path)}` };
  }
  return {
    ok: true,
    value: {
      registry: registry.toLowerCase(),
      repository: path,
      ...(tag !== undefined ? { tag } : {}),
      ...(digest !== undefined ? { digest } : {}),
    },
  };
}

/** An image a request may run: in `registry`/`repository`, pinned by a tag or a digest. */
export function checkImage(
  image: string,
  allowed: { registry: string; repository: string },
  redact: Redactor = builtInRedact,
): Checked<ImageRef> {
  const quoted = echo(redact);
  const parsed = parseImageRef(image, redact);
  const expected = `${allowed.registry}/${allowed.repository}:<tag> or ${allowed.registry}/${allowed.repository}@sha256:<digest> (REGISTRY/REPOSITORY)`;
  if (!parsed.ok) return { ok: false, reason: `${parsed.reason}; expected ${expected}` };
  const ref = parsed.value;
  if (ref.registry !== allowed.registry.toLowerCase() || ref.repository !== allowed.repository) {
    return { ok: false, reason: `image ${quoted(image)} is not in the configured repository: expected ${expected}` };
  }
  if (ref.tag === undefined && ref.digest === undefined) {
    return { ok: false, reason: `image ${quoted(image)} has neither a tag nor a digest: expected ${expected}` };
  }
  return parsed;
}

/** `registry/repository@digest`: what is stored, launched and rolled out. */
export function imageByDigest(registry: string, repository: string, digest: string): string {
  return `${registry}/${repository}@${digest}`;
}

interface TaskDefinitionArn {
  partition: string;
  region: string;
  account: string;
  family: string;
  revision: number;
}

const TASK_DEFINITION_ARN = /^arn:(aws[a-z-]*):ecs:([a-z0-9-]+):(\d{12}):task-definition\/([A-Za-z0-9_-]{1,255}):(\d{1,10})$/;

function parseTaskDefinitionArnFully(arn: string): TaskDefinitionArn | undefined {
  const m = TASK_DEFINITION_ARN.exec(arn);
  if (m === null) return undefined;
  const [, partition, region, account, family, revision] = m as unknown as [string, string, string, string, string, string];
  return { partition, region, account, family, revision: Number(revision) };
}

/**
 * A task definition a request may run: a revision of the family the service runs, in the service's account and
 * region (both read from the service's current task definition ARN). Unknown service: refused.
 */
export function checkTaskDefinition(
  arn: string,
  serviceTaskDefinitionArn: string | undefined,
  redact: Redactor = builtInRedact,
): Checked<string> {
  const quoted = echo(redact);
  const wanted = parseTaskDefinitionArnFully(arn);
  if (wanted === undefined) {
    return { ok: false, reason: `taskDefinitionArn ${quoted(arn)} is not a task definition ARN with a revision` };
  }
  const own = serviceTaskDefinitionArn === undefined ? undefined : parseTaskDefinitionArnFully(serviceTaskDefinitionArn);
  if (own === undefined) {
    return {
      ok: false,
      reason: `taskDefinitionArn ${quoted(arn)} cannot be checked: the service's task definition (and so its family, account and region) is unknown`,
    };
  }
  const same =
    own.partition === wanted.partition && own.region === wanted.region && own.account === wanted.account && own.family === wanted.family;
  if (!same) {
    return {
      ok: false,
      reason: `taskDefinitionArn ${quoted(arn)} is not a revision of the service's family: expected arn:${own.partition}:ecs:${own.region}:${own.account}:task-definition/${own.family}:<revision>`,
    };
  }
  return { ok: true, value: arn };
}

/**
 * Whether `image` is an image of `repository` (by tag or digest): in `registry` when given (the containers a new image
 * replaces, never another registry's repository of the same name), else in any registry.
 */
export function isImageOfRepository(image: string, repository: string, registry?: string): boolean {
  const ref = parseImageRef(image);
  return ref.ok && ref.value.repository === repository && (registry === undefined || ref.value.registry === registry.toLowerCase());
}

/** The registry `image` names, or undefined when it is no image reference. */
export function registryOf(image: string): string | undefined {
  const ref = parseImageRef(image);
  return ref.ok ? ref.value.registry : undefined;
}
