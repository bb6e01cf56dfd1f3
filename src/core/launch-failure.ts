/**
 * Why a launch started no task, as far as the adapter can tell (absent on a launch result: `refused`):
 * - `refused`: ECS refused the request and retrying will not help: fix what the reason says;
 * - `capacity`: no capacity for the task right now (RunTask `failures[]` `RESOURCE:*`, "Capacity is unavailable"):
 *   it can pass, so the launch is retried (LAUNCH_RETRIES);
 * - `token-conflict`: ECS holds a request with this `clientToken` and other parameters (ConflictException): an
 *   earlier attempt of this very launch reached RunTask, so a task of it may run. Never a failure of the deployment.
 */
export type LaunchFailure = 'refused' | 'capacity' | 'token-conflict';

/** RunTask `failures[]` reasons and error messages that mean "no capacity now", not "this cannot run". */
export function isCapacityReason(reason: string): boolean {
  return /^RESOURCE:/.test(reason) || /capacity is unavailable/i.test(reason);
}
