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
import { stdoutFailure, writeString, errnoText, ERRNO_PIPE } from "./wasi/io";

let status = main(process.argv);
// As git: output that did not all reach standard output is a failure; a reader
// that went away (EPIPE, `| head`) ends the command quietly with 141, the status
// git's check_pipe() gives when SIGPIPE cannot kill it (WASI has no signals).
if (stdoutFailure == ERRNO_PIPE) status = 141;
else if (stdoutFailure != 0) {
  writeString(2, "fatal: write failure on standard output: " + errnoText(stdoutFailure) + "\n");
  if (status == 0) status = 128;
}
if (status != 0) process.exit(status);
