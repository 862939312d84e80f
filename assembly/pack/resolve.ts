// Pass 2 of indexing: resolving deltas, base by base.
//
// After pass 1 every non-delta object has its id; each delta knows only its base
// (an OFS_DELTA its base's entry number, a REF_DELTA its base's id). The deltas
// form a forest whose roots are the non-delta objects. For each root that has
// children, a depth-first walk rebuilds every object below it: a child's delta is
// read back from the pack (host.readAt copies it into linear memory), inflated,
// applied to its parent's content, and the result hashed. A child's own children
// are then found the same way: OFS children by entry number, REF children by
// the id just computed. Git's index-pack does the same walk (resolve_base /
// find_ofs_delta_children / find_ref_delta_children in builtin/index-pack.c).
//
// The forest is flat arrays indexed by entry number, never pointers:
//
//   childStart u32[n+1], childList u32[ofs deltas]  OFS children of entry e are
//       childList[childStart[e] .. childStart[e+1]], in pack order
//   refEntries u32[ref deltas], refIds 20*ref deltas  REF deltas sorted by base id,
//       with the base ids beside them (binary-searched by a parent's id)
//
// Memory: the contents on the current path (root .. parent) live in an arena laid
// out like a stack, each child's content just above its parent's, so releasing a
// finished subtree is moving the top back. The arena is kept under a budget (git's
// core.deltaBaseCacheLimit, 96 MiB by default): when a child would not fit, every
// content on the path but its parent's is dropped and the parent moved to the
// arena's start; a dropped content is rebuilt from the nearest kept ancestor (or
// the root, re-read) when the walk comes back to it. Only an object whose parent
// and itself together exceed what linear memory can hold is refused.
//
// A root with no children is never read again. Roots are handed out in batches
// (resolveRoots), so several cores, each with its own wasm instance and a copy
// of the entry table, can split the forest between them: trees are disjoint, so
// no locking is needed, and the result does not depend on who resolved what.

import { E_DELTA, E_INVALID_ARG, E_MISSING_BASE, E_OBJECT_TOO_LARGE, E_OUT_OF_MEMORY, E_READ, E_SHA1_COLLISION, E_SIZE_MISMATCH, errorCode, errorMessageLen, errorMessagePtr, fail } from "../error";
import { progress, readAt, PROGRESS_RESOLVING } from "../host";
import { inflateInit, inflateStep, inflateConsumed, inflateProduced, INFLATE_DONE, INFLATE_NEED_INPUT, INFLATE_NEED_OUTPUT } from "../inflate";
import { sha1CtxSize, sha1Update, sha1Final } from "../sha1";
import { applyDelta } from "./delta";
import { isDelta, OBJ_OFS_DELTA, OBJ_REF_DELTA, parseEntryHeader } from "./entry";
import { describeZlibError, hashObjectStart } from "./object";
import { storeAppend, storedAt, storeGatherBegin, storeGatherLen, storeReady } from "./store";
import { fsckInit, fsckRun } from "../fsck";
import { linksOf } from "./links";
import {
  baseOf, compareId, count, depthOf, idHex, idOf, kindOf, NO_ENTRY, offsetOf, resultOf, setBase, setDepth, setKind, sizeOf, sortById, tryAlloc, typeOf,
} from "./table";

/** git's core.deltaBaseCacheLimit default. */
export const DEFAULT_CACHE_LIMIT: u64 = 96 << 20;
/** Read-ahead for entries: most are far smaller, and neighbours are often read next. */
const READ_MIN: usize = 4 << 10;
const READ_CAP: usize = 256 << 10;
const FRAME: usize = 16;

let prepared = false;
let source: u32 = 0;
let budget: u64 = DEFAULT_CACHE_LIMIT;
let memoryLimit: u64 = <u64>1 << 32;
let childStart: usize = 0;
let childList: usize = 0;
let refCount: u32 = 0;
let refEntries: usize = 0;
let refIds: usize = 0;
let deltaCount: u32 = 0;
let frames: usize = 0;
let sp: u32 = 0;
let arenaBase: usize = 0;
let arenaTop: usize = 0;
let ctx: usize = 0;
let readBuf: usize = 0;
let readAtOff: u64 = U64.MAX_VALUE; // pack offset of readBuf[0]
let readLen: usize = 0;
let resolved: u32 = 0;               // deltas resolved by this instance
let nextRoot: u32 = 0;               // where resolveSome() goes on from
// Records of what this instance resolved, for a host that merges results from
// several instances: entry u32, base u32, depth u32, kind u8 + 3 pad, id 20 bytes.
export const RECORD: usize = 36;
let records: usize = 0;
let recordCount: u32 = 0;
let recordCap: u32 = 0;
let frameCap: u32 = 0;
let drops: u32 = 0; // times the arena was dropped for a heap allocation
const FRAMES_FIRST: usize = 1024;
let recording = false;
// index-pack --strict: every commit, tree and tag resolved here is checked (fsck.ts).
let strict = false;

