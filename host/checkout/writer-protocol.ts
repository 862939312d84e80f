// What the main thread and the writer thread of a checkout (writer.ts,
// write-worker.ts) share and send each other.
//
// Everything bulky is in shared memory, so messages are a few numbers: the
// stat data of every entry (STAT_WORDS each, written by the thread at the
// entry's place), a few slots, each holding one batch's operations and
// bytes, and a counter of the batches done. A slot is reused once its batch
// is done.
//
// The shared memory travels as SharedArrayBuffers, each side making its own
// typed-array views: Deno's node:worker_threads serializes a view of one
// element by element (measured: ~100 ms per MiB, so ~0.4 s for the slots
// alone), a buffer at once, as Node and Bun do either.

/** Operation kinds: a regular file (0666 before the umask), an executable one (0777), a symbolic link. */
export const FILE = 1;
export const EXEC = 2;
export const LINK = 3;
/** Words per operation in a slot: kind, entry number, path offset, path length, data offset, data length (offsets into the slot's bytes). */
export const OP_WORDS = 6;
/** Words of stat data per entry: ctime s/ns, mtime s/ns, dev, ino, uid, gid, size (each truncated to 32 bits, as the index keeps them). */
export const STAT_WORDS = 9;

export interface WriterInit {
  /** The work tree, as WorkTree has it. */
  root: string;
  /** Each slot's operations (32-bit words) and bytes. */
  slots: { ops: SharedArrayBuffer; bytes: SharedArrayBuffer }[];
  /** Shared counters (32-bit): [DONE] batches written so far, [WANT] the count at which to send a 'done' message. */
  ctrl: SharedArrayBuffer;
}

/** Indexes in WriterInit.ctrl. The thread answers a batch only when the main thread waits for it (a message costs the thread more than a millisecond). */
export const DONE = 0;
export const WANT = 1;

/** Main thread to writer, before the first batch (the number of entries is known only after the tree walk). */
export interface Start {
  /** STAT_WORDS 32-bit words per entry. */
  stats: SharedArrayBuffer;
}

/** Main thread to writer: write the `count` operations in slot `slot` (whose bytes are `bytes` instead, for a file larger than a slot). */
export interface Batch {
  id: number;
  slot: number;
  count: number;
  bytes?: SharedArrayBuffer;
}

export type WriterReply =
  | { type: 'done'; batch: number }
  | {
      type: 'error';
      batch: number;
      /** The failing operation's place in its batch. */
      at: number;
      /** The call that failed: open, write, symlink or lstat. */
      step: string;
      message: string;
      code?: string;
      errno?: number;
      syscall?: string;
      path?: string;
    };

const u32 = (v: bigint) => Number(BigInt.asUintN(32, v));

/** Puts the stat data git keeps of `st` at out[at ... at+9], in STAT_WORDS order. */
export function putStat(out: Uint32Array, at: number, st: import('node:fs').BigIntStats): void {
  out[at] = u32(st.ctimeNs / 1000000000n);
  out[at + 1] = u32(st.ctimeNs % 1000000000n);
  out[at + 2] = u32(st.mtimeNs / 1000000000n);
  out[at + 3] = u32(st.mtimeNs % 1000000000n);
  out[at + 4] = u32(st.dev);
  out[at + 5] = u32(st.ino);
  out[at + 6] = u32(st.uid);
  out[at + 7] = u32(st.gid);
  out[at + 8] = u32(st.size);
}
