/**
 * The handler of the parser floors (bench/floor/launch-parser.ts, watch-parser.ts): that handler's floor, calling
 * first the event parser it is given, so the parser stays in the bundle (called in the handler, never at import,
 * as the real handlers call theirs). Each entry passes only its own function's parser and floor, so esbuild leaves
 * the other function's event schemas and dependencies out, as it does for the handler bundles.
 */
import type { Input } from '../../src/core/inputs.js';
import type { ParseOptions } from '../../src/core/parse-event.js';

/** What the parser is called with: the options a handler passes (EVENT_SOURCE, REGISTRY), without a redactor. */
const OPTIONS: ParseOptions = { requestSource: 'ecs-migrate', registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' };

/** `floor`, parsing the event with `parse` first. */
export function floorParsingWith<R>(
  parse: (untrusted: unknown, options: ParseOptions) => Input,
  floor: (event: unknown) => Promise<R>,
): (event: unknown) => Promise<R> {
  return (event) => {
    parse(event, OPTIONS);
    return floor(event);
  };
}
