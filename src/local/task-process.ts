import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readlinkSync, type WriteStream } from 'node:fs';
import { procStat } from './proc-stat.js';
import { holdsTaskId, scanProcesses, TASK_ID_VARIABLE } from './task-marker.js';

export interface TaskProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  /**
   * The whole environment of the task: nothing of the CLI's own environment is added. Its ECS_MIGRATE_TASK_ID, if
   * set, is what finds the task's processes that left it every other way (daemons).
   */
  env: Record<string, string>;
  /** Where the output goes, as written (the task log), while it can: not once a write failed (a full disk). */
  log: WriteStream;
  /** Each complete line of output, stdout and stderr alike. */
  onLine: (line: string) => void;
}

export type TaskExit = { code: number | null; signal: NodeJS.Signals | null };

/** How long the output of an exited leader may still drain before the task ends without the rest. */
const DRAIN_MS = 200;

/**
 * A local task: the command as the leader of its own process group, the way a container holds every process
 * it starts. Stopping it signals the whole group (SIGTERM, then SIGKILL after the grace period, as ECS does),
 * and when the leader exits what it left running is killed, as a container's processes die with its PID 1:
 * the group and, on Linux, what left the group but not the task (its session, a session of its own that
 * still holds the task's output, as `setsid` and `ssh -f` leave, or a daemon that holds neither but inherited
 * the task's ECS_MIGRATE_TASK_ID). The task ends once the leader has exited and
 * its output has drained, or DRAIN_MS after, whatever still holds its output.
 */
export class TaskProcess {
  private readonly child: ChildProcess;
  /** What finds the task's processes outside its group (Linux only). */
  private readonly origin: TaskOrigin | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private leaderExited = false;
  private ended = false;
  /** Settles once the leader has exited and its output is drained (or has had DRAIN_MS to). */
  readonly exited: Promise<TaskExit>;
  /** Settles when the process has started, or with the spawn error (ENOENT: no such command). */
  readonly started: Promise<{ ok: true; pid: number } | { ok: false; error: NodeJS.ErrnoException }>;

  constructor(options: TaskProcessOptions) {
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Read at once: spawn returns once the command is exec'd, and the leader cannot be reaped before the event loop runs.
    this.origin =
      process.platform === 'linux' && this.child.pid !== undefined ? taskOrigin(this.child.pid, options.env[TASK_ID_VARIABLE]) : undefined;
    const flush = pipeLines(this.child, options.log, options.onLine);
    this.started = new Promise((resolve) => {
      this.child.once('spawn', () => resolve({ ok: true, pid: this.child.pid as number }));
      this.child.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, error }));
    });
    this.exited = new Promise((resolve) => {
      const end = (exit: TaskExit) => {
        if (this.ended) return;
        this.ended = true;
        clearTimeout(this.killTimer);
        clearTimeout(this.drainTimer);
        if (this.leaderExited) this.killLeftovers();
        // Whatever still holds the output (nothing killable is left) no longer keeps the task, or the CLI, alive.
        this.child.stdout?.destroy();
        this.child.stderr?.destroy();
        flush();
        resolve(exit);
      };
      this.child.once('exit', (code, signal) => {
        this.leaderExited = true;
        // What the leader left behind dies with it, so no pipe stays open and nothing outlives the task.
        this.killLeftovers();
        this.drainTimer = setTimeout(() => end({ code, signal }), DRAIN_MS);
      });
      this.child.once('close', (code, signal) => end({ code, signal }));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * The leader's stdout and stderr as /proc links them at its start ('socket:[inode]'; [] where there is no /proc):
   * recorded in the lock, so a run taking over from a dead one finds the task's processes holding them.
   */
  get outputs(): string[] {
    return [...(this.origin?.outputs ?? [])];
  }

  get running(): boolean {
    return this.child.pid !== undefined && !this.ended;
  }

  /** SIGTERM to the group now, SIGKILL to the group after `graceMs` unless it has ended. Idempotent. */
  stop(graceMs: number): void {
    if (!this.running) return;
    this.signalGroup('SIGTERM');
    if (this.killTimer === undefined) this.killTimer = setTimeout(() => this.killLeftovers(), graceMs);
  }

  /** SIGKILL to the group, and to what left it, now. Synchronous, so it can run in a process 'exit' handler. */
  kill(): void {
    if (this.running) this.killLeftovers();
  }

  private killLeftovers(): void {
    this.signalGroup('SIGKILL');
    if (this.origin === undefined) return;
    for (const pid of strays(this.origin))
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ESRCH: gone since the scan.
      }
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
      if (!this.leaderExited) this.child.kill(signal);
    }
  }
}

