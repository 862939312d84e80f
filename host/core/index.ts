// wasmgit/core: the wasm core with a typed API, usable without the CLI.
export { loadCore, compileCore, Core, CoreError } from './instance.ts';
export type { Source, ProgressFn, LoadOptions, CoreExports } from './instance.ts';
export type { WasmInput } from './wasm-file.ts';
