import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from './aws-clients.js';
import { CliError } from './failure.js';

interface Identity {
  Account?: string | undefined;
  Arn?: string | undefined;
}

const identities = new WeakMap<AwsClients, Promise<Identity>>();

/** STS GetCallerIdentity, once per run (it needs no permission). */
export function callerIdentity(clients: AwsClients): Promise<Identity> {
  let found = identities.get(clients);
  if (found === undefined) {
    found = clients.sts().then((sts) => sts.send(new GetCallerIdentityCommand({})));
    identities.set(clients, found);
  }
  return found;
}

/** requestedBy of the requests the CLI sends: the caller's ARN, so the history says who asked. */
export async function callerArn(clients: AwsClients): Promise<string> {
  const { Arn } = await callerIdentity(clients);
  if (Arn === undefined) throw new CliError('STS GetCallerIdentity returned no ARN: pass --requested-by WHO');
  return Arn.slice(0, 256);
}
