import * as z from 'zod/mini';
import { DEPLOYMENT_ID } from './deployment.js';
import { lazy } from './lazy.js';
import { holdsSecretKey } from './redact.js';
import './zod-messages.js';

/**
 * Schemas of every event the controller reads, in the shapes AWS documents (extra fields are allowed). Each is
 * built on its first use (`lazy`), so a cold start pays only for the schemas its first event needs. Each `lazy`
 * call is marked `@__PURE__`, so a bundle that never reads a schema drops it: a Lambda function carries only the
 * schemas of its own events (launcher.ts, watcher.ts).
 */

export const ECR_SOURCE = 'aws.ecr';
export const ECR_DETAIL_TYPE = 'ECR Image Action';
export const ECS_SOURCE = 'aws.ecs';
export const ECS_TASK_DETAIL_TYPE = 'ECS Task State Change';
export const TIMEOUT_SOURCE = 'ecs-migrate.scheduler';
export const TIMEOUT_DETAIL_TYPE = 'Migration Timeout Check';
export const DEPLOY_REQUEST = 'deploy-request';
export const RUN_COMMAND = 'run-command';
export const CANCEL_REQUEST = 'cancel-request';
export const UNLOCK_REQUEST = 'unlock-request';

const text = () => z.string().check(z.minLength(1));
const optionalText = () => z.optional(z.string());
/**
 * Identifiers are bounded (a longer one is invalid input, rejected with a bounded reason): ECS and ECR names and
 * ARNs are far shorter. Free text (stopped reasons) is not bounded here; the parser clips it.
 */
const id = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
const optionalId = (max: number) => z.optional(z.string().check(z.maxLength(max)));
const argv = () => z.array(z.string().check(z.minLength(1), z.maxLength(4096))).check(z.minLength(1), z.maxLength(64));

export const ecrImageActionDetail = /* @__PURE__ */ lazy(() =>
  z.object({
    'action-type': id(64),
    result: id(64),
    'repository-name': id(256),
    'image-digest': z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/, { error: 'expected "sha256:" and 64 hex digits' })),
    'image-tag': optionalId(300),
  }),
);

const requestFields = () => ({
  environment: id(128),
  // Stored in records and emitted in every event as sent: one that looks like it holds a credential is refused.
  requestId: z.string().check(
    z.regex(/^[A-Za-z0-9._:/@-]{1,128}$/, { error: 'expected 1–128 letters, digits or . _ : / @ -' }),
    // `user:secret@` (with or without a scheme, the user empty, a `/` in the secret), an AWS access key id or a secret
    // access key (the redactor's own test). Not the whole free-text redactor: it reads `auth-service:42` as a key and its
    // value, and ids naming a service and a version are common, as are image references (`shop-api:v42@sha256:<digest>`
    // ending the id: no host follows that `@`). Linear: a match starts only at a `:` (a 1 MB id is refused by its length first).
    z.refine(
      (v) => v.length > 128 || !(/:[^:@]+@(?!sha256:[0-9a-f]{64}$)/.test(v) || /(?:AKIA|ASIA)[A-Z0-9]{16}/.test(v) || holdsSecretKey(v)),
      { error: 'looks like it holds a credential (as in user:token@host, or an AWS key): use an id without one' },
    ),
  ),
  requestedBy: text().check(z.maxLength(256)),
  image: z.optional(text().check(z.maxLength(512))),
  taskDefinitionArn: z.optional(
    z.string().check(
      z.maxLength(2048),
      z.regex(/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]+:\d+$/, {
        error: 'expected a task definition ARN with a revision (arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>)',
      }),
    ),
  ),
});

export const deployRequestDetail = /* @__PURE__ */ lazy(() =>
  z.object({ ...requestFields(), command: z.optional(argv()), rerun: z.optional(z.boolean()) }).check(
    z.refine((d) => (d.image === undefined) !== (d.taskDefinitionArn === undefined), {
      error: 'expected exactly one of "image" or "taskDefinitionArn"',
      path: ['image'],
    }),
  ),
);

export const runCommandDetail = /* @__PURE__ */ lazy(() =>
  z.object({ ...requestFields(), command: argv() }).check(
    z.refine((d) => d.image === undefined || d.taskDefinitionArn === undefined, {
      error: 'expected at most one of "image" or "taskDefinitionArn"',
      path: ['image'],
    }),
  ),
);

/** Operator requests: who asks is part of the record, and every field is bounded, as for deploy requests. */
const operatorFields = () => {
  const { environment, requestId, requestedBy } = requestFields();
  return { environment, requestId, requestedBy };
};

export const cancelRequestDetail = /* @__PURE__ */ lazy(() =>
  z.object({
    ...operatorFields(),
    deploymentId: z.optional(z.string().check(z.regex(DEPLOYMENT_ID, { error: 'expected a deployment id (YYYYMMDD-HHMMSS-xxxxxxxx)' }))),
    reason: z.optional(text().check(z.maxLength(512))),
  }),
);

