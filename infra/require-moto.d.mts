// Types of infra/require-moto.mjs for the TypeScript test support.
export declare const MOTO_COMMAND: string;
export declare const MOTO_INSTALL_HINT: string;
export declare function findOnPath(command?: string, path?: string): string | undefined;
