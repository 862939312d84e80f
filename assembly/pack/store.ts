// The delta store: inflated delta data kept from pass 1 for pass 2.
//
// Pass 1 must inflate every delta anyway (to find where its entry ends and check
// its size). Most deltas are tiny (tens of bytes in a typical pack), so reading
// each again from the pack in pass 2 and inflating it a second time costs a
// host call, a system call and an inflater setup per delta for almost no data.
// Keeping the small ones (each <= STORE_ENTRY_MAX, all within a budget) skips
// all of that; larger or later deltas are read again from the pack as before.
//
// Layout: `stored` is u32[n], the address of entry i's delta data, or 0. Data
// lives in chunks of linear memory allocated as pass 1 goes.
//
// A worker instance has no pass 1: with each batch of roots, the host hands it
// the stored deltas of those roots' trees as records
//   entry u32, length u32, data (length bytes), padding to 4
// gathered by resolve.ts (storeGather, which knows the trees) with
// storeAppend, and installed there with storeLoad / storeUnload.

import { E_INVALID_ARG, fail } from "../error";
import { count, sizeOf, tryAlloc } from "./table";

/** Deltas larger than this are read again in pass 2: their inflate cost is in the data, not the setup. */
export const STORE_ENTRY_MAX: u64 = 16 << 10;
// 16 MiB: on a 100k-object pack of larger deltas, 64 MiB made pass 2 ~10%
// faster than 16 MiB (700 vs 780 ms) but raised peak memory by ~20 MiB; on a
// 212k-object pack of tiny deltas both limits gave the same time, the store
// never reaching 16 MiB. Indexing is well ahead of git in time and behind it
// in memory, so the budget favours memory.
export const DEFAULT_STORE_LIMIT: u64 = 16 << 20;
const CHUNK: usize = 1 << 20;

let stored: usize = 0;
let storedCap: u32 = 0; // rows `stored` has room for (it grows with the table while a pack streams in)
let limit: u64 = DEFAULT_STORE_LIMIT;
let used: u64 = 0;
let chunk: usize = 0;
let chunkEnd: usize = 0;
// The longest run of chunks lying back to back in memory (in a file's pass 1,
// all of them): once the store is released, the .idx is built there rather
// than in fresh memory (spareAlloc).
let runStart: usize = 0;
let runEnd: usize = 0;
let bestStart: usize = 0;
let bestEnd: usize = 0;
let spareAt: usize = 0;
let spareEnd: usize = 0;

/**
 * Sets up an empty store for the current table; `lim` bytes at most (0 = none
 * kept), with room for `room` rows at first (more as entries arrive: a streamed
 * pack's object count is only a claim).
 */
export function storeInit(lim: u64, room: u32 = U32.MAX_VALUE): bool {
  let m = max(min(count, room), 1);
  stored = tryAlloc(<u64>m << 2);
  if (stored == 0) return false;
  memory.fill(stored, 0, <usize>m << 2);
  storedCap = m;
  limit = lim;
  used = 0;
  chunk = chunkEnd = 0;
  runStart = runEnd = bestStart = bestEnd = 0;
  spareAt = spareEnd = 0;
  return true;
}

/** Makes room in `stored` for rows 0..rows-1 (doubling, at most `count`; all of it once an eighth has arrived). */
function storeRows(rows: u32): bool {
  if (rows <= storedCap) return true;
  let m = min(max(count, 1), max(rows, storedCap <= U32.MAX_VALUE >> 1 ? storedCap << 1 : U32.MAX_VALUE));
  if (<u64>rows << 3 >= <u64>count) m = max(count, 1); // as the table does (growTable in table.ts)
  let p = tryAlloc(<u64>m << 2);
  if (p == 0) return false;
  memory.copy(p, stored, <usize>storedCap << 2);
  memory.fill(p + (<usize>storedCap << 2), 0, <usize>(m - storedCap) << 2);
  stored = p;
  storedCap = m;
  return true;
}

