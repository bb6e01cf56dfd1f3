// Types of infra/esbuild-settings.mjs for the TypeScript tests.
import type { BuildOptions } from 'esbuild';

export declare const ESM_REQUIRE_BANNER: string;
export declare const lambdaOptions: Readonly<BuildOptions>;
export declare const lambdaFunctions: readonly { logicalId: string; entryPoint: string; outfile: string }[];
export declare const cliBuild: Readonly<{ entryPoint: string; outfile: string; options: Readonly<BuildOptions> }>;

/** Metadata.BuildProperties of a function in template.yaml, as SAM's esbuild builder spells them. */
export interface SamBuildProperties {
  Format: string;
  OutExtension: string[];
  Target: string;
  Minify: boolean;
  Sourcemap: boolean;
  MainFields: string;
  Banner: string[];
  EntryPoints: string[];
}
export declare function samBuildProperties(entryPoint: string): SamBuildProperties;
