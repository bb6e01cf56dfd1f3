import { scheduleNameFor } from '../../src/adapters/schedule-name.js';
import type {
  HookAction,
  HookAnswer,
  HookAnswerOutcome,
  HookStatus,
  ServiceDeploymentInfo,
  ServiceDeploymentStatus,
  ServiceRevisionInfo,
} from '../../src/core/service-deployment.js';
import type { ScheduledCheck } from '../../src/ports.js';
import { ACCOUNT, CLUSTER_ARN, REGION, sample, service as sampleService, withEvent } from './fixtures.js';

/**
 * The service owners' side of pause-hook mode, in memory, for the property tests: each owner deployment (UpdateService
 * of a gated service to a revision running one image) pauses at its PAUSE hook and ECS emits `ECS Hook State Change`
 * HOOK_AWAITING_ACTION. ContinueServiceDeployment is taken only while the hook is AWAITING_ACTION and the deployment
 * IN_PROGRESS (as AWS documents; a late answer is refused, as the adapter reports InvalidParameterException), and
 * ECS applies the hook's timeout action (ROLLBACK) once it expires. Every answer is recorded, taken or refused. A
 * refused answer whose hook shows that same answer taken (SUCCEEDED after CONTINUE, FAILED after ROLLBACK) is
 * reported as taken, as the adapter reports it after reading the deployment (`answerTaken` in ecs-deployments.ts).
 * What a newer owner deployment does to a paused one is not documented: here the paused one is left waiting.
 */

const PREFIX = `arn:aws:ecs:${REGION}:${ACCOUNT}`;
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;

export const digestOf = (n: number) => `sha256:${(0xa000 + n).toString(16).padStart(64, 'b')}`;
export const imageRef = (n: number) => `${REGISTRY}/shop-api@${digestOf(n)}`;
export const serviceArnOf = (service: string) => `${PREFIX}:service/shop-staging/${service}`;

export interface HookAnswerRecord {
  action: HookAction;
  accepted: boolean;
  at: number;
}

/** One owner deployment of a gated service, paused at its hook. */
export interface OwnerDeployment {
  id: string;
  service: string;
  /** The image number (`imageRef`) its target revision runs. */
  image: number;
  serviceDeploymentArn: string;
  serviceRevisionArn: string;
  taskDefinitionArn: string;
  hookId: string;
  status: ServiceDeploymentStatus;
  hook: HookStatus;
  pausedAt: number;
  expiresAt: number;
  /** The `ecs-svc/…` deployment ECS starts on CONTINUE (what `ECS Deployment State Change` names). */
  ecsDeploymentId: string;
  answers: HookAnswerRecord[];
}

export class ModelServiceDeployments {
  readonly owners: OwnerDeployment[] = [];
  private events = 0;
  /** Called before ECS takes or refuses an answer: the invariants look at the world as it is then. */
  onAnswer: (answer: HookAnswer, owner: OwnerDeployment | undefined) => void = () => {};
  /** The service moves to the revision of a CONTINUEd deployment. */
  onContinue: (owner: OwnerDeployment) => void = () => {};

  constructor(
    private readonly emit: (raw: Record<string, unknown>) => void,
    private readonly stage = 'PRE_SCALE_UP',
  ) {}

  /** The owner deploys image `image` to `service`; ECS pauses it at the hook, which expires after `timeoutMinutes`. */
  pause(service: string, image: number, now: number, timeoutMinutes: number): OwnerDeployment {
    const n = this.owners.length + 1;
    const id = `OD${String(n).padStart(4, '0')}-${service}`;
    const family = service;
    const owner: OwnerDeployment = {
      id,
      service,
      image,
      serviceDeploymentArn: `${PREFIX}:service-deployment/shop-staging/${service}/${id}`,
      serviceRevisionArn: `${PREFIX}:service-revision/shop-staging/${service}/${id}`,
      // One revision of the service's family per image.
      taskDefinitionArn: `${PREFIX}:task-definition/${family}:${100 + image}`,
      hookId: `ecs-pause-${id}`,
      status: 'IN_PROGRESS',
      hook: 'AWAITING_ACTION',
      pausedAt: now,
      expiresAt: now + timeoutMinutes * 60_000,
      ecsDeploymentId: `ecs-svc/${String(7000000000 + n)}`,
      answers: [],
    };
    this.owners.push(owner);
    this.emit(this.hookEvent(owner, 'HOOK_AWAITING_ACTION', now));
    return owner;
  }

  /** ECS sends HOOK_AWAITING_ACTION of a hook again, as a new event (another id and time). */
  reemit(owner: OwnerDeployment, now: number): void {
    if (owner.hook === 'AWAITING_ACTION') this.emit(this.hookEvent(owner, 'HOOK_AWAITING_ACTION', now));
  }

  /** ECS applies the timeout action (ROLLBACK) of every hook that has expired by `now`. */
  expire(now: number): void {
    for (const o of this.owners) {
      if (o.hook !== 'AWAITING_ACTION' || o.status !== 'IN_PROGRESS' || o.expiresAt > now) continue;
      o.hook = 'TIMED_OUT';
      o.status = 'ROLLBACK_SUCCESSFUL';
      this.emit(this.hookEvent(o, 'HOOK_TIMED_OUT', Math.max(now, o.expiresAt)));
    }
  }

  find(serviceDeploymentArn: string): OwnerDeployment | undefined {
    return this.owners.find((o) => o.serviceDeploymentArn === serviceDeploymentArn);
  }

