import { CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { TIMEOUT_DETAIL_TYPE, TIMEOUT_SOURCE } from '../../core/events.js';
import type { ScheduledCheck, Scheduler } from '../../ports.js';
import { scheduleNameFor } from '../schedule-name.js';
import { awsErrorInfo, awsFailure } from './aws-error.js';

export interface EventBridgeSchedulerOptions {
  /** SCHEDULER_GROUP */
  group: string;
  /** WATCH_FUNCTION_ARN: the target. Its region and account also go into the delivered event. */
  targetArn: string;
  /** SCHEDULER_ROLE_ARN: the role Scheduler assumes to invoke the target. */
  roleArn: string;
  /** SCHEDULER_DLQ_ARN: an SQS queue for checks Scheduler could not deliver; the role needs sqs:SendMessage on it. */
  deadLetterArn?: string;
}

/**
 * A check that fires a little late is harmless; one that fires a moment before the deployment is due is
 * ignored ("not due yet") and nothing would check again until the lock expires. So the time is rounded up
 * to the second (`at()` has no fractions) and given this margin against clock skew.
 */
const MARGIN_MS = 60_000;

/**
 * `at(2026-11-25T10:16:25)`, in UTC, never before `iso` nor before `now`.
 *
 * The core may ask for a time already past (a resumed launch that reaches `launchStartedAt + TIMEOUT` late).
 * What Scheduler does with a one-time `at()` in the past is undocumented: it may refuse it (failing the invocation
 * every time) or never fire it. So such a check is scheduled from `now`, with the same margin.
 */
export function atExpression(iso: string, marginMs = MARGIN_MS, now?: Date): string {
  const from = Math.max(Date.parse(iso), now?.getTime() ?? Number.NEGATIVE_INFINITY);
  const due = Math.ceil((from + marginMs) / 1000) * 1000;
  return `at(${new Date(due).toISOString().slice(0, 19)})`;
}

/**
 * The event the schedule delivers to the watcher: shaped like an EventBridge event (see
 * events/timeout-check.json) so the watcher parses it with the same envelope as everything else.
 */
export function timeoutCheckEvent(
  deploymentId: string,
  environment: string,
  at: string,
  targetArn: string,
  check?: ScheduledCheck,
): Record<string, unknown> {
  const [, , , region = '', account = ''] = targetArn.split(':');
  return {
    version: '0',
    id: check === undefined ? `timeout-${deploymentId}` : `${check.purpose}-${deploymentId}-${check.attempt}`,
    'detail-type': TIMEOUT_DETAIL_TYPE,
    source: TIMEOUT_SOURCE,
    account,
    time: new Date(Date.parse(at)).toISOString(),
    region,
    resources: [],
    detail: { environment, deploymentId, ...(check !== undefined ? { attempt: check.attempt, purpose: check.purpose } : {}) },
  };
}

/** The `Scheduler` port on EventBridge Scheduler: one one-shot schedule per deployment, deleted after it fires. */
export class EventBridgeScheduler implements Scheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly options: EventBridgeSchedulerOptions,
    /** The clock a time already past is moved up to (see `atExpression`). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  async scheduleTimeout(deploymentId: string, environment: string, at: string, check?: ScheduledCheck): Promise<void> {
    const { group, targetArn, roleArn, deadLetterArn } = this.options;
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: scheduleNameFor(deploymentId, check, at),
          GroupName: group,
          // The name and the event keep the time asked for: a retried invocation must find the same schedule.
          ScheduleExpression: atExpression(at, MARGIN_MS, this.now()),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Description:
            check?.purpose === 'retry'
              ? `ecs-migrate: launch attempt ${check.attempt} of deployment ${deploymentId} in ${environment}`
              : check?.purpose === 'rollout-watch'
                ? `ecs-migrate: rollout watch of deployment ${deploymentId} in ${environment}`
                : check?.purpose === 'deadline'
                  ? `ecs-migrate: timeout check of deployment ${deploymentId} in ${environment}, brought forward by a paused deployment`
                  : `ecs-migrate: timeout check of deployment ${deploymentId} in ${environment}`,
          Target: {
            Arn: targetArn,
            RoleArn: roleArn,
            Input: JSON.stringify(timeoutCheckEvent(deploymentId, environment, at, targetArn, check)),
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
            // A check Scheduler could not deliver is kept (and alarmed on) rather than dropped.
            ...(deadLetterArn !== undefined ? { DeadLetterConfig: { Arn: deadLetterArn } } : {}),
          },
        }),
      );
    } catch (error) {
      // Scheduled already by an earlier attempt of this invocation: same name, same deployment.
      if (awsErrorInfo(error).name === 'ConflictException') return;
      throw awsFailure(
        error,
        'scheduler:CreateSchedule',
        `check that schedule group "${group}" (SCHEDULER_GROUP) exists and that the role may pass ${roleArn} (iam:PassRole)`,
      );
    }
  }
}