/** Turns the --strict checks of resolved objects on or off (before resolving). */
export function resolveStrict(on: bool): void {
  strict = on;
  if (on) fsckInit();
}

// Frame accessors: entry, content pointer (0 = dropped), next OFS child slot, next REF slot.
// @ts-ignore: decorator
@inline function fEntry(f: u32): u32 { return load<u32>(frames + <usize>f * FRAME); }
// @ts-ignore: decorator
@inline function fPtr(f: u32): usize { return <usize>load<u32>(frames + <usize>f * FRAME, 4); }
// @ts-ignore: decorator
@inline function setFPtr(f: u32, p: usize): void { store<u32>(frames + <usize>f * FRAME, <u32>p, 4); }
// @ts-ignore: decorator
@inline function fOfs(f: u32): u32 { return load<u32>(frames + <usize>f * FRAME, 8); }
// @ts-ignore: decorator
@inline function fRef(f: u32): u32 { return load<u32>(frames + <usize>f * FRAME, 12); }

// @ts-ignore: decorator
@inline function align16(n: u64): u64 { return (n + 15) & ~(<u64>15); }

/**
 * Builds the forest from the entry table (after pass 1, or after a worker
 * received a copy of it) and sets up buffers. `src` is the host source the pack
 * is read from; `cacheLimit` the arena budget in bytes (0 = default);
 * `memLimit` caps linear memory as a whole (0 = what wasm32 allows, 4 GiB).
 */
export function resolveBegin(src: u32, cacheLimit: u64, memLimit: u64, record: bool): i32 {
  source = src;
  budget = cacheLimit != 0 ? cacheLimit : DEFAULT_CACHE_LIMIT;
  memoryLimit = memLimit != 0 && memLimit < (<u64>1 << 32) ? memLimit : <u64>1 << 32;
  recording = record;
  let n = count;
  let m = <usize>n;
  childStart = tryAlloc(<u64>(m + 1) << 2);
  if (childStart == 0) return noMemory();
  memory.fill(childStart, 0, (m + 1) << 2);
  let ofs: u32 = 0;
  refCount = 0;
  for (let i: u32 = 0; i < n; i++) {
    let t = typeOf(i);
    if (t == OBJ_OFS_DELTA) {
      let slot = childStart + (<usize>baseOf(i) << 2);
      store<u32>(slot, load<u32>(slot) + 1);
      ofs++;
    } else if (t == OBJ_REF_DELTA) refCount++;
  }
  deltaCount = ofs + refCount;
  // Prefix sums turn counts into each entry's first slot; filling in pack order
  // then leaves every entry's children sorted by offset.
  let sum: u32 = 0;
  for (let i: usize = 0; i <= m; i++) {
    let c = load<u32>(childStart + (i << 2));
    store<u32>(childStart + (i << 2), sum);
    sum += c;
  }
  childList = tryAlloc(<u64>max(ofs, 1) << 2);
  refEntries = tryAlloc(<u64>max(refCount, 1) << 2);
  refIds = tryAlloc(<u64>max(refCount, 1) * 20);
  // Temporary, so allocated last: freeing the latest allocation gives it back.
  let fill = tryAlloc(<u64>(m + 1) << 2);
  if (fill == 0 || refIds == 0) return noMemory();
  memory.copy(fill, childStart, (m + 1) << 2);
  let r: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let t = typeOf(i);
    if (t == OBJ_OFS_DELTA) {
      let slot = fill + (<usize>baseOf(i) << 2);
      let at = load<u32>(slot);
      store<u32>(childList + (<usize>at << 2), i);
      store<u32>(slot, at + 1);
    } else if (t == OBJ_REF_DELTA) {
      store<u32>(refEntries + (<usize>r << 2), i);
      r++;
    }
  }
  heap.free(fill);
  // REF deltas by base id (the table holds it in the id slot until resolved);
  // ties keep pack order, so children come out in the same order everywhere.
  if (refCount > 1) {
    let tmp = tryAlloc(<u64>refCount << 2);
    if (tmp == 0) return noMemory();
    sortById(refEntries, refCount, tmp);
    heap.free(tmp);
  }
  for (let k: u32 = 0; k < refCount; k++) {
    memory.copy(refIds + <usize>k * 20, idOf(load<u32>(refEntries + (<usize>k << 2))), 20);
  }
  if (!storeReady()) return noMemory(); // a worker's: filled batch by batch
  // The frame stack and the records grow on demand: a stack as deep as the
  // longest delta chain, records for one batch, not one per object.
  frames = tryAlloc(FRAMES_FIRST * FRAME);
  frameCap = <u32>FRAMES_FIRST;
  ctx = tryAlloc(sha1CtxSize());
  readBuf = tryAlloc(READ_CAP);
  records = 0;
  recordCap = 0;
  if (readBuf == 0 || frames == 0) return noMemory();
  readAtOff = U64.MAX_VALUE;
  readLen = 0;
  resolved = 0;
  nextRoot = 0;
  prepared = true;
  return <i32>deltaCount;
}

