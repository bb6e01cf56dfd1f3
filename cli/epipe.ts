/**
 * `ecs-migrate explain … | head -1`: when the reader of stdout goes away, a write fails with EPIPE, which
 * Node raises as an unhandled 'error' event (a stack trace and exit code 1). A command line tool ends quietly
 * instead, as it would on SIGPIPE: the reader has all it wanted. Any other stream error is raised as before.
 */
export function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}