export const unlockRequestDetail = /* @__PURE__ */ lazy(() => z.object({ ...operatorFields(), reason: text().check(z.maxLength(512)) }));

const container = () =>
  z.object({
    name: id(255),
    exitCode: z.optional(z.int()),
    reason: optionalText(),
    lastStatus: optionalId(64),
  });

export const taskStateDetail = /* @__PURE__ */ lazy(() =>
  z.object({
    clusterArn: id(2048),
    taskArn: id(2048),
    taskDefinitionArn: id(2048),
    startedBy: optionalId(256),
    lastStatus: id(64),
    desiredStatus: id(64),
    stopCode: optionalId(128),
    stoppedReason: optionalText(),
    version: z.int().check(z.gte(0)),
    createdAt: optionalId(64),
    startedAt: optionalId(64),
    stoppedAt: optionalId(64),
    containers: z.array(container()).check(z.maxLength(100)),
  }),
);

export const timeoutCheckDetail = /* @__PURE__ */ lazy(() =>
  z.object({
    environment: id(128),
    // A deployment id, never any string: it is looked up among the loaded records ("__proto__" is not one).
    deploymentId: z.string().check(z.regex(DEPLOYMENT_ID, { error: 'expected a deployment id (YYYYMMDD-HHMMSS-xxxxxxxx)' })),
    /** The launch attempt it checks (absent: the first). */
    attempt: z.optional(z.int().check(z.gte(1), z.lte(10))),
    /** `retry`: launch the attempt, due now; `timeout` (absent): stop its task past TIMEOUT_MINUTES. */
    purpose: z.optional(z.enum(['timeout', 'retry', 'deadline', 'rollout-watch'])),
  }),
);

/**
 * The EventBridge envelope, the same fields as Powertools' `EventBridgeSchema`. Declared here rather than
 * imported because that module uses zod's classic API, which keeps all of zod in the Lambda bundles (BENCHMARKS.md).
 */
export const envelope = /* @__PURE__ */ lazy(() =>
  z.object({
    version: z.string().check(z.maxLength(64)),
    id: z.string().check(z.maxLength(256)),
    source: z.string().check(z.maxLength(256)),
    account: z.string().check(z.maxLength(64)),
    time: z.iso.datetime(),
    region: z.string().check(z.maxLength(64)),
    resources: z.array(z.string()),
    'detail-type': z.string().check(z.maxLength(128)),
    detail: z.unknown(),
    'replay-name': optionalId(256),
  }),
);

// ---------------------------------------------------------------- ECS service deployments (pause-hook mode, rollouts)

export const ECS_HOOK_DETAIL_TYPE = 'ECS Hook State Change';
export const ECS_DEPLOYMENT_DETAIL_TYPE = 'ECS Deployment State Change';

/** `detail.eventName` of `ECS Hook State Change`: HOOK_SUCCEEDED follows a CONTINUE, HOOK_FAILED a ROLLBACK. */
export const HOOK_EVENT_NAMES = ['HOOK_IN_PROGRESS', 'HOOK_AWAITING_ACTION', 'HOOK_SUCCEEDED', 'HOOK_FAILED', 'HOOK_TIMED_OUT'] as const;
/** `detail.eventName` of `ECS Deployment State Change`. */
export const DEPLOYMENT_EVENT_NAMES = [
  'SERVICE_DEPLOYMENT_IN_PROGRESS',
  'SERVICE_DEPLOYMENT_COMPLETED',
  'SERVICE_DEPLOYMENT_FAILED',
] as const;

const ecsArn = (kind: string) =>
  z
    .string()
    .check(
      z.maxLength(1024),
      z.regex(new RegExp(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d{12}:${kind}/`), { error: `expected an ECS ${kind} ARN` }),
    );

/**
 * A lifecycle hook's state change. It carries no task definition and no `version`: the deployment and its
 * target revision are read with DescribeServiceDeployments / DescribeServiceRevisions.
 */
export const hookStateDetail = /* @__PURE__ */ lazy(() =>
  z.object({
    eventType: optionalText(),
    eventName: z.enum(HOOK_EVENT_NAMES),
    hookId: id(256),
    hookType: id(64),
    lifecycleStage: id(64),
    clusterArn: ecsArn('cluster'),
    serviceArn: ecsArn('service'),
    serviceDeploymentArn: ecsArn('service-deployment'),
    expiresAt: z.optional(z.iso.datetime({ offset: true })),
    updatedAt: optionalText(),
  }),
);

/** A service deployment's state change; the service is the event's `resources[0]`, the deployment an `ecs-svc/…` id. */
export const deploymentStateDetail = /* @__PURE__ */ lazy(() =>
  z.object({
    eventType: id(64),
    eventName: z.enum(DEPLOYMENT_EVENT_NAMES),
    deploymentId: id(256),
    updatedAt: id(64),
    reason: z.optional(id(2048)),
  }),
);
