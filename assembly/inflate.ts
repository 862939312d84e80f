// zlib inflate (RFC 1950 container, RFC 1951 deflate data) on linear memory.
//
// One global inflater (a core instance inflates one stream at a time). It is a
// resumable state machine: input may arrive in chunks of any size, output may
// go to a different buffer on every call, and the bit position is kept across
// calls, so a chunk may end anywhere, even inside a Huffman code.
//
// Two decoding paths share one bit buffer and one set of tables:
//
// - The fast loop (state LEN, enough input and output left) refills a 64-bit
//   bit buffer with one unaligned 8-byte load per iteration (byte by byte in
//   the last 8 bytes of input, stopping when fewer than 48 bits are left) and
//   decodes without per-symbol bounds checks; it checks output room once per
//   match. After a refill the buffer holds ≥ 48 bits: a length (≤ 15 code + 5
//   extra bits) plus a distance (≤ 15 + 13) is ≤ 48 bits, three literals ≤ 45
//   bits, so one refill covers a whole iteration. Anything unusual (a code it
//   cannot handle, a distance reaching before this call's output, a match that
//   does not fit, an invalid code) rewinds to the start of the iteration and
//   hands over to the careful path, which reports the error or does the work.
// - The careful path decodes one field at a time, pulls input only as needed
//   and returns INFLATE_NEED_INPUT / INFLATE_NEED_OUTPUT at any field boundary.
//
// Table entries (u32), in the style of libdeflate's decode tables:
//
//   bits 0-7   bits to consume: code length + extra bits (length/distance)
//   bits 8-11  code length alone (where the extra bits start)
//   bit 12     end of block            bit 13  subtable pointer
//   bit 14     exceptional (EOB, subtable pointer or invalid code)
//   bit 15     literal
//   bits 16-31 literal byte, length base, distance base, precode symbol,
//              or (pointer) index of the subtable
//
// A subtable pointer holds the main table's bit count in bits 0-7 and the
// subtable's in bits 8-11. So a length or a distance, with its extra bits, is
// one lookup plus one shift and mask:
//   value = (e >> 16) + ((bitbuf & mask(e & 0xff)) >> ((e >> 8) & 15))
//
// Bit-buffer discipline: `bitcnt` counts valid bits; bits above it may hold
// copies of the next input bytes (the 8-byte refill loads more than it counts).
// Those are the same bits a later refill ORs in at the same place, so they are
// harmless; they are cleared before input is skipped over (stored blocks) and
// when a call returns.

import {
  fail, E_INVALID_ARG, E_ZLIB_HEADER, E_DEFLATE_DATA, E_ZLIB_CHECKSUM, E_SIZE_MISMATCH, E_TRUNCATED,
} from "./error";
import { adler32Update } from "./adler32";

export const INFLATE_DONE: i32 = 1;
export const INFLATE_NEED_INPUT: i32 = 2;
export const INFLATE_NEED_OUTPUT: i32 = 3;

// Entry flags.
const F_EOB: u32 = 0x1000;
const F_SUB: u32 = 0x2000;
const F_EXC: u32 = 0x4000;
const F_LIT: u32 = 0x8000;

// Main table sizes. 11 bits for literal/length codes and 8 for distances, as in
// libdeflate: most codes resolve in one lookup, and filling the table stays
// cheap for the short streams packs are made of. The table for a code is built
// with min(these, longest code length) bits.
const LIT_BITS: u32 = 11;
const DIST_BITS: u32 = 8;
const PRE_BITS: u32 = 7;
// Worst-case sizes, main table plus subtables, for complete codes (zlib's
// `enough` utility: 288 symbols/11 bits/max 15 → 2342, 32/8/15 → 402).
const LIT_ENOUGH: u32 = 2342;
const DIST_ENOUGH: u32 = 402;

// States of the careful path.
const S_HEAD: i32 = 0;
const S_BLOCK: i32 = 1;
const S_STORED: i32 = 2;
const S_COPY: i32 = 3;
const S_TABLE: i32 = 4;
const S_LENLENS: i32 = 5;
const S_CODELENS: i32 = 6;
const S_LEN: i32 = 7;
const S_DIST: i32 = 8;
const S_MATCH: i32 = 9;
const S_CHECK: i32 = 10;
const S_DONE: i32 = 11;
const S_BAD: i32 = 12;

const WSIZE: u32 = 32768;
const WMASK: u32 = 32767;

// ---- static memory ----------------------------------------------------------
const litTable = memory.data(<i32>(LIT_ENOUGH * 4), 16);
const distTable = memory.data(<i32>(DIST_ENOUGH * 4), 16);
const preTable = memory.data(128 * 4, 16);
const fixedLitTable = memory.data(512 * 4, 16);
const fixedDistTable = memory.data(32 * 4, 16);
const litTemplates = memory.data(288 * 4, 16);
const distTemplates = memory.data(32 * 4, 16);
const preTemplates = memory.data(19 * 4, 16);
const lens = memory.data(320 + 16, 16);     // code lengths: literal/length, then distance
const preLens = memory.data(32, 16);        // code length code lengths (19 used)
const counts = memory.data(32 * 4, 16);     // codes per length (u32), 16..31 stay zero
const offsets = memory.data(16 * 4, 16);
const sorted = memory.data(288 * 2, 16);    // symbols sorted by (length, symbol), u16
const window = memory.data(<i32>WSIZE, 16); // last 32 KiB of output from earlier calls

