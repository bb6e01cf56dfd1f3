import type { HookAction, HookAnswerOutcome, ServiceDeploymentInfo, ServiceRevisionInfo } from '../../core/service-deployment.js';

/**
 * The service owner's deployment in local mode's pause-hook simulation: what UpdateService with a PAUSE lifecycle
 * hook would start on ECS, paused at the hook. Kept as one JSON file per deployment in the environment's directory.
 */
export interface LocalServiceDeployment {
  deployment: ServiceDeploymentInfo;
  /** The revision it moves the service to (`deployment.targetServiceRevisionArn`). */
  target: ServiceRevisionInfo;
  /** The task definition the service ran before: what it keeps after a ROLLBACK. */
  sourceTaskDefinitionArn: string;
}

/** How long a local PAUSE hook waits (ECS's own limit is not documented; the events/ sample shows 24 h). */
const HOOK_WAIT_MS = 24 * 60 * 60 * 1000;

export interface PausedDeploymentSpec {
  id: string;
  region: string;
  account: string;
  cluster: string;
  service: string;
  stage: string;
  now: Date;
  sourceTaskDefinitionArn: string;
  targetTaskDefinitionArn: string;
  containers: { name: string; image: string }[];
}

/** A deployment IN_PROGRESS whose one PAUSE hook is AWAITING_ACTION at `stage`, ROLLBACK when it times out. */
export function pausedDeployment(s: PausedDeploymentSpec): LocalServiceDeployment {
  const prefix = `arn:aws:ecs:${s.region}:${s.account}`;
  const clusterArn = `${prefix}:cluster/${s.cluster}`;
  const serviceArn = `${prefix}:service/${s.cluster}/${s.service}`;
  const revisionArn = `${prefix}:service-revision/${s.cluster}/${s.service}/${s.id}`;
  return {
    deployment: {
      serviceDeploymentArn: `${prefix}:service-deployment/${s.cluster}/${s.service}/${s.id}`,
      serviceArn,
      clusterArn,
      status: 'IN_PROGRESS',
      lifecycleStage: s.stage,
      targetServiceRevisionArn: revisionArn,
      sourceServiceRevisionArns: [],
      hooks: [
        {
          hookId: `ecs-pause-${s.id}`,
          targetType: 'PAUSE',
          status: 'AWAITING_ACTION',
          expiresAt: new Date(s.now.getTime() + HOOK_WAIT_MS).toISOString(),
          timeoutAction: 'ROLLBACK',
        },
      ],
    },
    target: {
      serviceRevisionArn: revisionArn,
      serviceArn,
      clusterArn,
      taskDefinitionArn: s.targetTaskDefinitionArn,
      containerImages: s.containers.map((c) => {
        const digest = c.image.includes('@') ? c.image.slice(c.image.indexOf('@') + 1) : undefined;
        return { containerName: c.name, image: c.image, ...(digest !== undefined ? { imageDigest: digest } : {}) };
      }),
    },
    sourceTaskDefinitionArn: s.sourceTaskDefinitionArn,
  };
}

/** The last part of a service-deployment or service-revision ARN: the local deployment's id (its file name). */
export function localDeploymentId(arn: string): string | undefined {
  const id = arn.split('/').pop();
  return id !== undefined && /^[A-Za-z0-9_-]{1,128}$/.test(id) ? id : undefined;
}

export type AnswerResult =
  | { ok: true; record: LocalServiceDeployment; serviceTaskDefinitionArn: string }
  | { ok: false; outcome: Extract<HookAnswerOutcome, { ok: false }> };

/**
 * ContinueServiceDeployment on a local paused deployment: CONTINUE finishes it (the service runs the target
 * revision), ROLLBACK rolls it back (the service keeps its source task definition). Refused, as ECS is assumed
 * to refuse it, when the hook no longer waits.
 */
export function answer(record: LocalServiceDeployment, hookId: string, action: HookAction, now: Date): AnswerResult {
  const { deployment } = record;
  const hook = deployment.hooks.find((h) => h.hookId === hookId);
  if (hook === undefined) {
    return { ok: false, outcome: { ok: false, cause: 'refused', reason: `${deployment.serviceDeploymentArn} has no hook ${hookId}` } };
  }
  if (deployment.status !== 'IN_PROGRESS' || hook.status !== 'AWAITING_ACTION') {
    return {
      ok: false,
      outcome: {
        ok: false,
        cause: 'refused',
        reason: `${deployment.serviceDeploymentArn} is ${deployment.status} and hook ${hookId} ${hook.status}: it does not wait for an answer`,
      },
    };
  }
  const rolledBack = action === 'ROLLBACK';
  const updated: ServiceDeploymentInfo = {
    ...deployment,
    status: rolledBack ? 'ROLLBACK_SUCCESSFUL' : 'SUCCESSFUL',
    statusReason: `${action} answered to hook ${hookId} at ${now.toISOString()}`,
    hooks: deployment.hooks.map((h) => (h.hookId === hookId ? { ...h, status: rolledBack ? 'FAILED' : 'SUCCEEDED' } : h)),
    ...(rolledBack ? { rollback: { reason: `ROLLBACK answered to the ${deployment.lifecycleStage} hook` } } : {}),
  };
  return {
    ok: true,
    record: { ...record, deployment: updated },
    serviceTaskDefinitionArn: rolledBack ? record.sourceTaskDefinitionArn : record.target.taskDefinitionArn,
  };
}
