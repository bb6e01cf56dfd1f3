import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { findOnPath, MOTO_COMMAND, MOTO_INSTALL_HINT } from '../../infra/require-moto.mjs';

/**
 * moto (5.x) on a free port of 127.0.0.1, for integration tests, started as `python3 moto_server.py` (beside this
 * file): moto's own server with the tests' extensions applied in memory (ECS pause hooks, moto_pause_hooks.py; task
 * states as ECS reports them, moto_ecs_tasks.py).
 *
 * Start one per test run (vitest's globalSetup, test/support/moto-global-setup.ts, does) and call
 * `resetMoto(endpoint)` between tests: starting moto takes about 2 s, a reset a few milliseconds.
 * Everything else is plain moto 5.2.1 (rules filter deliveries to SQS targets; see ../shared/notes/moto-5.2.1.md for
 * what does not work, e.g. TestEventPattern and Lambda targets).
 *
 *   const moto = await startMotoServer();
 *   // ... clients with { endpoint: moto.endpoint, region: 'eu-west-1', maxAttempts: 1 }
 *   await moto.reset();
 *   await moto.stop();
 */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`: the endpoint for SDK clients (or AWS_ENDPOINT_URL). */
  readonly endpoint: string;
  readonly port: number;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** The Python interpreter that has moto installed (default: python3 found on PATH). */
  command?: string;
  /** How long to wait for the server to answer (default 30 s). */
  timeoutMs?: number;
}

/** moto_server is not installed: the message says how to install it. */
export class MotoNotInstalledError extends Error {
  override readonly name = 'MotoNotInstalledError';
  constructor() {
    super(MOTO_INSTALL_HINT);
  }
}

/** The server entry: imports moto, applies the tests' extensions, then runs `moto.server.main(argv)`. */
export const MOTO_ENTRY = join(import.meta.dirname, 'moto_server.py');

/** Starts moto on a free local port and resolves once it answers. */
export async function startMotoServer(options: StartMotoOptions = {}): Promise<MotoServer> {
  // moto_server on PATH is how an installed moto is recognised (its install hint applies); the entry runs in python3.
  if (options.command === undefined && findOnPath(MOTO_COMMAND) === undefined) throw new MotoNotInstalledError();
  const command = options.command ?? findOnPath('python3');
  if (command === undefined) throw new MotoNotInstalledError();
  const timeoutMs = options.timeoutMs ?? 30_000;

  // The port is free when asked, but another process may take it before moto binds it: try a few ports.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(command, port, timeoutMs);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** POST /moto-api/reset on a running server; for test files that only know the endpoint. */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset at ${endpoint} failed: HTTP ${response.status}`);
}

async function launch(command: string, port: number, timeoutMs: number): Promise<MotoServer> {
  const child = spawn(command, [MOTO_ENTRY, '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(`moto_server exited (${signal ?? `code ${code}`})`));
    child.once('error', (error) => resolve(`moto_server could not be started: ${error.message}`));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const server: MotoServer = { endpoint, port, reset: () => resetMoto(endpoint), stop: () => stopChild(child) };

  const deadline = Date.now() + timeoutMs;
  let early: string | undefined;
  void exited.then((why) => {
    early = why;
  });
  while (Date.now() < deadline) {
    if (early !== undefined) throw new Error(`${early} on port ${port}: ${stderr.trim() || 'no output'}`);
    if (await answers(endpoint)) return server;
    await sleep(100);
  }
  await stopChild(child);
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms: ${stderr.trim() || 'no output'}`);
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
