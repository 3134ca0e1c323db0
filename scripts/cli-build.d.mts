import type { BuildOptions } from "esbuild";

export const CLI_BUNDLE: BuildOptions & { write: false };