function noMemory(): i32 {
  return fail(E_OUT_OF_MEMORY, "no memory for the delta forest of " + count.toString() + " objects");
}

/** First slot in the REF table whose base id is >= the id at `id`. */
function refLowerBound(id: usize): u32 {
  let lo: u32 = 0;
  let hi = refCount;
  while (lo < hi) {
    let mid = (lo + hi) >>> 1;
    if (compareId(refIds + <usize>mid * 20, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// @ts-ignore: decorator
@inline
function hasRefChild(slot: u32, id: usize): bool {
  return slot < refCount && compareId(refIds + <usize>slot * 20, id) == 0;
}

// @ts-ignore: decorator
@inline
function ofsChildren(e: u32): u32 {
  return load<u32>(childStart + (<usize>(e + 1) << 2)) - load<u32>(childStart + (<usize>e << 2));
}

function hasChildren(e: u32): bool {
  return ofsChildren(e) != 0 || (refCount != 0 && hasRefChild(refLowerBound(idOf(e)), idOf(e)));
}

/**
 * The roots (non-delta entries) with at least one child, in pack order, and for
 * each an estimate of the work in its tree, for the host to split the work.
 * A node costs 1 + its size / 1 KiB (a per-object setup plus hashing, which is
 * per byte); a tree sums its OFS descendants and the REF deltas on the root
 * with theirs (REF deltas on deltas are found only while resolving). Writes
 * (entry, weight) u32 pairs at `out`; returns how many.
 */
export function resolveRoots(out: usize): u32 {
  let sub = tryAlloc(<u64>max(count, 1) << 2);
  if (sub == 0) return 0;
  memory.fill(sub, 0, <usize>max(count, 1) << 2);
  // Bases come before their OFS deltas, so one backward pass sums each subtree.
  for (let i = count; i > 0; i--) {
    let e = i - 1;
    let own = 1 + <u64>(resultOf(e) >> 10) + <u64>load<u32>(sub + (<usize>e << 2));
    let cost = <u32>min(own, <u64>0xffffffff);
    store<u32>(sub + (<usize>e << 2), cost);
    if (typeOf(e) == OBJ_OFS_DELTA) {
      let b = sub + (<usize>baseOf(e) << 2);
      store<u32>(b, <u32>min(<u64>load<u32>(b) + <u64>cost, <u64>0xffffffff));
    }
  }
  let k: u32 = 0;
  for (let e: u32 = 0; e < count; e++) {
    if (isDelta(typeOf(e))) continue;
    let w = <u64>load<u32>(sub + (<usize>e << 2));
    let children = ofsChildren(e);
    if (refCount != 0) {
      let s = refLowerBound(idOf(e));
      while (hasRefChild(s, idOf(e))) {
        w += <u64>load<u32>(sub + (<usize>load<u32>(refEntries + (<usize>s << 2)) << 2));
        children++;
        s++;
      }
    }
    if (children == 0) continue;
    store<u32>(out + (<usize>k << 3), e);
    store<u32>(out + (<usize>k << 3), <u32>min(w, <u64>0xffffffff), 4);
    k++;
  }
  heap.free(sub); // the latest allocation, so it is given back
  return k;
}

/** Deltas in the pack (valid after resolveBegin). */
export function resolveDeltaCount(): u32 { return deltaCount; }

/** Resolves the trees of `n` roots whose entry numbers are u32s at `list`. Returns deltas resolved, or an error. */
export function resolveList(list: usize, n: u32): i32 {
  if (!prepared) return fail(E_INVALID_ARG, "resolveList before resolveBegin");
  recordCount = 0;
  let before = resolved;
  startArena();
  for (let k: u32 = 0; k < n; k++) {
    let r = resolveTree(load<u32>(list + (<usize>k << 2)));
    if (r < 0) return r;
  }
  return <i32>(resolved - before);
}

/** Resolves every tree, in pack order (a single instance doing all the work). */
export function resolveAll(): i32 {
  nextRoot = 0;
  let r = resolveSome(U32.MAX_VALUE);
  return r < 0 ? r : <i32>resolved;
}

/**
 * Resolves trees in pack order from where the previous call stopped, until at
 * least `budget` deltas were resolved by this call (the tree at hand is always
 * finished). Returns 1 while trees remain, 0 when every tree is done, or an
 * error. A host resolving on its only thread calls this in steps, so that
 * between them it can answer signals and aborts.
 */
export function resolveSome(budget: u32): i32 {
  if (!prepared) return fail(E_INVALID_ARG, "resolveSome before resolveBegin");
  recordCount = 0;
  startArena();
  let before = resolved;
  while (nextRoot < count) {
    let e = nextRoot++;
    if (isDelta(typeOf(e))) continue;
    let r = resolveTree(e);
    if (r < 0) return r;
    if (resolved - before >= budget) return nextRoot < count ? 1 : 0;
  }
  return 0;
}

/**
 * Gathers the stored deltas a worker needs for the trees of `n` roots (u32s at
 * `list`), as records for store.ts storeLoad: every OFS descendant, and the REF
 * deltas naming a root's id. (A REF delta on a delta cannot be found before its
 * base is resolved; the worker reads it from the pack.) Returns the length of
 * the records, at storeGatherPtr().
 */
export function resolveGather(list: usize, n: u32): i32 {
  storeGatherBegin();
  // The frame stack is free between resolutions: here it is a stack of u32s.
  for (let k: u32 = 0; k < n; k++) {
    let root = load<u32>(list + (<usize>k << 2));
    let sp: usize = 0;
    store<u32>(frames, root);
    sp = 1;
    if (refCount != 0) {
      let slot = refLowerBound(idOf(root));
      while (hasRefChild(slot, idOf(root))) {
        let c = load<u32>(refEntries + (<usize>slot << 2));
        if (!storeAppend(c)) return noMemory();
        if (sp == <usize>frameCap * (FRAME >> 2) && !growFrames(<usize>frameCap + 1)) return errorCode();
        store<u32>(frames + (sp << 2), c);
        sp++;
        slot++;
      }
    }
    while (sp != 0) {
      sp--;
      let e = load<u32>(frames + (sp << 2));
      let a = load<u32>(childStart + (<usize>e << 2));
      let b = load<u32>(childStart + (<usize>(e + 1) << 2));
      for (let j = a; j < b; j++) {
        let c = load<u32>(childList + (<usize>j << 2));
        if (!storeAppend(c)) return noMemory();
        if (sp == <usize>frameCap * (FRAME >> 2) && !growFrames(<usize>frameCap + 1)) return errorCode();
        store<u32>(frames + (sp << 2), c);
        sp++;
      }
    }
  }
  return <i32>storeGatherLen();
}

export function recordsPtr(): usize { return records; }
export function recordsCount(): u32 { return recordCount; }

/** Copies `n` records produced by another instance (at `p`) into this table. */
export function mergeRecords(p: usize, n: u32): i32 {
  for (let k: u32 = 0; k < n; k++) {
    let r = p + <usize>k * RECORD;
    let e = load<u32>(r);
    if (e >= count) return fail(E_INVALID_ARG, "record names entry " + e.toString() + " of " + count.toString());
    setBase(e, load<u32>(r, 4));
    setDepth(e, load<u32>(r, 8));
    setKind(e, load<u8>(r, 12));
    memory.copy(idOf(e), r + 16, 20);
  }
  return 0;
}

/**
 * Makes room in the forest for `extra` entries to be appended after entry
 * count-1 (the bases that complete a thin pack). Appended entries are never
 * deltas, so they have no OFS children: their childStart slots all hold the
 * end of childList. (The frame stack grows on demand.) Returns false (error
 * set) when memory runs out.
 */
export function resolveExtend(extra: u32): bool {
  if (!prepared) {
    fail(E_INVALID_ARG, "resolveExtend before resolveBegin");
    return false;
  }
  let m = <usize>count;
  let rows = m + <usize>extra;
  let cs = tryAlloc(<u64>(rows + 1) << 2);
  if (cs == 0) {
    noMemory();
    return false;
  }
  memory.copy(cs, childStart, (m + 1) << 2);
  let end = load<u32>(childStart + (m << 2));
  for (let i = m + 1; i <= rows; i++) store<u32>(cs + (i << 2), end);
  childStart = cs;
  return true;
}

/**
 * Resolves the tree under `root`, an entry appended after pass 2 whose bytes
 * the host has written to the pack: every delta naming its id, and theirs in
 * turn. Returns the deltas resolved.
 */
export function resolveAppended(root: u32): i32 {
  if (!prepared) return fail(E_INVALID_ARG, "resolveAppended before resolveBegin");
  // The bytes at the old end of the pack (its trailer) were overwritten.
  readAtOff = U64.MAX_VALUE;
  readLen = 0;
  recordCount = 0;
  let before = resolved;
  startArena();
  let r = resolveTree(root);
  if (r < 0) return r;
  return <i32>(resolved - before);
}

/**
 * The --strict checks of the commits, trees and tags stored whole (not as
 * deltas) among entries [from, to): each is read back and inflated, then
 * checked. Returns the number checked.
 */
export function resolveFsckBases(from: u32, to: u32): i32 {
  if (!prepared) return fail(E_INVALID_ARG, "resolveFsckBases before resolveBegin");
  startArena();
  let n: i32 = 0;
  for (let e = from; e < to && e < count; e++) {
    let t = typeOf(e);
    if (isDelta(t) || t == 3) continue;
    arenaTop = arenaBase;
    let p = loadRoot(e);
    if (p == 0) return errorCode();
    fsckRun(e, <u32>t, p, <usize>resultOf(e), arenaTop);
    n++;
  }
  arenaTop = arenaBase;
  return n;
}

let linksMode = false;

/**
 * The connectivity check (links.ts) of the commits, trees and tags whose
 * trees start at non-delta entries from `from` on, after the .idx is built:
 * pass 2's walk again, blobs' trees skipped. Returns the entry count when
 * done, or the entry to start again from once the host has grown the set of
 * missing links (links.ts linksFull()).
 */
export function resolveLinksFrom(from: u32): i32 {
  if (!prepared) return fail(E_INVALID_ARG, "resolveLinksFrom before resolveBegin");
  linksMode = true;
  startArena();
  for (let e = from; e < count; e++) {
    let t = typeOf(e);
    if (isDelta(t) || t == 3) continue; // a blob's deltas are blobs: no links
    let r = resolveTree(e);
    if (r == LINKS_FULL) {
      linksMode = false;
      return <i32>e;
    }
    if (r < 0) {
      linksMode = false;
      return r;
    }
  }
  linksMode = false;
  return <i32>count;
}

/** The host source pass 2 reads the pack from. */
export function resolveSource(): u32 { return source; }

/**
 * Checks that every delta was resolved. A delta never reached has a base that
 * is not in the pack, or sits in a cycle of REF deltas naming each other.
 */
export function resolveCheck(): i32 {
  let missing: u32 = 0;
  let first = NO_ENTRY;
  for (let e: u32 = 0; e < count; e++) {
    if (kindOf(e) == 0) {
      if (first == NO_ENTRY) first = e;
      missing++;
    }
  }
  if (missing == 0) return 0;
  // Name the REF delta at the top of the first unresolved chain: that is where
  // the base is missing.
  let e = first;
  while (typeOf(e) == OBJ_OFS_DELTA) e = baseOf(e);
  let at = offsetOf(e);
  let baseId = "";
  for (let k: u32 = 0; k < refCount; k++) {
    if (load<u32>(refEntries + (<usize>k << 2)) == e) { baseId = idHex(refIds + <usize>k * 20); break; }
  }
  return fail(E_MISSING_BASE, "pack has " + missing.toString() + " unresolved delta" + (missing == 1 ? "" : "s") + ": the delta at offset " + at.toString() + " needs base " + baseId + ", which is not in the pack (missing, or in a cycle of deltas)", at);
}

function startArena(): void {
  restartArena();
  sp = 0;
}

function restartArena(): void {
  // Everything allocated so far stays below; the arena is the rest of memory,
  // grown on demand and never handed to the allocator.
  let probe = heap.alloc(16);
  heap.free(probe);
  arenaBase = (probe + 64 + 15) & ~(<usize>15);
  arenaTop = arenaBase;
}

/** Makes linear memory reach `end`; false when it cannot. */
function reach(end: u64): bool {
  let have = <u64>memory.size() << 16;
  if (end <= have) return true;
  if (end > memoryLimit) return false;
  // Grow by at least 1/8 of the current size, so growing is rare.
  let want = max(end - have, have >> 3);
  if (have + want > memoryLimit) want = end - have;
  let pages = <i32>((want + 0xffff) >> 16);
  if (memory.grow(pages) >= 0) return end <= (<u64>memory.size() << 16);
  return memory.grow(<i32>((end - have + 0xffff) >> 16)) >= 0;
}

/**
 * Reserves `need` bytes at the arena top for a child of frame `parent` (or for
 * a root when parent < 0). Over budget, drops every content on the path except
 * the parent's, which moves to the arena start. Returns the address or 0.
 */
function reserve(need: u64, parent: i32, who: u32): usize {
  if (<u64>arenaTop + need > <u64>arenaBase + budget && parent >= 0) {
    let pf = <u32>parent;
    let pp = fPtr(pf);
    let plen = align16(resultOf(fEntry(pf)));
    if (pp != arenaBase) memory.copy(arenaBase, pp, <usize>plen);
    for (let f: u32 = 0; f < sp; f++) setFPtr(f, 0);
    setFPtr(pf, arenaBase);
    arenaTop = arenaBase + <usize>plen;
  }
  let end = <u64>arenaTop + need;
  if (!reach(end)) {
    let at = offsetOf(who);
    fail(E_OBJECT_TOO_LARGE, "object at offset " + at.toString() + " (" + resultOf(who).toString() + " bytes) is too large to resolve in memory (limit " + memoryLimit.toString() + " bytes)", at);
    return 0;
  }
  let p = arenaTop;
  arenaTop = <usize>end;
  return p;
}

/** Copies pack bytes [off, off+len) into the read window when not already there; returns their address or 0. */
function window(off: u64, len: usize): usize {
  if (off >= readAtOff && off + <u64>len <= readAtOff + <u64>readLen) return readBuf + <usize>(off - readAtOff);
  let want = max(len, READ_MIN);
  let end = offsetOf(count) + 20;
  if (off + <u64>want > end) want = <usize>(end - off);
  if (want < len) want = len;
  let got = readAt(source, off, readBuf, <u32>want);
  if (<usize>got < len) {
    readAtOff = U64.MAX_VALUE;
    readLen = 0;
    fail(E_READ, "pack read at offset " + off.toString() + " returned " + got.toString() + " of " + len.toString() + " bytes", off);
    return 0;
  }
  readAtOff = off;
  readLen = <usize>got;
  return readBuf;
}

/** Inflates entry `e`'s data (exactly sizeOf(e) bytes) into `dst`. */
function inflateEntry(e: u32, dst: usize): i32 {
  let at = offsetOf(e);
  let end = offsetOf(e + 1);
  let total = end - at;
  let first = <usize>min(total, <u64>READ_CAP);
  let p = window(at, first);
  if (p == 0) return errorCode();
  let h = parseEntryHeader(p, first, at);
  if (h <= 0) return fail(E_READ, "pack bytes at offset " + at.toString() + " changed since they were indexed", at);
  let want = sizeOf(e);
  inflateInit(want);
  let inPtr = p + <usize>h;
  let inLen = first - <usize>h;
  let pos = at + <u64>first;
  let out = dst;
  let outLeft = <usize>want;
  while (true) {
    let r = inflateStep(inPtr, inLen, out, outLeft);
    let c = inflateConsumed();
    let produced = inflateProduced();
    inPtr += c;
    inLen -= c;
    out += produced;
    outLeft -= produced;
    if (r == INFLATE_DONE) return 0;
    if (r == INFLATE_NEED_INPUT && inLen == 0) {
      if (pos >= end) return fail(E_READ, "object at offset " + at.toString() + " ends early on re-reading", at);
      let n = <usize>min(end - pos, <u64>READ_CAP);
      let q = window(pos, n);
      if (q == 0) return errorCode();
      inPtr = q;
      inLen = n;
      pos += <u64>n;
      continue;
    }
    if (r == INFLATE_NEED_INPUT) continue;
    if (r == INFLATE_NEED_OUTPUT) return fail(E_SIZE_MISMATCH, "object at offset " + at.toString() + " inflates to more than " + want.toString() + " bytes", at);
    return fail(r, describeZlibError(r, at, want), at);
  }
}

/** Reads and inflates root `e` into the arena; returns its address or 0. */
function loadRoot(e: u32): usize {
  let size = resultOf(e);
  let p = reserve(align16(size), -1, e);
  if (p == 0) return 0;
  if (inflateEntry(e, p) < 0) return 0;
  return p;
}

/**
 * Rebuilds child `e` of frame `parent` (whose content is present) at the arena
 * top: takes its delta from the delta store, or reads and inflates it just
 * above, and applies it. Returns the content's address or 0.
 */
function build(parent: u32, e: u32): usize {
  let outLen = resultOf(e);
  let deltaLen = sizeOf(e);
  let kept = storedAt(e);
  let p = reserve(align16(outLen) + (kept != 0 ? 0 : align16(deltaLen)), <i32>parent, e);
  if (p == 0) return 0;
  let base = fPtr(parent); // may have moved in reserve()
  let baseLen = <usize>resultOf(fEntry(parent));
  let d = kept;
  if (d == 0) {
    d = p + <usize>align16(outLen);
    if (inflateEntry(e, d) < 0) return 0;
  }
  let r = applyDelta(base, baseLen, d, <usize>deltaLen, p, <usize>outLen);
  if (r < 0) {
    let at = offsetOf(e);
    let inner = String.UTF8.decodeUnsafe(errorMessagePtr(), <usize>errorMessageLen());
    fail(E_DELTA, "bad delta in object at offset " + at.toString() + ": " + inner, at);
    return 0;
  }
  // The delta is no longer needed: keep only the content.
  arenaTop = p + <usize>align16(outLen);
  return p;
}

function push(e: u32, p: usize): bool {
  if (sp == frameCap) {
    if (!growFrames(<usize>sp + 1)) return false;
    p = 0; // dropped with the rest of the arena
  }
  let f = frames + <usize>sp * FRAME;
  store<u32>(f, e);
  store<u32>(f, <u32>p, 4);
  store<u32>(f, load<u32>(childStart + (<usize>e << 2)), 8);
  store<u32>(f, refCount != 0 ? refLowerBound(idOf(e)) : 0, 12);
  sp++;
  return true;
}

/**
 * Makes room for `need` frames (or u32 slots, to resolveGather) by doubling.
 * The stub allocator keeps the old block: at most as much again as the
 * deepest stack, against a frame per object when sized up front. The new
 * block comes from the heap, whose top is where the arena starts: every
 * content in the arena is dropped first (restore() rebuilds what the walk
 * needs again) and the arena starts over above the block.
 */
function growFrames(need: usize): bool {
  let cap = max(need, <usize>frameCap << 1);
  dropArena();
  let p = tryAlloc(<u64>cap * FRAME);
  if (p == 0) {
    fail(E_OUT_OF_MEMORY, "no memory for a delta chain " + need.toString() + " deep");
    return false;
  }
  memory.copy(p, frames, <usize>frameCap * FRAME);
  frames = p;
  frameCap = <u32>cap;
  restartArena();
  return true;
}

/** Forgets every content in the arena (a heap allocation is about to take its place). */
function dropArena(): void {
  for (let f: u32 = 0; f < sp; f++) setFPtr(f, 0);
  drops++;
}

/** Room for one more record of this batch (drops the arena, as growFrames does). */
function growRecords(): bool {
  let cap = max(<usize>1024, <usize>recordCap << 1);
  dropArena();
  let p = tryAlloc(<u64>cap * RECORD);
  if (p == 0) {
    fail(E_OUT_OF_MEMORY, "no memory for the records of a batch of deltas");
    return false;
  }
  if (recordCount != 0) memory.copy(p, records, <usize>recordCount * RECORD);
  records = p;
  recordCap = <u32>cap;
  restartArena();
  return true;
}

/** Brings back the content of frame `f` (dropped to stay in budget) from its nearest kept ancestor. */
function restore(f: u32): bool {
  // Contents above f were released, so the arena top is the end of the nearest kept one below.
  let a = <i32>f - 1;
  while (a >= 0 && fPtr(<u32>a) == 0) a--;
  if (a < 0) {
    arenaTop = arenaBase;
    let p = loadRoot(fEntry(0));
    if (p == 0) return false;
    setFPtr(0, p);
    a = 0;
  } else {
    let ua = <u32>a;
    arenaTop = fPtr(ua) + <usize>align16(resultOf(fEntry(ua)));
  }
  for (let k = <u32>a + 1; k <= f; k++) {
    let p = build(k - 1, fEntry(k));
    if (p == 0) return false;
    setFPtr(k, p);
  }
  return true;
}

/** resolveTree() in links mode: the set of missing links filled up; the host grows it and walks again. */
const LINKS_FULL: i32 = 1;

function resolveTree(root: u32): i32 {
  if (!hasChildren(root) && !linksMode) return 0;
  arenaTop = arenaBase;
  sp = 0;
  let p = loadRoot(root);
  if (p == 0) return errorCode();
  if (linksMode && !linksOf(root, <u32>kindOf(root), p, <usize>resultOf(root))) return LINKS_FULL;
  if (!hasChildren(root)) return 0;
  if (!push(root, p)) return errorCode();
  while (sp != 0) {
    let f = sp - 1;
    let e = fEntry(f);
    // Next child: OFS children first, then REF children with this id.
    let child = NO_ENTRY;
    let slot = frames + <usize>f * FRAME;
    let o = load<u32>(slot, 8);
    if (o < load<u32>(childStart + (<usize>(e + 1) << 2))) {
      child = load<u32>(childList + (<usize>o << 2));
      store<u32>(slot, o + 1, 8);
    } else {
      let r = load<u32>(slot, 12);
      if (hasRefChild(r, idOf(e))) {
        child = load<u32>(refEntries + (<usize>r << 2));
        store<u32>(slot, r + 1, 12);
      }
    }
    if (child == NO_ENTRY) {
      // Subtree done: release this content (the top is the end of the kept content below).
      sp--;
      let q = fPtr(f);
      if (q != 0) arenaTop = q;
      continue;
    }
    if (kindOf(child) != 0 && !linksMode) continue; // an object twice in the pack: resolved already
    if (fPtr(f) == 0 && !restore(f)) return errorCode();
    let c = build(f, child);
    if (c == 0) return errorCode();
    let kind = kindOf(e);
    let size = resultOf(child);
    if (linksMode) {
      if (!linksOf(child, <u32>kind, c, <usize>size)) return LINKS_FULL;
      if (hasChildren(child)) {
        if (!push(child, c)) return errorCode();
      } else arenaTop = c;
      continue;
    }
    hashObjectStart(ctx, kind, size);
    sha1Update(ctx, c, <usize>size);
    if (sha1Final(ctx, idOf(child)) == E_SHA1_COLLISION) {
      let at = offsetOf(child);
      return fail(E_SHA1_COLLISION, "SHA-1 collision attack detected in object at offset " + at.toString(), at);
    }
    if (strict && kind != 3) fsckRun(child, kind, c, <usize>size, arenaTop);
    setKind(child, kind);
    setBase(child, e);
    setDepth(child, depthOf(e) + 1);
    let dropsBefore = drops;
    if (recording) {
      if (recordCount == recordCap && !growRecords()) return errorCode();
      let r = records + <usize>recordCount * RECORD;
      store<u32>(r, child);
      store<u32>(r, e, 4);
      store<u32>(r, depthOf(e) + 1, 8);
      store<u32>(r, <u32>kind, 12);
      memory.copy(r + 16, idOf(child), 20);
      recordCount++;
    }
    resolved++;
    if ((resolved & 1023) == 0) progress(PROGRESS_RESOLVING, resolved, deltaCount);
    if (drops != dropsBefore) c = 0; // the records grew over it
    if (hasChildren(child)) {
      if (!push(child, c)) return errorCode();
    } else if (c != 0) arenaTop = c;
  }
  return 0;
}
