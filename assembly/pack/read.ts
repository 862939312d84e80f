// Reading objects by id from packs and their .idx files.
//
// The host copies each .idx into linear memory (ordinary reads) and registers
// it with packAdd(); pack bytes are only ever copied in, a window at a time,
// through host.readAt — never mapped (shared maps fail with ENODEV on FUSE
// direct_io and virtiofs cache=never). objectRead() then:
//
//   1. finds the id: .idx v2 fan-out table, then binary search over the sorted
//      ids; offsets of 2 GiB and more sit in the 64-bit offset table
//      (Documentation/gitformat-pack.txt, "Version 2 pack-*.idx files"; a
//      version-1 .idx is copied into that layout when it is added);
//   2. walks the delta chain from the entry down to a base object, or to a
//      link already in the base cache (entry header: type and size varint;
//      OFS_DELTA: negative offset varint; REF_DELTA: the base's id);
//   3. inflates the base, then inflates and applies each delta on the way back
//      up (assembly/pack/delta.ts), caching every link it builds.
//
// Where each entry ends comes from the pack's offsets sorted once at packAdd()
// (git's "reverse index"), so a read copies exactly one entry, plus read-ahead
// when walking forward through the pack.
//
// The base cache is one ring of memory (objectCacheSize(), default 32 MiB) and
// a direct-mapped table of slots keyed by (pack, offset). A slot is valid while
// the ring has not wrapped over its bytes: with `head` the ring's logical write
// position (it only grows), an entry written at logical `start` is intact iff
// head <= start + ringSize. Eviction is thus FIFO and needs no bookkeeping,
// and a lookup is one slot compare. Objects up to a quarter of the ring are
// cached; git's own delta_base_cache works the same way with an LRU list.
//
// Ids are 20 bytes (SHA-1) or, after objectIdSize(32), 32 (SHA-256): the same
// for every registered pack, as in one repository (gitformat-pack: the .idx and
// the pack trailer use the repository's hash; hash-function-transition.txt).

import { E_INVALID_ARG, E_MISSING_BASE, E_OBJECT_TOO_LARGE, E_OUT_OF_MEMORY, E_PACK_FORMAT, E_READ, E_SIZE_MISMATCH, E_TRUNCATED, errorMessageLen, errorMessagePtr, fail, OK } from "../error";
import { readAt } from "../host";
import { inflateConsumed, inflateInit, inflateProduced, inflateStep } from "../inflate";
import { applyDelta, deltaBaseSize, deltaHeader, deltaResultSize } from "./delta";
import { tryAlloc } from "./table";

// inflateStep() results (contract of assembly/inflate.ts).
const INFLATE_DONE: i32 = 1;
const INFLATE_NEED_INPUT: i32 = 2;
const INFLATE_NEED_OUTPUT: i32 = 3;

const OBJ_COMMIT: i32 = 1;
const OBJ_TAG: i32 = 4;
const OBJ_OFS_DELTA: i32 = 6;
const OBJ_REF_DELTA: i32 = 7;

// Largest object held whole: keeps two objects and a delta inside wasm32's 4 GiB
// (and within the largest block the stub runtime hands out, tryAlloc's limit).
const ALLOC_LIMIT: u64 = (1 << 30) - 64;
const MAX_OBJECT: u64 = ALLOC_LIMIT;
// Deeper than any chain git writes (pack.depth is capped at 4095); only a
// REF_DELTA cycle in a corrupt pack gets here.
const MAX_CHAIN: i32 = 10000;

// ---- registered packs ------------------------------------------------------

// objectLocate() puts the pack number above bit 48 of a non-negative i64.
const MAX_PACKS: i32 = 1 << 15;
// Per pack: source u32 @0, count u32 @4, fanout @8, ids @12, off32 @16,
// off64 @20, off64 count @24, sorted offsets (u64) @28, pack size u64 @32.
// The table grows as packs are added (a repository may hold hundreds).
const PACK_REC: usize = 40;
let packTable: usize = 0;
let packCap: i32 = 0;
let packCount: i32 = 0;

/** Object id length in bytes: 20 (SHA-1) or 32 (SHA-256). */
let idLen: usize = 20;

@inline function packRec(p: i32): usize { return packTable + <usize>p * PACK_REC; }
@inline function packSource(p: i32): u32 { return load<u32>(packRec(p)); }
@inline function packObjects(p: i32): u32 { return load<u32>(packRec(p), 4); }
@inline function packSize(p: i32): u64 { return load<u64>(packRec(p), 32); }

// ---- the read window --------------------------------------------------------

