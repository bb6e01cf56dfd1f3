import { randomUUID } from 'node:crypto';
import { localEnvelope } from '../adapters/local/task-event.js';
import { ECR_DETAIL_TYPE, ECR_SOURCE } from '../core/events.js';

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
