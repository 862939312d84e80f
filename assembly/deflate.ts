// zlib-wrapped deflate (RFC 1950, RFC 1951) at levels 1-3, making the very
// bytes zlib 1.2.x makes at those levels: the same window, hash chains,
// match search and block decisions as its deflate_fast(), the same Huffman
// tree construction (ties broken by depth, lengths capped as trees.c caps
// them) and the same choice between stored, fixed and dynamic blocks.
//
// Why bytes and not just a valid stream: git compresses the objects that
// `index-pack --fix-thin` appends with zlib at core.loosecompression (level 1
// by default), so a completed pack is byte-identical to git's only if every
// appended stream is. Output does not depend on how zlib's caller feeds it, as
// long as all the input is given at once with Z_FINISH (git's write_compressed).
//
// Memory: a 64 KiB window (two halves of 32 KiB; the upper one slides down),
// 32768 u16 hash heads, 32768 u16 chain links, 16383 symbols per block.
//
// Parameters (zlib's configuration_table): level: good, lazy, nice, chain.
//   1: 4, 4, 8, 4     2: 4, 5, 16, 8     3: 4, 6, 32, 32
// For deflate_fast "lazy" is the longest match whose strings are all inserted
// in the hash table; "good" is unused (the previous match is never long).

import { adler32Update } from "./adler32";
import { E_INVALID_ARG, E_OUT_OF_MEMORY, fail } from "./error";

const W_SIZE: u32 = 32768;
const W_MASK: u32 = W_SIZE - 1;
const WINDOW_SIZE: u32 = 2 * W_SIZE;
const HASH_SIZE: u32 = 32768; // memLevel 8: 2^(8+7)
const HASH_MASK: u32 = HASH_SIZE - 1;
const HASH_SHIFT: u32 = 5; // (15 + 3 - 1) / 3
const MIN_MATCH: u32 = 3;
const MAX_MATCH: u32 = 258;
const MIN_LOOKAHEAD: u32 = MAX_MATCH + MIN_MATCH + 1;
const MAX_DIST: u32 = W_SIZE - MIN_LOOKAHEAD;
const LIT_BUFSIZE: u32 = 16384; // 2^(memLevel+6); a block ends at LIT_BUFSIZE-1 symbols

const LITERALS: u32 = 256;
const END_BLOCK: u32 = 256;
const LENGTH_CODES: u32 = 29;
const L_CODES: u32 = LITERALS + 1 + LENGTH_CODES; // 286
const D_CODES: u32 = 30;
const BL_CODES: u32 = 19;
const HEAP_SIZE: u32 = 2 * L_CODES + 1; // 573
const MAX_BITS: u32 = 15;
const MAX_BL_BITS: u32 = 7;
const REP_3_6: u32 = 16;
const REPZ_3_10: u32 = 17;
const REPZ_11_138: u32 = 18;

