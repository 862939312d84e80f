// Content conversion on checkout: the byte work of git's convert.c
// (convert_to_working_tree) that depends on the blob's bytes alone.
//
//   convertStats()      gather_stats(): the counts git's end-of-line rules and
//                       its "is this binary?" guess are made from.
//   convertToWorktree() ident_to_worktree() ($Id$ -> $Id: <blob id> $), then
//                       crlf_to_worktree() (naked LF -> CRLF), in git's order.
//
// Which steps apply to a path (attributes, core.autocrlf, core.eol) is the
// host's business; it passes the decision as flags. Output goes to one of two
// buffers owned here (one per step, so the eol step can read the ident step's
// output); they only grow, so a checkout allocates a few times, not per file.
//
// Stats record at convertStatsPtr(), six u32 (little-endian):
//
//   +0 nul  +4 lonecr  +8 lonelf  +12 crlf  +16 printable  +20 nonprintable

import { E_OUT_OF_MEMORY, fail } from "./error";

/** Expand `$Id$` and `$Id:...$` (the `ident` attribute). */
export const CONVERT_IDENT: i32 = 1;
/** Turn each naked LF into CRLF (text with CRLF output: TEXT_CRLF). */
export const CONVERT_CRLF: i32 = 2;
/** As CONVERT_CRLF, but only for content git would call text and that has no CR yet (AUTO_CRLF). */
export const CONVERT_CRLF_AUTO: i32 = 4;

const stats = memory.data(24);
const HEX = memory.data<u8>([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66]);
/** "Id: " + 40 hex digits + " $" replaces "Id$" (3 bytes): 43 more bytes at most per keyword. */
const IDENT_GROWTH: usize = 43;
const MAX_OUT: usize = 0x7fffffff;

let identBuf: usize = 0;
let identCap: usize = 0;
let eolBuf: usize = 0;
let eolCap: usize = 0;
let outPtr: usize = 0;

/**
 * Counts what git's gather_stats() counts in [src, src+len) into the record at
 * convertStatsPtr(), and returns 1 when git's convert_is_binary() would call
 * the content binary (a lone CR, a NUL, or fewer than 128 printable bytes per
 * non-printable one), else 0. BS, HT, ESC and FF count as printable; a final
 * ^Z (DOS end of file) is not counted as non-printable.
 */
export function convertStats(src: usize, len: usize): i32 {
  let nul: u32 = 0, lonecr: u32 = 0, lonelf: u32 = 0, crlf: u32 = 0, printable: u32 = 0, nonprintable: u32 = 0;
  let end = src + len;
  let p = src;
  while (p < end) {
    let c = <u32>load<u8>(p++);
    if (c >= 32) {
      if (c == 127) nonprintable++;
      else printable++;
    } else if (c == 10) {
      lonelf++;
    } else if (c == 13) {
      if (p < end && load<u8>(p) == 10) {
        crlf++;
        p++;
      } else lonecr++;
    } else if (c == 8 || c == 9 || c == 27 || c == 12) {
      printable++;
    } else {
      if (c == 0) nul++;
      nonprintable++;
    }
  }
  if (len > 0 && load<u8>(end - 1) == 0x1a) nonprintable--;
  store<u32>(stats, nul);
  store<u32>(stats, lonecr, 4);
  store<u32>(stats, lonelf, 8);
  store<u32>(stats, crlf, 12);
  store<u32>(stats, printable, 16);
  store<u32>(stats, nonprintable, 20);
  return lonecr > 0 || nul > 0 || (printable >> 7) < nonprintable ? 1 : 0;
}

/** The record convertStats() fills. */
export function convertStatsPtr(): usize {
  return stats;
}

/**
 * Converts the blob content at [src, src+len) as `flags` ask (CONVERT_*) and
 * returns the length of the result, which is at convertOutPtr(): `src` itself
 * when nothing changed. `id` points at the blob's 20-byte id (for ident).
 * Fails with E_OUT_OF_MEMORY when the result would exceed 2 GiB.
 */
