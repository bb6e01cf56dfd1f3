import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../adapters/local/task-event.js';

/** The EventBridge envelope of an event local mode makes up, in the shape AWS delivers (time to the second). */
export function localEnvelope(id: string = randomUUID(), now: Date = new Date()) {
  return {
    version: '0',
    id,
    account: LOCAL_ACCOUNT,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [] as string[],
  };
}

/** An ECR `Image Action` PUSH/SUCCESS of a local image, as EventBridge delivers it for a real push. */
export function localPushEvent(push: {
  repository: string;
  digest: string;
  tag?: string | undefined;
  id?: string;
}): Record<string, unknown> {
  return {
    ...localEnvelope(push.id),
    source: 'aws.ecr',
    'detail-type': 'ECR Image Action',
    detail: {
      result: 'SUCCESS',
      'repository-name': push.repository,
      'image-digest': push.digest,
      'action-type': 'PUSH',
      ...(push.tag !== undefined ? { 'image-tag': push.tag } : {}),
    },
  };
}
