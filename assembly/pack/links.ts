// The connectivity half of `git index-pack --strict`: every object a commit
// (its tree, its parents), a tag (the object it names) or a tree (each entry
// but submodules) in the pack names must exist with the type it is named as
// (fsck_walk() marking links, check_objects() in builtin/index-pack.c).
//
// Checked once the .idx is built, when every id in the pack is known: pass 2's
// walk runs again over the commits, trees and tags (resolve.ts, links mode),
// and each link is looked up in the .idx. A link of the wrong type inside the
// pack is a finding (fsck.ts); a link the pack does not hold goes into a set
// of ids, each with the type expected, for the host to look up in the
// repository. The set is sized by the host, and grown between calls: nothing
// here allocates while pass 2's arena is in use.
//
//   set slot (24 bytes): id (20), expected type u8, used u8, 2 spare

import { E_OUT_OF_MEMORY, fail } from "../error";
import { FSCK_LINK_TYPE, fsckReport } from "../fsck";
import { idxFind } from "./idx";
import { entryAt, count, kindOf } from "./table";
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../mode";

const SLOT: usize = 24;

let set: usize = 0;
let slots: u32 = 0;
let used: u32 = 0;
let full = false;
const idBuf = memory.data(24);
// git knows the empty tree without storing it (cached_objects in object-file.c).
const EMPTY_TREE = memory.data<u8>([0x4b, 0x82, 0x5d, 0xc6, 0x42, 0xcb, 0x6e, 0xb9, 0xa0, 0x60, 0xe5, 0x4b, 0xf8, 0xd6, 0x92, 0x88, 0xfb, 0xee, 0x49, 0x04]);

/** The set of links the pack lacks: `slots` slots at linksSetPtr(); used ones have byte 21 set. */
export function linksSetPtr(): usize { return set; }
export function linksSetSlots(): u32 { return slots; }

/** Whether the set filled up during the last walk (the host grows it and walks again from where it stopped). */
export function linksFull(): bool { return full; }

/** Makes the set `n` slots (a power of two), keeping what it holds. */
export function linksGrow(n: u32): i32 {
  let p = heap.alloc(<usize>n * SLOT);
  if (p == 0) return fail(E_OUT_OF_MEMORY, "no memory for " + n.toString() + " missing links");
  memory.fill(p, 0, <usize>n * SLOT);
  let old = set, oldSlots = slots;
  set = p;
  slots = n;
  used = 0;
  for (let i: u32 = 0; i < oldSlots; i++) {
    let s = old + <usize>i * SLOT;
    if (load<u8>(s, 21) != 0) insert(s, <u32>load<u8>(s, 20));
  }
  full = false;
  return 0;
}

function insert(id: usize, expected: u32): void {
  if (used >= slots - (slots >> 3)) {
    full = true;
    return;
  }
  let h = load<u32>(id) & (slots - 1);
  while (true) {
    let s = set + <usize>h * SLOT;
    if (load<u8>(s, 21) == 0) {
      memory.copy(s, id, 20);
      store<u8>(s, <u8>expected, 20);
      store<u8>(s, 1, 21);
      used++;
      return;
    }
    // A second expectation for one missing id: the first stands (git's
    // lookup would have failed on the second; the repository decides).
    if (memory.compare(s, id, 20) == 0) return;
    h = (h + 1) & (slots - 1);
  }
}

// @ts-ignore: decorator
@inline function hexVal(c: u32): u32 { return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10; }

/** 40 hex digits at p (already checked by fsck) into idBuf. */
function fromHex(p: usize): usize {
  for (let i: usize = 0; i < 20; i++) {
    store<u8>(idBuf + i, <u8>((hexVal(<u32>load<u8>(p + 2 * i)) << 4) | hexVal(<u32>load<u8>(p + 2 * i + 1))));
  }
  return idBuf;
}

/** One link from `entry` to the object at `id`, named as type `expected`. */
function link(entry: u32, id: usize, expected: u32): void {
  let off = idxFind(id);
  if (off == U64.MAX_VALUE) {
    // The empty tree needs no lookup (git knows it without storing it).
    if (expected == 2 && memory.compare(id, EMPTY_TREE, 20) == 0) return;
    insert(id, expected);
    return;
  }
  let target = entryAt(off, count);
  let actual = <u32>kindOf(target);
  if (actual == expected) return;
  // payload: the id, then the target's entry number; aux: expected | actual << 8.
  memory.copy(idBuf, id, 20);
  store<u32>(idBuf, target, 20);
  fsckReport(entry, FSCK_LINK_TYPE, expected | (actual << 8), idBuf, 24);
}

/**
 * The links of object `entry` (type `kind`, content [p, p+len), which passed
 * fsck): fsck_walk_commit, fsck_walk_tag, fsck_walk_tree. Returns false when
 * the set filled up.
 */
export function linksOf(entry: u32, kind: u32, p: usize, len: usize): bool {
  let end = p + len;
  if (kind == 1) {
    // "tree <hex>\n" then "parent <hex>\n"... (parse_commit_buffer checked them).
    link(entry, fromHex(p + 5), 2);
    let q = p + 46;
    while (q + 47 < end && isParent(q)) {
      link(entry, fromHex(q + 7), 1);
      q += 48;
    }
  } else if (kind == 4) {
    // "object <hex>\ntype <t>\n" (parse_tag_buffer checked them).
    // The type as a C string: up to a NUL or the newline.
    let t = p + 53;
    let e = t;
    while (e < end && load<u8>(e) != 0x0a && load<u8>(e) != 0) e++;
    let n = e - t;
    let expected: u32 = n == 6 ? 1 : n == 4 && load<u8>(t) == 0x74 ? 2 : n == 4 ? 3 : 4;
    link(entry, fromHex(p + 7), expected);
  } else if (kind == 2) {
    // tree_entry_gently(): entries up to the first that does not decode.
    let q = p;
    while (q < end) {
      if (end - q < 23 || load<u8>(end - 21) != 0 || load<u8>(q) == 0x20) break;
      let mode: u32 = 0;
      let ok = true;
      while (true) {
        let c = <u32>load<u8>(q++);
        if (c == 0x20) break;
        if (c < 0x30 || c > 0x37) { ok = false; break; }
        mode = (mode << 3) + (c - 0x30);
      }
      if (!ok || load<u8>(q) == 0) break;
      while (load<u8>(q) != 0) q++;
      let id = q + 1;
      q = id + 20;
      let type = mode & S_IFMT;
      if (type == S_IFDIR) link(entry, id, 2);
      else if (type == S_IFREG || type == S_IFLNK) link(entry, id, 3);
      // anything else is read as a submodule (canon_mode): not followed
    }
  }
  return !full;
}

function isParent(q: usize): bool {
  // "parent "
  return load<u8>(q) == 0x70 && load<u8>(q, 1) == 0x61 && load<u8>(q, 2) == 0x72 && load<u8>(q, 3) == 0x65 &&
    load<u8>(q, 4) == 0x6e && load<u8>(q, 5) == 0x74 && load<u8>(q, 6) == 0x20;
}
