import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';

/** Schemas of every event the controller reads, in the shapes AWS documents (extra fields are allowed). */

export const ECR_SOURCE = 'aws.ecr';
export const ECR_DETAIL_TYPE = 'ECR Image Action';
export const ECS_SOURCE = 'aws.ecs';
export const ECS_TASK_DETAIL_TYPE = 'ECS Task State Change';
export const TIMEOUT_SOURCE = 'ecs-migrate.scheduler';
export const TIMEOUT_DETAIL_TYPE = 'Migration Timeout Check';
export const DEPLOY_REQUEST = 'deploy-request';
export const RUN_COMMAND = 'run-command';

const text = z.string().min(1);
const argv = z.array(z.string().min(1)).min(1).max(64);

export const ecrImageActionDetail = z.object({
  'action-type': text,
  result: text,
  'repository-name': text,
  'image-digest': z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: 'expected "sha256:" and 64 hex digits' }),
  'image-tag': z.string().optional(),
});

const requestFields = {
  environment: text,
  requestId: z.string().regex(/^[A-Za-z0-9._:/@-]{1,128}$/, { error: 'expected 1–128 letters, digits or . _ : / @ -' }),
  requestedBy: text.max(256),
  image: text.max(512).optional(),
  taskDefinitionArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]+:\d+$/, {
      error: 'expected a task definition ARN with a revision (arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>)',
    })
    .optional(),
};

export const deployRequestDetail = z
  .object({ ...requestFields, command: argv.optional(), rerun: z.boolean().optional() })
  .refine((d) => (d.image === undefined) !== (d.taskDefinitionArn === undefined), {
    error: 'expected exactly one of "image" or "taskDefinitionArn"',
    path: ['image'],
  });

export const runCommandDetail = z
  .object({ ...requestFields, command: argv })
  .refine((d) => d.image === undefined || d.taskDefinitionArn === undefined, {
    error: 'expected at most one of "image" or "taskDefinitionArn"',
    path: ['image'],
  });

const container = z.object({
  name: text,
  exitCode: z.number().int().optional(),
  reason: z.string().optional(),
  lastStatus: z.string().optional(),
});

export const taskStateDetail = z.object({
  clusterArn: text,
  taskArn: text,
  taskDefinitionArn: text,
  startedBy: z.string().optional(),
  lastStatus: text,
  desiredStatus: text,
  stopCode: z.string().optional(),
  stoppedReason: z.string().optional(),
  version: z.number().int().nonnegative(),
  createdAt: z.string().optional(),
  startedAt: z.string().optional(),
  stoppedAt: z.string().optional(),
  containers: z.array(container),
});

export const timeoutCheckDetail = z.object({
  environment: text,
  deploymentId: text,
});

/** The EventBridge envelope, from Powertools' parser. */
export const envelope = EventBridgeSchema;