// Order of the code length code lengths (RFC 1951 section 3.2.7).
const PRE_ORDER = memory.data<u8>([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);
// Length and distance bases and extra bits (RFC 1951 section 3.2.5).
const LEN_BASE = memory.data<u16>([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LEN_EXTRA = memory.data<u8>([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const DIST_BASE = memory.data<u16>([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
const DIST_EXTRA = memory.data<u8>([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);

let templatesReady = false;
let fixedReady = false;
let fixedLitBits: u32 = 0;
let fixedDistBits: u32 = 0;

// ---- inflater state -----------------------------------------------------------
let state: i32 = S_DONE;
let bitbuf: u64 = 0;
let bitcnt: u32 = 0;
let finalBlock = false;
let curLit: usize = 0;
let curLitBits: u32 = 0;
let curDist: usize = 0;
let curDistBits: u32 = 0;
let preBits: u32 = 0;
let pendLen: u32 = 0;
let pendDist: u32 = 0;
let storedLeft: u32 = 0;
let nlen: u32 = 0;
let ndist: u32 = 0;
let ncode: u32 = 0;
let lensIdx: u32 = 0;
let adler: u32 = 1;
let expected: u64 = U64.MAX_VALUE;
let totalIn: u64 = 0;
let totalOut: u64 = 0;
let lastConsumed: usize = 0;
let lastProduced: usize = 0;
let whave: u32 = 0;
let wnext: u32 = 0;
let badCode: i32 = 0;
let badOffset: u64 = 0;

// Per-call positions (the careful path works on these; the fast loop copies
// them into locals).
let gIn: usize = 0;
let gInStart: usize = 0;
let gInEnd: usize = 0;
let gOut: usize = 0;
let gOutStart: usize = 0;
let gOutEnd: usize = 0;
let gOutCapped = false;   // gOutEnd is the expected size, not the buffer's end
let gPre: u32 = 0;        // main-table bits in front of the entry decodeSlow returned
let adlerFrom: usize = 0; // output of this call not yet in the Adler-32

// ---- exports ------------------------------------------------------------------

/** Starts a new zlib stream. `expectedSize` = U64.MAX_VALUE when unknown. */
export function inflateInit(expectedSize: u64): void {
  state = S_HEAD;
  bitbuf = 0;
  bitcnt = 0;
  finalBlock = false;
  pendLen = 0;
  storedLeft = 0;
  adler = 1;
  expected = expectedSize;
  totalIn = 0;
  totalOut = 0;
  lastConsumed = 0;
  lastProduced = 0;
  whave = 0;
  wnext = 0;
}

/**
 * Inflates from [inPtr, inPtr+inLen) into [outPtr, outPtr+outLen). Returns
 * INFLATE_DONE, INFLATE_NEED_INPUT (all input consumed), INFLATE_NEED_OUTPUT
 * (output buffer full) or a negative E_* code.
 */
export function inflateStep(inPtr: usize, inLen: usize, outPtr: usize, outLen: usize): i32 {
  lastConsumed = 0;
  lastProduced = 0;
  if (state == S_DONE) return INFLATE_DONE;
  if (state == S_BAD) return fail(badCode, "zlib: the stream already failed; call inflateInit", badOffset);
  gIn = inPtr;
  gInStart = inPtr;
  gInEnd = inPtr + inLen;
  gOut = outPtr;
  gOutStart = outPtr;
  gOutEnd = outPtr + outLen;
  gOutCapped = false;
  adlerFrom = outPtr;
  if (expected != U64.MAX_VALUE) {
    let left = expected - totalOut;
    if (left <= <u64>outLen) {
      gOutEnd = outPtr + <usize>left;
      gOutCapped = true;
    }
  }
  let status = run();
  let produced = gOut - outPtr;
  if (status == INFLATE_DONE || status == INFLATE_NEED_OUTPUT) {
    // Give back whole bytes the bit buffer holds but the stream has not used
    // (only bytes of this call's input: earlier ones are gone).
    let back = min(<usize>(bitcnt >> 3), gIn - inPtr);
    gIn -= back;
    bitcnt -= <u32>back << 3;
  }
  bitbuf &= bitcnt >= 64 ? U64.MAX_VALUE : ((<u64>1 << bitcnt) - 1);
  if (status > 0) {
    if (status != INFLATE_DONE) {
      adler = adler32Update(adler, adlerFrom, gOut - adlerFrom);
      saveWindow(outPtr, produced);
    }
  } else {
    badCode = status;
    badOffset = errorPos;
    state = S_BAD;
  }
  lastConsumed = gIn - inPtr;
  lastProduced = produced;
  totalIn += <u64>lastConsumed;
  totalOut += <u64>produced;
  return status;
}

/** Input bytes consumed by the last inflateStep. */
export function inflateConsumed(): usize { return lastConsumed; }
/** Output bytes written by the last inflateStep. */
export function inflateProduced(): usize { return lastProduced; }
/** Input bytes consumed since inflateInit. */
export function inflateTotalIn(): u64 { return totalIn; }
/** Output bytes written since inflateInit. */
export function inflateTotalOut(): u64 { return totalOut; }

/**
 * One-shot: inflates a whole zlib stream from [inPtr, inPtr+inLen) into exactly
 * outLen bytes at outPtr. Input after the stream's end is left alone. Returns
 * the number of input bytes the stream used, or a negative E_* code.
 */
export function inflateWhole(inPtr: usize, inLen: usize, outPtr: usize, outLen: usize): i32 {
  inflateInit(<u64>outLen);
  let r = inflateStep(inPtr, inLen, outPtr, outLen);
  if (r == INFLATE_DONE) return <i32>lastConsumed;
  if (r == INFLATE_NEED_INPUT) {
    state = S_BAD;
    badCode = E_TRUNCATED;
    badOffset = <u64>inLen;
    return fail(E_TRUNCATED, "zlib: stream truncated (input ended before the end of the stream)", <u64>inLen);
  }
  return r;
}

// ---- the careful path ---------------------------------------------------------

let errorPos: u64 = 0;

/** Byte offset (from the stream's start) of the first bit not yet consumed. */
// @ts-ignore: decorator
@inline function bitOffset(): u64 {
  return ((totalIn + <u64>(gIn - gInStart)) * 8 - <u64>bitcnt) >> 3;
}

function bad(code: i32, msg: string): i32 {
  errorPos = bitOffset();
  return fail(code, msg, errorPos);
}

/** Pulls input into the bit buffer, as much as fits (it ends with ≤ 63 bits). */
// @ts-ignore: decorator
@inline function pull(): void {
  if (gInEnd - gIn >= 8) {
    bitbuf |= load<u64>(gIn) << bitcnt;
    gIn += (63 - bitcnt) >> 3;
    bitcnt |= 56;
  } else {
    while (bitcnt <= 56 && gIn < gInEnd) {
      bitbuf |= (<u64>load<u8>(gIn)) << bitcnt;
      gIn++;
      bitcnt += 8;
    }
  }
}

/** True when at least n bits (n ≤ 32) are buffered, pulling input if needed. */
// @ts-ignore: decorator
@inline function have(n: u32): bool {
  if (bitcnt >= n) return true;
  pull();
  return bitcnt >= n;
}

// @ts-ignore: decorator
@inline function drop(n: u32): void {
  bitbuf >>= <u64>n;
  bitcnt -= n;
}

/**
 * Decodes one entry of `tab` (following a subtable pointer), pulling input
 * until its code and extra bits are buffered. Returns 0 when input ran out.
 * Sets gPre to the main-table bits in front of the returned entry.
 */
function decodeSlow(tab: usize, mainBits: u32): u32 {
  while (true) {
    let e = load<u32>(tab + ((<usize>bitbuf & ((<usize>1 << mainBits) - 1)) << 2));
    let pre: u32 = 0;
    if (e & F_SUB) {
      pre = mainBits;
      let sub = (<usize>(bitbuf >> <u64>pre)) & ((<usize>1 << ((e >> 8) & 15)) - 1);
      e = load<u32>(tab + ((<usize>(e >> 16) + sub) << 2));
    }
    // An entry whose bits are all buffered is right whatever the unbuffered
    // bits above were: codes are prefix-free.
    if (bitcnt >= pre + (e & 0xff)) {
      gPre = pre;
      return e;
    }
    let before = bitcnt;
    pull();
    if (bitcnt == before) return 0;
  }
}

/** The output buffer is full: a pause, or an error when the cap was the expected size. */
function outFull(): i32 {
  if (gOutCapped) return bad(E_SIZE_MISMATCH, "zlib: stream inflates to more than the expected size");
  return INFLATE_NEED_OUTPUT;
}

function run(): i32 {
  while (true) {
    let s = state;
    if (s == S_LEN) {
      if (gOutEnd - gOut >= 3 && (gInEnd - gIn >= 8 || bitcnt + (<u32>(gInEnd - gIn) << 3) >= 48)) {
        fastLoop();
        if (state != S_LEN) continue;
      }
      // One symbol, carefully.
      let e = decodeSlow(curLit, curLitBits);
      if (e == 0) return INFLATE_NEED_INPUT;
      let pre = gPre;
      if (e & F_LIT) {
        if (gOut >= gOutEnd) return outFull();
        store<u8>(gOut, <u8>(e >> 16));
        gOut++;
        drop(pre + (e & 0xff));
        continue;
      }
      if (e & F_EXC) {
        if (e & F_EOB) {
          drop(pre + (e & 0xff));
          state = finalBlock ? S_CHECK : S_BLOCK;
          continue;
        }
        return bad(E_DEFLATE_DATA, "zlib: invalid literal/length code");
      }
      let cl = (e >> 8) & 15;
      let extra = (<u32>(bitbuf >> <u64>(pre + cl))) & ((<u32>1 << ((e & 0xff) - cl)) - 1);
      pendLen = (e >> 16) + extra;
      drop(pre + (e & 0xff));
      state = S_DIST;
      continue;
    }
    if (s == S_DIST) {
      let e = decodeSlow(curDist, curDistBits);
      if (e == 0) return INFLATE_NEED_INPUT;
      if (e & F_EXC) return bad(E_DEFLATE_DATA, "zlib: invalid distance code");
      let pre = gPre;
      let cl = (e >> 8) & 15;
      let extra = (<u32>(bitbuf >> <u64>(pre + cl))) & ((<u32>1 << ((e & 0xff) - cl)) - 1);
      let dist = (e >> 16) + extra;
      if (<usize>dist > (gOut - gOutStart) + <usize>whave) {
        return bad(E_DEFLATE_DATA, "zlib: invalid distance too far back");
      }
      drop(pre + (e & 0xff));
      pendDist = dist;
      state = S_MATCH;
      continue;
    }
    if (s == S_MATCH) {
      while (pendLen > 0) {
        let room = gOutEnd - gOut;
        if (room == 0) return outFull();
        let inBuf = gOut - gOutStart;
        let n: usize;
        if (<usize>pendDist > inBuf) {
          // The source starts in the window of earlier calls' output.
          let back = <u32>(<usize>pendDist - inBuf);
          let wpos = (wnext - back) & WMASK;
          n = min(min(<usize>pendLen, <usize>back), min(room, <usize>(WSIZE - wpos)));
          memory.copy(gOut, window + <usize>wpos, n);
        } else {
          n = min(<usize>pendLen, room);
          let src = gOut - <usize>pendDist;
          for (let i: usize = 0; i < n; i++) store<u8>(gOut + i, load<u8>(src + i));
        }
        gOut += n;
        pendLen -= <u32>n;
      }
      state = S_LEN;
      continue;
    }
    if (s == S_BLOCK) {
      if (!have(3)) return INFLATE_NEED_INPUT;
      let hdr = <u32>bitbuf & 7;
      let type = hdr >> 1;
      if (type == 3) return bad(E_DEFLATE_DATA, "zlib: invalid block type");
      finalBlock = (hdr & 1) != 0;
      drop(3);
      if (type == 0) {
        state = S_STORED;
      } else if (type == 1) {
        useFixedTables();
        state = S_LEN;
      } else {
        state = S_TABLE;
      }
      continue;
    }
    if (s == S_TABLE) {
      if (!have(14)) return INFLATE_NEED_INPUT;
      let v = <u32>bitbuf;
      nlen = (v & 31) + 257;
      ndist = ((v >> 5) & 31) + 1;
      ncode = ((v >> 10) & 15) + 4;
      // RFC 1951 section 3.2.7: at most 286 literal/length and 30 distance codes.
      if (nlen > 286 || ndist > 30) return bad(E_DEFLATE_DATA, "zlib: too many length or distance symbols");
      drop(14);
      lensIdx = 0;
      state = S_LENLENS;
      continue;
    }
    if (s == S_LENLENS) {
      while (lensIdx < ncode) {
        if (!have(3)) return INFLATE_NEED_INPUT;
        store<u8>(preLens + <usize>load<u8>(PRE_ORDER + <usize>lensIdx), <u8>(<u32>bitbuf & 7));
        drop(3);
        lensIdx++;
      }
      for (let i = ncode; i < 19; i++) store<u8>(preLens + <usize>load<u8>(PRE_ORDER + <usize>i), 0);
      ensureTemplates();
      let bits = buildTable(preLens, 19, preTable, PRE_BITS, preTemplates, true);
      if (bits < 0) return bad(E_DEFLATE_DATA, "zlib: invalid code lengths set");
      preBits = <u32>bits;
      lensIdx = 0;
      state = S_CODELENS;
      continue;
    }
    if (s == S_CODELENS) {
      let total = nlen + ndist;
      let pmask: usize = (<usize>1 << preBits) - 1;
      while (lensIdx < total) {
        // A code length code is ≤ 7 bits plus ≤ 7 extra bits, and its table has
        // no subtables: with 14 bits buffered one lookup decodes it.
        if (bitcnt < 14) pull();
        let e: u32;
        if (bitcnt >= 14) {
          e = load<u32>(preTable + ((<usize>bitbuf & pmask) << 2));
        } else {
          e = decodeSlow(preTable, preBits);
          if (e == 0) return INFLATE_NEED_INPUT;
        }
        let sym = e >> 16;
        let bits = e & 0xff;
        if (sym < 16) {
          store<u8>(lens + <usize>lensIdx, <u8>sym);
          lensIdx++;
          drop(bits);
          continue;
        }
        let cl = (e >> 8) & 15;
        let extra = (<u32>(bitbuf >> <u64>cl)) & ((<u32>1 << (bits - cl)) - 1);
        let val: u32 = 0;
        let rep: u32;
        if (sym == 16) {
          if (lensIdx == 0) return bad(E_DEFLATE_DATA, "zlib: invalid bit length repeat");
          val = <u32>load<u8>(lens + <usize>lensIdx - 1);
          rep = 3 + extra;
        } else if (sym == 17) {
          rep = 3 + extra;
        } else {
          rep = 11 + extra;
        }
        if (lensIdx + rep > total) return bad(E_DEFLATE_DATA, "zlib: invalid bit length repeat");
        let p = lens + <usize>lensIdx;
        for (let i: usize = 0; i < <usize>rep; i++) store<u8>(p + i, <u8>val);
        lensIdx += rep;
        drop(bits);
      }
      if (load<u8>(lens + 256) == 0) return bad(E_DEFLATE_DATA, "zlib: invalid code -- missing end-of-block");
      let lb = buildTable(lens, nlen, litTable, LIT_BITS, litTemplates, false);
      if (lb < 0) return bad(E_DEFLATE_DATA, "zlib: invalid literal/lengths set");
      let db = buildTable(lens + <usize>nlen, ndist, distTable, DIST_BITS, distTemplates, false);
      if (db < 0) return bad(E_DEFLATE_DATA, "zlib: invalid distances set");
      curLit = litTable;
      curLitBits = <u32>lb;
      curDist = distTable;
      curDistBits = <u32>db;
      state = S_LEN;
      continue;
    }
    if (s == S_STORED) {
      // RFC 1951 section 3.2.4: skip to a byte boundary, then LEN and NLEN.
      drop(bitcnt & 7);
      if (!have(32)) return INFLATE_NEED_INPUT;
      let v = <u32>bitbuf;
      if ((v & 0xffff) != (~v >>> 16)) return bad(E_DEFLATE_DATA, "zlib: invalid stored block lengths");
      storedLeft = v & 0xffff;
      drop(32);
      state = S_COPY;
      continue;
    }
    if (s == S_COPY) {
      // Whole bytes still in the bit buffer come first.
      while (storedLeft > 0 && bitcnt >= 8) {
        if (gOut >= gOutEnd) return outFull();
        store<u8>(gOut, <u8>bitbuf);
        gOut++;
        drop(8);
        storedLeft--;
      }
      if (storedLeft > 0) {
        bitbuf = 0; // bitcnt is 0: forget the look-ahead copies, input is skipped below
        let n = min(min(<usize>storedLeft, gInEnd - gIn), gOutEnd - gOut);
        memory.copy(gOut, gIn, n);
        gOut += n;
        gIn += n;
        storedLeft -= <u32>n;
        if (storedLeft > 0) {
          if (gOut == gOutEnd) return outFull();
          return INFLATE_NEED_INPUT;
        }
      }
      state = finalBlock ? S_CHECK : S_BLOCK;
      continue;
    }
    if (s == S_HEAD) {
      if (!have(16)) return INFLATE_NEED_INPUT;
      let cmf = <u32>bitbuf & 0xff;
      let flg = (<u32>(bitbuf >> 8)) & 0xff;
      // RFC 1950 section 2.2.
      if (((cmf << 8) | flg) % 31 != 0) return bad(E_ZLIB_HEADER, "zlib: incorrect header check");
      if ((cmf & 15) != 8) return bad(E_ZLIB_HEADER, "zlib: unknown compression method");
      if ((cmf >> 4) > 7) return bad(E_ZLIB_HEADER, "zlib: invalid window size");
      if (flg & 0x20) return bad(E_ZLIB_HEADER, "zlib: preset dictionary (FDICT) not supported");
      drop(16);
      state = S_BLOCK;
      continue;
    }
    if (s == S_CHECK) {
      drop(bitcnt & 7);
      if (!have(32)) return INFLATE_NEED_INPUT;
      adler = adler32Update(adler, adlerFrom, gOut - adlerFrom);
      adlerFrom = gOut;
      let want = bswap<u32>(<u32>bitbuf);
      if (want != adler) return bad(E_ZLIB_CHECKSUM, "zlib: incorrect data check (Adler-32 mismatch)");
      drop(32);
      if (expected != U64.MAX_VALUE && totalOut + <u64>(gOut - gOutStart) != expected) {
        return bad(E_SIZE_MISMATCH, "zlib: stream inflates to less than the expected size");
      }
      state = S_DONE;
      return INFLATE_DONE;
    }
    return E_INVALID_ARG;
  }
}

// ---- the fast loop --------------------------------------------------------------

function fastLoop(): void {
  let bb = bitbuf;
  let bc = bitcnt;
  let ip = gIn;
  let op = gOut;
  const inEnd = gInEnd;
  const outEnd = gOutEnd;
  const outStart = gOutStart;
  const lt = curLit;
  const lmask: usize = (<usize>1 << curLitBits) - 1;
  const dt = curDist;
  const dmask: usize = (<usize>1 << curDistBits) - 1;
  let next = S_LEN;
  // Shifts by a whole entry: wasm takes a 64-bit shift count modulo 64, and
  // an entry's low 6 bits are its bit count (≤ 28; bits 6-7 are zero).
  while (outEnd - op >= 3) {
    if (inEnd - ip >= 8) {
      bb |= load<u64>(ip) << <u64>bc;
      ip += (63 - bc) >> 3;
      bc |= 56;
    } else {
      // The last bytes of the input (a zlib stream ends with 32 bits of
      // Adler-32, so this covers all but the last ~2 bytes of deflate data).
      while (bc <= 56 && ip < inEnd) {
        bb |= (<u64>load<u8>(ip)) << <u64>bc;
        ip++;
        bc += 8;
      }
      if (bc < 48) break;
    }
    const savedBb = bb;
    const savedBc = bc;
    let e = load<u32>(lt + ((<usize>bb & lmask) << 2));
    if (e & F_LIT) {
      // Up to three literals per refill (3 × 15 bits ≤ 56).
      bb >>= <u64>e;
      bc -= e & 0xff;
      store<u8>(op, <u8>(e >> 16));
      op++;
      e = load<u32>(lt + ((<usize>bb & lmask) << 2));
      if (e & F_LIT) {
        bb >>= <u64>e;
        bc -= e & 0xff;
        store<u8>(op, <u8>(e >> 16));
        op++;
        e = load<u32>(lt + ((<usize>bb & lmask) << 2));
        if (e & F_LIT) {
          bb >>= <u64>e;
          bc -= e & 0xff;
          store<u8>(op, <u8>(e >> 16));
          op++;
        }
      }
      continue;
    }
    if (e & F_EXC) {
      if (e & F_SUB) {
        let mb = e & 0xff;
        bb >>= <u64>mb;
        bc -= mb;
        e = load<u32>(lt + ((<usize>(e >> 16) + (<usize>bb & ((<usize>1 << ((e >> 8) & 15)) - 1))) << 2));
        if (e & F_LIT) {
          bb >>= <u64>e;
          bc -= e & 0xff;
          store<u8>(op, <u8>(e >> 16));
          op++;
          continue;
        }
      }
      if (e & F_EXC) {
        if (e & F_EOB) {
          bb >>= <u64>e;
          bc -= e & 0xff;
          next = finalBlock ? S_CHECK : S_BLOCK;
          break;
        }
        // Invalid code: let the careful path report it.
        bb = savedBb;
        bc = savedBc;
        break;
      }
    }
    // A length: base plus extra bits in one step.
    let t = e & 0xff;
    let length = (e >> 16) + ((<u32>bb & ((<u32>1 << t) - 1)) >> ((e >> 8) & 15));
    bb >>= <u64>t;
    bc -= t;
    let d = load<u32>(dt + ((<usize>bb & dmask) << 2));
    if (d & F_EXC) {
      if (d & F_SUB) {
        let mb = d & 0xff;
        bb >>= <u64>mb;
        bc -= mb;
        d = load<u32>(dt + ((<usize>(d >> 16) + (<usize>bb & ((<usize>1 << ((d >> 8) & 15)) - 1))) << 2));
      }
      if (d & F_EXC) {
        bb = savedBb;
        bc = savedBc;
        break;
      }
    }
    let t2 = d & 0xff;
    let dist = (d >> 16) + ((<u32>bb & ((<u32>1 << t2) - 1)) >> ((d >> 8) & 15));
    bb >>= <u64>t2;
    bc -= t2;
    let room = outEnd - op;
    if (<usize>length > room) {
      bb = savedBb;
      bc = savedBc;
      break;
    }
    if (<usize>dist > op - outStart) {
      // Starts in the output of earlier calls (streaming output windows).
      let back = <usize>dist - (op - outStart);
      if (back > <usize>whave) {
        // Too far back: the careful path reports it.
        bb = savedBb;
        bc = savedBc;
        break;
      }
      copyWithHistory(op, <usize>dist, back, <usize>length);
      op += <usize>length;
      continue;
    }
    let src = op - <usize>dist;
    let end = op + <usize>length;
    if (room >= <usize>length + 16) {
      // Word-wise copy; may write up to 15 bytes past the match, inside the buffer.
      if (dist >= 16) {
        let dst = op;
        do {
          v128.store(dst, v128.load(src));
          src += 16;
          dst += 16;
        } while (dst < end);
      } else if (dist == 1) {
        let v = i8x16.splat(load<u8>(src));
        let dst = op;
        do {
          v128.store(dst, v);
          dst += 16;
        } while (dst < end);
      } else if (dist >= 8) {
        let dst = op;
        do {
          store<u64>(dst, load<u64>(src));
          src += 8;
          dst += 8;
        } while (dst < end);
      } else {
        let dst = op;
        do {
          store<u8>(dst, load<u8>(src));
          src++;
          dst++;
        } while (dst < end);
      }
    } else {
      let dst = op;
      do {
        store<u8>(dst, load<u8>(src));
        src++;
        dst++;
      } while (dst < end);
    }
    op = end;
  }
  bitbuf = bb;
  bitcnt = bc;
  gIn = ip;
  gOut = op;
  state = next;
}

// ---- the 32 KiB history -----------------------------------------------------------

/**
 * Copies a match whose source starts `back` bytes before the current output
 * buffer (0 < back ≤ whave): first from the window, then, if the match is
 * longer, from the start of the output buffer onwards.
 */
function copyWithHistory(op: usize, dist: usize, back: usize, length: usize): void {
  let wpos = <usize>((wnext - <u32>back) & WMASK);
  let n = min(length, back);
  let first = min(n, <usize>WSIZE - wpos);
  memory.copy(op, window + wpos, first);
  if (n > first) memory.copy(op + first, window, n - first);
  // The rest overlaps its source at distance `dist`: byte by byte.
  let src = op + n - dist;
  for (let i = n; i < length; i++) store<u8>(op + i, load<u8>(src + i - n));
}

/** Appends this call's output to the circular window (its last 32 KiB at most). */
function saveWindow(ptr: usize, len: usize): void {
  if (len >= <usize>WSIZE) {
    memory.copy(window, ptr + len - <usize>WSIZE, <usize>WSIZE);
    wnext = 0;
    whave = WSIZE;
    return;
  }
  let n = <u32>len;
  let first = min(n, WSIZE - wnext);
  memory.copy(window + <usize>wnext, ptr, <usize>first);
  if (n > first) memory.copy(window, ptr + <usize>first, <usize>(n - first));
  wnext = (wnext + n) & WMASK;
  whave = min(WSIZE, whave + n);
}

// ---- tables -----------------------------------------------------------------------

function ensureTemplates(): void {
  if (templatesReady) return;
  for (let s: u32 = 0; s < 256; s++) store<u32>(litTemplates + (<usize>s << 2), F_LIT | (s << 16));
  store<u32>(litTemplates + (256 << 2), F_EXC | F_EOB);
  for (let s: u32 = 257; s < 286; s++) {
    let i = <usize>(s - 257);
    store<u32>(litTemplates + (<usize>s << 2), (<u32>load<u16>(LEN_BASE + (i << 1)) << 16) | <u32>load<u8>(LEN_EXTRA + i));
  }
  // 286 and 287 take part in the fixed code but never occur in valid data.
  store<u32>(litTemplates + (286 << 2), F_EXC);
  store<u32>(litTemplates + (287 << 2), F_EXC);
  for (let s: u32 = 0; s < 30; s++) {
    let i = <usize>s;
    store<u32>(distTemplates + (i << 2), (<u32>load<u16>(DIST_BASE + (i << 1)) << 16) | <u32>load<u8>(DIST_EXTRA + i));
  }
  store<u32>(distTemplates + (30 << 2), F_EXC);
  store<u32>(distTemplates + (31 << 2), F_EXC);
  for (let s: u32 = 0; s < 16; s++) store<u32>(preTemplates + (<usize>s << 2), s << 16);
  store<u32>(preTemplates + (16 << 2), (16 << 16) | 2);
  store<u32>(preTemplates + (17 << 2), (17 << 16) | 3);
  store<u32>(preTemplates + (18 << 2), (18 << 16) | 7);
  templatesReady = true;
}

/** Selects the fixed Huffman codes (RFC 1951 section 3.2.6), built once per instance. */
function useFixedTables(): void {
  if (!fixedReady) {
    ensureTemplates();
    let l = lens;
    memory.fill(l, 8, 144);
    memory.fill(l + 144, 9, 112);
    memory.fill(l + 256, 7, 24);
    memory.fill(l + 280, 8, 8);
    fixedLitBits = <u32>buildTable(l, 288, fixedLitTable, LIT_BITS, litTemplates, false);
    memory.fill(l, 5, 32);
    fixedDistBits = <u32>buildTable(l, 32, fixedDistTable, DIST_BITS, distTemplates, false);
    fixedReady = true;
  }
  curLit = fixedLitTable;
  curLitBits = fixedLitBits;
  curDist = fixedDistTable;
  curDistBits = fixedDistBits;
}

/** Copies entries [0, n) of a table to [n, 2n). */
// @ts-ignore: decorator
@inline function doubleTable(tab: usize, n: u32): void {
  let bytes = <usize>n << 2;
  if (bytes >= 16) {
    for (let i: usize = 0; i < bytes; i += 16) v128.store(tab + bytes + i, v128.load(tab + i));
  } else {
    for (let i: usize = 0; i < bytes; i += 4) store<u32>(tab + bytes + i, load<u32>(tab + i));
  }
}

/**
 * Builds the decode table for `n` code lengths at `lensPtr` (RFC 1951 section
 * 3.2.2 canonical codes). Returns the main table's bit count, or -1 for an
 * over-subscribed or incomplete code. As zlib does, an incomplete code is
 * accepted only when it is a single code of length 1 (and no code at all is
 * accepted, except for the code length code), its unused codes decoding as
 * invalid.
 *
 * Codes are visited in canonical order with their bits reversed (deflate sends
 * codes most significant bit first; the bit buffer delivers low bits first). A
 * code of length L ≤ tableBits fills every entry whose low L bits equal it:
 * entries are written for the first 2^L slots and the table is doubled by
 * copying as L grows. Longer codes go to subtables, each sized to hold exactly
 * the codes sharing its tableBits-bit prefix.
 */
function buildTable(lensPtr: usize, n: u32, tab: usize, maxBits: u32, templates: usize, isPrecode: bool): i32 {
  // Count codes per length, 16 lengths at a time. A scalar loop of
  // counts[len]++ stalls on store-to-load forwarding whenever neighbouring
  // symbols share a length (most often 0): it cost more than the rest of the
  // table build for a short stream's literal/length code.
  let nv = <usize>(n + 15) >> 4;
  let lastMask = i8x16.gt_u(i8x16.splat(<i8>(n - ((<u32>nv - 1) << 4))), v128(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  for (let len: u32 = 1; len <= 15; len++) {
    let want = i8x16.splat(<i8>len);
    let acc = i8x16.splat(0);
    let j: usize = 0;
    for (; j + 1 < nv; j++) acc = i8x16.sub(acc, i8x16.eq(v128.load(lensPtr + (j << 4)), want));
    acc = i8x16.sub(acc, v128.and(i8x16.eq(v128.load(lensPtr + (j << 4)), want), lastMask));
    let w = i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(acc));
    store<u32>(counts + (<usize>len << 2), <u32>(i32x4.extract_lane(w, 0) + i32x4.extract_lane(w, 1) + i32x4.extract_lane(w, 2) + i32x4.extract_lane(w, 3)));
  }
  let left: i32 = 1;
  let maxLen: u32 = 0;
  for (let len: u32 = 1; len <= 15; len++) {
    let c = load<u32>(counts + (<usize>len << 2));
    left = (left << 1) - <i32>c;
    if (left < 0) return -1; // over-subscribed
    if (c) maxLen = len;
  }
  if (maxLen == 0) {
    if (isPrecode) return -1;
    // No codes (an empty distance code): any code read is invalid.
    store<u32>(tab, F_EXC | 1);
    store<u32>(tab + 4, F_EXC | 1);
    return 1;
  }
  if (left > 0) {
    if (isPrecode || maxLen != 1) return -1; // incomplete
    let sym: u32 = 0;
    while (load<u8>(lensPtr + <usize>sym) == 0) sym++;
    store<u32>(tab, load<u32>(templates + (<usize>sym << 2)) + 0x101);
    store<u32>(tab + 4, F_EXC | 1);
    return 1;
  }
  // Sort the used symbols by code length (then by symbol): canonical order.
  // Used symbols are found 16 at a time from a bit mask, so the loop runs once
  // per used symbol (short streams use few of the 286).
  let off: u32 = 0;
  for (let len: u32 = 1; len <= 15; len++) {
    store<u32>(offsets + (<usize>len << 2), off);
    off += load<u32>(counts + (<usize>len << 2));
  }
  let zero = i8x16.splat(0);
  for (let j: usize = 0; j < nv; j++) {
    let v = v128.load(lensPtr + (j << 4));
    let m = <u32>i8x16.bitmask(i8x16.ne(v, zero));
    if (j + 1 == nv) m &= <u32>i8x16.bitmask(lastMask);
    while (m) {
      let s = (j << 4) + <usize>ctz(m);
      m &= m - 1;
      let p = offsets + (<usize>load<u8>(lensPtr + s) << 2);
      let o = load<u32>(p);
      store<u16>(sorted + (<usize>o << 1), <u16>s);
      store<u32>(p, o + 1);
    }
  }
  let tableBits = min(maxBits, maxLen);
  let si: usize = 0;
  let len: u32 = 1;
  while (load<u32>(counts + (<usize>len << 2)) == 0) len++;
  let codeword: u32 = 0;
  let curEnd: u32 = <u32>1 << len;
  while (len <= tableBits) {
    let cp = counts + (<usize>len << 2);
    let c = load<u32>(cp);
    do {
      let sym = <usize>load<u16>(sorted + (si << 1));
      si++;
      store<u32>(tab + (<usize>codeword << 2), load<u32>(templates + (sym << 2)) + len * 0x101);
      if (codeword == curEnd - 1) {
        // The last codeword: the code is complete within the main table.
        for (; len < tableBits; len++) {
          doubleTable(tab, curEnd);
          curEnd <<= 1;
        }
        return <i32>tableBits;
      }
      // Next codeword in bit-reversed order.
      let bit = <u32>1 << (31 - clz(codeword ^ (curEnd - 1)));
      codeword &= bit - 1;
      codeword |= bit;
    } while (--c);
    store<u32>(cp, 0);
    do {
      if (++len <= tableBits) {
        doubleTable(tab, curEnd);
        curEnd <<= 1;
      }
    } while (load<u32>(counts + (<usize>len << 2)) == 0);
  }
  // Codes longer than the main table: subtables.
  let mainMask: u32 = (<u32>1 << tableBits) - 1;
  curEnd = <u32>1 << tableBits;
  let subPrefix: u32 = 0xffffffff;
  let subStart: u32 = 0;
  while (true) {
    let prefix = codeword & mainMask;
    if (prefix != subPrefix) {
      subPrefix = prefix;
      subStart = curEnd;
      let subBits = len - tableBits;
      let used = load<u32>(counts + (<usize>len << 2));
      while (used < (<u32>1 << subBits)) {
        subBits++;
        used = (used << 1) + load<u32>(counts + (<usize>(tableBits + subBits) << 2));
      }
      curEnd = subStart + (<u32>1 << subBits);
      store<u32>(tab + (<usize>prefix << 2), (subStart << 16) | F_EXC | F_SUB | (subBits << 8) | tableBits);
    }
    let sym = <usize>load<u16>(sorted + (si << 1));
    si++;
    let entry = load<u32>(templates + (sym << 2)) + (len - tableBits) * 0x101;
    let stride = <u32>1 << (len - tableBits);
    let i = subStart + (codeword >> tableBits);
    do {
      store<u32>(tab + (<usize>i << 2), entry);
      i += stride;
    } while (i < curEnd);
    let all = (<u32>1 << len) - 1;
    if (codeword == all) return <i32>tableBits;
    let bit = <u32>1 << (31 - clz(codeword ^ all));
    codeword &= bit - 1;
    codeword |= bit;
    let cp = counts + (<usize>len << 2);
    store<u32>(cp, load<u32>(cp) - 1);
    while (load<u32>(counts + (<usize>len << 2)) == 0) len++;
  }
  return -1;
}