/** Where entry i's delta data (`size` bytes) should be inflated to, or 0 to leave it out. */
export function storeReserve(i: u32, size: u64): usize {
  if (size > STORE_ENTRY_MAX || used + size > limit) return 0;
  if (!storeRows(i + 1)) return 0;
  let n = <usize>size;
  if (chunkEnd - chunk < n) {
    chunk = tryAlloc(<u64>CHUNK);
    if (chunk == 0) {
      limit = used; // memory is short: keep no more
      chunkEnd = 0;
      return 0;
    }
    chunkEnd = chunk + CHUNK;
    // Back to back but for the allocator's block header and alignment.
    if (runEnd != 0 && chunk >= runEnd && chunk - runEnd <= 64) runEnd = chunkEnd;
    else {
      runStart = chunk;
      runEnd = chunkEnd;
    }
    if (runEnd - runStart > bestEnd - bestStart) {
      bestStart = runStart;
      bestEnd = runEnd;
    }
  }
  let p = chunk;
  chunk += n;
  used += size;
  store<u32>(stored + (<usize>i << 2), <u32>p);
  return p;
}

/** Forgets entry i's data (its inflation failed half way). */
export function storeDrop(i: u32): void {
  if (stored != 0 && i < storedCap) store<u32>(stored + (<usize>i << 2), 0);
}

// @ts-ignore: decorator
@inline
export function storedAt(i: u32): usize {
  return stored == 0 || i >= storedCap ? 0 : <usize>load<u32>(stored + (<usize>i << 2));
}

/** Makes sure a store exists: a worker's (no pass 1) starts empty until storeLoad. */
export function storeReady(): bool {
  return stored != 0 || storeInit(0);
}

let gather: usize = 0;
let gatherCap: usize = 0;
let gatherLen: usize = 0;

/** Starts a new set of records (see storeGather in resolve.ts). */
export function storeGatherBegin(): void {
  gatherLen = 0;
}

export function storeGatherLen(): usize { return gatherLen; }

/** Appends entry e's stored delta, if any, to the records. False when out of memory. */
export function storeAppend(e: u32): bool {
  let p = storedAt(e);
  if (p == 0) return true;
  let len = <usize>sizeOf(e);
  let need = gatherLen + 8 + ((len + 3) & ~3);
  if (need > gatherCap) {
    let cap = max(need, gatherCap << 1);
    let q = tryAlloc(<u64>cap);
    if (q == 0) return false;
    if (gatherLen != 0) memory.copy(q, gather, gatherLen);
    gather = q;
    gatherCap = cap;
  }
  let r = gather + gatherLen;
  store<u32>(r, e);
  store<u32>(r, <u32>len, 4);
  memory.copy(r + 8, p, len);
  gatherLen = need;
  return true;
}

export function storeGatherPtr(): usize { return gather; }

/** Installs records (at `p`, `len` bytes) gathered by another instance. */
export function storeLoad(p: usize, len: usize): i32 {
  if (!storeReady() || !storeRows(count)) return fail(E_INVALID_ARG, "no memory for the delta store");
  let end = p + len;
  while (p < end) {
    let e = load<u32>(p);
    let n = <usize>load<u32>(p, 4);
    if (e >= count || <u64>n != sizeOf(e) || p + 8 + n > end) return fail(E_INVALID_ARG, "bad delta store record for entry " + e.toString());
    store<u32>(stored + (<usize>e << 2), <u32>(p + 8));
    p += 8 + ((n + 3) & ~3);
  }
  return 0;
}

/** Forgets the records installed by storeLoad(p, len) (the host then frees p). */
export function storeUnload(p: usize, len: usize): void {
  let end = p + len;
  while (p < end) {
    let e = load<u32>(p);
    let n = <usize>load<u32>(p, 4);
    if (e < storedCap) store<u32>(stored + (<usize>e << 2), 0);
    p += 8 + ((n + 3) & ~3);
  }
}

/**
 * Ends the store's life (pass 2 and the completion of a thin pack are over):
 * every delta is read from the pack again from now on, and the memory of its
 * longest run of chunks serves spareAlloc().
 */
export function storeRelease(): void {
  stored = 0;
  storedCap = 0;
  limit = 0;
  chunk = chunkEnd = 0;
  spareAt = bestStart;
  spareEnd = bestEnd;
  bestStart = bestEnd = runStart = runEnd = 0;
}

/** `size` bytes (16-byte aligned) from the released store's memory when they fit there, else from tryAlloc. */
export function spareAlloc(size: u64): usize {
  let p = (spareAt + 15) & ~(<usize>15);
  if (spareAt != 0 && <u64>p + size <= <u64>spareEnd) {
    spareAt = p + <usize>size;
    return p;
  }
  return tryAlloc(size);
}
