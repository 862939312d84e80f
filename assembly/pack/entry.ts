// Pack entry headers (gitformat-pack.txt, "Object types" and "Size encoding").
//
//   byte 0      : MSB = more size bytes, bits 4-6 = type, bits 0-3 = size bits 0-3
//   bytes 1..   : 7 size bits each, least significant group first, MSB = more
//   OFS_DELTA   : the base's distance back from this entry, big-endian base-128
//                 where each continuation adds 1 before shifting ("offset encoding"),
//                 so every distance has exactly one encoding
//   REF_DELTA   : the base's 20-byte object id
//
// The parser mirrors git's unpack_object_header_buffer() and the OFS_DELTA
// arithmetic of index-pack.c's unpack_raw_entry(), including their limits: a size
// must fit 64 bits and a base must start before this entry.

import { E_PACK_FORMAT, fail } from "../error";

export const OBJ_COMMIT: u8 = 1;
export const OBJ_TREE: u8 = 2;
export const OBJ_BLOB: u8 = 3;
export const OBJ_TAG: u8 = 4;
export const OBJ_OFS_DELTA: u8 = 6;
export const OBJ_REF_DELTA: u8 = 7;

/** The longest header: 10 size bytes + 10 offset bytes (or 20 id bytes). */
export const ENTRY_HEADER_MAX: usize = 30;

// Results of the last parseEntryHeader(), kept in globals so the hot path
// returns a single integer and never allocates.
export let entryType: u8 = 0;
export let entrySize: u64 = 0;
/** OFS_DELTA: absolute pack offset of the base. */
export let entryBaseOffset: u64 = 0;
/** REF_DELTA: pointer to the 20-byte base id inside the parsed bytes. */
export let entryBaseId: usize = 0;

/** Header parse result meaning "the bytes given end inside the header". */
export const NEED_MORE: i32 = 0;

// @ts-ignore: decorator
@inline
export function isDelta(type: u8): bool {
  return type >= OBJ_OFS_DELTA;
}

/**
 * Parses the header of the entry at pack offset `at`, whose bytes start at `p`
 * (at most `avail` of them are readable). Returns the header length, NEED_MORE
 * when `avail` ends inside the header, or E_PACK_FORMAT.
 */
export function parseEntryHeader(p: usize, avail: usize, at: u64): i32 {
  if (avail == 0) return NEED_MORE;
  let c = <u32>load<u8>(p);
  let type = <u8>((c >> 4) & 7);
  let size: u64 = <u64>(c & 15);
  let shift: u64 = 4;
  let i: usize = 1;
  while (c & 0x80) {
    if (i >= avail) return NEED_MORE;
    // git: "bitsizeof(long) <= shift" is a bad header; a size needs <= 64 bits.
    if (shift >= 64) return fail(E_PACK_FORMAT, "bad object header: size does not fit 64 bits at pack offset " + at.toString(), at);
    c = <u32>load<u8>(p + i++);
    size |= <u64>(c & 0x7f) << shift;
    shift += 7;
  }
  // 2^64-1 is no object's size, and it is the inflater's "size unknown": taken
  // as a size, it would switch off the check that the data inflates to it.
  if (size == U64.MAX_VALUE) return fail(E_PACK_FORMAT, "bad object header: size 18446744073709551615 at pack offset " + at.toString(), at);
  entryType = type;
  entrySize = size;
  if (type == OBJ_OFS_DELTA) {
    if (i >= avail) return NEED_MORE;
    c = <u32>load<u8>(p + i++);
    let dist: u64 = <u64>(c & 0x7f);
    while (c & 0x80) {
      if (i >= avail) return NEED_MORE;
      dist += 1;
      // The next shift would lose bits: git's "offset value overflow".
      if (dist == 0 || (dist >> 57) != 0) {
        return fail(E_PACK_FORMAT, "delta base offset overflows 64 bits at pack offset " + at.toString(), at);
      }
      c = <u32>load<u8>(p + i++);
      dist = (dist << 7) + <u64>(c & 0x7f);
    }
    if (dist == 0 || dist > at) {
      return fail(E_PACK_FORMAT, "delta base offset is out of bounds (" + dist.toString() + " bytes back) at pack offset " + at.toString(), at);
    }
    entryBaseOffset = at - dist;
  } else if (type == OBJ_REF_DELTA) {
    if (i + 20 > avail) return NEED_MORE;
    entryBaseId = p + i;
    i += 20;
  } else if (type == 0 || type == 5) {
    return fail(E_PACK_FORMAT, "unknown object type " + type.toString() + " at pack offset " + at.toString(), at);
  }
  return <i32>i;
}
