// Git's delta format: rebuilding an object from a base and a delta.
//
// A delta (as stored in OFS_DELTA and REF_DELTA pack entries, after inflation) is
//
//   base size   : varint, 7 bits per byte, least significant group first, MSB = more
//   result size : varint, same encoding
//   commands    : until the end of the delta
//     1xxxxxxx  copy from the base. Bits 0-3 say which of the 4 little-endian offset
//               bytes follow, bits 4-6 which of the 3 size bytes follow (absent
//               bytes are zero). A size of 0 means 0x10000.
//     0nnnnnnn  insert the next n (1..127) bytes of the delta itself.
//     00000000  reserved: an error (git: "unexpected delta opcode 0").
//
// See git's Documentation/gitformat-pack.txt ("Deltified representation") and
// patch-delta.c, whose checks this mirrors: every copy stays inside the base,
// every insert inside the delta, and the output is exactly the declared size.
//
// Error offsets are byte offsets inside the delta; callers that know the pack
// entry re-report with the pack offset.

import { E_DELTA, fail, OK } from "../error";

let lastBaseSize: u64 = 0;
let lastResultSize: u64 = 0;
let lastHeaderLen: i32 = 0;

/**
 * Reads one size varint at `p` (not past `end`). Returns the position after it,
 * or 0 when the varint runs off the end or does not fit in 64 bits. The value is
 * left in `varintValue`.
 */
let varintValue: u64 = 0;
// @ts-ignore: decorator
@inline
function readVarint(p: usize, end: usize): usize {
  let v: u64 = 0;
  let shift: u64 = 0;
  while (true) {
    if (p >= end) return 0;
    let b = <u64>load<u8>(p++);
    if (shift > 63 || (shift == 63 && (b & 0x7e) != 0)) return 0;
    v |= (b & 0x7f) << shift;
    shift += 7;
    if ((b & 0x80) == 0) break;
  }
  varintValue = v;
  return p;
}

/**
 * Parses the two size varints at the start of a delta. Returns the header length
 * and stores the sizes for deltaBaseSize()/deltaResultSize(), or returns E_DELTA.
 */
export function deltaHeader(delta: usize, deltaLen: usize): i32 {
  let end = delta + deltaLen;
  let p = readVarint(delta, end);
  if (p == 0) return fail(E_DELTA, "delta header: truncated or oversized base size", 0);
  lastBaseSize = varintValue;
  p = readVarint(p, end);
  if (p == 0) return fail(E_DELTA, "delta header: truncated or oversized result size", <u64>(p - delta));
  lastResultSize = varintValue;
  lastHeaderLen = <i32>(p - delta);
  return lastHeaderLen;
}

/** Base size declared by the delta last given to deltaHeader(). */
export function deltaBaseSize(): u64 { return lastBaseSize; }

/** Result size declared by the delta last given to deltaHeader(). */
export function deltaResultSize(): u64 { return lastResultSize; }

/**
 * Applies `delta` (header included) to `base`, writing exactly `outLen` bytes at
 * `out`. The declared base size must equal `baseLen` and the declared result size
 * `outLen`. Returns OK or E_DELTA (message and delta offset via the error ABI).
 * `out` must not overlap `base` or `delta`.
 */
export function applyDelta(base: usize, baseLen: usize, delta: usize, deltaLen: usize, out: usize, outLen: usize): i32 {
  let h = deltaHeader(delta, deltaLen);
  if (h < 0) return h;
  if (lastBaseSize != <u64>baseLen) {
    return fail(E_DELTA, "delta base size " + lastBaseSize.toString() + " does not match the base's " + baseLen.toString(), 0);
  }
  if (lastResultSize != <u64>outLen) {
    return fail(E_DELTA, "delta result size " + lastResultSize.toString() + " does not match the expected " + outLen.toString(), 0);
  }
  let p = delta + <usize>h;
  let end = delta + deltaLen;
  let o = out;
  let oEnd = out + outLen;
  while (p < end) {
    let cmd = <u32>load<u8>(p);
    let at = p; // start of this command, for error offsets
    p++;
    if (cmd & 0x80) {
      // Copy: the optional bytes are present when their bit is set. Checking
      // once that all 7 could be present lets the common case skip counting them.
      let off: u32 = 0;
      let size: u32 = 0;
      if (p + 7 > end) {
        let need = <usize>popcnt(cmd & 0x7f);
        if (p + need > end) return fail(E_DELTA, "delta truncated inside a copy command", <u64>(at - delta));
      }
      if (cmd & 0x01) off = <u32>load<u8>(p++);
      if (cmd & 0x02) off |= <u32>load<u8>(p++) << 8;
      if (cmd & 0x04) off |= <u32>load<u8>(p++) << 16;
      if (cmd & 0x08) off |= <u32>load<u8>(p++) << 24;
      if (cmd & 0x10) size = <u32>load<u8>(p++);
      if (cmd & 0x20) size |= <u32>load<u8>(p++) << 8;
      if (cmd & 0x40) size |= <u32>load<u8>(p++) << 16;
      if (size == 0) size = 0x10000;
      // 64-bit sums: off + size can exceed 2^32.
      if (<u64>off + <u64>size > <u64>baseLen) {
        return fail(E_DELTA, "delta copies base bytes " + off.toString() + ".." + (<u64>off + <u64>size).toString() + " outside the base of " + baseLen.toString() + " bytes", <u64>(at - delta));
      }
      if (<usize>size > oEnd - o) {
        return fail(E_DELTA, "delta copy writes past the declared result size " + outLen.toString(), <u64>(at - delta));
      }
      memory.copy(o, base + <usize>off, <usize>size);
      o += <usize>size;
    } else if (cmd != 0) {
      let n = <usize>cmd;
      if (n > end - p) return fail(E_DELTA, "delta truncated inside an insert command", <u64>(at - delta));
      if (n > oEnd - o) return fail(E_DELTA, "delta insert writes past the declared result size " + outLen.toString(), <u64>(at - delta));
      memory.copy(o, p, n);
      o += n;
      p += n;
    } else {
      return fail(E_DELTA, "delta has the reserved command 0", <u64>(at - delta));
    }
  }
  if (o != oEnd) {
    return fail(E_DELTA, "delta produced " + (o - out).toString() + " bytes, declared " + outLen.toString(), <u64>deltaLen);
  }
  return OK;
}
