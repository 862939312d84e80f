// The core's imports: everything it needs from whoever runs it.
//
// Kept host-neutral on purpose (Node, browsers, Deno/Bun and WASI hosts all
// provide these in a few lines): the core never opens or maps a file itself; it
// asks the host to copy bytes into linear memory.
//
// Two builds share this file. The JS build (asconfig.json) imports
// host.readAt/host.progress. The WASI command (asconfig.wasi.json, where the
// wasi-shim defines ASC_WASI) serves the same calls inside the module with
// positioned reads on a WASI file descriptor, so that build imports nothing but
// wasi_snapshot_preview1. `isDefined` is decided at compile time: the branch not
// taken is never compiled, and its import never appears in the binary.
import { wasiReadAt } from "./wasi/io";

// @ts-ignore: decorator
@external("host", "readAt")
declare function hostReadAt(source: u32, offset: u64, dst: usize, len: u32): u32;

// @ts-ignore: decorator
@external("host", "progress")
declare function hostProgress(kind: u32, done: u32, total: u32): void;

/**
 * Copies up to `len` bytes of source `source`, starting at byte `offset`, to
 * `dst` in linear memory. Returns the number of bytes copied (less than `len`
 * only at the end of the source). In the WASI build `source` is a file
 * descriptor the command opened.
 */
// @ts-ignore: decorator
@inline
export function readAt(source: u32, offset: u64, dst: usize, len: u32): u32 {
  if (isDefined(ASC_WASI)) {
    return wasiReadAt(source, offset, dst, len);
  } else {
    return hostReadAt(source, offset, dst, len);
  }
}

/** Reports progress of a long-running phase (kind is one of PROGRESS_*). */
// @ts-ignore: decorator
@inline
export function progress(kind: u32, done: u32, total: u32): void {
  // A WASI command has no listener; like `git index-pack` writing to a pipe, it stays quiet.
  if (!isDefined(ASC_WASI)) hostProgress(kind, done, total);
}

export const PROGRESS_INDEXING: u32 = 1;  // pass 1: objects parsed
export const PROGRESS_RESOLVING: u32 = 2; // pass 2: deltas resolved