const AHEAD: usize = 64 << 10;      // read-ahead on a window miss
const HEADER_AHEAD: usize = 4 << 10; // the same when only a header is wanted
const WINDOW_MAX: usize = 8 << 20;  // entries larger than this are streamed
// A pack no larger than this is read whole at its first miss. A checkout jumps
// between trees, blobs and delta bases all over the pack: with 64 KiB windows a
// 1.3 MiB pack of 20,000 files was read about 50 times over (64 MiB in 1,000
// reads). git maps the whole pack; this reads it once.
const WHOLE_PACK: u64 = 16 << 20;
// A few windows, the least recently used replaced on a miss. Walking history
// (a clone's repack for --dissociate, a checkout's trees) goes back and forth
// between packs and between far parts of one: with a single window, each
// switch between two small packs read a whole pack again.
const WINDOWS: i32 = 4;
// Per window: buffer @0, capacity @4, pack @8 (-1: none), length @12, start u64 @16, last use u64 @24.
const WIN: usize = 32;
const windows = memory.data(<i32>(WINDOWS * <i32>WIN));
let winClock: u64 = 0;
@inline function winRec(w: i32): usize { return windows + <usize>w * WIN; }

function forgetWindows(): void {
  for (let w = 0; w < WINDOWS; w++) {
    store<i32>(winRec(w), -1, 8);
    store<u32>(winRec(w), 0, 12);
  }
}
forgetWindows();

// ---- buffers for one read --------------------------------------------------

let bufA: usize = 0, capA: usize = 0;
let bufB: usize = 0, capB: usize = 0;
let deltaBuf: usize = 0, deltaCap: usize = 0;
// Chain links: pack u32 @0, type u32 @4, offset u64 @8, data offset u64 @16, size u64 @24.
const LINK: usize = 32;
let chain: usize = 0, chainCap: usize = 0;

let resultPtr: usize = 0;
let resultLen: usize = 0;
let resultCached = false; // the result is a base cache entry already

// ---- the base cache ---------------------------------------------------------

const SLOT_BITS: u32 = 12;
const SLOTS: usize = 1 << SLOT_BITS;
// Slot: pack+1 u32 @0 (0 = empty), type u32 @4, offset u64 @8, start u64 @16, len u64 @24.
const SLOT: usize = 32;
let slots: usize = 0;
let ring: usize = 0;
let ringSize: usize = 32 << 20;
let ringHead: u64 = 0;

/** The id being read, for error messages. */
let wantedId: usize = 0;

function hex(p: usize): string {
  let s = "";
  for (let i: usize = 0; i < idLen; i++) {
    let b = <u32>load<u8>(p + i);
    s += String.fromCharCode(<i32>(b >> 4) + (b >> 4 < 10 ? 48 : 87));
    s += String.fromCharCode(<i32>(b & 15) + ((b & 15) < 10 ? 48 : 87));
  }
  return s;
}

function where(p: i32, off: u64): string {
  let s = wantedId ? "object " + hex(wantedId) + ": " : "";
  return s + "pack " + p.toString() + " offset " + off.toString() + ": ";
}

/** The message of the error just recorded by another module (inflate, delta). */
function innerMessage(): string {
  return String.UTF8.decodeUnsafe(errorMessagePtr(), <usize>errorMessageLen());
}

/**
 * The capacity to give a buffer that must hold `need` bytes. The old buffer is
 * not reclaimed (stub runtime), so growth is by a quarter more than needed,
 * not by doubling: one huge object must not cost twice its size.
 */
@inline function grownCap(cap: usize, need: usize): usize {
  let c = max<usize>(max<usize>(need + (need >> 2), cap + (cap >> 1)), 4096);
  return min<usize>(c, max<usize>(need, <usize>ALLOC_LIMIT));
}

/** A fresh buffer of `size` bytes, or 0 with E_OUT_OF_MEMORY recorded (wasm32 holds at most 4 GiB). */
function buffer(size: usize, p: i32, off: u64): usize {
  let b = tryAlloc(<u64>size);
  if (!b) fail(E_OUT_OF_MEMORY, where(p, off) + "no memory left for a buffer of " + size.toString() + " bytes", off);
  return b;
}

/** Forgets every pack and cached object (memory is not reclaimed); ids are 20 bytes again. */
export function objectsReset(): void {
  packCount = 0;
  idLen = 20;
  forgetWindows();
  if (slots) memory.fill(slots, 0, SLOTS * SLOT);
  ringHead = 0;
}

/**
 * Sets the length of object ids, 20 (SHA-1, the default) or 32 (SHA-256), for
 * the packs added next. Only while no pack is registered (after objectsReset()).
 */
export function objectIdSize(bytes: i32): i32 {
  if (bytes != 20 && bytes != 32) return fail(E_INVALID_ARG, "object ids are 20 or 32 bytes, not " + bytes.toString());
  if (packCount != 0) return fail(E_INVALID_ARG, "the object id size is set before any pack is added");
  idLen = <usize>bytes;
  return OK;
}

/** Sets the base cache's size in bytes (0 disables it). Takes effect now; cached objects are dropped. */
export function objectCacheSize(bytes: usize): void {
  ringSize = bytes & ~<usize>7;
  ring = 0;
  ringHead = 0;
  if (slots) memory.fill(slots, 0, SLOTS * SLOT);
}

