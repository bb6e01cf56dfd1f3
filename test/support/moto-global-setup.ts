import { startMotoServer } from './moto-server.js';

/**
 * vitest globalSetup of the "aws" project: one moto_server for the whole run.
 *
 * - The workers get its endpoint as AWS_ENDPOINT_URL, with AWS_REGION=eu-west-1 and fake credentials, so SDK clients
 *   built with defaults (as the handlers build them) talk to moto and never to a real account.
 * - Without moto_server on PATH the run fails here, saying how to install it.
 * Reset between tests with `resetMoto()` from test/aws/environment.ts; create clients with `maxAttempts: 1`,
 * so a moto error shows at once instead of after the SDK's retries.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const moto = await startMotoServer();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
  });
  // A profile or credentials file of the developer must not be used instead of the fake keys.
  delete process.env.AWS_PROFILE;
  return () => moto.stop();
}
