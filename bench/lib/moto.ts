import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { findOnPath, MOTO_COMMAND, MOTO_INSTALL_HINT } from '../../infra/require-moto.mjs';

/** A plain `moto_server` on a free loopback port, for the AWS calls benchmark (started and stopped by it). */
export interface Moto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts moto_server and resolves once it answers; throws with the install hint when it is not installed. */
export async function startMoto(timeoutMs = 30_000): Promise<Moto> {
  const command = findOnPath(MOTO_COMMAND);
  if (command === undefined) throw new Error(MOTO_INSTALL_HINT);
  const port = await freePort();
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (code ${child.exitCode}): ${stderr.trim()}`);
    if (await answers(endpoint)) return { endpoint, stop: () => stop(child) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop(child);
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms: ${stderr.trim()}`);
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

async function stop(child: ChildProcess): Promise<void> {
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
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}
