// Pass 1 of indexing: one streaming read of the pack, front to back.
//
// The host copies the pack, in chunks of any size, into the input window
// (scanWindow()/scanSpace(), then scanPush(n)); the core consumes what it can and
// keeps only an unfinished entry header (at most ENTRY_HEADER_MAX bytes) for the
// next chunk. So the pack can come from a file, stdin or the network, and never
// has to be in memory whole. For each entry it records, in the entry table:
//
//   - offset, type, size (and the base: an OFS_DELTA's entry number, a
//     REF_DELTA's base id), from the entry header;
//   - the CRC-32 of the entry's raw bytes, for the .idx;
//   - for a non-delta: its object id, hashing the inflated bytes as they stream
//     out, so an object of any size goes through a fixed window;
//   - for a delta: the result size from its delta header. The rest of its data is
//     inflated only to find where the entry ends and to check its size; pass 2
//     reads it again when its base is known (git's index-pack does the same).
//
// The whole pack (all bytes before the trailer) is hashed as it goes, the trailer
// compared with it, and the object count with the header's. Layout:
// gitformat-pack.txt, "pack-*.pack files have the following format".

import { E_INVALID_ARG, E_PACK_CHECKSUM, E_PACK_FORMAT, E_SHA1_COLLISION, E_TRUNCATED, E_DELTA, E_OUT_OF_MEMORY, E_SIZE_MISMATCH, fail } from "../error";
import { progress, PROGRESS_INDEXING } from "../host";
import { inflateInit, inflateStep, inflateConsumed, inflateProduced, INFLATE_DONE, INFLATE_NEED_INPUT, INFLATE_NEED_OUTPUT } from "../inflate";
import { sha1CtxSize, sha1Init, sha1Update, sha1Final } from "../sha1";
import { crc32Update } from "../crc32";
import { deltaHeader, deltaResultSize } from "./delta";
import { ENTRY_HEADER_MAX, NEED_MORE, OBJ_OFS_DELTA, OBJ_REF_DELTA, entryBaseId, entryBaseOffset, entrySize, entryType, isDelta, parseEntryHeader } from "./entry";
import { describeZlibError, hashObjectStart } from "./object";
import { DEFAULT_STORE_LIMIT, storeInit, storeReserve } from "./store";
import { allocTable, count, entryAt, growTable, idOf, NO_ENTRY, setBase, setCrc, setKind, setOffset, setResult, setSize, setType, sizeOf, tryAlloc } from "./table";

/** Input window. Chunks of up to this size are pushed at once. */
const IN_CAP: usize = 256 << 10;
/** Scratch output for pass 1: objects are hashed from it as they stream out. */
const OUT_CAP: usize = 256 << 10;
/** Table rows laid out when the header is read (more as entries arrive). */
const FIRST_ROWS: u32 = 1024;
/** Smallest possible entry: a 1-byte header and an 8-byte zlib stream of nothing. */
const MIN_ENTRY: u64 = 9;

const S_HEADER: i32 = 0;  // waiting for the 12-byte pack header
const S_ENTRY: i32 = 1;   // at an entry header
const S_BODY: i32 = 2;    // inside an entry's zlib stream
const S_TRAILER: i32 = 3; // waiting for the 20-byte trailer
const S_DONE: i32 = 4;    // trailer checked; nothing may follow
const S_FAILED: i32 = 5;

let state: i32 = S_FAILED;
let inBuf: usize = 0;
let inPos: usize = 0;      // next byte to consume
let inEnd: usize = 0;      // end of the bytes pushed so far
let hashedTo: usize = 0;   // window position up to which the pack hash has the bytes
let windowAt: u64 = 0;     // pack offset of inBuf[0]
let outBuf: usize = 0;
let outPos: usize = 0;
let packCtx: usize = 0;
let objCtx: usize = 0;
let declaredTotal: u64 = U64.MAX_VALUE;
let next: u32 = 0;         // entries parsed so far
let curAt: u64 = 0;        // current entry's pack offset
let curType: u8 = 0;
let curSize: u64 = 0;
let curCrc: u32 = 0;
let deltaHead = memory.data(24);
let deltaHeadLen: usize = 0;
let curStore: usize = 0;    // where the current delta inflates to in the delta store, or 0
let curProduced: u64 = 0;
let storeLimit: u64 = DEFAULT_STORE_LIMIT;
export const packChecksum = memory.data(20);
let computed = memory.data(20);

