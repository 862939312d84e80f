// Completing a thin pack (git index-pack --fix-thin): after pass 2, REF deltas
// whose base is not in the pack are still unresolved. The host looks each base
// up in its repository and appends it to the pack as a whole object; the core
// checks that it hashes to the id asked for, adds it to the entry table and
// resolves every delta below it. Last, the pack's checksum is computed again
// over the grown pack with the new object count in its header.
//
// The order is git's (fix_unresolved_deltas in builtin/index-pack.c): REF deltas
// in pack order, each one still unresolved when its turn comes getting its base
// appended, so a base that resolves later deltas too is appended once, and a
// delta whose base turns up under an earlier appended object needs none.
//
//   pack before:  header(n) | entries 0..n-1 | trailer
//   pack after:   header(n+k) | entries 0..n-1 | base 1 | ... | base k | trailer'
//
// An appended entry starts where the old trailer did: the host overwrites it.

import { crc32Update } from "../crc32";
import { deflateBound, deflateZlib } from "../deflate";
import { E_INVALID_ARG, E_OBJECT_TOO_LARGE, E_OUT_OF_MEMORY, E_READ, E_SHA1_COLLISION, errorCode, fail } from "../error";
import { readAt } from "../host";
import { sha1CtxSize, sha1Final, sha1Init, sha1Update } from "../sha1";
import { OBJ_REF_DELTA } from "./entry";
import { hashObjectStart } from "./object";
import { resolveAppended, resolveExtend, resolveSource } from "./resolve";
import { packChecksum } from "./scan";
import {
  addRow, capacity, compareId, count, idHex, idOf, kindOf, NO_ENTRY, offsetOf, relayout,
  setBase, setCrc, setDepth, setKind, setOffset, setResult, setSize, setType, tryAlloc, typeOf,
} from "./table";

const READ_CHUNK: usize = 256 << 10;

const baseId = memory.data(20);
let ctx: usize = 0;
let buf: usize = 0;
let originalCount: u32 = 0;

let entryBuf: usize = 0;
let entryCap: usize = 0;

/** Where packThinEntry() leaves the entry it built. */
export function thinEntryPtr(): usize { return entryBuf; }

/**
 * Builds the pack entry git's append_obj_to_pack() writes for an object of
 * type `kind` (1-4) and content [content, content+len): the type-and-size
 * header, then the content as a zlib stream at `level` (git's
 * core.loosecompression, 1 by default; 1-3 are made here, as zlib makes them).
 * Returns the entry's length; its bytes are at thinEntryPtr().
 */
export function thinEntry(kind: u32, content: usize, len: usize, level: i32): i32 {
  if (kind < 1 || kind > 4) return fail(E_INVALID_ARG, "appended object of type " + kind.toString() + ": only commits, trees, blobs and tags complete a pack");
  if (<u64>len > 0x3fff0000) return fail(E_OBJECT_TOO_LARGE, "local object of " + len.toString() + " bytes is too large to append");
  let need = <usize>deflateBound(<u32>len) + 16;
  if (need > entryCap) {
    let cap = max(need, entryCap << 1);
    let p = tryAlloc(<u64>cap);
    if (p == 0) return fail(E_OUT_OF_MEMORY, "no memory to compress a local object of " + len.toString() + " bytes");
    entryBuf = p;
    entryCap = cap;
  }
  // Type and size: 4 bits of size in the first byte, 7 in each next (gitformat-pack).
  let n: usize = 0;
  let c = (kind << 4) | (<u32>len & 15);
  let rest = <u64>len >> 4;
  while (rest != 0) {
    store<u8>(entryBuf + n++, <u8>(c | 0x80));
    c = <u32>rest & 0x7f;
    rest >>= 7;
  }
  store<u8>(entryBuf + n++, <u8>c);
  let z = deflateZlib(level, content, len, entryBuf + n, entryCap - n);
  if (z < 0) return z;
  return <i32>(n + <usize>z);
}

/** The id of the base named by the last thinNext(). */
export function thinBasePtr(): usize { return baseId; }

