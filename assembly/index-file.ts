// The index file (.git/index), version 2 (3 when an entry has extended flags),
// as git's write_index() lays it out (Documentation/gitformat-index.txt):
//
//   header   "DIRC" | u32 version = 2 or 3 | u32 entry count     (big-endian)
//   entries  sorted by path bytes (stage 0 only here), each:
//            u32 ctime sec, ctime nsec, mtime sec, mtime nsec, dev, ino,
//            mode, uid, gid, size  (all truncated to 32 bits)
//            20-byte object id
//            u16 flags: assume-valid(1) extended(1) stage(2) name length(12,
//                       0xFFF when the path is longer)
//            version 3, when the extended bit is set: u16 extended flags:
//                       reserved(1) skip-worktree(1) intent-to-add(1) unused(13)
//            path bytes, then 1-8 NULs so the entry's length is a multiple of 8
//   trailer  SHA-1 of everything above
//
//   extension "TREE" (the cache tree), when the host gives trees: u32 length,
//            then per tree, parent before children (git's cache-tree.c
//            write_one()): component name, NUL, ASCII entry count (-1 when
//            unknown), SP, ASCII subtree count, LF, and the 20-byte tree id
//            unless the count is -1. git's checkout writes it so later
//            commands (commit, status, diff-index) need not hash the trees again.
//
// The host passes one 72-byte record per entry (little-endian, host order):
//
//   +0 ctimeSec  +4 ctimeNsec  +8 mtimeSec  +12 mtimeNsec  +16 dev  +20 ino
//   +24 mode  +28 uid  +32 gid  +36 size          (u32 each)
//   +40 id (20 bytes)
//   +60 pathPtr (u32, into linear memory)  +64 pathLen (u32)
//   +68 flags (u32): bit 0 = skip-worktree (a sparse checkout left the file
//       out of the work tree; git writes such an entry as version 3 with the
//       extended flag, and write_index() then raises the whole file to 3)
//
// and one 40-byte record per cache-tree node, in the order they are written
// (a node, then its subtrees ordered by name length, then name bytes, as
// cache-tree.c's subtree_name_cmp() keeps them):
//
//   +0 namePtr  +4 nameLen (0 for the root)  +8 entry count (i32, -1 unknown)
//   +12 subtree count  +16 id (20 bytes)  +36 reserved

import { E_INVALID_ARG, E_PATH, fail } from "./error";
import { checkComponent, ruleMessage, RULE_DUPLICATE, RULE_EMPTY, RULE_NUL, RULE_OK } from "./path-safety";
import { sha1CtxSize, sha1Final, sha1Init, sha1Update } from "./sha1";

const RECORD_SIZE: usize = 72;
const TREE_RECORD_SIZE: usize = 40;
/** Record flag: the entry is not in the work tree (CE_SKIP_WORKTREE). */
const REC_SKIP_WORKTREE: u32 = 1;
/** On-disk flags (read-cache.c): CE_EXTENDED in the u16 flags, CE_SKIP_WORKTREE in the extended u16. */
const DISK_EXTENDED: u16 = 0x4000;
const DISK_SKIP_WORKTREE: u16 = 0x4000;

/** Bytes of an entry on disk: 62 (64 with extended flags) + path, NUL-padded to a multiple of 8 (at least one NUL). */
@inline
function entrySize(len: usize, extended: bool): usize {
  return (len + (extended ? 72 : 70)) & ~(<usize>7);
}

let out: usize = 0;
let outCap: usize = 0;
let order: usize = 0;
let orderCap: usize = 0;
let sha1Ctx: usize = 0;

@inline
function bswap32(v: u32): u32 {
  return bswap<u32>(v);
}

function comparePaths(ra: usize, rb: usize): i32 {
  let a = <usize>load<u32>(ra, 60), la = <usize>load<u32>(ra, 64);
  let b = <usize>load<u32>(rb, 60), lb = <usize>load<u32>(rb, 64);
  let c = memory.compare(a, b, min(la, lb));
  if (c != 0) return c;
  return <i32>la - <i32>lb;
}

/**
 * Verifies a whole path as verify_path() does: no empty component (so no
 * leading, trailing or doubled '/'), no NUL, every component safe for the
 * entry's mode. Returns RULE_OK or the rule broken.
 */
function checkPath(p: usize, n: usize, mode: u32): i32 {
  if (n == 0) return RULE_EMPTY;
  let start: usize = 0;
  for (let i: usize = 0; i <= n; i++) {
    if (i == n || load<u8>(p + i) == 0x2f) {
      let r = checkComponent(p + start, i - start, mode);
      if (r != RULE_OK) return r;
      start = i + 1;
    } else if (load<u8>(p + i) == 0) {
      return RULE_NUL;
    }
  }
  return RULE_OK;
}

/** Bottom-up merge sort of `n` u32 record pointers at `a` (scratch `b`). Stable. */
function sortRecords(a: usize, b: usize, n: usize): usize {
  let src = a, dst = b;
  for (let width: usize = 1; width < n; width *= 2) {
    for (let lo: usize = 0; lo < n; lo += 2 * width) {
      let mid = min(lo + width, n), hi = min(lo + 2 * width, n);
      let i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        let x = load<u32>(src + (i << 2)), y = load<u32>(src + (j << 2));
        if (comparePaths(x, y) <= 0) { store<u32>(dst + (k << 2), x); i++; }
        else { store<u32>(dst + (k << 2), y); j++; }
        k++;
      }
      while (i < mid) { store<u32>(dst + (k << 2), load<u32>(src + (i << 2))); i++; k++; }
      while (j < hi) { store<u32>(dst + (k << 2), load<u32>(src + (j << 2))); j++; k++; }
    }
    let t = src; src = dst; dst = t;
  }
  return src;
}

