// wasmgit/core: the wasm core with a typed API, usable without the CLI.
export { loadCore, compileCore, Core, CoreError } from './instance.ts';
export type { Source, ProgressFn, LoadOptions, CoreExports } from './instance.ts';
export type { WasmInput } from './wasm-file.ts';
export { inflate, Inflater } from './inflate.ts';
export type { InflateOptions, InflateResult, PushResult } from './inflate.ts';
export { sha1, sha256, crc32, Sha1, Sha256 } from './hash.ts';
export type { Sha1Result, Sha1Options } from './hash.ts';
export { PackCore } from './pack.ts';
export type { EntryTable } from './pack.ts';
export { ObjectStore, MissingObjectError } from './objects.ts';
export type { PackHandle, ObjectType } from './objects.ts';
