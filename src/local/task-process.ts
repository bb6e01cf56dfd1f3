import { type ChildProcess, spawn } from 'node:child_process';
import type { WriteStream } from 'node:fs';

export interface TaskProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  /** The whole environment of the task: nothing of the CLI's own environment is added. */
  env: Record<string, string>;
  /** Where the output goes, as written (the task log). */
  log: WriteStream;
  /** Each complete line of output, stdout and stderr alike. */
  onLine: (line: string) => void;
}

export type TaskExit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * A local task: the command as the leader of its own process group, the way a container holds every process
 * it starts. Stopping it signals the whole group (SIGTERM, then SIGKILL after the grace period, as ECS does),
 * and when the leader exits the rest of the group is killed, as a container's processes die with its PID 1.
 */
export class TaskProcess {
  private readonly child: ChildProcess;
  private killTimer: NodeJS.Timeout | undefined;
  private leaderExited = false;
  private closed = false;
  /** Settles once the leader has exited and its output is drained. */
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
    pipeLines(this.child, options.log, options.onLine);
    this.started = new Promise((resolve) => {
      this.child.once('spawn', () => resolve({ ok: true, pid: this.child.pid as number }));
      this.child.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, error }));
    });
    this.child.once('exit', () => {
      this.leaderExited = true;
      // What the leader left behind dies with it, so no pipe stays open and nothing outlives the task.
      this.signalGroup('SIGKILL');
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.closed = true;
        clearTimeout(this.killTimer);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.pid !== undefined && !this.closed;
  }

  /** SIGTERM to the group now, SIGKILL to the group after `graceMs` unless it has ended. Idempotent. */
  stop(graceMs: number): void {
    if (!this.running) return;
    this.signalGroup('SIGTERM');
    if (this.killTimer === undefined) this.killTimer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
  }

  /** SIGKILL to the group now. Synchronous, so it can run in a process 'exit' handler. */
  kill(): void {
    if (this.running) this.signalGroup('SIGKILL');
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

function pipeLines(child: ChildProcess, log: WriteStream, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      log.write(chunk);
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    stream?.on('end', () => {
      if (rest !== '') onLine(rest);
    });
  }
}