/** Decimal digits of `v` (may be -1) at `o`; returns the end. */
function putDecimal(o: usize, v: i32): usize {
  if (v < 0) {
    store<u8>(o++, 0x2d);
    v = -v;
  }
  let digits = 1;
  for (let t = v; t >= 10; t /= 10) digits++;
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(o + <usize>i, <u8>(0x30 + v % 10));
    v /= 10;
  }
  return o + <usize>digits;
}

/**
 * Builds the index file from `count` entry records at `records` and
 * `treeCount` cache-tree records at `trees` (0 for no TREE extension).
 * Returns its length in bytes (read it at indexFilePtr()), or E_PATH (a path
 * that must not be in an index; errorOffset = the record's number) or
 * E_INVALID_ARG.
 */
export function indexBuild(records: usize, count: u32, trees: usize, treeCount: u32): i32 {
  let n = <usize>count;
  // Sort record pointers by path; a checkout's tree walk already gives index
  // order, so first check and skip the sort when it does.
  if (n * 2 > orderCap) {
    orderCap = max<usize>(n * 2, 1024);
    order = heap.alloc(orderCap << 2);
  }
  let sorted = true;
  for (let i: usize = 0; i < n; i++) {
    let r = records + i * RECORD_SIZE;
    store<u32>(order + (i << 2), <u32>r);
    if (i > 0 && comparePaths(r - RECORD_SIZE, r) >= 0) sorted = false;
  }
  let list = order;
  if (!sorted) list = sortRecords(order, order + (n << 2), n);

  let size: usize = 12 + 20;
  let extended = false;
  for (let i: usize = 0; i < n; i++) {
    let r = <usize>load<u32>(list + (i << 2));
    let len = <usize>load<u32>(r, 64);
    let rule = checkPath(<usize>load<u32>(r, 60), len, load<u32>(r, 24));
    if (rule != RULE_OK) return fail(E_PATH, ruleMessage(rule), <u64>((r - records) / RECORD_SIZE));
    if (i > 0 && comparePaths(<usize>load<u32>(list + ((i - 1) << 2)), r) == 0) {
      return fail(E_PATH, ruleMessage(RULE_DUPLICATE), <u64>((r - records) / RECORD_SIZE));
    }
    let flags = load<u32>(r, 68);
    if (flags & ~REC_SKIP_WORKTREE) return fail(E_INVALID_ARG, "unknown entry flags", <u64>((r - records) / RECORD_SIZE));
    let ext = flags != 0;
    if (ext) extended = true;
    size += entrySize(len, ext);
  }
  let treeBytes: usize = 0;
  for (let i: usize = 0; i < <usize>treeCount; i++) {
    let t = trees + i * TREE_RECORD_SIZE;
    // name, NUL, two numbers of at most 11 characters, SP, LF, id
    treeBytes += <usize>load<u32>(t, 4) + 1 + 11 + 1 + 10 + 1 + 20;
  }
  if (treeCount > 0) size += 8 + treeBytes;
  if (size > 0x7fffffff) return fail(E_INVALID_ARG, "index file would exceed 2 GiB");
  if (size > outCap) {
    outCap = max<usize>(size + (size >> 2), 4096);
    out = heap.alloc(outCap);
  }

  let o = out;
  store<u32>(o, bswap32(0x44495243)); // "DIRC"
  store<u32>(o, bswap32(extended ? 3 : 2), 4);
  store<u32>(o, bswap32(count), 8);
  o += 12;
  for (let i: usize = 0; i < n; i++) {
    let r = <usize>load<u32>(list + (i << 2));
    for (let f: usize = 0; f < 40; f += 4) store<u32>(o + f, bswap32(load<u32>(r + f)));
    memory.copy(o + 40, r + 40, 20);
    let len = <usize>load<u32>(r, 64);
    let ext = load<u32>(r, 68) != 0;
    let flags = <u16>min<usize>(len, 0xfff);
    let name: usize = 62;
    if (ext) {
      flags |= DISK_EXTENDED;
      store<u16>(o, bswap<u16>(DISK_SKIP_WORKTREE), 62);
      name = 64;
    }
    store<u16>(o, bswap<u16>(flags), 60);
    memory.copy(o + name, <usize>load<u32>(r, 60), len);
    let entryLen = entrySize(len, ext);
    memory.fill(o + name + len, 0, entryLen - (len + name));
    o += entryLen;
  }
  if (treeCount > 0) {
    let ext = o;
    store<u32>(o, bswap32(0x54524545)); // "TREE"
    o += 8;
    for (let i: usize = 0; i < <usize>treeCount; i++) {
      let t = trees + i * TREE_RECORD_SIZE;
      let nameLen = <usize>load<u32>(t, 4);
      memory.copy(o, <usize>load<u32>(t), nameLen);
      o += nameLen;
      store<u8>(o++, 0);
      let entries = load<i32>(t, 8);
      o = putDecimal(o, entries);
      store<u8>(o++, 0x20);
      o = putDecimal(o, <i32>load<u32>(t, 12));
      store<u8>(o++, 0x0a);
      if (entries >= 0) {
        memory.copy(o, t + 16, 20);
        o += 20;
      }
    }
    store<u32>(ext, bswap32(<u32>(o - ext - 8)), 4);
  }
  if (sha1Ctx == 0) sha1Ctx = heap.alloc(sha1CtxSize());
  sha1Init(sha1Ctx, false); // our own bytes: plain SHA-1 is enough
  sha1Update(sha1Ctx, out, o - out);
  sha1Final(sha1Ctx, o);
  return <i32>(o + 20 - out);
}

/** The bytes built by the last indexBuild(). */
export function indexFilePtr(): usize {
  return out;
}