@inline function slotFor(p: i32, off: u64): usize {
  let h = <u32>(off ^ (off >> 29)) * 0x9e3779b1 + <u32>p * 0x85ebca6b;
  return slots + <usize>(h >> (32 - SLOT_BITS)) * SLOT;
}

/** Returns the slot holding (p, off) while its bytes are intact, else 0. */
function cacheFind(p: i32, off: u64): usize {
  if (!slots || !ring) return 0;
  let s = slotFor(p, off);
  if (load<u32>(s) != <u32>(p + 1) || load<u64>(s, 8) != off) return 0;
  if (ringHead > load<u64>(s, 16) + <u64>ringSize) return 0;
  return s;
}

@inline function slotPtr(s: usize): usize {
  return ring + <usize>(load<u64>(s, 16) % <u64>ringSize);
}

function cacheAdd(p: i32, off: u64, type: i32, data: usize, len: usize): void {
  if (ringSize == 0 || len > (ringSize >> 2)) return;
  if (!ring) {
    ring = tryAlloc(<u64>ringSize);
    if (!ring) { ringSize = 0; return; } // no room for a cache: read without one
  }
  if (!slots) {
    slots = heap.alloc(SLOTS * SLOT);
    memory.fill(slots, 0, SLOTS * SLOT);
  }
  let phys = <usize>(ringHead % <u64>ringSize);
  if (phys + len > ringSize) ringHead += <u64>(ringSize - phys);
  let start = ringHead;
  memory.copy(ring + <usize>(start % <u64>ringSize), data, len);
  ringHead += <u64>((len + 7) & ~<usize>7);
  let s = slotFor(p, off);
  store<u32>(s, <u32>(p + 1));
  store<u32>(s, <u32>type, 4);
  store<u64>(s, off, 8);
  store<u64>(s, start, 16);
  store<u64>(s, <u64>len, 24);
}

// ---- .idx ----------------------------------------------------------------------

@inline function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
@inline function be64(p: usize): u64 { return bswap<u64>(load<u64>(p)); }

/** Compares two ids of idLen bytes as big-endian numbers. */
@inline function compareIds(a: usize, b: usize): i32 {
  let x = be64(a), y = be64(b);
  if (x != y) return x < y ? -1 : 1;
  x = be64(a + 8); y = be64(b + 8);
  if (x != y) return x < y ? -1 : 1;
  if (idLen == 20) {
    let u = be32(a + 16), v = be32(b + 16);
    if (u != v) return u < v ? -1 : 1;
    return 0;
  }
  x = be64(a + 16); y = be64(b + 16);
  if (x != y) return x < y ? -1 : 1;
  x = be64(a + 24); y = be64(b + 24);
  if (x != y) return x < y ? -1 : 1;
  return 0;
}