/**
 * Starts indexing a pack. `totalSize` is the pack's length when known (a file),
 * or 2^64-1 (a stream); it lets a header that claims absurdly many objects be
 * refused before any memory is committed for them. `deltaStoreLimit` bounds the
 * inflated deltas kept for pass 2 (store.ts; U64.MAX_VALUE = the default).
 */
export function scanBegin(totalSize: u64, deltaStoreLimit: u64): i32 {
  if (inBuf == 0) {
    inBuf = tryAlloc(IN_CAP);
    outBuf = tryAlloc(OUT_CAP);
    packCtx = tryAlloc(sha1CtxSize());
    objCtx = tryAlloc(sha1CtxSize());
    if (objCtx == 0) return fail(E_OUT_OF_MEMORY, "no memory for the pack input window");
  }
  state = S_HEADER;
  inPos = inEnd = hashedTo = 0;
  windowAt = 0;
  next = 0;
  declaredTotal = totalSize;
  storeLimit = deltaStoreLimit;
  sha1Init(packCtx, false); // the trailer is plain SHA-1 (no object to attack)
  return 0;
}

/** Where the host copies the next chunk. */
export function scanWindow(): usize { return inBuf + inEnd; }

/** How many bytes the host may copy there before calling scanPush(). */
export function scanSpace(): usize { return IN_CAP - inEnd; }

/** Pack offset reached so far (bytes consumed). */
export function scanOffset(): u64 { return windowAt + <u64>inPos; }

/** Consumes `n` bytes the host copied at scanWindow(). Returns 0 or a negative error. */
export function scanPush(n: usize): i32 {
  if (state == S_FAILED || inBuf == 0) return fail(E_INVALID_ARG, "scanPush: no pack scan in progress");
  if (n > IN_CAP - inEnd) return fail(E_INVALID_ARG, "scanPush: more bytes than scanSpace()");
  inEnd += n;
  let r = run(false);
  if (r < 0) {
    state = S_FAILED;
    return r;
  }
  compact();
  if (count != 0) progress(PROGRESS_INDEXING, next, count);
  return 0;
}

/** Ends the input. Returns the number of objects, or a negative error. */
export function scanEnd(): i32 {
  if (state == S_FAILED || inBuf == 0) return fail(E_INVALID_ARG, "scanEnd: no pack scan in progress");
  let r = run(true);
  if (r < 0) {
    state = S_FAILED;
    return r;
  }
  if (state != S_DONE) {
    state = S_FAILED;
    return fail(E_TRUNCATED, "pack truncated at offset " + scanOffset().toString(), scanOffset());
  }
  return <i32>count;
}

/** Hashes the consumed bytes into the pack checksum, then moves the unconsumed tail to the window start. */
function compact(): void {
  if (state < S_DONE && inPos > hashedTo) sha1Update(packCtx, inBuf + hashedTo, inPos - hashedTo);
  let rest = inEnd - inPos;
  if (rest != 0 && inPos != 0) memory.copy(inBuf, inBuf + inPos, rest);
  windowAt += <u64>inPos;
  inEnd = rest;
  inPos = 0;
  hashedTo = 0;
}

/**
 * True when the entry being parsed starts exactly where the trailer must be
 * (known when the host gave the pack's length): the header promised more objects
 * than the pack holds, which reads better than the zlib error it causes.
 */
function fewerObjects(at: u64): bool {
  return next < count && declaredTotal != U64.MAX_VALUE && at + 20 == declaredTotal;
}

function fewerObjectsError(at: u64): i32 {
  return fail(E_PACK_FORMAT, "pack has " + next.toString() + " objects but its header says " + count.toString() + " (trailer at offset " + at.toString() + ")", at);
}

function truncated(what: string): i32 {
  let at = state == S_BODY ? curAt : scanOffset();
  if (fewerObjects(at)) return fewerObjectsError(at);
  let end = windowAt + <u64>inEnd;
  return fail(E_TRUNCATED, "pack truncated at offset " + end.toString() + " " + what, at);
}

