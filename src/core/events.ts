import * as z from 'zod/mini';
import { lazy, lazyObject } from './lazy.js';
import './zod-messages.js';

/** Schemas of every event the controller reads, in the shapes AWS documents (extra fields are allowed). */

export const ECR_SOURCE = 'aws.ecr';
export const ECR_DETAIL_TYPE = 'ECR Image Action';
export const ECS_SOURCE = 'aws.ecs';
export const ECS_TASK_DETAIL_TYPE = 'ECS Task State Change';
export const TIMEOUT_SOURCE = 'ecs-migrate.scheduler';
export const TIMEOUT_DETAIL_TYPE = 'Migration Timeout Check';
export const DEPLOY_REQUEST = 'deploy-request';
export const RUN_COMMAND = 'run-command';

const text = lazy(() => z.string().check(z.minLength(1)));
const optionalText = lazy(() => z.optional(z.string()));
const argv = lazy(() => z.array(z.string().check(z.minLength(1))).check(z.minLength(1), z.maxLength(64)));

export const ecrImageActionDetail = lazyObject(() => ({
  'action-type': text,
  result: text,
  'repository-name': text,
  'image-digest': z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/, { error: 'expected "sha256:" and 64 hex digits' })),
  'image-tag': optionalText,
}));

const requestFields = lazy(() => ({
  environment: text,
  requestId: z.string().check(z.regex(/^[A-Za-z0-9._:/@-]{1,128}$/, { error: 'expected 1–128 letters, digits or . _ : / @ -' })),
  requestedBy: text.check(z.maxLength(256)),
  image: z.optional(text.check(z.maxLength(512))),
  taskDefinitionArn: z.optional(
    z.string().check(
      z.regex(/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]+:\d+$/, {
        error: 'expected a task definition ARN with a revision (arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>)',
      }),
    ),
  ),
}));

export const deployRequestDetail = lazy(() =>
  z.object({ ...requestFields, command: z.optional(argv), rerun: z.optional(z.boolean()) }).check(
    z.refine((d) => (d.image === undefined) !== (d.taskDefinitionArn === undefined), {
      error: 'expected exactly one of "image" or "taskDefinitionArn"',
      path: ['image'],
    }),
  ),
);

export const runCommandDetail = lazy(() =>
  z.object({ ...requestFields, command: argv }).check(
    z.refine((d) => d.image === undefined || d.taskDefinitionArn === undefined, {
      error: 'expected at most one of "image" or "taskDefinitionArn"',
      path: ['image'],
    }),
  ),
);

const container = lazyObject(() => ({
  name: text,
  exitCode: z.optional(z.int()),
  reason: optionalText,
  lastStatus: optionalText,
}));

export const taskStateDetail = lazyObject(() => ({
  clusterArn: text,
  taskArn: text,
  taskDefinitionArn: text,
  startedBy: optionalText,
  lastStatus: text,
  desiredStatus: text,
  stopCode: optionalText,
  stoppedReason: optionalText,
  version: z.int().check(z.gte(0)),
  createdAt: optionalText,
  startedAt: optionalText,
  stoppedAt: optionalText,
  containers: z.array(container),
}));

export const timeoutCheckDetail = lazyObject(() => ({
  environment: text,
  deploymentId: text,
}));

/**
 * The EventBridge envelope, the same fields as Powertools' `EventBridgeSchema`. Declared here rather than
 * imported because that module uses zod's classic API, which keeps all of zod in the Lambda bundles (BENCHMARKS.md).
 */
export const envelope = lazyObject(() => ({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': optionalText,
}));