/** Index of `id` in pack `p`'s .idx, or -1. */
function idxFind(p: i32, id: usize): i32 {
  let r = packRec(p);
  let fanout = <usize>load<u32>(r, 8);
  let ids = <usize>load<u32>(r, 12);
  let b = <usize>load<u8>(id);
  let lo = b == 0 ? 0 : <i32>be32(fanout + ((b - 1) << 2));
  let hi = <i32>be32(fanout + (b << 2));
  while (lo < hi) {
    let mid = (lo + hi) >>> 1;
    let c = compareIds(ids + <usize>mid * idLen, id);
    if (c == 0) return mid;
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  return -1;
}

function idxOffset(p: i32, i: i32): u64 {
  let r = packRec(p);
  let v = be32(<usize>load<u32>(r, 16) + (<usize>i << 2));
  if (!(v & 0x80000000)) return <u64>v;
  // packAdd() checked every large-offset index against the table's size.
  return be64(<usize>load<u32>(r, 20) + (<usize>(v & 0x7fffffff) << 3));
}

/** Where the entry starting at `off` ends: the next entry, or the trailer. Returns 0 when `off` is no entry's start. */
function entryEnd(p: i32, off: u64): u64 {
  let r = packRec(p);
  let sorted = <usize>load<u32>(r, 28);
  let n = <i32>packObjects(p);
  let lo = 0, hi = n;
  while (lo < hi) {
    let mid = (lo + hi) >>> 1;
    let v = load<u64>(sorted + (<usize>mid << 3));
    if (v == off) return mid + 1 < n ? load<u64>(sorted + (<usize>(mid + 1) << 3)) : packSize(p) - <u64>idLen;
    if (v < off) lo = mid + 1; else hi = mid;
  }
  return 0;
}

/** LSD radix sort of `n` u64 at `a` (scratch `b`) on 16-bit digits; returns where the result is. */
let counts: usize = 0; // 65536 u32 counters, allocated once

function radixSort64(a: usize, b: usize, n: usize, maxValue: u64): usize {
  let src = a, dst = b;
  for (let shift: u64 = 0; shift < 64 && (maxValue >> shift) != 0; shift += 16) {
    memory.fill(counts, 0, 65536 << 2);
    for (let i: usize = 0; i < n; i++) {
      let d = <usize>((load<u64>(src + (i << 3)) >> shift) & 0xffff);
      store<u32>(counts + (d << 2), load<u32>(counts + (d << 2)) + 1);
    }
    let sum: u32 = 0;
    for (let d: usize = 0; d < 65536; d++) {
      let c = load<u32>(counts + (d << 2));
      store<u32>(counts + (d << 2), sum);
      sum += c;
    }
    for (let i: usize = 0; i < n; i++) {
      let v = load<u64>(src + (i << 3));
      let d = <usize>((v >> shift) & 0xffff);
      let at = load<u32>(counts + (d << 2));
      store<u32>(counts + (d << 2), at + 1);
      store<u64>(dst + (<usize>at << 3), v);
    }
    let t = src; src = dst; dst = t;
  }
  return src;
}

const scratch = memory.data(64);

/**
 * Registers a pack: `source` is the host.readAt source of the .pack (of
 * `packBytes` bytes), and [idxPtr, idxPtr+idxLen) its .idx (version 2, or
 * version 1), copied into memory from alloc() and left there. Checks the .idx's
 * structure and that it belongs to this pack (header object count, trailer
 * checksum), as git does when it opens a pack. Returns the pack's number (0, 1, ...).
 */
export function packAdd(source: u32, idxPtr: usize, idxLen: usize, packBytes: u64): i32 {
  if (packCount >= MAX_PACKS) return fail(E_INVALID_ARG, "too many packs (at most " + MAX_PACKS.toString() + ")");
  let h = idLen;
  // Version 2 starts with a signature no version-1 fan-out can begin with (it
  // would count 4 billion ids in bucket 0); git tells the two apart the same way.
  let v2 = idxLen >= 8 && be32(idxPtr) == 0xff744f63;
  let fanAt: usize = v2 ? 8 : 0;
  if (idxLen < fanAt + 1024 + 2 * h) return fail(E_PACK_FORMAT, "pack index is too short (" + idxLen.toString() + " bytes)", 0);
  if (v2 && be32(idxPtr + 4) != 2) return fail(E_PACK_FORMAT, "pack index version " + be32(idxPtr + 4).toString() + " is not supported", 4);
  let fanout = idxPtr + fanAt;
  let prev: u32 = 0;
  for (let i: usize = 0; i < 256; i++) {
    let v = be32(fanout + (i << 2));
    if (v < prev) return fail(E_PACK_FORMAT, "pack index fan-out table is not monotonic", <u64>(fanAt + (i << 2)));
    prev = v;
  }
  let n = <usize>prev;
  let ids: usize, off32: usize, off64: usize, off64Count: usize;
  let idAt: usize, idStride: usize; // where id i sits in the file, for messages
  if (v2) {
    let base = <u64>(8 + 1024) + <u64>n * <u64>(h + 8) + <u64>(2 * h);
    if (<u64>idxLen < base || (<u64>idxLen - base) % 8 != 0) {
      return fail(E_PACK_FORMAT, "pack index size " + idxLen.toString() + " does not fit " + n.toString() + " objects", 0);
    }
    ids = fanout + 1024;
    off32 = ids + n * (h + 4); // ids (h·n), CRCs (4n), then 32-bit offsets
    off64 = off32 + n * 4;
    off64Count = (idxLen - <usize>base) >> 3;
    idAt = 8 + 1024;
    idStride = h;
  } else {
    let size = <u64>1024 + <u64>n * <u64>(4 + h) + <u64>(2 * h);
    if (<u64>idxLen != size) {
      return fail(E_PACK_FORMAT, "pack index size " + idxLen.toString() + " does not fit " + n.toString() + " objects (version 1)", 0);
    }
    // Version 1 (gitformat-pack, "pack-*.idx files ... original (version 1)"):
    // n records of a 4-byte offset and an id, no CRCs. Copied into the version-2
    // arrays, offsets of 2 GiB and up into a 64-bit table, so that lookups have
    // one layout to read.
    let rec = fanout + 1024;
    let large: usize = 0;
    for (let i: usize = 0; i < n; i++) if (be32(rec + i * (4 + h)) & 0x80000000) large++;
    let copy = tryAlloc(<u64>n * <u64>(h + 4) + <u64>large * 8 + 8);
    if (!copy) return fail(E_OUT_OF_MEMORY, "no memory to read a version-1 index of " + n.toString() + " objects");
    ids = copy;
    off32 = ids + n * h;
    off64 = off32 + n * 4;
    off64Count = large;
    let k: u32 = 0;
    for (let i: usize = 0; i < n; i++) {
      let r = rec + i * (4 + h);
      memory.copy(ids + i * h, r + 4, h);
      let v = be32(r);
      if (v & 0x80000000) {
        store<u64>(off64 + (<usize>k << 3), bswap<u64>(<u64>v));
        v = 0x80000000 | k++;
      }
      store<u32>(off32 + (i << 2), bswap<u32>(v));
    }
    idAt = 1024 + 4;
    idStride = 4 + h;
  }
  for (let i: usize = 1; i < n; i++) {
    if (compareIds(ids + (i - 1) * h, ids + i * h) >= 0) {
      return fail(E_PACK_FORMAT, "pack index object ids are not strictly sorted", <u64>(idAt + i * idStride));
    }
  }

  // The pack must be the one this index describes.
  let trailer = packBytes - <u64>h;
  if (packBytes < <u64>(12 + h)) return fail(E_PACK_FORMAT, "pack is too short (" + packBytes.toString() + " bytes)", 0);
  if (readAt(source, 0, scratch, 12) != 12) return fail(E_READ, "could not read the pack header", 0);
  if (be32(scratch) != 0x5041434b) return fail(E_PACK_FORMAT, "pack has no PACK signature", 0);
  let version = be32(scratch + 4);
  if (version != 2 && version != 3) return fail(E_PACK_FORMAT, "pack version " + version.toString() + " is not supported", 4);
  if (<usize>be32(scratch + 8) != n) {
    return fail(E_PACK_FORMAT, "pack holds " + be32(scratch + 8).toString() + " objects but its index " + n.toString(), 8);
  }
  if (readAt(source, trailer, scratch + 16, <u32>h) != <u32>h) return fail(E_READ, "could not read the pack trailer", trailer);
  if (memory.compare(scratch + 16, idxPtr + idxLen - 2 * h, h) != 0) {
    return fail(E_PACK_FORMAT, "pack checksum does not match the one its index records", trailer);
  }

  // Offsets, sorted, to know where each entry ends.
  if (!counts) counts = heap.alloc(65536 << 2); // before `tmp`, so that `tmp` can be freed
  let sorted = tryAlloc(<u64>max<usize>(n, 1) << 3);
  let tmp = sorted ? tryAlloc(<u64>max<usize>(n, 1) << 3) : 0;
  if (!tmp) return fail(E_OUT_OF_MEMORY, "no memory to sort the offsets of " + n.toString() + " objects");
  let maxOff: u64 = 0;
  let end = trailer;
  for (let i: usize = 0; i < n; i++) {
    let v = be32(off32 + (i << 2));
    let off: u64 = <u64>v;
    if (v & 0x80000000) {
      let j = <usize>(v & 0x7fffffff);
      if (j >= off64Count) return fail(E_PACK_FORMAT, "pack index large offset " + j.toString() + " is past its table", <u64>(off32 - idxPtr + (i << 2)));
      off = be64(off64 + (j << 3));
    }
    if (off < 12 || off >= end) return fail(E_PACK_FORMAT, "pack index gives offset " + off.toString() + ", outside the pack's entries", <u64>(off32 - idxPtr + (i << 2)));
    store<u64>(sorted + (i << 3), off);
    if (off > maxOff) maxOff = off;
  }
  let res = radixSort64(sorted, tmp, n, maxOff);
  if (res != sorted) memory.copy(sorted, res, n << 3);
  heap.free(tmp); // the latest allocation, so it is reclaimed
  for (let i: usize = 1; i < n; i++) {
    if (load<u64>(sorted + (i << 3)) == load<u64>(sorted + ((i - 1) << 3))) {
      return fail(E_PACK_FORMAT, "pack index gives offset " + load<u64>(sorted + (i << 3)).toString() + " to two objects", 0);
    }
  }

  if (packCount == packCap) {
    let cap = max<i32>(packCap * 2, 64);
    let table = tryAlloc(<u64>cap * <u64>PACK_REC);
    if (!table) return fail(E_OUT_OF_MEMORY, "no memory to register " + cap.toString() + " packs");
    if (packTable) memory.copy(table, packTable, <usize>packCount * PACK_REC);
    packTable = table;
    packCap = cap;
  }
  let p = packCount;
  let r = packRec(p);
  store<u32>(r, source);
  store<u32>(r, <u32>n, 4);
  store<u32>(r, <u32>fanout, 8);
  store<u32>(r, <u32>ids, 12);
  store<u32>(r, <u32>off32, 16);
  store<u32>(r, <u32>off64, 20);
  store<u32>(r, <u32>off64Count, 24);
  store<u32>(r, <u32>sorted, 28);
  store<u64>(r, packBytes, 32);
  packCount++;
  return p;
}

// ---- finding ids across packs ------------------------------------------------

let foundPack: i32 = -1;
let foundOffset: u64 = 0;

/** Looks `id` up in every pack, `prefer` first. */
function locate(id: usize, prefer: i32): bool {
  if (prefer >= 0 && prefer < packCount) {
    let i = idxFind(prefer, id);
    if (i >= 0) { foundPack = prefer; foundOffset = idxOffset(prefer, i); return true; }
  }
  for (let p = 0; p < packCount; p++) {
    if (p == prefer) continue;
    let i = idxFind(p, id);
    if (i >= 0) { foundPack = p; foundOffset = idxOffset(p, i); return true; }
  }
  return false;
}

/**
 * Where `id` is stored: (pack number << 48) | offset, or -1 when no pack has
 * it. Sorting reads by this value reads each pack front to back.
 */
export function objectLocate(id: usize): i64 {
  if (!locate(id, -1)) return -1;
  return <i64>((<u64>foundPack << 48) | foundOffset);
}

// ---- pack bytes ---------------------------------------------------------------

/**
 * Makes [off, off+need) of pack `p` available in the window and returns its
 * address; reads `ahead` bytes past `off` (at least `need`, at most to the
 * trailer) on a miss. Returns 0 after a failed read.
 */
function windowAt(p: i32, off: u64, need: usize, ahead: usize): usize {
  let lru = 0;
  let oldest = U64.MAX_VALUE;
  for (let w = 0; w < WINDOWS; w++) {
    let r = winRec(w);
    let start = load<u64>(r, 16);
    if (load<i32>(r, 8) == p && off >= start && off + <u64>need <= start + <u64>load<u32>(r, 12)) {
      store<u64>(r, ++winClock, 24);
      return <usize>load<u32>(r) + <usize>(off - start);
    }
    let used = load<u64>(r, 24);
    if (used < oldest) { oldest = used; lru = w; }
  }
  let limit = packSize(p) - <u64>idLen;
  let start = off;
  let want = <u64>max(need, ahead);
  if (limit <= WHOLE_PACK) {
    start = 0;
    want = limit;
  } else if (off + want > limit) {
    want = limit - off;
  }
  let len = <usize>want;
  let r = winRec(lru);
  store<i32>(r, -1, 8);
  if (len > <usize>load<u32>(r, 4)) {
    let cap = grownCap(<usize>load<u32>(r, 4), len);
    let b = buffer(cap, p, off);
    if (!b) return 0;
    store<u32>(r, <u32>b);
    store<u32>(r, <u32>cap, 4);
  }
  let win = <usize>load<u32>(r);
  let got = readAt(packSource(p), start, win, <u32>len);
  if (<u64>got < off - start + <u64>need) {
    fail(E_READ, where(p, off) + "pack ends early (read " + (<u64>got - min<u64>(<u64>got, off - start)).toString() + " of " + need.toString() + " bytes)", off);
    return 0;
  }
  store<i32>(r, p, 8);
  store<u32>(r, <u32>got, 12);
  store<u64>(r, start, 16);
  store<u64>(r, ++winClock, 24);
  return win + <usize>(off - start);
}

// Parsed entry header.
let hType: i32 = 0;
let hSize: u64 = 0;
let hData: u64 = 0;     // offset of the zlib stream
let hEnd: u64 = 0;      // offset where the entry ends
let hBaseOff: u64 = 0;  // OFS_DELTA: the base's offset
let hBaseId: usize = memory.data(32); // REF_DELTA: the base's id

/**
 * Reads the entry header at `off` of pack `p` (gitformat-pack: "Object entries").
 * A miss in the window reads the whole entry (up to WINDOW_MAX) when its data is
 * wanted next; for the header alone, HEADER_AHEAD bytes: enough for the headers
 * of the next few entries when walking forward, and little to waste when a
 * walk down a delta chain jumps backward at every step.
 */
function readHeader(p: i32, off: u64, withData: bool): i32 {
  let end = entryEnd(p, off);
  if (end == 0) return fail(E_PACK_FORMAT, where(p, off) + "no object starts at this offset", off);
  hEnd = end;
  // The longest header: 9 size bytes, then 9 offset bytes or an id.
  let avail = <usize>min<u64>(end - off, <u64>(16 + idLen));
  let ahead = withData ? max(<usize>min<u64>(end - off, <u64>WINDOW_MAX), AHEAD) : HEADER_AHEAD;
  let q = windowAt(p, off, avail, ahead);
  if (!q) return E_READ;
  let qEnd = q + avail;
  let c = <u32>load<u8>(q);
  let at = q + 1;
  hType = <i32>((c >> 4) & 7);
  let size = <u64>(c & 15);
  let shift: u64 = 4;
  while (c & 0x80) {
    if (at >= qEnd || shift > 57) return fail(E_PACK_FORMAT, where(p, off) + "bad size in entry header", off);
    c = <u32>load<u8>(at++);
    size |= <u64>(c & 0x7f) << shift;
    shift += 7;
  }
  hSize = size;
  if (hType == OBJ_OFS_DELTA) {
    // Big-endian base-128 with an implicit +1 per continuation byte, so each
    // length has its own range of distances (gitformat-pack: "offset encoding").
    if (at >= qEnd) return fail(E_PACK_FORMAT, where(p, off) + "entry truncated in its base offset", off);
    c = <u32>load<u8>(at++);
    let dist = <u64>(c & 0x7f);
    while (c & 0x80) {
      if (at >= qEnd || dist >= (<u64>1 << 56)) return fail(E_PACK_FORMAT, where(p, off) + "bad delta base offset", off);
      c = <u32>load<u8>(at++);
      dist = ((dist + 1) << 7) | <u64>(c & 0x7f);
    }
    if (dist == 0 || dist > off - 12) return fail(E_PACK_FORMAT, where(p, off) + "delta base offset points outside the pack", off);
    hBaseOff = off - dist;
  } else if (hType == OBJ_REF_DELTA) {
    if (at + idLen > qEnd) return fail(E_PACK_FORMAT, where(p, off) + "entry truncated in its base id", off);
    memory.copy(hBaseId, at, idLen);
    at += idLen;
  } else if (hType < OBJ_COMMIT || hType > OBJ_TAG) {
    return fail(E_PACK_FORMAT, where(p, off) + "unknown entry type " + hType.toString(), off);
  }
  hData = off + <u64>(at - q);
  if (hData > end) return fail(E_PACK_FORMAT, where(p, off) + "entry header runs past the entry", off);
  return OK;
}

/**
 * Inflates the zlib stream of the entry at `off` (its data from `data` to
 * `end`) into exactly `len` bytes at `out`.
 */
function inflateEntry(p: i32, off: u64, data: u64, end: u64, out: usize, len: usize): i32 {
  inflateInit(<u64>len);
  let pos = data;
  let produced: usize = 0;
  while (true) {
    if (pos >= end) return fail(E_TRUNCATED, where(p, off) + "zlib stream runs past the end of the entry", pos);
    let chunk = <usize>min<u64>(end - pos, <u64>WINDOW_MAX);
    let q = windowAt(p, pos, chunk, max(chunk, AHEAD));
    if (!q) return E_READ;
    let st = inflateStep(q, chunk, out + produced, len - produced);
    pos += <u64>inflateConsumed();
    produced += inflateProduced();
    if (st == INFLATE_DONE) {
      if (produced != len) return fail(E_SIZE_MISMATCH, where(p, off) + "inflated to " + produced.toString() + " bytes, the header says " + len.toString(), off);
      return OK;
    }
    if (st == INFLATE_NEED_OUTPUT) return fail(E_SIZE_MISMATCH, where(p, off) + "inflates to more than the " + len.toString() + " bytes its header says", off);
    if (st < 0) return fail(st, where(p, off) + "zlib data: " + innerMessage(), pos);
    if (st != INFLATE_NEED_INPUT) return fail(E_PACK_FORMAT, where(p, off) + "inflater stalled", pos);
  }
  return OK;
}

@inline function linkAt(i: i32): usize { return chain + <usize>i * LINK; }

/** Reads the object at (p, off) into resultPtr/resultLen; returns its type or a negative error. */
function readEntry(p: i32, off: u64): i32 {
  // 1. Walk down the chain until a base object or a cached link.
  resultCached = false;
  let depth = 0;
  let cp = p;
  let co = off;
  let type: i32 = 0;
  let cur: usize = 0;    // current object bytes
  let curLen: usize = 0;
  let curBuf = -1;       // 0: bufA, 1: bufB, -1: elsewhere (cache)
  while (true) {
    let s = cacheFind(cp, co);
    if (s) {
      type = <i32>load<u32>(s, 4);
      cur = slotPtr(s);
      curLen = <usize>load<u64>(s, 24);
      resultCached = depth == 0;
      break;
    }
    let st = readHeader(cp, co, true);
    if (st < 0) return st;
    if (hSize > MAX_OBJECT) return fail(E_OBJECT_TOO_LARGE, where(cp, co) + "entry of " + hSize.toString() + " bytes is too large to read whole", co);
    if (hType < OBJ_OFS_DELTA) {
      // The base object itself.
      type = hType;
      let len = <usize>hSize;
      if (len > capA) {
        let cap = grownCap(capA, len);
        let b = buffer(cap, cp, co);
        if (!b) return E_OUT_OF_MEMORY;
        bufA = b; capA = cap;
      }
      st = inflateEntry(cp, co, hData, hEnd, bufA, len);
      if (st < 0) return st;
      cur = bufA; curLen = len; curBuf = 0;
      if (depth > 0) cacheAdd(cp, co, type, cur, curLen);
      break;
    }
    if (depth >= MAX_CHAIN) return fail(E_PACK_FORMAT, where(p, off) + "delta chain longer than " + MAX_CHAIN.toString() + " (a cycle?)", off);
    if (<usize>(depth + 1) * LINK > chainCap) {
      let old = chain;
      chainCap = grownCap(chainCap, <usize>(depth + 1) * LINK);
      chain = heap.alloc(chainCap); // small: at most MAX_CHAIN links
      if (old) memory.copy(chain, old, <usize>depth * LINK);
    }
    let l = linkAt(depth++);
    store<u32>(l, <u32>cp);
    store<u32>(l, <u32>hType, 4);
    store<u64>(l, co, 8);
    store<u64>(l, hData, 16);
    store<u64>(l, hSize, 24);
    // hEnd is recomputed for each link when it is inflated.
    if (hType == OBJ_OFS_DELTA) {
      co = hBaseOff;
    } else {
      if (!locate(hBaseId, cp)) return fail(E_MISSING_BASE, where(cp, co) + "delta base " + hex(hBaseId) + " is in no pack", co);
      cp = foundPack;
      co = foundOffset;
    }
  }

  // 2. Back up the chain: inflate each delta and apply it to the object below.
  while (depth > 0) {
    let l = linkAt(--depth);
    let lp = <i32>load<u32>(l);
    let lo = load<u64>(l, 8);
    let ldata = load<u64>(l, 16);
    let lsize = <usize>load<u64>(l, 24);
    let lend = entryEnd(lp, lo);
    if (lsize > deltaCap) {
      let cap = grownCap(deltaCap, lsize);
      let b = buffer(cap, lp, lo);
      if (!b) return E_OUT_OF_MEMORY;
      deltaBuf = b; deltaCap = cap;
    }
    let st = inflateEntry(lp, lo, ldata, lend, deltaBuf, lsize);
    if (st < 0) return st;
    st = deltaHeader(deltaBuf, lsize);
    if (st < 0) return fail(E_PACK_FORMAT, where(lp, lo) + innerMessage(), lo);
    if (deltaBaseSize() != <u64>curLen) {
      return fail(E_PACK_FORMAT, where(lp, lo) + "delta expects a base of " + deltaBaseSize().toString() + " bytes, its base has " + curLen.toString(), lo);
    }
    let outLen64 = deltaResultSize();
    if (outLen64 > MAX_OBJECT) return fail(E_OBJECT_TOO_LARGE, where(lp, lo) + "delta result of " + outLen64.toString() + " bytes is too large to read whole", lo);
    let outLen = <usize>outLen64;
    let out: usize;
    if (curBuf == 0) {
      if (outLen > capB) {
        let cap = grownCap(capB, outLen);
        let b = buffer(cap, lp, lo);
        if (!b) return E_OUT_OF_MEMORY;
        bufB = b; capB = cap;
      }
      out = bufB; curBuf = 1;
    } else {
      if (outLen > capA) {
        let cap = grownCap(capA, outLen);
        let b = buffer(cap, lp, lo);
        if (!b) return E_OUT_OF_MEMORY;
        bufA = b; capA = cap;
      }
      out = bufA; curBuf = 0;
    }
    st = applyDelta(cur, curLen, deltaBuf, lsize, out, outLen);
    if (st < 0) return fail(st, where(lp, lo) + innerMessage(), lo);
    cur = out; curLen = outLen;
    if (depth > 0) cacheAdd(lp, lo, type, cur, curLen);
  }
  resultPtr = cur;
  resultLen = curLen;
  return type;
}

/**
 * Reads object `id` (idLen bytes at `id`) from the registered packs. Returns its
 * type (1 commit, 2 tree, 3 blob, 4 tag), 0 when no pack has it, or a negative
 * error naming the id and pack offset. The bytes are at objectDataPtr() for
 * objectDataLen() bytes, until the next call into the core.
 */
export function objectRead(id: usize): i32 {
  if (!locate(id, -1)) return 0;
  wantedId = id;
  let p = foundPack;
  let off = foundOffset;
  let t = readEntry(p, off);
  wantedId = 0;
  // Cache the object itself too: reads in pack order meet bases before their
  // deltas, so the base is often wanted again right after.
  if (t > 0 && !resultCached) cacheAdd(p, off, t, resultPtr, resultLen);
  return t;
}

export function objectDataPtr(): usize {
  return resultPtr;
}

export function objectDataLen(): usize {
  return resultLen;
}

// ---- entry headers, for a host that copies entries itself ----------------------

/**
 * Parses the header of the entry starting at `offset` in registered pack `pack`
 * (gitformat-pack: "Object entries"), without reading its data. Returns the
 * header's length; packEntryType(), packEntrySize(), packEntryBaseOffset()
 * (OFS_DELTA) and packEntryBaseId() (REF_DELTA) describe it until the next call
 * into the core. Unlike objectRead(), any size is accepted: nothing is inflated.
 */
export function packEntryHeader(pack: i32, offset: u64): i32 {
  if (pack < 0 || pack >= packCount) return fail(E_INVALID_ARG, "no pack " + pack.toString() + " is registered (there are " + packCount.toString() + ")");
  let st = readHeader(pack, offset, false);
  if (st < 0) return st;
  return <i32>(hData - offset);
}

/** Type of the last parsed entry: 1-4, 6 OFS_DELTA, 7 REF_DELTA. */
export function packEntryType(): i32 { return hType; }
/** Size in its header: the object's, or a delta's (its delta data). */
export function packEntrySize(): u64 { return hSize; }
/** OFS_DELTA: the pack offset of its base. */
export function packEntryBaseOffset(): u64 { return hBaseOff; }
/** REF_DELTA: where the base's id (20 or 32 bytes) is. */
export function packEntryBaseId(): usize { return hBaseId; }
