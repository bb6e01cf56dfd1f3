import { randomUUID } from 'node:crypto';
import { DEPLOY_REQUEST, ECR_DETAIL_TYPE, ECR_SOURCE, RUN_COMMAND } from '../core/events.js';
import { localEnvelope } from './task-event.js';

/** An ECR `Image Action` PUSH/SUCCESS of a local image, as EventBridge delivers it for a real push. */
export function localPushEvent(push: {
  repository: string;
  digest: string;
  tag?: string | undefined;
  id?: string;
}): Record<string, unknown> {
  return {
    ...localEnvelope(push.id ?? randomUUID()),
    source: ECR_SOURCE,
    'detail-type': ECR_DETAIL_TYPE,
    detail: {
      result: 'SUCCESS',
      'repository-name': push.repository,
      'image-digest': push.digest,
      'action-type': 'PUSH',
      ...(push.tag !== undefined ? { 'image-tag': push.tag } : {}),
    },
  };
}

export interface RequestFields {
  kind: 'deploy' | 'run-command';
  environment: string;
  requestId: string;
  requestedBy: string;
  image?: string;
  taskDefinitionArn?: string;
  command?: string[];
  rerun?: boolean;
}

/** A `deploy-request` or `run-command` event from `source`, as CI or the CLI would put it on the bus. */
export function requestEvent(
  o: RequestFields & { source: string; id?: string },
): Record<string, unknown> & { detail: Record<string, unknown> } {
  return {
    ...localEnvelope(o.id ?? randomUUID()),
    source: o.source,
    'detail-type': o.kind === 'deploy' ? DEPLOY_REQUEST : RUN_COMMAND,
    detail: {
      environment: o.environment,
      requestId: o.requestId,
      requestedBy: o.requestedBy,
      ...(o.image !== undefined ? { image: o.image } : {}),
      ...(o.taskDefinitionArn !== undefined ? { taskDefinitionArn: o.taskDefinitionArn } : {}),
      ...(o.command !== undefined ? { command: o.command } : {}),
      ...(o.rerun === true ? { rerun: true } : {}),
    },
  };
}

/** Who a request is from when it does not say: the user (the CLI's `$USER`), and where it was sent from. */
export function defaultRequestedBy(from: string, user: string | undefined): string {
  return `${user ?? 'someone'}@${from}`;
}
