import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeFailure, noteFailedCall } from '../../cli/failure.js';
import { TransientAwsError } from '../../src/errors.js';

/** The failure line of what node:util parseArgs throws for these arguments. */
function parseFailure(args: string[], allowPositionals = true): { line: string; exitCode: number } {
  const options = { app: { type: 'string', short: 'a' }, 'state-dir': { type: 'string' }, json: { type: 'boolean' } } as const;
  try {
    parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    return describeFailure(error);
  }
  throw new Error(`parseArgs took ${args.join(' ')}`);
}

describe("parseArgs' errors as one line (exit 2)", () => {
  it('an option without its value names the option and how to pass a value starting with "-"', () => {
    const needs = { line: '--app needs a value (to pass a value starting with "-", write --app=-x)', exitCode: 2 };
    expect(parseFailure(['--app', '--state-dir', 'x'])).toEqual(needs);
    expect(parseFailure(['--app'])).toEqual(needs);
    expect(parseFailure(['-a', '-1'])).toEqual(needs);
    expect(parseFailure(['-a'])).toEqual(needs);
    expect(parseFailure(['--json=yes'])).toEqual({ line: '--json takes no value (see --help)', exitCode: 2 });
  });

  it('an unknown option or an unexpected argument is named once, its quotes balanced', () => {
    expect(parseFailure(['--bogus'])).toEqual({ line: 'unknown option --bogus (see --help)', exitCode: 2 });
    expect(parseFailure(['--bogus'], false)).toEqual({ line: 'unknown option --bogus (see --help)', exitCode: 2 });
    expect(parseFailure(["--it's"])).toEqual({ line: "unknown option --it's (see --help)", exitCode: 2 });
    expect(parseFailure(['stray'], false)).toEqual({ line: 'unexpected argument "stray" (see --help)', exitCode: 2 });
    expect(parseFailure([`x\n${'y'.repeat(200)}`], false).line).toMatch(/^unexpected argument "x y{75}\.\.\." \(see --help\)$/);
  });
});

describe('an AWS call that failed is named in its line', () => {
  /** An SDK error, noted as the CLI's clients note it (cli/aws-clients.ts). */
  const sdkError = (call: string, name: string, message: string, extra: Record<string, unknown> = {}) => {
    const error = Object.assign(new Error(message), { name, ...extra });
    noteFailedCall(error, call);
    return error;
  };

  it('a service error: the call, the code and what the service said', () => {
    expect(describeFailure(sdkError('ecs:DescribeServices', 'ThrottlingException', 'Rate exceeded'))).toEqual({
      line: 'ecs:DescribeServices failed: ThrottlingException: Rate exceeded',
      exitCode: 1,
    });
    expect(describeFailure(sdkError('events:PutEvents', 'AccessDeniedException', 'not allowed')).line).toBe(
      "events:PutEvents failed: AccessDeniedException: not allowed: the caller's role lacks this permission (docs/deploy.md lists what the CLI needs)",
    );
  });

  it('AWS out of reach: the call and what to check, also when an adapter wrapped the error', () => {
    const refused = () => sdkError('dynamodb:Query', 'Error', 'connect ECONNREFUSED 127.0.0.1:9', { code: 'ECONNREFUSED' });
    const line = 'dynamodb:Query failed: connect ECONNREFUSED 127.0.0.1:9: check the region, credentials and network';
    expect(describeFailure(refused())).toEqual({ line, exitCode: 1 });
    const wrapped = new TransientAwsError(
      "dynamodb:Query failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9 (after the SDK's retries; the event will be retried)",
      { cause: refused() },
    );
    expect(describeFailure(wrapped)).toEqual({ line, exitCode: 1 });
  });
});
