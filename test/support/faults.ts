import { ServiceException } from '@smithy/core/client';

/**
 * A fault-injecting layer on an SDK v3 client, for the fault tests on the emulator (test/aws/faults.test.ts).
 * moto answers every call; production does not. This makes the Nth call of a named command fail the way AWS fails
 * (a retryable ThrottlingException, or a 500), either before the request reaches moto (nothing happened) or after
 * moto carried it out (it happened, but the caller never heard: a lost response, a Lambda that timed out).
 */

export type FaultKind = 'throttling' | 'server-error';

export interface FaultSpec {
  /** The SDK command, as the client names it: `PutEventsCommand`, `RunTaskCommand`. */
  command: string;
  /** Which call of that command fails, counting from 1 from when the fault was added. */
  nth: number;
  /** `before`: the request never reaches the emulator; `after`: it is carried out, then the response is lost. */
  when: 'before' | 'after';
  kind?: FaultKind;
}

/** What a fault layer did: the calls it saw per command and the faults it injected. */
export interface FaultLog {
  calls: Record<string, number>;
  injected: string[];
}

interface MiddlewareClient {
  middlewareStack: {
    add: (middleware: never, options: { step: 'initialize'; name: string; priority?: 'high' | 'low'; override?: boolean }) => void;
    remove: (name: string) => boolean;
  };
}

/** The error the SDK would throw: retryable by @smithy/core's classification, like the real one. */
export function retryableError(command: string, kind: FaultKind = 'throttling'): ServiceException {
  return kind === 'throttling'
    ? new ServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: `Rate exceeded (injected into ${command})`,
      })
    : new ServiceException({
        name: 'InternalFailure',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: `Internal failure (injected into ${command})`,
      });
}

/**
 * Adds the faults to `client` (at the `initialize` step: before the SDK's own retries, so one injected error is
 * one failed call; high priority, so it sits outside other test layers such as the clientToken model, which then
 * sees a call that failed `after` as carried out). Returns the log and a function that removes the layer.
 */
export function injectFaults(client: MiddlewareClient, faults: FaultSpec[], name = 'injectFaults'): { log: FaultLog; remove: () => void } {
  const log: FaultLog = { calls: {}, injected: [] };
  const middleware =
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: unknown): Promise<unknown> => {
      const command = context.commandName ?? 'unknown';
      const n = (log.calls[command] ?? 0) + 1;
      log.calls[command] = n;
      const fault = faults.find((f) => f.command === command && f.nth === n);
      if (fault === undefined) return next(args);
      log.injected.push(`${command}#${n} ${fault.when}`);
      if (fault.when === 'before') throw retryableError(command, fault.kind);
      await next(args);
      throw retryableError(command, fault.kind);
    };
  client.middlewareStack.add(middleware as never, { step: 'initialize', name, priority: 'high', override: true });
  return { log, remove: () => void client.middlewareStack.remove(name) };
}