export function convertToWorktree(src: usize, len: usize, flags: i32, id: usize): i32 {
  outPtr = src;
  if (flags & CONVERT_IDENT) {
    let n = identCount(src, len);
    if (n > 0) {
      let need = len + <usize>n * IDENT_GROWTH;
      if (need > MAX_OUT) return fail(E_OUT_OF_MEMORY, "ident expansion would exceed 2 GiB");
      if (need > identCap) {
        identCap = max<usize>(need + (need >> 2), 4096);
        identBuf = heap.alloc(identCap);
      }
      len = identExpand(src, len, identBuf, id);
      src = identBuf;
      outPtr = src;
    }
  }
  if (flags & (CONVERT_CRLF | CONVERT_CRLF_AUTO)) {
    let binary = convertStats(src, len);
    let lonelf = <usize>load<u32>(stats, 8);
    // will_convert_lf_to_crlf(): no naked LF, nothing to do; "auto" leaves
    // alone anything with a CR already, and anything that looks binary.
    if (lonelf == 0) return <i32>len;
    if (flags & CONVERT_CRLF_AUTO) {
      if (load<u32>(stats, 4) != 0 || load<u32>(stats, 12) != 0 || binary) return <i32>len;
    }
    let need = len + lonelf;
    if (need > MAX_OUT) return fail(E_OUT_OF_MEMORY, "CRLF conversion would exceed 2 GiB");
    if (need > eolCap) {
      eolCap = max<usize>(need + (need >> 2), 4096);
      eolBuf = heap.alloc(eolCap);
    }
    len = lfToCrlf(src, len, eolBuf);
    outPtr = eolBuf;
  }
  return <i32>len;
}

/** Where the last convertToWorktree() left its result. */
export function convertOutPtr(): usize {
  return outPtr;
}

/**
 * crlf_to_worktree(): copies [src, src+len) to `dst`, every LF not already
 * preceded by CR becoming CRLF. Returns the output length.
 */
function lfToCrlf(src: usize, len: usize, dst: usize): usize {
  let end = src + len;
  let run = src; // start of bytes not yet copied
  let o = dst;
  for (let p = src; p < end; p++) {
    if (load<u8>(p) != 10) continue;
    if (p > src && load<u8>(p - 1) == 13) continue;
    let n = p - run;
    memory.copy(o, run, n);
    o += n;
    store<u16>(o, 0x0a0d); // "\r\n"
    o += 2;
    run = p + 1;
  }
  let n = end - run;
  memory.copy(o, run, n);
  return o + n - dst;
}

/**
 * count_ident(): how many `$Id$` or `$Id:...$` (no LF before the closing
 * `$`) there are. git expands only when this is not zero.
 */
function identCount(src: usize, len: usize): i32 {
  let cnt = 0;
  let p = src;
  let end = src + len;
  while (p < end) {
    let c = load<u8>(p++);
    if (c != 0x24) continue; // '$'
    if (end - p < 3) break;
    if (load<u8>(p) != 0x49 || load<u8>(p + 1) != 0x64) continue; // "Id"
    c = load<u8>(p + 2);
    p += 3;
    if (c == 0x24) cnt++;
    if (c != 0x3a) continue; // ':'
    while (p < end) {
      c = load<u8>(p++);
      if (c == 0x24) {
        cnt++;
        break;
      }
      if (c == 0x0a) break;
    }
  }
  return cnt;
}

/** Index of the first `byte` in [p, end), or `end`. */
@inline
function find(p: usize, end: usize, byte: u8): usize {
  while (p < end && load<u8>(p) != byte) p++;
  return p;
}

/**
 * ident_to_worktree(): `$Id$` and `$Id:<anything without LF, and no space
 * but one right before the closing $>$` become `$Id: <40 hex> $`. A `$Id:`
 * with no `$` after it ends the scan (the rest is copied as it is).
 */
function identExpand(src: usize, len: usize, dst: usize, id: usize): usize {
  let end = src + len;
  let p = src;
  let o = dst;
  while (p < end) {
    let dollar = find(p, end, 0x24);
    if (dollar == end) break;
    let n = dollar + 1 - p;
    memory.copy(o, p, n);
    o += n;
    p = dollar + 1;
    if (end - p < 3 || load<u8>(p) != 0x49 || load<u8>(p + 1) != 0x64) continue;
    let c = load<u8>(p + 2);
    if (c == 0x24) {
      p += 3;
    } else if (c == 0x3a) {
      let close = find(p + 3, end, 0x24);
      if (close == end) break;
      if (find(p + 3, close, 0x0a) != close) continue;
      // A space other than the one before the closing '$' means a keyword
      // of some other system: kept as it is.
      if (close >= p + 4) {
        let spc = find(p + 4, close, 0x20);
        if (spc < close - 1) continue;
      }
      p = close + 1;
    } else continue;
    // "Id: " <hex> " $"
    store<u32>(o, 0x203a6449);
    o += 4;
    for (let i: usize = 0; i < 20; i++) {
      let b = <usize>load<u8>(id + i);
      store<u8>(o, load<u8>(HEX + (b >> 4)));
      store<u8>(o + 1, load<u8>(HEX + (b & 15)));
      o += 2;
    }
    store<u16>(o, 0x2420); // " $"
    o += 2;
  }
  let n = end - p;
  memory.copy(o, p, n);
  return o + n - dst;
}
