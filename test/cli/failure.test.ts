import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../cli/failure.js';

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
