// Entry of the WASI command, build/wasmgit-wasi.wasm (asconfig.wasi.json).
//
// The same core as build/wasmgit.wasm, compiled with @assemblyscript/wasi-shim
// into a `_start` command that any WASI preview1 runtime can run:
//
//   index-pack [-o <idx>] <pack>     write the pack's .idx (byte-identical to git's)
//   verify-pack [-v] <idx|pack>...   check a pack against its .idx
//
// Exit codes follow git: 0 success, 1 a verification found a problem, 128 fatal
// error, 129 usage error. Top-level code of the entry runs as `_start`.
import { main } from "./wasi/command";

let status = main(process.argv);
if (status != 0) process.exit(status);
