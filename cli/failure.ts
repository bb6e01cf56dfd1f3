import { describeAwsError } from '../src/adapters/aws/aws-error.js';
import { ConfigError, EcsMigrateError } from '../src/errors.js';
import { CliUsageError, shorten } from './local-config.js';

/**
 * Documented exit codes: 0 done (rollout continued, command exited 0), 1 halted or failed (a gated service not
 * moved included; or an AWS call failed), 2 usage or unreadable input, 124 `--timeout` reached while waiting (the deployment goes on).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, timeout: 124 } as const;

/** A failure of the CLI itself, with the one line to print: what happened and what to do. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The one line (and exit code) a failure prints. AWS SDK errors are turned into what the operator can fix
 * (region, credentials, permissions); adapters' errors lose their Lambda wording ("the event will be retried").
 */
export function describeFailure(error: unknown): { line: string; exitCode: number } {
  if (error instanceof CliError) return { line: error.message, exitCode: error.exitCode };
  if (error instanceof ConfigError) return { line: error.problems.join('; '), exitCode: EXIT.usage };
  if (error instanceof CliUsageError) return { line: error.message, exitCode: EXIT.usage };
  if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
    return { line: parseArgsLine(String(error.code), error.message), exitCode: EXIT.usage };
  }
  const root = rootCause(error);
  const text = root instanceof Error ? `${root.name}: ${root.message}` : String(root);
  if (/Region is missing/i.test(text)) {
    return { line: 'no AWS region: pass --region REGION, or set AWS_REGION (or a region in the --profile)', exitCode: EXIT.usage };
  }
  const call = failedCallOf(error);
  const failed = call !== undefined ? `${call} failed: ` : '';
  // AWS could not be reached (refused, no such host, timed out): the same line whichever call, or adapter, ran into it.
  if (isNetworkError(root)) {
    return { line: `${failed}${firstLine((root as Error).message)}: check the region, credentials and network`, exitCode: EXIT.failed };
  }
  if (/Could not load credentials|CredentialsProviderError|ExpiredToken|InvalidClientTokenId|UnrecognizedClient/i.test(text)) {
    return {
      line: `no usable AWS credentials (${firstLine(text)}): pass --profile NAME, set AWS_PROFILE, or log in (aws sso login)`,
      exitCode: EXIT.failed,
    };
  }
  if (/AccessDenied|not authorized/i.test(text)) {
    return {
      line: `${failed}${firstLine(text)}: the caller's role lacks this permission (docs/deploy.md lists what the CLI needs)`,
      exitCode: 1,
    };
  }
  const table = /DEPLOYMENTS_TABLE \("([^"]+)"\)/.exec(error instanceof Error ? error.message : '')?.[1];
  if (table !== undefined && root instanceof Error && root.name === 'ResourceNotFoundException') {
    return { line: `no deployments table "${table}" in this account and region: check --stack (or --table) and --region`, exitCode: 1 };
  }
  if (error instanceof EcsMigrateError) {
    return {
      line: firstLine(error.message.replace(/ \(after the SDK's retries; the event will be retried\)|; the event will be retried/, '')),
      exitCode: 1,
    };
  }
  // An SDK error the CLI's own call ran into (cli/aws-clients.ts notes which call): named, as the adapters name theirs.
  if (call !== undefined) return { line: `${failed}${firstLine(describeAwsError(root))}`, exitCode: EXIT.failed };
  return { line: firstLine(error instanceof Error ? error.message || error.name : String(error)), exitCode: EXIT.failed };
}

/** The AWS call (`cloudformation:DescribeStacks`) each failed SDK error came from, as cli/aws-clients.ts notes it. */
const failedCalls = new WeakMap<object, string>();

/** Notes that `error` is what the AWS call `call` (`cloudformation:DescribeStacks`) failed with: its line names the call. */
export function noteFailedCall(error: unknown, call: string): void {
  if (typeof error === 'object' && error !== null && !failedCalls.has(error)) failedCalls.set(error, call);
}

/** The call noted for the error or any of its causes (an adapter wraps the SDK's error). */
function failedCallOf(error: unknown): string | undefined {
  let e = error;
  for (let i = 0; i < 6 && typeof e === 'object' && e !== null; i++) {
    const call = failedCalls.get(e);
    if (call !== undefined) return call;
    e = e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

/** Socket errors: what the network (or the endpoint, or DNS for a region that does not exist) said. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && NETWORK_CODES.has(code)) || error.name === 'TimeoutError';
}

/**
 * node:util parseArgs' errors as one line: its own messages run over three lines ("argument is ambiguous…") or
 * quote what they name unbalanced. The code says what went wrong; the message only names the option.
 */
function parseArgsLine(code: string, message: string): string {
  const named = shorten(/^(?:Unknown option|Unexpected argument|Option) '(.*?)'(?:[. ]|$)/s.exec(message)?.[1] ?? '');
  switch (code) {
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // "Option '-a, --app <value>' argument missing", "Option '-a' argument is ambiguous… use '--app=-XYZ'…": the long name.
      const flag = /--[A-Za-z0-9][\w-]*/.exec(message)?.[0] ?? named.split(/[ ,]/)[0] ?? named;
      if (/does not take an argument/.test(message)) return `${flag} takes no value (see --help)`;
      return `${flag} needs a value (to pass a value starting with "-", write ${flag}=-x)`;
    }
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${named} (see --help)`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${named}" (see --help)`;
    default:
      return `${firstLine(message)} (see --help)`;
  }
}

function rootCause(error: unknown): unknown {
  let e = error;
  for (let i = 0; i < 5 && e instanceof Error && e.cause !== undefined; i++) e = e.cause;
  return e;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
