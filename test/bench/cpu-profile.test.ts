import { describe, expect, it } from 'vitest';
import { type CpuProfile, importParts } from '../../bench/lib/cpu-profile.js';

const BUNDLE = 'file:///work/bench/.work/dist/watch/index.mjs';

/** A profile whose nodes are (functionName, url) and whose samples hit them with the given µs deltas. */
function profile(frames: [string, string][], samples: [node: number, us: number][]): CpuProfile {
  return {
    nodes: frames.map(([functionName, url], id) => ({ id, callFrame: { functionName, url } })),
    samples: samples.map(([node]) => node),
    timeDeltas: samples.map(([, us]) => us),
  };
}

describe('importParts', () => {
  it("splits self time into compiling the module, the bundle's code, GC and the rest", () => {
    const p = profile(
      [
        ['(root)', ''],
        ['compileSourceTextModule', 'node:internal/modules/esm/utils'],
        ['', BUNDLE],
        ['parse', BUNDLE],
        ['(garbage collector)', ''],
        ['loadESM', 'node:internal/process/esm_loader'],
        ['other', 'file:///elsewhere/index.mjs'],
      ],
      [
        [1, 2000],
        [2, 500],
        [3, 250],
        [1, 1000],
        [4, 300],
        [5, 700],
        [6, 100],
        [0, 50],
      ],
    );
    expect(importParts(p, BUNDLE)).toEqual({ compile: 3, run: 0.75, gc: 0.3, rest: 0.85 });
  });

  it('says so when the profile has no module compilation to attribute', () => {
    const p = profile([['', BUNDLE]], [[0, 100]]);
    expect(() => importParts(p, BUNDLE)).toThrow(/compileSourceTextModule/);
  });
});
