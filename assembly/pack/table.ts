// The entry table: one row per pack entry, stored as parallel arrays (struct of
// arrays) in one block of linear memory, indexed by the entry's number in pack
// order. Rows are 58 bytes; a worker receives the whole block as one copy.
//
//   offsets  u64[n+1]  pack offset of each entry; offsets[n] = offset of the trailer,
//                      so an entry's bytes in the pack are offsets[i]..offsets[i+1]
//   sizes    u64[n]    size from the entry header (a delta's size is its delta data's)
//   results  u64[n]    object size (a delta's: the result size its delta header declares)
//   crcs     u32[n]    CRC-32 of the entry's raw bytes (header + zlib stream)
//   bases    u32[n]    delta base's entry number; NO_ENTRY for non-deltas and, until
//                      resolved, for REF_DELTA entries
//   depths   u32[n]    delta chain length (0 for non-deltas), set by resolution
//   ids      20*n      object id; for a REF_DELTA, until the table is prepared for
//                      resolution, the id of its base
//   types    u8[n]     entry type as stored (1-4, 6 = OFS_DELTA, 7 = REF_DELTA)
//   kinds    u8[n]     object type (1-4); 0 while a delta is unresolved

import { E_OUT_OF_MEMORY, fail } from "../error";

export const NO_ENTRY: u32 = 0xffffffff;
export const ROW_BYTES: u64 = 58;

export let count: u32 = 0;
export let block: usize = 0;
export let blockLen: usize = 0;
export let offsets: usize = 0;
export let sizes: usize = 0;
export let results: usize = 0;
export let crcs: usize = 0;
export let bases: usize = 0;
export let depths: usize = 0;
export let ids: usize = 0;
export let types: usize = 0;
export let kinds: usize = 0;

/** Largest single allocation the stub runtime accepts (its BLOCK_MAXSIZE, minus headroom). */
const ALLOC_MAX: u64 = (1 << 30) - 64;

/**
 * Allocates `size` bytes, or returns 0 when linear memory cannot grow enough.
 * The stub runtime traps when memory.grow fails; growing first here turns that
 * into an error the caller can report.
 */