  async describeServiceDeployment(arn: string): Promise<ServiceDeploymentInfo | undefined> {
    const o = this.find(arn);
    if (o === undefined) return undefined;
    return {
      serviceDeploymentArn: o.serviceDeploymentArn,
      serviceArn: serviceArnOf(o.service),
      clusterArn: CLUSTER_ARN,
      status: o.status,
      lifecycleStage: this.stage,
      targetServiceRevisionArn: o.serviceRevisionArn,
      sourceServiceRevisionArns: [],
      hooks: [
        {
          hookId: o.hookId,
          targetType: 'PAUSE',
          status: o.hook,
          expiresAt: new Date(o.expiresAt).toISOString(),
          timeoutAction: 'ROLLBACK',
        },
      ],
    };
  }

  async describeServiceRevision(arn: string): Promise<ServiceRevisionInfo | undefined> {
    const o = this.owners.find((x) => x.serviceRevisionArn === arn);
    if (o === undefined) return undefined;
    return {
      serviceRevisionArn: o.serviceRevisionArn,
      serviceArn: serviceArnOf(o.service),
      clusterArn: CLUSTER_ARN,
      taskDefinitionArn: o.taskDefinitionArn,
      ...(sampleService.network !== undefined ? { network: sampleService.network } : {}),
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      containerImages: [
        { containerName: 'app', image: `${REGISTRY}/shop-api:v1.${o.image}.0`, imageDigest: digestOf(o.image) },
        {
          containerName: 'log-router',
          image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
          imageDigest: `sha256:${'f'.repeat(64)}`,
        },
      ],
    };
  }

  async answerHook(answer: HookAnswer, now: number): Promise<HookAnswerOutcome> {
    const o = this.find(answer.serviceDeploymentArn);
    this.onAnswer(answer, o);
    if (o === undefined) return { ok: false, cause: 'not-found', reason: `service deployment ${answer.serviceDeploymentArn} not found` };
    const accepted = o.hookId === answer.hookId && o.hook === 'AWAITING_ACTION' && o.status === 'IN_PROGRESS';
    o.answers.push({ action: answer.action, accepted, at: now });
    if (!accepted) {
      const taken = o.hookId === answer.hookId && o.hook === (answer.action === 'CONTINUE' ? 'SUCCEEDED' : 'FAILED');
      if (taken) return answer.action === 'CONTINUE' ? { ok: true, ecsDeploymentId: o.ecsDeploymentId } : { ok: true };
      return {
        ok: false,
        cause: 'refused',
        reason: `ECS refused ${answer.action} for hook ${answer.hookId}: InvalidParameterException: the hook is ${o.hook}, the deployment ${o.status}`,
      };
    }
    if (answer.action === 'CONTINUE') {
      o.hook = 'SUCCEEDED';
      o.status = 'SUCCESSFUL';
      this.onContinue(o);
      this.emit(this.hookEvent(o, 'HOOK_SUCCEEDED', now));
      this.emit(this.deploymentEvent(o, now));
      return { ok: true, ecsDeploymentId: o.ecsDeploymentId };
    }
    o.hook = 'FAILED';
    o.status = 'ROLLBACK_SUCCESSFUL';
    this.emit(this.hookEvent(o, 'HOOK_FAILED', now));
    return { ok: true };
  }

  private hookEvent(o: OwnerDeployment, eventName: string, now: number): Record<string, unknown> {
    const time = iso(now);
    return withEvent(sample('hook-awaiting-action'), {
      top: { id: `hook-${++this.events}-${eventName}-${o.id}`, time, resources: [o.serviceDeploymentArn] },
      detail: {
        eventType: eventName === 'HOOK_TIMED_OUT' || eventName === 'HOOK_FAILED' ? 'WARN' : 'INFO',
        eventName,
        hookId: o.hookId,
        lifecycleStage: this.stage,
        expiresAt: iso(o.expiresAt),
        serviceArn: serviceArnOf(o.service),
        serviceDeploymentArn: o.serviceDeploymentArn,
        updatedAt: time,
      },
    });
  }

  /** The CONTINUEd deployment completes (`ECS Deployment State Change`). */
  private deploymentEvent(o: OwnerDeployment, now: number): Record<string, unknown> {
    const time = iso(now);
    return withEvent(sample('deployment-completed'), {
      top: { id: `deployment-${++this.events}-${o.id}`, time, resources: [serviceArnOf(o.service)] },
      detail: { deploymentId: o.ecsDeploymentId, updatedAt: time, reason: `ECS deployment ${o.ecsDeploymentId} completed.` },
    });
  }
}

/** EventBridge Scheduler: one-shot schedules by name (a second of a name that exists is refused), each deleted once fired. */
export class ModelSchedules {
  readonly schedules = new Map<string, { deploymentId: string; environment: string; at: string; check?: ScheduledCheck }>();
  readonly created: string[] = [];

  async scheduleTimeout(deploymentId: string, environment: string, at: string, check?: ScheduledCheck): Promise<void> {
    const name = scheduleNameFor(deploymentId, check, at);
    // A schedule deletes itself once it ran: its name may be used again.
    if (this.schedules.has(name)) return;
    this.created.push(name);
    this.schedules.set(name, { deploymentId, environment, at, ...(check !== undefined ? { check } : {}) });
  }
}

/** ISO time without milliseconds, as EventBridge writes `time`. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
