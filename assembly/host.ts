// The core's imports: everything it needs from whoever runs it.
//
// Kept host-neutral on purpose (Node, browsers, Deno/Bun and WASI hosts all
// provide these in a few lines): the core never opens or maps a file itself; it
// asks the host to copy bytes into linear memory.

/**
 * Copies up to `len` bytes of source `source`, starting at byte `offset`, to
 * `dst` in linear memory. Returns the number of bytes copied (less than `len`
 * only at the end of the source).
 */
@external("host", "readAt")
export declare function readAt(source: u32, offset: u64, dst: usize, len: u32): u32;

/** Reports progress of a long-running phase (kind is one of PROGRESS_*). */
@external("host", "progress")
export declare function progress(kind: u32, done: u32, total: u32): void;

export const PROGRESS_INDEXING: u32 = 1;  // pass 1: objects parsed
export const PROGRESS_RESOLVING: u32 = 2; // pass 2: deltas resolved