/** Re-reports the inflater's error with the entry it happened in. */
function entryError(code: i32): i32 {
  if (fewerObjects(curAt)) return fewerObjectsError(curAt);
  return fail(code, describeZlibError(code, curAt, curSize), curAt);
}

function run(eof: bool): i32 {
  while (true) {
    let avail = inEnd - inPos;
    if (state == S_HEADER) {
      if (avail < 12) return eof ? truncated("inside the pack header") : 0;
      let p = inBuf + inPos;
      if (load<u32>(p) != 0x4b434150) return fail(E_PACK_FORMAT, "not a pack: bad signature at offset 0", 0); // "PACK"
      let version = bswap<u32>(load<u32>(p, 4));
      if (version != 2 && version != 3) return fail(E_PACK_FORMAT, "pack version " + version.toString() + " unsupported", 4);
      let n = bswap<u32>(load<u32>(p, 8));
      if (declaredTotal != U64.MAX_VALUE && <u64>n * MIN_ENTRY > declaredTotal - min(declaredTotal, 32)) {
        return fail(E_PACK_FORMAT, "pack header claims " + n.toString() + " objects, more than its " + declaredTotal.toString() + " bytes can hold", 8);
      }
      // A pack of unknown length (a stream) gets room for its first rows only,
      // the rest as entries arrive: its header's count is a claim nothing
      // bounds yet. A known length bounds the count above.
      let room = declaredTotal == U64.MAX_VALUE ? FIRST_ROWS : U32.MAX_VALUE;
      if (!allocTable(n, room)) return -2;
      if (!storeInit(storeLimit == U64.MAX_VALUE ? DEFAULT_STORE_LIMIT : storeLimit, room)) return fail(E_OUT_OF_MEMORY, "no memory for the delta store");
      inPos += 12;
      state = n != 0 ? S_ENTRY : S_TRAILER;
      continue;
    }
    if (state == S_BODY) {
      let r: i32;
      if (curStore != 0) {
        // A stored delta inflates straight into its place in the store.
        r = inflateStep(inBuf + inPos, avail, curStore + <usize>curProduced, <usize>(curSize - curProduced));
      } else {
        r = inflateStep(inBuf + inPos, avail, outBuf + outPos, OUT_CAP - outPos);
      }
      let c = inflateConsumed();
      let produced = inflateProduced();
      if (c != 0) {
        curCrc = crc32Update(curCrc, inBuf + inPos, c);
        inPos += c;
      }
      if (curStore != 0) {
        curProduced += <u64>produced;
      } else if (produced != 0) {
        if (!isDelta(curType)) sha1Update(objCtx, outBuf + outPos, produced);
        else if (deltaHeadLen < 20) {
          let k = min(produced, 20 - deltaHeadLen);
          memory.copy(deltaHead + deltaHeadLen, outBuf + outPos, k);
          deltaHeadLen += k;
        }
        outPos += produced;
      }
      if (r == INFLATE_DONE) {
        let e = finishEntry();
        if (e < 0) return e;
        state = next < count ? S_ENTRY : S_TRAILER;
        continue;
      }
      if (r == INFLATE_NEED_OUTPUT) {
        // The inflater stops at the declared size, so a full store slot means
        // the data goes on past it.
        if (curStore != 0) return fail(E_SIZE_MISMATCH, "object at offset " + curAt.toString() + " inflates to more than the " + curSize.toString() + " bytes its header declares", curAt);
        outPos = 0;
        continue;
      }
      if (r == INFLATE_NEED_INPUT) {
        if (inPos < inEnd) continue;
        return eof ? truncated("inside the object at offset " + curAt.toString()) : 0;
      }
      if (r < 0) return entryError(r);
      return fail(E_INVALID_ARG, "inflateStep returned " + r.toString());
    }
    if (state == S_ENTRY) {
      let at = windowAt + <u64>inPos;
      let h = parseEntryHeader(inBuf + inPos, avail, at);
      if (h < 0) return fewerObjects(at) ? fewerObjectsError(at) : h;
      if (h == NEED_MORE) {
        if (!eof && avail < ENTRY_HEADER_MAX) return 0;
        return truncated("inside the header of object " + (next + 1).toString() + " of " + count.toString());
      }
      let i = next;
      if (!growTable(i + 1)) return -2;
      curAt = at;
      curType = entryType;
      curSize = entrySize;
      setOffset(i, at);
      setType(i, entryType);
      setSize(i, entrySize);
      if (entryType == OBJ_OFS_DELTA) {
        let b = entryAt(entryBaseOffset, i);
        if (b == NO_ENTRY) {
          if (fewerObjects(at)) return fewerObjectsError(at);
          return fail(E_PACK_FORMAT, "delta at offset " + at.toString() + " names base offset " + entryBaseOffset.toString() + ", where no object starts", at);
        }
        setBase(i, b);
      } else if (entryType == OBJ_REF_DELTA) {
        memory.copy(idOf(i), entryBaseId, 20);
      } else {
        hashObjectStart(objCtx, entryType, entrySize);
      }
      curStore = isDelta(entryType) ? storeReserve(i, entrySize) : 0;
      curProduced = 0;
      curCrc = crc32Update(0, inBuf + inPos, <usize>h);
      inPos += <usize>h;
      deltaHeadLen = 0;
      outPos = 0;
      inflateInit(entrySize);
      state = S_BODY;
      continue;
    }
    if (state == S_TRAILER) {
      if (avail < 20) return eof ? truncated("inside the trailer") : 0;
      let at = windowAt + <u64>inPos;
      if (inPos > hashedTo) sha1Update(packCtx, inBuf + hashedTo, inPos - hashedTo);
      hashedTo = inPos;
      sha1Final(packCtx, computed);
      let t = inBuf + inPos;
      if (memory.compare(t, computed, 20) != 0) {
        if (declaredTotal != U64.MAX_VALUE && at + 20 < declaredTotal) {
          return fail(E_PACK_FORMAT, "pack holds more than the " + count.toString() + " objects its header says: data continues at offset " + at.toString() + " where the trailer should be", at);
        }
        return fail(E_PACK_CHECKSUM, "pack trailer checksum mismatch at offset " + at.toString(), at);
      }
      memory.copy(packChecksum, t, 20);
      if (!growTable(count)) return -2; // a pack of no objects ends here
      setOffset(count, at);
      inPos += 20;
      hashedTo = inPos;
      state = S_DONE;
      continue;
    }
    if (state == S_DONE) {
      if (avail != 0) {
        let at = windowAt + <u64>inPos;
        return fail(E_PACK_FORMAT, "pack has junk after its trailer at offset " + at.toString(), at);
      }
      return 0;
    }
    return fail(E_INVALID_ARG, "pack scan is not running");
  }
}

