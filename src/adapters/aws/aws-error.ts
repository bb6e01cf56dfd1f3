import { ServiceException } from '@smithy/core/client';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { AccessDeniedError, EcsMigrateError, PermanentAwsError, TransientAwsError } from '../../errors.js';

/** What the adapters need to know of an SDK v3 error, read without trusting its shape. */
export interface AwsErrorInfo {
  /** The service's error code (`ThrottlingException`), or a socket error's code (`ECONNRESET`). */
  name: string;
  message: string;
}

/**
 * How a failed call is handled:
 * - `transient`: throttling, a 5xx, or a known network failure (the SDK's own classification): retry the event;
 * - `access-denied`, `permanent`: the service answered with a client error; retrying will not help;
 * - `unknown`: not an error the SDK produced (a bug in our code, or one of our own errors): re-thrown as it is.
 */
export type AwsErrorKind = 'transient' | 'access-denied' | 'permanent' | 'unknown';

/** Error codes meaning the role lacks a permission (not in `@smithy/core`'s classification, which has none). */
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);

/**
 * Client errors that pass when tried again, which the SDK does not know: ECS refuses a RegisterTaskDefinition that
 * races another registration of the family ("Too many concurrent attempts to create a new revision of the
 * specified family", a 400 ClientException); DynamoDB refuses a write to an item a transaction is writing
 * (TransactionConflictException, a 400).
 */
const PASSING_CLIENT_ERRORS: readonly [name: string, message: RegExp][] = [
  ['ClientException', /too many concurrent attempts/i],
  ['TransactionConflictException', /./],
];

type SdkError = Parameters<typeof isTransientError>[0];

export function classifyAwsError(error: unknown): AwsErrorKind {
  if (!(error instanceof Error) || error instanceof EcsMigrateError) return 'unknown';
  const sdkError = error as SdkError;
  const isService = ServiceException.isInstance(error);
  if (isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError)) return 'transient';
  if (!isService) return 'unknown';
  if (error.$fault === 'server') return 'transient';
  if (PASSING_CLIENT_ERRORS.some(([name, message]) => error.name === name && message.test(error.message))) return 'transient';
  return ACCESS_DENIED.has(error.name) ? 'access-denied' : 'permanent';
}

export function awsErrorInfo(error: unknown): AwsErrorInfo {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  // Socket errors are plain `Error`s whose code says what happened.
  const name = error.name === 'Error' && typeof code === 'string' ? code : error.name;
  return { name, message: error.message };
}

/** `ThrottlingException: Rate exceeded` */
export function describeAwsError(error: unknown): string {
  const info = awsErrorInfo(error);
  return info.message !== '' && info.message !== info.name ? `${info.name}: ${info.message}` : info.name;
}

/**
 * The error to throw for a failed call to `operation` (`ecs:UpdateService`): `TransientAwsError` when retrying
 * may help, `AccessDeniedError` saying what to `grant`, `PermanentAwsError` with the `fix`, each keeping the
 * SDK error as `cause`; anything the SDK did not produce is returned untouched, so a bug fails loudly (and
 * its event lands in the DLQ) instead of being retried as if AWS had hiccuped.
 */
export function awsFailure(error: unknown, operation: string, fix: string, grant = `the function's role ${operation}`): unknown {
  const kind = classifyAwsError(error);
  switch (kind) {
    case 'transient':
      return new TransientAwsError(`${operation} failed: ${describeAwsError(error)} (after the SDK's retries; the event will be retried)`, {
        cause: error,
      });
    case 'access-denied':
      return new AccessDeniedError(operation, grant, describeAwsError(error), { cause: error });
    case 'permanent':
      return new PermanentAwsError(operation, fix, describeAwsError(error), { cause: error });
    case 'unknown':
      return error;
  }
}
