import { ServiceException } from '@smithy/core/client';

/**
 * RunTask's `clientToken`, as ECS documents it, on an SDK ECS client talking to moto. moto ignores the token and
 * starts a new task on every call, so a test on moto alone cannot show that a retried launch starts no second
 * task, nor catch a retry that changed its parameters. ECS (for about 24 h): the same token with the same
 * parameters answers the first call's result without starting anything; the same token with other parameters is
 * refused with `ConflictException`. This middleware does exactly that, and remembers what each call sent.
 */

export interface ClientTokenModel {
  /** Every RunTask input sent under a token, in order (a retried launch appears twice). */
  sent: Map<string, string[]>;
  /** Tokens refused because their parameters changed. */
  conflicts: string[];
  remove: () => void;
}

interface EcsLikeClient {
  middlewareStack: {
    add: (middleware: never, options: { step: 'initialize'; name: string; priority?: 'high' | 'low'; override?: boolean }) => void;
    remove: (name: string) => boolean;
  };
}

/** The parameters ECS compares: the whole input, keys sorted, as bytes. */
export function canonicalParameters(input: unknown): string {
  return JSON.stringify(input, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** Adds the model to `client`, at low priority: inside a fault layer, next to the emulator. */
export function modelClientToken(client: EcsLikeClient, name = 'clientTokenModel'): ClientTokenModel {
  const first = new Map<string, { parameters: string; output: unknown }>();
  const model: ClientTokenModel = {
    sent: new Map(),
    conflicts: [],
    remove: () => void client.middlewareStack.remove(name),
  };
  const middleware =
    (next: (args: { input: unknown }) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: { input: unknown }): Promise<unknown> => {
      if (context.commandName !== 'RunTaskCommand') return next(args);
      const token = (args.input as { clientToken?: string }).clientToken;
      if (token === undefined) return next(args);
      const parameters = canonicalParameters(args.input);
      model.sent.set(token, [...(model.sent.get(token) ?? []), parameters]);
      const earlier = first.get(token);
      if (earlier !== undefined) {
        if (earlier.parameters === parameters) return earlier.output;
        model.conflicts.push(token);
        throw new ServiceException({
          name: 'ConflictException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: `The specified client token has already been used in a RunTask request with different parameters (${token})`,
        });
      }
      const output = await next(args);
      first.set(token, { parameters, output });
      return output;
    };
  client.middlewareStack.add(middleware as never, { step: 'initialize', name, priority: 'low', override: true });
  return model;
}
