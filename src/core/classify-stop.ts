import { definedFields } from './defined-fields.js';
import type { StopReport } from './deployment.js';
import type { ContainerState } from './inputs.js';

export type StopCause =
  | 'exit-code'
  | 'failed-to-start'
  | 'out-of-memory'
  | 'stopped-by-user'
  | 'spot-interruption'
  | 'stopped-by-ecs'
  | 'container-missing'
  | 'no-exit-code';

export type StopClassification =
  | { ok: true; report: StopReport; reason: string }
  | { ok: false; cause: StopCause; report: StopReport; reason: string };

export interface StoppedTask {
  stopCode?: string;
  stoppedReason?: string;
  containers: ContainerState[];
}

/**
 * Why a task event carries the migration's verdict: the task STOPPED, or the migration container exited (it has
 * an exit code) while other containers keep the task running — a non-essential migration container that an
 * essential one depends on. While the task runs, only an exit code is a verdict: a container that stopped without
 * one is judged when the task stops (or times out).
 */
export type VerdictDue = 'task-stopped' | 'container-exited';

export function verdictDue(
  task: { lastStatus: string; containers: readonly { name: string; exitCode?: number }[] },
  containerName: string,
): VerdictDue | undefined {
  if (task.lastStatus === 'STOPPED') return 'task-stopped';
  return task.containers.some((c) => c.name === containerName && c.exitCode !== undefined) ? 'container-exited' : undefined;
}

const OOM_EXIT = 137;

/** Exit codes of a container ended by its task's stop: SIGTERM (143), SIGKILL after the stop timeout (137), or its own clean exit. */
const STOPPED_EXITS: ReadonlySet<number> = new Set([0, 137, 143]);

/**
 * Judges a task by the migration container, found by name — never by position, so a sidecar's exit 0 cannot hide
 * a failed migration. Only exit code 0 of that container is a success. The task is STOPPED, or still running with
 * the migration container exited (`verdictDue`): then it has no stop code, and the report claims none. `sidecars`: the
 * essential containers beside the migration (`essentialSidecars`, kept by the launch); one that failed on its own may
 * be what stopped the task, so the migration's exit 0 then proves nothing. Unknown (an older record), not looked at.
 */
export function classifyStop(task: StoppedTask, containerName: string, sidecars?: readonly string[]): StopClassification {
  const container = task.containers.find((c) => c.name === containerName);
  const report: StopReport = definedFields({
    exitCode: container?.exitCode,
    stopCode: task.stopCode,
    stoppedReason: task.stoppedReason,
    containerReason: container?.reason,
  });
  const why = [...new Set([task.stoppedReason, container?.reason])].filter((s): s is string => s !== undefined && s !== '').join('; ');
  const detail = why === '' ? '' : ` (${why})`;

  // A task that never started may list no containers at all: it failed to start, whatever it lists.
  if (task.stopCode === 'TaskFailedToStart') {
    return { ok: false, cause: 'failed-to-start', report, reason: `the task failed to start${detail}` };
  }
  if (container === undefined) {
    const names = task.containers.map((c) => c.name).join(', ') || 'none';
    return {
      ok: false,
      cause: 'container-missing',
      report,
      reason: `the task has no container named "${containerName}" (containers: ${names})`,
    };
  }
  const outOfMemory: StopClassification = {
    ok: false,
    cause: 'out-of-memory',
    report,
    reason: `container "${containerName}" ran out of memory (exit code ${container.exitCode ?? 'none'})${detail}`,
  };
  if (container.reason?.startsWith('OutOfMemoryError')) return outOfMemory;
  if (task.stopCode === 'UserInitiated') {
    return {
      ok: false,
      cause: 'stopped-by-user',
      report,
      reason: `the task was stopped by someone before the migration finished${detail}`,
    };
  }
  if (task.stopCode === 'SpotInterruption' || task.stopCode === 'TerminationNotice') {
    return {
      ok: false,
      cause: 'spot-interruption',
      report,
      reason: `the task was interrupted by capacity reclaim (${task.stopCode})${detail}`,
    };
  }
  // Any other stop ECS made (InfrastructureHealth, ServiceSchedulerInitiated, a code added later) sent SIGTERM too: an
  // exit 0 then proves nothing. Only an essential container's exit, or the migration container's own (no stop code yet).
  if (task.stopCode !== undefined && task.stopCode !== 'EssentialContainerExited') {
    return {
      ok: false,
      cause: 'stopped-by-ecs',
      report,
      reason: `the task was stopped by ECS (${task.stopCode}) before the migration was known to have finished${detail}`,
    };
  }
  // SIGKILLed with no reason given: most often the kernel's OOM killer. Not after a stop by someone or a capacity
  // reclaim, whose SIGTERM is followed by a SIGKILL (137) once stopTimeout passes.
  if (container.exitCode === OOM_EXIT) return outOfMemory;
  if (container.exitCode === undefined) {
    return { ok: false, cause: 'no-exit-code', report, reason: `container "${containerName}" stopped without an exit code${detail}` };
  }
  if (container.exitCode !== 0) {
    return {
      ok: false,
      cause: 'exit-code',
      report,
      reason: `container "${containerName}" exited with code ${container.exitCode}${detail}`,
    };
  }
  const crashed = task.stopCode === 'EssentialContainerExited' ? crashedSidecar(task, sidecars) : undefined;
  if (crashed !== undefined) {
    return {
      ok: false,
      cause: 'stopped-by-ecs',
      report,
      reason: `essential container "${crashed}" failed while the migration could still run, and ECS stopped the task (EssentialContainerExited): container "${containerName}"'s exit code 0 may be its answer to SIGTERM, not the migration's end${detail}`,
    };
  }
  return { ok: true, report, reason: `container "${containerName}" exited with code 0` };
}

/**
 * An essential container beside the migration (`essentialSidecars`) that ended as a failure of its own (an exit code a
 * stop does not give, or out of memory), not as the task's stop ends it: it may be what stopped the task.
 */
function crashedSidecar(task: StoppedTask, sidecars: readonly string[] | undefined): string | undefined {
  if (sidecars === undefined || sidecars.length === 0) return undefined;
  return task.containers.find(
    (c) =>
      sidecars.includes(c.name) &&
      (c.reason?.startsWith('OutOfMemoryError') === true || (c.exitCode !== undefined && !STOPPED_EXITS.has(c.exitCode))),
  )?.name;
}
