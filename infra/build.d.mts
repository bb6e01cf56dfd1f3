// Types of infra/build.mjs for the TypeScript tests.
export interface BuiltEntry {
  entryPoint: string;
  outfile: string;
  /** What the bundle exports (from esbuild's metafile). */
  exports: string[];
}
export declare function buildAll(options?: {
  root?: string;
  outDir?: string;
  strict?: boolean;
  log?: (line: string) => void;
}): Promise<BuiltEntry[]>;
