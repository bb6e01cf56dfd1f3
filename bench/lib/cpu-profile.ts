/**
 * Where an import's CPU time goes, from the V8 CPU profile `node --cpu-prof` writes: the cold-init section
 * profiles a few imports of each bundle (apart from the timed ones, since sampling slows them) to say how much
 * of a handler's difference from the floor is compiling its module and how much is running its code.
 */

/** The fields of a `.cpuprofile` this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  /** Microseconds since the previous sample, one per sample. */
  timeDeltas: number[];
}

/** Milliseconds of self time per part of the process. */
export interface ImportParts {
  /** V8 compiling the bundle's module: the self time of Node's `compileSourceTextModule`. */
  compile: number;
  /** The bundle's own functions (its module body, and the functions it calls at import, compiled on first call). */
  run: number;
  gc: number;
  /** Node.js itself (bootstrap, the module loader) and time V8 does not attribute. */
  rest: number;
}
export type ImportPart = keyof ImportParts;
export const IMPORT_PARTS: readonly ImportPart[] = ['compile', 'run', 'gc', 'rest'];

/** Node's function that hands an ES module's source to V8; its self time is the compilation (Node 20 and 22). */
const COMPILE_FRAME = 'compileSourceTextModule';

/** Splits a profile's sampled time into `ImportParts`; `bundleUrl` is the imported bundle's file URL. */
export function importParts(profile: CpuProfile, bundleUrl: string): ImportParts {
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const parts: ImportParts = { compile: 0, run: 0, gc: 0, rest: 0 };
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    const { functionName, url } = node.callFrame;
    const part: ImportPart =
      functionName === COMPILE_FRAME ? 'compile' : url === bundleUrl ? 'run' : functionName === '(garbage collector)' ? 'gc' : 'rest';
    parts[part] += us / 1000;
  }
  if (parts.compile === 0) throw new Error(`no ${COMPILE_FRAME} in the profile: this Node.js names its module compilation differently`);
  return parts;
}