function finishEntry(): i32 {
  let i = next;
  setCrc(i, curCrc);
  if (!isDelta(curType)) {
    if (sha1Final(objCtx, idOf(i)) == E_SHA1_COLLISION) {
      return fail(E_SHA1_COLLISION, "SHA-1 collision attack detected in object at offset " + curAt.toString(), curAt);
    }
    setKind(i, curType);
    setResult(i, sizeOf(i));
  } else {
    let h = curStore != 0 ? deltaHeader(curStore, <usize>min(curSize, 20)) : deltaHeader(deltaHead, deltaHeadLen);
    if (h < 0) return fail(E_DELTA, "bad delta header in object at offset " + curAt.toString(), curAt);
    // The most a delta can produce: two command bytes (0xc0-style copy with one
    // size byte) yield at most 0xff0000 bytes, a lone byte (copy of 0x10000) 64 KiB.
    // A larger declared result is a decompression bomb: refuse it before pass 2
    // would commit memory for it.
    let body = curSize - <u64>h;
    let most = (body >> 1) * 0xff0000 + (body & 1) * 0x10000;
    if (deltaResultSize() > most) {
      return fail(E_DELTA, "delta in object at offset " + curAt.toString() + " declares a result of " + deltaResultSize().toString() + " bytes, more than its " + curSize.toString() + " bytes can produce", curAt);
    }
    setResult(i, deltaResultSize());
  }
  next++;
  return 0;
}
