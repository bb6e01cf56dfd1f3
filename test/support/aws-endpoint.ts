import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

const ENV = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const;

/**
 * An HTTP endpoint on a loopback port that every AWS client of this process (and of a child that inherits the
 * environment) talks to, with static credentials: how a test plays AWS answering slowly, or not at all. `close`
 * restores the environment and drops every connection.
 */
export async function startAwsEndpoint(handle: RequestListener): Promise<{ close: () => Promise<void> }> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  return {
    close: async () => {
      for (const k of ENV) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
