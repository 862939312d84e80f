// wasmgit as a library: the typed API that the CLI is a thin layer over.
export { VERSION } from './version.ts';
export { loadCore, CoreError } from './core/index.ts';
