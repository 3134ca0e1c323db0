import type { BuildOptions } from "esbuild";

export const NODE_BUNDLE: BuildOptions;
export const CLI_BUNDLE: BuildOptions & { write: false };
