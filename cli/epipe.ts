/** What the CLI does when the reader of its stdout goes away (`… | head`): a write then fails with EPIPE. */
export type OnClosedStdout =
  /** End now, as a tool ends on SIGPIPE: the reader has all it wanted (`explain`, `history`, `logs --follow`). */
  | 'end'
  /**
   * Run on with the output discarded, to the verdict its exit code gives (`local`, `deploy`, `run-command`): ending
   * would abandon a local migration halfway, or tell CI a `--wait` ended well when it was never seen to end.
   */
  | 'run-on';

/**
 * Handles EPIPE on `stream` by `policy()`, read when it happens (the command is known only once it is parsed). Node
 * raises EPIPE as an unhandled 'error' event (a stack trace, exit code 1); any other stream error is raised as before.
 * Running on, the stream's writes become no-ops and `note` says once, on stderr, that the output stops there.
 */
export function handleClosedStdout(policy: () => OnClosedStdout, stream: NodeJS.WriteStream = process.stdout): void {
  let discarding = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    if (policy() === 'end') process.exit(process.exitCode ?? 0);
    if (discarding) return;
    discarding = true;
    stream.write = discard as typeof stream.write;
    process.stderr.write('ecs-migrate: stdout closed: output stops here; the run goes on to its verdict, which the exit code gives\n');
  });
}

function discard(_chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') queueMicrotask(() => done());
  return true;
}