/** The leader as /proc shows it at its start: its pid (its session's and group's id), start time and output. */
export interface TaskOrigin {
  /** Undefined when its pid is known to be another process's now: its session and group were gone. */
  leader: number | undefined;
  /** Clock ticks since boot: processes started before it are not the task's. */
  startTime: number;
  /** The leader's stdout and stderr as /proc/PID/fd links them ('socket:[inode]'). */
  outputs: ReadonlySet<string>;
  /** The task's ECS_MIGRATE_TASK_ID, which its processes inherit. */
  taskId: string | undefined;
}

/** A task output as /proc/PID/fd links it: a pipe or socket, never a file (/dev/null) other processes also hold. */
export const OUTPUT_LINK = /^(socket|pipe):\[\d+\]$/;

/** At most this many descriptors of a process are looked at for the task's output. */
const MAX_FDS = 256;

function taskOrigin(leader: number, taskId: string | undefined): TaskOrigin | undefined {
  const stat = procStat(leader);
  if (stat === undefined) return undefined;
  const outputs = new Set<string>();
  for (const fd of [1, 2]) {
    const link = fdLink(leader, String(fd));
    if (link !== undefined && OUTPUT_LINK.test(link)) outputs.add(link);
  }
  return { leader, startTime: stat.startTime, outputs, taskId };
}

/**
 * The task's processes outside its group: started no earlier than the leader, and in its session, holding its
 * output or holding its task id in their environment. Never this process or one of its ancestors. One pass over
 * /proc, reading descriptors and environments only of processes younger than the leader. Used by the live run when
 * the task ends, and by a run taking over from a dead one, with what its lock recorded.
 */
export function strays(origin: TaskOrigin): number[] {
  return scanProcesses((pid) => {
    const stat = procStat(pid);
    if (stat === undefined || stat.startTime < origin.startTime) return false;
    return (
      (origin.leader !== undefined && (stat.session === origin.leader || stat.group === origin.leader)) ||
      holdsAny(pid, origin.outputs) ||
      (origin.taskId !== undefined && holdsTaskId(pid, origin.taskId))
    );
  });
}

function holdsAny(pid: number, links: ReadonlySet<string>): boolean {
  if (links.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds.slice(0, MAX_FDS)) {
    const link = fdLink(pid, fd);
    if (link !== undefined && links.has(link)) return true;
  }
  return false;
}

function fdLink(pid: number, fd: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** A line longer than this with no end yet is handed on as it is (a progress bar redrawn with `\r` never ends one). */
const MAX_PENDING_CHARS = 64 * 1024;

/**
 * Feeds the output to the log and `onLine`, line by line per stream, so a line of one stream never lands inside an
 * unfinished line of the other in the log (as they print live); the returned flush hands on each stream's unterminated
 * last line, once.
 */
function pipeLines(child: ChildProcess, log: WriteStream, onLine: (line: string) => void): () => void {
  const flushes: (() => void)[] = [];
  const hand = (line: string) => {
    // Not writable once a write failed: the output still goes to `onLine`, only the file stops.
    if (log.writable) log.write(`${line}\n`);
    onLine(line);
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    let rest = '';
    const flush = () => {
      if (rest !== '') hand(rest);
      rest = '';
    };
    flushes.push(flush);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) hand(line);
      if (rest.length > MAX_PENDING_CHARS) flush();
    });
    stream.on('end', flush);
  }
  return () => {
    for (const flush of flushes) flush();
  };
}