export function tryAlloc(size: u64): usize {
  if (size > ALLOC_MAX) return 0;
  let probe = heap.alloc(16);
  heap.free(probe);
  let end = <u64>probe + size + 64;
  let have = <u64>memory.size() << 16;
  if (end > have) {
    if (end > (<u64>1 << 32)) return 0;
    let pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  return heap.alloc(<usize>size);
}

/** Rows the current block has room for: less than `count` while a pack is still arriving. */
export let capacity: u32 = 0;

/**
 * Lays out a table for `n` rows with room for `room` of them at first (n when
 * omitted); growTable() makes more as entries arrive. A header's object count
 * is only a claim: a 12-byte pack may declare four billion objects, so memory
 * is committed for the entries actually received, not for the claim.
 * Returns false (error set) when it cannot.
 */
export function allocTable(n: u32, room: u32 = U32.MAX_VALUE): bool {
  let m = min(n, room);
  let len = <u64>m * ROW_BYTES + 8;
  let p = tryAlloc(len);
  if (p == 0) {
    fail(E_OUT_OF_MEMORY, "the entry table for " + m.toString() + " objects (" + len.toString() + " bytes) does not fit in memory");
    return false;
  }
  layout(p, m);
  count = n;
  memory.fill(p, 0, <usize>len);
  memory.fill(bases, 0xff, <usize>m << 2);
  return true;
}

/**
 * Makes room for rows 0..rows-1 (rows <= count): doubles the block, at most to
 * `count` rows (all of them once an eighth have arrived), so that a complete table has exactly the layout of count rows
 * (the one workers receive). Returns false (error set) when it cannot.
 */
export function growTable(rows: u32): bool {
  if (rows <= capacity) return true;
  let m = min(count, max(rows, capacity <= U32.MAX_VALUE >> 1 ? capacity << 1 : U32.MAX_VALUE));
  // Every block left behind stays resident (the stub runtime never reuses
  // it): doubling all the way to the count costs about a second table. Once an
  // eighth of the claimed rows has arrived, the claim is taken at its word, so
  // the table never holds more than 8 times the rows received.
  if (<u64>rows << 3 >= <u64>count) m = count;
  return moveTable(m, capacity);
}

/**
 * Moves the table into a block laid out for `rows` rows (rows >= count), keeping
 * count: room for rows appended after pass 1 (a thin pack's bases), or, with
 * rows = count, back to the exact layout of count rows that the host reads.
 * Returns false (error set) when it cannot.
 */
export function relayout(rows: u32): bool {
  return moveTable(rows, count);
}

/**
 * Copies the first `keep` rows into a new block laid out for `rows` rows,
 * keeping count; the rest of the new block is empty (bases NO_ENTRY).
 */
function moveTable(rows: u32, keep: u32): bool {
  let n = count;
  let k = <usize>keep;
  let len = <u64>rows * ROW_BYTES + 8;
  let p = tryAlloc(len);
  if (p == 0) {
    fail(E_OUT_OF_MEMORY, "the entry table for " + rows.toString() + " objects (" + len.toString() + " bytes) does not fit in memory");
    return false;
  }
  memory.fill(p, 0, <usize>len);
  let o = offsets, sz = sizes, rs = results, cr = crcs, bs = bases, dp = depths, id = ids, ty = types, kd = kinds;
  layout(p, rows);
  count = n;
  memory.copy(offsets, o, (k + 1) << 3);
  memory.copy(sizes, sz, k << 3);
  memory.copy(results, rs, k << 3);
  memory.copy(crcs, cr, k << 2);
  memory.copy(bases, bs, k << 2);
  memory.fill(bases + (k << 2), 0xff, (<usize>rows - k) << 2);
  memory.copy(depths, dp, k << 2);
  memory.copy(ids, id, k * 20);
  memory.copy(types, ty, k);
  memory.copy(kinds, kd, k);
  return true;
}

/** Counts row `count` in (it must lie within capacity). */
export function addRow(): void {
  count++;
}

/** Points the arrays into a block of `n` rows at `p` (also used for a copy received by a worker). */
export function layout(p: usize, n: u32): void {
  let m = <usize>n;
  count = n;
  capacity = n;
  block = p;
  blockLen = <usize>(<u64>n * ROW_BYTES + 8);
  offsets = p;
  sizes = offsets + ((m + 1) << 3);
  results = sizes + (m << 3);
  crcs = results + (m << 3);
  bases = crcs + (m << 2);
  depths = bases + (m << 2);
  ids = depths + (m << 2);
  types = ids + m * 20;
  kinds = types + m;
}

// @ts-ignore: decorator
@inline export function offsetOf(i: u32): u64 { return load<u64>(offsets + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline export function setOffset(i: u32, v: u64): void { store<u64>(offsets + (<usize>i << 3), v); }
// @ts-ignore: decorator
@inline export function sizeOf(i: u32): u64 { return load<u64>(sizes + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline export function setSize(i: u32, v: u64): void { store<u64>(sizes + (<usize>i << 3), v); }
// @ts-ignore: decorator
@inline export function resultOf(i: u32): u64 { return load<u64>(results + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline export function setResult(i: u32, v: u64): void { store<u64>(results + (<usize>i << 3), v); }
// @ts-ignore: decorator
@inline export function crcOf(i: u32): u32 { return load<u32>(crcs + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline export function setCrc(i: u32, v: u32): void { store<u32>(crcs + (<usize>i << 2), v); }
// @ts-ignore: decorator
@inline export function baseOf(i: u32): u32 { return load<u32>(bases + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline export function setBase(i: u32, v: u32): void { store<u32>(bases + (<usize>i << 2), v); }
// @ts-ignore: decorator
@inline export function depthOf(i: u32): u32 { return load<u32>(depths + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline export function setDepth(i: u32, v: u32): void { store<u32>(depths + (<usize>i << 2), v); }
// @ts-ignore: decorator
@inline export function idOf(i: u32): usize { return ids + <usize>i * 20; }
// @ts-ignore: decorator
@inline export function typeOf(i: u32): u8 { return load<u8>(types + <usize>i); }
// @ts-ignore: decorator
@inline export function setType(i: u32, v: u8): void { store<u8>(types + <usize>i, v); }
// @ts-ignore: decorator
@inline export function kindOf(i: u32): u8 { return load<u8>(kinds + <usize>i); }
// @ts-ignore: decorator
@inline export function setKind(i: u32, v: u8): void { store<u8>(kinds + <usize>i, v); }

/**
 * Finds the entry starting exactly at pack offset `off` among entries 0..<limit
 * (offsets increase with the entry number). Returns NO_ENTRY when none does.
 */
export function entryAt(off: u64, limit: u32): u32 {
  let lo: u32 = 0;
  let hi = limit;
  while (lo < hi) {
    let mid = (lo + hi) >>> 1;
    let v = offsetOf(mid);
    if (v < off) lo = mid + 1;
    else if (v > off) hi = mid;
    else return mid;
  }
  return NO_ENTRY;
}

/** Compares two 20-byte ids as unsigned big-endian numbers: <0, 0, >0. */
// @ts-ignore: decorator
@inline
export function compareId(a: usize, b: usize): i32 {
  let x = bswap<u64>(load<u64>(a));
  let y = bswap<u64>(load<u64>(b));
  if (x != y) return x < y ? -1 : 1;
  x = bswap<u64>(load<u64>(a, 8));
  y = bswap<u64>(load<u64>(b, 8));
  if (x != y) return x < y ? -1 : 1;
  let u = bswap<u32>(load<u32>(a, 16));
  let v = bswap<u32>(load<u32>(b, 16));
  if (u != v) return u < v ? -1 : 1;
  return 0;
}

/**
 * Sorts `n` entry numbers at `a` by the id in their id slot (unsigned, stable),
 * using `tmp` (room for n u32s): merge sort over insertion-sorted runs of 16,
 * so no input order makes it quadratic.
 */
export function sortById(a: usize, n: u32, tmp: usize): void {
  mergeSort(a, tmp, 0, n);
}

function mergeSort(a: usize, tmp: usize, lo: u32, hi: u32): void {
  if (hi - lo <= 16) {
    for (let i = lo + 1; i < hi; i++) {
      let v = load<u32>(a + (<usize>i << 2));
      let vid = idOf(v);
      let j = i;
      while (j > lo) {
        let u = load<u32>(a + (<usize>(j - 1) << 2));
        if (compareId(idOf(u), vid) <= 0) break;
        store<u32>(a + (<usize>j << 2), u);
        j--;
      }
      store<u32>(a + (<usize>j << 2), v);
    }
    return;
  }
  let mid = lo + ((hi - lo) >>> 1);
  mergeSort(a, tmp, lo, mid);
  mergeSort(a, tmp, mid, hi);
  if (compareId(idOf(load<u32>(a + (<usize>(mid - 1) << 2))), idOf(load<u32>(a + (<usize>mid << 2)))) <= 0) return;
  let i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    let x = load<u32>(a + (<usize>i << 2));
    let y = load<u32>(a + (<usize>j << 2));
    if (compareId(idOf(y), idOf(x)) < 0) { store<u32>(tmp + (<usize>k << 2), y); j++; }
    else { store<u32>(tmp + (<usize>k << 2), x); i++; }
    k++;
  }
  for (; i < mid; i++, k++) store<u32>(tmp + (<usize>k << 2), load<u32>(a + (<usize>i << 2)));
  for (; j < hi; j++, k++) store<u32>(tmp + (<usize>k << 2), load<u32>(a + (<usize>j << 2)));
  memory.copy(a + (<usize>lo << 2), tmp + (<usize>lo << 2), <usize>(hi - lo) << 2);
}

const HEX = "0123456789abcdef";

/** An id in hex, for error messages. */
export function idHex(p: usize): string {
  let s = "";
  for (let i: usize = 0; i < 20; i++) {
    let b = <i32>load<u8>(p + i);
    s += HEX.charAt(b >> 4) + HEX.charAt(b & 15);
  }
  return s;
}
