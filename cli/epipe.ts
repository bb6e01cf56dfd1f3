/**
 * What the CLI does when the reader of its output goes away (`… | head`, `… 2>&1 | head`: a write fails with EPIPE;
 * a terminal that hung up: EIO).
 */
export type OnClosedOutput =
  /** End now, as a tool ends on SIGPIPE: the reader has all it wanted (`explain`, `history`, `logs --follow`). */
  | 'end'
  /**
   * Run on with the output discarded, to the verdict its exit code gives (`local`, `deploy`, `run-command`, `request`): ending
   * would abandon a local migration halfway, or tell CI a `--wait` ended well when it was never seen to end.
   */
  | 'run-on';

/**
 * Handles EPIPE and EIO on stdout and stderr by `policy()`, read when it happens (the command is known only once it is
 * parsed). Node raises them as an unhandled 'error' event (a stack trace, exit code 1); any other stream error is raised as
 * before. Running on, the closed stream's writes become no-ops, and a closed stdout is said once on stderr (itself
 * discarded if it is the same closed pipe).
 */
export function handleClosedOutput(policy: () => OnClosedOutput): void {
  const discarding = new Set<NodeJS.WriteStream>();
  const onError = (stream: NodeJS.WriteStream) => (error: NodeJS.ErrnoException) => {
    // EIO: the terminal hung up (ssh dropped, window closed; SIGHUP comes with it): the reader is gone as with EPIPE.
    if (error.code !== 'EPIPE' && error.code !== 'EIO') throw error;
    if (policy() === 'end') process.exit(process.exitCode ?? 0);
    if (discarding.has(stream)) return;
    discarding.add(stream);
    stream.write = discard as typeof stream.write;
    if (stream === process.stdout)
      process.stderr.write('ecs-migrate: stdout closed: output stops here; the run goes on to its verdict, which the exit code gives\n');
  };
  process.stdout.on('error', onError(process.stdout));
  process.stderr.on('error', onError(process.stderr));
}

function discard(_chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') queueMicrotask(() => done());
  return true;
}