/**
 * Starts completing the pack after pass 2. Returns how many deltas are
 * unresolved (fewer objects than that can be appended: one at most per REF
 * delta among them); 0 means the pack is complete and nothing more is needed.
 */
export function thinBegin(): i32 {
  let n: u32 = 0;
  for (let e: u32 = 0; e < count; e++) {
    if (kindOf(e) == 0) n++;
  }
  if (n == 0) return 0;
  if (ctx == 0) {
    ctx = tryAlloc(sha1CtxSize());
    buf = tryAlloc(READ_CHUNK);
    if (buf == 0) return fail(E_OUT_OF_MEMORY, "no memory to complete a thin pack");
  }
  originalCount = count;
  if (!resolveExtend(n)) return errorCode();
  if (!relayout(count + n)) return errorCode();
  return <i32>n;
}

/**
 * The first REF delta at entry `from` or later that is still unresolved:
 * returns its entry number and copies its base's id to thinBasePtr(); -1 when
 * there is none.
 */
export function thinNext(from: u32): i32 {
  for (let e = from; e < originalCount; e++) {
    if (typeOf(e) == OBJ_REF_DELTA && kindOf(e) == 0) {
      // Until resolved, a REF delta's id slot holds its base's id (table.ts).
      memory.copy(baseId, idOf(e), 20);
      return <i32>e;
    }
  }
  return -1;
}

/**
 * Appends object `expected` (20-byte id) of type `kind` (1-4), whose content is
 * [content, content+len), as the entry [entry, entry+entryLen) (its header and
 * zlib stream) that the host has written to the pack where the trailer was.
 * Resolves the deltas below it; returns how many.
 */
export function thinAppend(kind: u32, content: usize, len: usize, entry: usize, entryLen: usize, expected: usize): i32 {
  let e = count;
  if (e >= capacity) return fail(E_INVALID_ARG, "more objects appended than there were unresolved deltas");
  if (kind < 1 || kind > 4) return fail(E_INVALID_ARG, "appended object of type " + kind.toString() + ": only commits, trees, blobs and tags complete a pack");
  let id = idOf(e);
  hashObjectStart(ctx, <u8>kind, <u64>len);
  sha1Update(ctx, content, len);
  if (sha1Final(ctx, id) == E_SHA1_COLLISION) {
    return fail(E_SHA1_COLLISION, "SHA-1 collision attack detected in local object " + idHex(expected));
  }
  // git: "local object %s is corrupt" (check_object_signature failing).
  if (compareId(id, expected) != 0) return fail(E_INVALID_ARG, "local object " + idHex(expected) + " is corrupt (its content hashes to " + idHex(id) + ")");
  let at = offsetOf(e);
  setOffset(e + 1, at + <u64>entryLen);
  setSize(e, <u64>len);
  setResult(e, <u64>len);
  setCrc(e, crc32Update(0, entry, entryLen));
  setBase(e, NO_ENTRY);
  setDepth(e, 0);
  setType(e, <u8>kind);
  setKind(e, <u8>kind);
  addRow();
  return resolveAppended(e);
}

/**
 * Ends the completion: the table goes back to the exact layout of its rows,
 * and the pack checksum (packChecksumPtr) becomes the SHA-1 of the grown pack
 * as it will be once the host has written the header's new object count
 * (`count`, big-endian at offset 8): the bytes are read back through the source
 * pass 2 reads from, the header patched on the way.
 */
export function thinEnd(): i32 {
  if (ctx == 0) return fail(E_INVALID_ARG, "thinEnd before thinBegin");
  if (!relayout(count)) return errorCode();
  let end = offsetOf(count);
  let src = resolveSource();
  sha1Init(ctx, false);
  let pos: u64 = 0;
  while (pos < end) {
    let want = <u32>min(<u64>READ_CHUNK, end - pos);
    let got = readAt(src, pos, buf, want);
    if (got < want) return fail(E_READ, "pack read at offset " + pos.toString() + " returned " + got.toString() + " of " + want.toString() + " bytes", pos);
    if (pos == 0) store<u32>(buf, bswap<u32>(count), 8);
    sha1Update(ctx, buf, <usize>want);
    pos += <u64>want;
  }
  sha1Final(ctx, packChecksum);
  return 0;
}
