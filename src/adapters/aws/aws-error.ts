import { EcsMigrateError, TransientAwsError } from '../../errors.js';

/** What the adapters need to know of an SDK v3 error, read without trusting its shape. */
export interface AwsErrorInfo {
  name: string;
  message: string;
  /** HTTP status, when the service answered. */
  status?: number;
  /** The SDK's own verdict: `server` for 5xx. */
  fault?: string;
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

/** Network-level failures (no answer from the service): worth retrying. */
const NETWORK = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'UnrecognizedClientException']);

export function awsErrorInfo(error: unknown): AwsErrorInfo {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const info: AwsErrorInfo = { name: error.name, message: error.message };
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  if (typeof metadata?.httpStatusCode === 'number') info.status = metadata.httpStatusCode;
  const fault = (error as { $fault?: unknown }).$fault;
  if (typeof fault === 'string') info.fault = fault;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK.has(code)) info.name = code;
  return info;
}

/**
 * Whether a failure may go away by itself: throttling, a 5xx, or no answer at all. The SDK has already
 * retried these; the caller re-throws them so Lambda and EventBridge retry the whole event later.
 */
export function isTransient(error: unknown): boolean {
  const info = awsErrorInfo(error);
  if (THROTTLING.has(info.name) || NETWORK.has(info.name)) return true;
  if (info.fault === 'server' || (info.status !== undefined && info.status >= 500)) return true;
  // An error without an HTTP answer and without a known client error name: the request never completed.
  return info.status === undefined && info.fault === undefined && !(error instanceof EcsMigrateError);
}

export function isAccessDenied(error: unknown): boolean {
  return ACCESS_DENIED.has(awsErrorInfo(error).name);
}

/** `ThrottlingException: Rate exceeded` */
export function describeAwsError(error: unknown): string {
  const info = awsErrorInfo(error);
  return info.message !== '' && info.message !== info.name ? `${info.name}: ${info.message}` : info.name;
}

/**
 * The error to throw for a failed call: `TransientAwsError` when retrying may help, otherwise an error whose
 * message says which call failed and what to fix. Both keep the SDK error as `cause`.
 */
export function awsFailure(error: unknown, operation: string, fix: string): Error {
  const what = `${operation} failed: ${describeAwsError(error)}`;
  if (isTransient(error)) return new TransientAwsError(`${what} (after the SDK's retries; the event will be retried)`, { cause: error });
  if (isAccessDenied(error)) return new EcsMigrateError(`${what}; grant the function's role permission for ${operation}`, { cause: error });
  return new EcsMigrateError(`${what}; ${fix}`, { cause: error });
}