const EXTRA_LBITS = memory.data<u8>([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const EXTRA_DBITS = memory.data<u8>([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
const EXTRA_BLBITS = memory.data<u8>([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7]);
const BL_ORDER = memory.data<u8>([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

// Tables built once (trees.c tr_static_init).
const LENGTH_CODE = memory.data(256);       // u8: match length - 3 -> length code 0..28
const DIST_CODE = memory.data(512);         // u8: distance - 1 (< 256), or 256 + (distance - 1) >> 7
const BASE_LENGTH = memory.data(29 * 4);    // u32
const BASE_DIST = memory.data(30 * 4);      // u32
const STATIC_LCODE = memory.data(288 * 2);  // u16, bit-reversed
const STATIC_LLEN = memory.data(288 * 2);   // u16
const STATIC_DCODE = memory.data(30 * 2);
const STATIC_DLEN = memory.data(30 * 2);
let tablesBuilt = false;

// A Huffman tree under construction: four u16 arrays of HEAP_SIZE entries
// (frequency, code, parent, length), as zlib's ct_data keeps them (where
// frequency shares its slot with code, and parent with length).
const TREE_BYTES: usize = <usize>HEAP_SIZE * 2;
// @ts-ignore: decorator
@inline function fFreq(t: usize): usize { return t; }
// @ts-ignore: decorator
@inline function fCode(t: usize): usize { return t + TREE_BYTES; }
// @ts-ignore: decorator
@inline function fDad(t: usize): usize { return t + 2 * TREE_BYTES; }
// @ts-ignore: decorator
@inline function fLen(t: usize): usize { return t + 3 * TREE_BYTES; }
// @ts-ignore: decorator
@inline function get16(a: usize, i: u32): u32 { return <u32>load<u16>(a + (<usize>i << 1)); }
// @ts-ignore: decorator
@inline function set16(a: usize, i: u32, v: u32): void { store<u16>(a + (<usize>i << 1), <u16>v); }

let window: usize = 0;
let prev: usize = 0;   // u16[W_SIZE]: previous position with the same hash, by position & W_MASK
let head: usize = 0;   // u16[HASH_SIZE]: latest position per hash
let dbuf: usize = 0;   // u16[LIT_BUFSIZE]: distance of each symbol (0 = literal)
let lbuf: usize = 0;   // u8[LIT_BUFSIZE]: literal, or match length - 3
let ltree: usize = 0;
let dtree: usize = 0;
let bltree: usize = 0;
let heapArr: usize = 0; // u32[HEAP_SIZE]: zlib's heap, leaves and then the sorted nodes
let depth: usize = 0;  // u8[HEAP_SIZE]
const blCount = memory.data((MAX_BITS + 1) * 2);
const nextCode = memory.data((MAX_BITS + 1) * 2);

// Stream state (zlib's deflate_state fields of the same names).
let strstart: u32 = 0;
let lookahead: u32 = 0;
let blockStart: i64 = 0;
let matchStart: u32 = 0;
let matchLength: u32 = 0;
let insH: u32 = 0;
let lastLit: u32 = 0;
let optLen: u64 = 0;
let staticLen: u64 = 0;
let heapLen: u32 = 0;
let heapMax: u32 = 0;
let lMax: i32 = 0;
let dMax: i32 = 0;
let maxChain: u32 = 4;
let niceMatch: u32 = 8;
let maxInsert: u32 = 4;
// Input (all of it, given at once) and output.
let inNext: usize = 0;
let inLeft: usize = 0;
let adler: u32 = 1;
let out: usize = 0;
let outPos: usize = 0;
let outCap: usize = 0;
let overflow = false;
let bitBuf: u64 = 0;
let bitCount: u32 = 0;

function buildTables(): void {
  let length: u32 = 0;
  let code: u32 = 0;
  for (; code < LENGTH_CODES - 1; code++) {
    store<u32>(BASE_LENGTH + (<usize>code << 2), length);
    let n: u32 = 1 << load<u8>(EXTRA_LBITS + code);
    for (let k: u32 = 0; k < n; k++) store<u8>(LENGTH_CODE + length++, <u8>code);
  }
  // Length 258 (index 255) has two codes, 284 + 5 bits or 285: zlib takes 285.
  store<u8>(LENGTH_CODE + 255, <u8>code);
  let dist: u32 = 0;
  for (code = 0; code < 16; code++) {
    store<u32>(BASE_DIST + (<usize>code << 2), dist);
    let n: u32 = 1 << load<u8>(EXTRA_DBITS + code);
    for (let k: u32 = 0; k < n; k++) store<u8>(DIST_CODE + dist++, <u8>code);
  }
  dist >>= 7;
  for (; code < D_CODES; code++) {
    store<u32>(BASE_DIST + (<usize>code << 2), dist << 7);
    let n: u32 = 1 << (load<u8>(EXTRA_DBITS + code) - 7);
    for (let k: u32 = 0; k < n; k++) store<u8>(DIST_CODE + 256 + dist++, <u8>code);
  }
  // The fixed literal/length code (RFC 1951 3.2.6), codes 286-287 included so
  // the canonical code comes out complete.
  memory.fill(blCount, 0, (MAX_BITS + 1) * 2);
  for (let n: u32 = 0; n < 288; n++) {
    let len: u32 = n <= 143 ? 8 : n <= 255 ? 9 : n <= 279 ? 7 : 8;
    set16(STATIC_LLEN, n, len);
    set16(blCount, len, get16(blCount, len) + 1);
  }
  genCodes(STATIC_LCODE, STATIC_LLEN, 287);
  for (let n: u32 = 0; n < D_CODES; n++) {
    set16(STATIC_DLEN, n, 5);
    set16(STATIC_DCODE, n, reverseBits(n, 5));
  }
  tablesBuilt = true;
}

// @ts-ignore: decorator
@inline function distCode(dist: u32): u32 {
  let i: u32 = dist < 256 ? dist : 256 + (dist >> 7);
  return <u32>load<u8>(DIST_CODE + <usize>i);
}

function reverseBits(code: u32, len: u32): u32 {
  let res: u32 = 0;
  do {
    res |= code & 1;
    code >>= 1;
    res <<= 1;
  } while (--len > 0);
  return res >> 1;
}

// ---- bit output (RFC 1951 3.1.1: least significant bit first) ----

// @ts-ignore: decorator
@inline function sendBits(value: u32, len: u32): void {
  bitBuf |= <u64>value << bitCount;
  bitCount += len;
  if (bitCount >= 32) {
    if (outPos + 4 <= outCap) store<u32>(out + outPos, <u32>bitBuf);
    else overflow = true;
    outPos += 4;
    bitBuf >>= 32;
    bitCount -= 32;
  }
}

function putByte(b: u32): void {
  if (outPos < outCap) store<u8>(out + outPos, <u8>b);
  else overflow = true;
  outPos++;
}

/** Pads to a byte boundary with zero bits (zlib's bi_windup). */
function windup(): void {
  while (bitCount > 0) {
    putByte(<u32>bitBuf & 0xff);
    bitBuf >>= 8;
    bitCount = bitCount > 8 ? bitCount - 8 : 0;
  }
  bitBuf = 0;
}

// ---- Huffman trees (zlib's trees.c: build_tree, gen_bitlen, gen_codes) ----

// @ts-ignore: decorator
@inline function heapAt(i: u32): u32 { return load<u32>(heapArr + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function setHeap(i: u32, v: u32): void { store<u32>(heapArr + (<usize>i << 2), v); }

/** Frequency, then depth as tie-breaker: keeps the longest code as short as it can be. */
// @ts-ignore: decorator
@inline function smaller(t: usize, n: u32, m: u32): bool {
  let fn = get16(fFreq(t), n), fm = get16(fFreq(t), m);
  return fn < fm || (fn == fm && load<u8>(depth + n) <= load<u8>(depth + m));
}

function downHeap(t: usize, k: u32): void {
  let v = heapAt(k);
  let j = k << 1;
  while (j <= heapLen) {
    if (j < heapLen && smaller(t, heapAt(j + 1), heapAt(j))) j++;
    if (smaller(t, v, heapAt(j))) break;
    setHeap(k, heapAt(j));
    k = j;
    j <<= 1;
  }
  setHeap(k, v);
}

/** Sets the code of every symbol up to maxCode from the lengths and blCount (canonical, RFC 1951 3.2.2). */
function genCodes(codes: usize, lens: usize, maxCode: i32): void {
  let code: u32 = 0;
  for (let bits: u32 = 1; bits <= MAX_BITS; bits++) {
    code = (code + get16(blCount, bits - 1)) << 1;
    set16(nextCode, bits, code);
  }
  for (let n: i32 = 0; n <= maxCode; n++) {
    let len = get16(lens, <u32>n);
    if (len == 0) continue;
    let c = get16(nextCode, len);
    set16(nextCode, len, c + 1);
    set16(codes, <u32>n, reverseBits(c, len));
  }
}

/**
 * Lengths of the symbols of `t` (maxCode: the last used symbol) from the
 * finished tree, capped at maxLength the way zlib caps them, and the block's
 * cost in bits under this tree (optLen) and under the fixed one (staticLen).
 */
function genBitlen(t: usize, maxCode: i32, stree: usize, extra: usize, base: u32, maxLength: u32): void {
  let lens = fLen(t);
  memory.fill(blCount, 0, (MAX_BITS + 1) * 2);
  set16(lens, heapAt(heapMax), 0); // the root
  let overflowed: i32 = 0;
  let h = heapMax + 1;
  for (; h < HEAP_SIZE; h++) {
    let n = heapAt(h);
    let bits = get16(lens, get16(fDad(t), n)) + 1;
    if (bits > maxLength) {
      bits = maxLength;
      overflowed++;
    }
    set16(lens, n, bits);
    if (<i32>n > maxCode) continue; // an inner node
    set16(blCount, bits, get16(blCount, bits) + 1);
    let xbits: u32 = 0;
    if (n >= base) xbits = <u32>load<u8>(extra + (n - base));
    let f = <u64>get16(fFreq(t), n);
    optLen += f * <u64>(bits + xbits);
    if (stree != 0) staticLen += f * <u64>(get16(stree, n) + xbits);
  }
  if (overflowed == 0) return;
  // Too long: move leaves down from the deepest level that has room, two
  // overflowing codes at a time, then hand out the lengths again in order of
  // increasing frequency.
  do {
    let bits = maxLength - 1;
    while (get16(blCount, bits) == 0) bits--;
    set16(blCount, bits, get16(blCount, bits) - 1);
    set16(blCount, bits + 1, get16(blCount, bits + 1) + 2);
    set16(blCount, maxLength, get16(blCount, maxLength) - 1);
    overflowed -= 2;
  } while (overflowed > 0);
  for (let bits = maxLength; bits != 0; bits--) {
    let n = get16(blCount, bits);
    while (n != 0) {
      let m = heapAt(--h);
      if (<i32>m > maxCode) continue;
      let len = get16(lens, m);
      if (len != bits) {
        optLen += (<u64>bits - <u64>len) * <u64>get16(fFreq(t), m);
        set16(lens, m, bits);
      }
      n--;
    }
  }
}

/** Builds tree `t` over `elems` symbols from their frequencies; returns the last used symbol. */
function buildTree(t: usize, elems: u32, stree: usize, extra: usize, base: u32, maxLength: u32): i32 {
  let freq = fFreq(t);
  heapLen = 0;
  heapMax = HEAP_SIZE;
  let maxCode: i32 = -1;
  for (let n: u32 = 0; n < elems; n++) {
    if (get16(freq, n) != 0) {
      setHeap(++heapLen, n);
      maxCode = <i32>n;
      store<u8>(depth + n, 0);
    } else {
      set16(fLen(t), n, 0);
    }
  }
  // At least two codes, so every used symbol gets at least one bit.
  while (heapLen < 2) {
    let node: u32 = maxCode < 2 ? <u32>(++maxCode) : 0;
    setHeap(++heapLen, node);
    set16(freq, node, 1);
    store<u8>(depth + node, 0);
    optLen--;
    if (stree != 0) staticLen -= <u64>get16(stree, node);
  }
  for (let n = heapLen >> 1; n >= 1; n--) downHeap(t, n);
  let node = elems;
  do {
    let n = heapAt(1);
    setHeap(1, heapAt(heapLen--));
    downHeap(t, 1);
    let m = heapAt(1);
    setHeap(--heapMax, n);
    setHeap(--heapMax, m);
    set16(freq, node, get16(freq, n) + get16(freq, m));
    let dn = load<u8>(depth + n), dm = load<u8>(depth + m);
    store<u8>(depth + node, (dn >= dm ? dn : dm) + 1);
    set16(fDad(t), n, node);
    set16(fDad(t), m, node);
    setHeap(1, node++);
    downHeap(t, 1);
  } while (heapLen >= 2);
  setHeap(--heapMax, heapAt(1));
  genBitlen(t, maxCode, stree, extra, base, maxLength);
  genCodes(fCode(t), fLen(t), maxCode);
  return maxCode;
}

/** Counts the code-length codes that sending tree `t`'s lengths will use (scan_tree). */
function scanTree(t: usize, maxCode: i32): void {
  let lens = fLen(t);
  let blf = fFreq(bltree);
  let prevlen: i32 = -1;
  let nextlen = <i32>get16(lens, 0);
  let count: i32 = 0;
  let maxCount: i32 = 7, minCount: i32 = 4;
  if (nextlen == 0) { maxCount = 138; minCount = 3; }
  set16(lens, <u32>(maxCode + 1), 0xffff); // guard
  for (let n: i32 = 0; n <= maxCode; n++) {
    let curlen = nextlen;
    nextlen = <i32>get16(lens, <u32>(n + 1));
    if (++count < maxCount && curlen == nextlen) continue;
    if (count < minCount) set16(blf, <u32>curlen, get16(blf, <u32>curlen) + <u32>count);
    else if (curlen != 0) {
      if (curlen != prevlen) set16(blf, <u32>curlen, get16(blf, <u32>curlen) + 1);
      set16(blf, REP_3_6, get16(blf, REP_3_6) + 1);
    } else if (count <= 10) set16(blf, REPZ_3_10, get16(blf, REPZ_3_10) + 1);
    else set16(blf, REPZ_11_138, get16(blf, REPZ_11_138) + 1);
    count = 0;
    prevlen = curlen;
    if (nextlen == 0) { maxCount = 138; minCount = 3; }
    else if (curlen == nextlen) { maxCount = 6; minCount = 3; }
    else { maxCount = 7; minCount = 4; }
  }
}

// @ts-ignore: decorator
@inline function sendCode(t: usize, c: u32): void {
  sendBits(get16(fCode(t), c), get16(fLen(t), c));
}

/** Sends tree `t`'s code lengths with the code-length code (send_tree). */
function sendTree(t: usize, maxCode: i32): void {
  let lens = fLen(t);
  let prevlen: i32 = -1;
  let nextlen = <i32>get16(lens, 0);
  let count: i32 = 0;
  let maxCount: i32 = 7, minCount: i32 = 4;
  if (nextlen == 0) { maxCount = 138; minCount = 3; }
  for (let n: i32 = 0; n <= maxCode; n++) {
    let curlen = nextlen;
    nextlen = <i32>get16(lens, <u32>(n + 1));
    if (++count < maxCount && curlen == nextlen) continue;
    if (count < minCount) {
      do { sendCode(bltree, <u32>curlen); } while (--count != 0);
    } else if (curlen != 0) {
      if (curlen != prevlen) {
        sendCode(bltree, <u32>curlen);
        count--;
      }
      sendCode(bltree, REP_3_6);
      sendBits(<u32>(count - 3), 2);
    } else if (count <= 10) {
      sendCode(bltree, REPZ_3_10);
      sendBits(<u32>(count - 3), 3);
    } else {
      sendCode(bltree, REPZ_11_138);
      sendBits(<u32>(count - 11), 7);
    }
    count = 0;
    prevlen = curlen;
    if (nextlen == 0) { maxCount = 138; minCount = 3; }
    else if (curlen == nextlen) { maxCount = 6; minCount = 3; }
    else { maxCount = 7; minCount = 4; }
  }
}

/** Builds the code-length code; returns the index in BL_ORDER of the last length to send. */
function buildBlTree(): i32 {
  scanTree(ltree, lMax);
  scanTree(dtree, dMax);
  buildTree(bltree, BL_CODES, 0, EXTRA_BLBITS, 0, MAX_BL_BITS);
  let maxBlIndex: i32 = <i32>BL_CODES - 1;
  for (; maxBlIndex >= 3; maxBlIndex--) {
    if (get16(fLen(bltree), <u32>load<u8>(BL_ORDER + maxBlIndex)) != 0) break;
  }
  optLen += 3 * (<u64>maxBlIndex + 1) + 5 + 5 + 4;
  return maxBlIndex;
}

function initBlock(): void {
  memory.fill(fFreq(ltree), 0, <usize>L_CODES * 2);
  memory.fill(fFreq(dtree), 0, <usize>D_CODES * 2);
  memory.fill(fFreq(bltree), 0, <usize>BL_CODES * 2);
  set16(fFreq(ltree), END_BLOCK, 1);
  optLen = 0;
  staticLen = 0;
  lastLit = 0;
}

/** Sends the block's symbols with the given codes (lcode/llen, dcode/dlen u16 arrays). */
function compressBlock(lcode: usize, llen: usize, dcode: usize, dlen: usize): void {
  for (let i: u32 = 0; i < lastLit; i++) {
    let dist = get16(dbuf, i);
    let lc = <u32>load<u8>(lbuf + i);
    if (dist == 0) {
      sendBits(get16(lcode, lc), get16(llen, lc));
      continue;
    }
    let code = <u32>load<u8>(LENGTH_CODE + lc);
    sendBits(get16(lcode, code + LITERALS + 1), get16(llen, code + LITERALS + 1));
    let extra = <u32>load<u8>(EXTRA_LBITS + code);
    if (extra != 0) sendBits(lc - load<u32>(BASE_LENGTH + (<usize>code << 2)), extra);
    dist--;
    code = distCode(dist);
    sendBits(get16(dcode, code), get16(dlen, code));
    extra = <u32>load<u8>(EXTRA_DBITS + code);
    if (extra != 0) sendBits(dist - load<u32>(BASE_DIST + (<usize>code << 2)), extra);
  }
  sendBits(get16(lcode, END_BLOCK), get16(llen, END_BLOCK));
}

/** Ends the current block: stored, fixed or dynamic codes, whichever is shortest, ties as zlib breaks them. */
function flushBlock(last: bool): void {
  let storedLen = <u64>(<i64>strstart - blockStart);
  let hasBuf = blockStart >= 0;
  lMax = buildTree(ltree, L_CODES, STATIC_LLEN, EXTRA_LBITS, LITERALS + 1, MAX_BITS);
  dMax = buildTree(dtree, D_CODES, STATIC_DLEN, EXTRA_DBITS, 0, MAX_BITS);
  let maxBlIndex = buildBlTree();
  let optLenb = (optLen + 3 + 7) >> 3;
  let staticLenb = (staticLen + 3 + 7) >> 3;
  if (staticLenb <= optLenb) optLenb = staticLenb;
  let lastBit: u32 = last ? 1 : 0;
  if (storedLen + 4 <= optLenb && hasBuf) {
    sendBits(lastBit, 3); // stored (RFC 1951 3.2.4)
    windup();
    let len = <u32>storedLen & 0xffff;
    putByte(len & 0xff);
    putByte(len >> 8);
    putByte(~len & 0xff);
    putByte((~len >> 8) & 0xff);
    let src = window + <usize>blockStart;
    if (outPos + <usize>storedLen <= outCap) memory.copy(out + outPos, src, <usize>storedLen);
    else overflow = true;
    outPos += <usize>storedLen;
  } else if (staticLenb == optLenb) {
    sendBits((1 << 1) + lastBit, 3);
    compressBlock(STATIC_LCODE, STATIC_LLEN, STATIC_DCODE, STATIC_DLEN);
  } else {
    sendBits((2 << 1) + lastBit, 3);
    let lcodes = <u32>(lMax + 1), dcodes = <u32>(dMax + 1), blcodes = <u32>(maxBlIndex + 1);
    sendBits(lcodes - 257, 5);
    sendBits(dcodes - 1, 5);
    sendBits(blcodes - 4, 4);
    for (let r: u32 = 0; r < blcodes; r++) sendBits(get16(fLen(bltree), <u32>load<u8>(BL_ORDER + r)), 3);
    sendTree(ltree, lMax);
    sendTree(dtree, dMax);
    compressBlock(fCode(ltree), fLen(ltree), fCode(dtree), fLen(dtree));
  }
  initBlock();
  if (last) windup();
  blockStart = <i64>strstart;
}

// ---- matching (zlib's deflate.c: fill_window, longest_match, deflate_fast) ----

// @ts-ignore: decorator
@inline function win(i: u32): u32 { return <u32>load<u8>(window + <usize>i); }

/** Inserts the string at `str` in the hash table; returns the previous head of its chain. */
// @ts-ignore: decorator
@inline function insertString(str: u32): u32 {
  insH = ((insH << HASH_SHIFT) ^ win(str + MIN_MATCH - 1)) & HASH_MASK;
  let h = get16(head, insH);
  set16(prev, str & W_MASK, h);
  set16(head, insH, str);
  return h;
}

/** Moves input into the window, sliding it down by W_SIZE when the upper half is used up. */
function fillWindow(): void {
  do {
    let more = WINDOW_SIZE - lookahead - strstart;
    if (strstart >= W_SIZE + MAX_DIST) {
      memory.copy(window, window + W_SIZE, <usize>(W_SIZE - more));
      matchStart -= W_SIZE;
      strstart -= W_SIZE;
      blockStart -= <i64>W_SIZE;
      for (let n: u32 = 0; n < HASH_SIZE; n++) {
        let m = get16(head, n);
        set16(head, n, m >= W_SIZE ? m - W_SIZE : 0);
      }
      for (let n: u32 = 0; n < W_SIZE; n++) {
        let m = get16(prev, n);
        set16(prev, n, m >= W_SIZE ? m - W_SIZE : 0);
      }
      more += W_SIZE;
    }
    if (inLeft == 0) break;
    let n = <u32>min(inLeft, <usize>more);
    let dst = window + <usize>(strstart + lookahead);
    memory.copy(dst, inNext, <usize>n);
    adler = adler32Update(adler, inNext, <usize>n);
    inNext += n;
    inLeft -= n;
    lookahead += n;
    if (lookahead >= MIN_MATCH) {
      insH = win(strstart);
      insH = ((insH << HASH_SHIFT) ^ win(strstart + 1)) & HASH_MASK;
    }
  } while (lookahead < MIN_LOOKAHEAD && inLeft != 0);
}

/**
 * The longest match for the string at strstart among the chain from
 * `curMatch`, no longer than the lookahead; sets matchStart. A candidate is
 * compared only when its bytes at the current best length and at 0, 1 agree
 * (byte 2 agrees whenever 0 and 1 do and the hashes are equal).
 */
function longestMatch(curMatch: u32): u32 {
  let chain = maxChain;
  let scan = window + <usize>strstart;
  let bestLen: u32 = MIN_MATCH - 1; // zlib's prev_length: deflate_fast never raises it
  let nice = niceMatch;
  let limit: u32 = strstart > MAX_DIST ? strstart - MAX_DIST : 0;
  let strend = scan + <usize>MAX_MATCH;
  let scanEnd1 = load<u8>(scan + bestLen - 1);
  let scanEnd = load<u8>(scan + bestLen);
  if (nice > lookahead) nice = lookahead;
  do {
    let match = window + <usize>curMatch;
    if (load<u8>(match + bestLen) != scanEnd || load<u8>(match + bestLen - 1) != scanEnd1 ||
        load<u8>(match) != load<u8>(scan) || load<u8>(match, 1) != load<u8>(scan, 1)) continue;
    let s = scan + 2;
    let m = match + 2;
    // Eight bytes per step, the end checked once a step (as zlib, which may
    // compare up to 7 bytes past MAX_MATCH less the bytes already matched).
    do {
      s++; m++; if (load<u8>(s) != load<u8>(m)) break;
      s++; m++; if (load<u8>(s) != load<u8>(m)) break;
      s++; m++; if (load<u8>(s) != load<u8>(m)) break;
      s++; m++; if (load<u8>(s) != load<u8>(m)) break;
      s++; m++; if (load<u8>(s) != load<u8>(m)) break;
      s++; m++; if (load<u8>(s) != load<u8>(m)) break;
      s++; m++; if (load<u8>(s) != load<u8>(m)) break;
      s++; m++; if (load<u8>(s) != load<u8>(m)) break;
    } while (s < strend);
    let len = MAX_MATCH - <u32>(strend - s);
    if (len > bestLen) {
      matchStart = curMatch;
      bestLen = len;
      if (len >= nice) break;
      scanEnd1 = load<u8>(scan + bestLen - 1);
      scanEnd = load<u8>(scan + bestLen);
    }
  } while ((curMatch = get16(prev, curMatch & W_MASK)) > limit && --chain != 0);
  return bestLen <= lookahead ? bestLen : lookahead;
}

// @ts-ignore: decorator
@inline function tallyLit(c: u32): bool {
  set16(dbuf, lastLit, 0);
  store<u8>(lbuf + lastLit, <u8>c);
  lastLit++;
  set16(fFreq(ltree), c, get16(fFreq(ltree), c) + 1);
  return lastLit == LIT_BUFSIZE - 1;
}

// @ts-ignore: decorator
@inline function tallyDist(dist: u32, lc: u32): bool {
  set16(dbuf, lastLit, dist);
  store<u8>(lbuf + lastLit, <u8>lc);
  lastLit++;
  let lcode = <u32>load<u8>(LENGTH_CODE + lc) + LITERALS + 1;
  set16(fFreq(ltree), lcode, get16(fFreq(ltree), lcode) + 1);
  let dcode = distCode(dist - 1);
  set16(fFreq(dtree), dcode, get16(fFreq(dtree), dcode) + 1);
  return lastLit == LIT_BUFSIZE - 1;
}

/** zlib's deflate_fast() with Z_FINISH and all input present. */
function compressFast(): void {
  for (;;) {
    if (lookahead < MIN_LOOKAHEAD) {
      fillWindow();
      if (lookahead == 0) break;
    }
    let hashHead: u32 = 0;
    if (lookahead >= MIN_MATCH) hashHead = insertString(strstart);
    if (hashHead != 0 && strstart - hashHead <= MAX_DIST) matchLength = longestMatch(hashHead);
    let flush: bool;
    if (matchLength >= MIN_MATCH) {
      flush = tallyDist(strstart - matchStart, matchLength - MIN_MATCH);
      lookahead -= matchLength;
      if (matchLength <= maxInsert && lookahead >= MIN_MATCH) {
        matchLength--; // the string at strstart is in the table already
        do {
          strstart++;
          insertString(strstart);
        } while (--matchLength != 0);
        strstart++;
      } else {
        strstart += matchLength;
        matchLength = 0;
        insH = win(strstart);
        insH = ((insH << HASH_SHIFT) ^ win(strstart + 1)) & HASH_MASK;
      }
    } else {
      flush = tallyLit(win(strstart));
      lookahead--;
      strstart++;
    }
    if (flush) flushBlock(false);
  }
  flushBlock(true);
}

function allocState(): bool {
  if (window != 0) return true;
  window = heap.alloc(<usize>WINDOW_SIZE + 8);
  prev = heap.alloc(<usize>W_SIZE * 2);
  head = heap.alloc(<usize>HASH_SIZE * 2);
  dbuf = heap.alloc(<usize>LIT_BUFSIZE * 2);
  lbuf = heap.alloc(<usize>LIT_BUFSIZE);
  ltree = heap.alloc(4 * TREE_BYTES);
  dtree = heap.alloc(4 * TREE_BYTES);
  bltree = heap.alloc(4 * TREE_BYTES);
  heapArr = heap.alloc(<usize>HEAP_SIZE * 4);
  depth = heap.alloc(<usize>HEAP_SIZE);
  return true;
}

/**
 * The most `deflateZlib` can write for `len` input bytes: zlib's deflateBound()
 * for its default window and memory level, which holds for the same streams.
 */
export function deflateBound(len: u32): u32 {
  return len + (len >> 12) + (len >> 14) + (len >> 25) + 13;
}

/**
 * Compresses [inPtr, inPtr+inLen) into a zlib stream at outPtr (at most outLen
 * bytes) as zlib 1.2.x deflate() does at `level` 1-3 with windowBits 15,
 * memLevel 8, the default strategy and Z_FINISH. Returns the stream's length.
 */
export function deflateZlib(level: i32, inPtr: usize, inLen: usize, outPtr: usize, outLen: usize): i32 {
  if (level < 1 || level > 3) return fail(E_INVALID_ARG, "deflate level " + level.toString() + ": only levels 1-3 (zlib's deflate_fast) are made here");
  if (!tablesBuilt) buildTables();
  allocState();
  // Level parameters (zlib's configuration_table).
  maxInsert = level == 1 ? 4 : level == 2 ? 5 : 6;
  niceMatch = level == 1 ? 8 : level == 2 ? 16 : 32;
  maxChain = level == 1 ? 4 : level == 2 ? 8 : 32;
  memory.fill(head, 0, <usize>HASH_SIZE * 2);
  memory.fill(window, 0, <usize>WINDOW_SIZE + 8);
  strstart = 0;
  lookahead = 0;
  blockStart = 0;
  matchStart = 0;
  matchLength = MIN_MATCH - 1;
  insH = 0;
  inNext = inPtr;
  inLeft = inLen;
  adler = 1;
  out = outPtr;
  outPos = 0;
  outCap = outLen;
  overflow = false;
  bitBuf = 0;
  bitCount = 0;
  initBlock();
  // Header (RFC 1950 2.2): deflate, 32 KiB window, level flags 0 (level 1) or 1, check bits.
  let header: u32 = (8 + ((15 - 8) << 4)) << 8;
  header |= (level < 2 ? 0 : 1) << 6;
  header += 31 - (header % 31);
  putByte(header >> 8);
  putByte(header & 0xff);
  compressFast();
  putByte(adler >> 24);
  putByte((adler >> 16) & 0xff);
  putByte((adler >> 8) & 0xff);
  putByte(adler & 0xff);
  if (overflow) return fail(E_OUT_OF_MEMORY, "deflate output of " + outPos.toString() + " bytes exceeds the " + outCap.toString() + " given");
  return <i32>outPos;
}
