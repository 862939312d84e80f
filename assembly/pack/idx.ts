// The pack index, version 2 (gitformat-pack.txt, "Version 2 pack-*.idx files"),
// byte for byte as git's pack-write.c write_idx_file() produces it:
//
//   "\377tOc" 0x00000002           magic, version
//   fanout   u32be[256]            number of ids whose first byte is <= i
//   ids      20 * n                sorted ascending
//   crcs     u32be[n]              CRC-32 of each entry's raw bytes, in id order
//   offsets  u32be[n]              pack offset, or 0x80000000 | k for the k-th
//                                  entry of the large offset table
//   large    u64be[k]              offsets that do not fit 31 bits, in id order
//   pack checksum (20), idx checksum (20: SHA-1 of everything before it)

import { E_OUT_OF_MEMORY, fail } from "../error";
import { sha1CtxSize, sha1Final, sha1Init, sha1Update } from "../sha1";
import { packChecksum } from "./scan";
import { spareAlloc, storeRelease } from "./store";
import { compareId, count, crcOf, idOf, offsetOf, sortById, tryAlloc } from "./table";

let idxBuf: usize = 0;
const counts = memory.data(1024); // ids per first byte, for the fanout
let idxLen: usize = 0;

export function idxPtr(): usize { return idxBuf; }

/** Builds the .idx in memory; returns its length (read it at idxPtr()) or an error. */
export function idxBuild(): i32 {
  let n = count;
  let m = <usize>n;
  // The index is the last step: the delta store's memory is free for it
  // (the largest piece, the index itself, first).
  storeRelease();
  let large: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if (offsetOf(i) > 0x7fffffff) large++;
  let len = 8 + 1024 + <u64>m * 28 + <u64>large * 8 + 40;
  let buf = spareAlloc(len);
  if (buf == 0) return fail(E_OUT_OF_MEMORY, "no memory for a " + len.toString() + "-byte index");
  let order = sortedOrder(n);
  if (order == 0 && n != 0) return fail(E_OUT_OF_MEMORY, "no memory to sort " + n.toString() + " object ids");
  store<u32>(buf, 0x634f74ff); // "\377tOc"
  store<u32>(buf, bswap<u32>(2), 4);
  let fan = buf + 8;
  let idsOut = fan + 1024;
  let crcOut = idsOut + m * 20;
  let offOut = crcOut + m * 4;
  let largeOut = offOut + m * 4;
  memory.fill(counts, 0, 1024);
  let k: u32 = 0;
  for (let j: usize = 0; j < m; j++) {
    let e = load<u32>(order + (j << 2));
    let id = idOf(e);
    let first = <usize>load<u8>(id);
    store<u32>(counts + (first << 2), load<u32>(counts + (first << 2)) + 1);
    memory.copy(idsOut + j * 20, id, 20);
    store<u32>(crcOut + (j << 2), bswap<u32>(crcOf(e)));
    let off = offsetOf(e);
    if (off > 0x7fffffff) {
      store<u32>(offOut + (j << 2), bswap<u32>(0x80000000 | k));
      store<u64>(largeOut + (<usize>k << 3), bswap<u64>(off));
      k++;
    } else {
      store<u32>(offOut + (j << 2), bswap<u32>(<u32>off));
    }
  }
  let sum: u32 = 0;
  for (let b: usize = 0; b < 256; b++) {
    sum += load<u32>(counts + (b << 2));
    store<u32>(fan + (b << 2), bswap<u32>(sum));
  }
  let tail = largeOut + (<usize>large << 3);
  memory.copy(tail, packChecksum, 20);
  let ctx = tryAlloc(sha1CtxSize());
  if (ctx == 0) return fail(E_OUT_OF_MEMORY, "no memory for hashing the index");
  sha1Init(ctx, false);
  sha1Update(ctx, buf, tail + 20 - buf);
  sha1Final(ctx, tail + 20);
  idxBuf = buf;
  idxLen = <usize>len;
  return <i32>len;
}

/**
 * Entry numbers sorted by object id: a counting sort on the first two id bytes
 * (ids are uniform, so buckets hold n/65536 entries each), then a stable sort
 * inside each bucket. Equal ids (an object stored twice) stay in pack order.
 */
function sortedOrder(n: u32): usize {
  let m = <usize>n;
  let order = spareAlloc(<u64>max(m, 1) << 2);
  let starts = spareAlloc(65537 << 2);
  let tmp = spareAlloc(<u64>max(m, 1) << 2);
  if (order == 0 || starts == 0 || tmp == 0) return 0;
  memory.fill(starts, 0, 65537 << 2);
  for (let i: u32 = 0; i < n; i++) {
    let id = idOf(i);
    let key = (<usize>load<u8>(id) << 8) | <usize>load<u8>(id, 1);
    let s = starts + ((key + 1) << 2);
    store<u32>(s, load<u32>(s) + 1);
  }
  for (let b: usize = 1; b <= 65536; b++) {
    store<u32>(starts + (b << 2), load<u32>(starts + (b << 2)) + load<u32>(starts + ((b - 1) << 2)));
  }
  for (let i: u32 = 0; i < n; i++) {
    let id = idOf(i);
    let key = (<usize>load<u8>(id) << 8) | <usize>load<u8>(id, 1);
    let s = starts + (key << 2);
    let at = load<u32>(s);
    store<u32>(order + (<usize>at << 2), i);
    store<u32>(s, at + 1);
  }
  // After the scatter, starts[b] is the end of bucket b, which is where b+1 begins.
  let lo: u32 = 0;
  for (let b: usize = 0; b < 65536; b++) {
    let hi = load<u32>(starts + (b << 2));
    if (hi - lo > 1) sortById(order + (<usize>lo << 2), hi - lo, tmp);
    lo = hi;
  }
  return order;
}

/**
 * The pack offset of the object `id` (20 bytes) by the .idx built last, or
 * 2^64-1 when the pack does not hold it: the fan-out, then a binary search.
 */
export function idxFind(id: usize): u64 {
  if (idxBuf == 0) return U64.MAX_VALUE;
  let fan = idxBuf + 8;
  let first = <usize>load<u8>(id);
  let lo: u32 = first == 0 ? 0 : bswap<u32>(load<u32>(fan + ((first - 1) << 2)));
  let hi = bswap<u32>(load<u32>(fan + (first << 2)));
  let n = bswap<u32>(load<u32>(fan + (255 << 2)));
  let ids = fan + 1024;
  while (lo < hi) {
    let mid = (lo + hi) >>> 1;
    let c = compareId(ids + <usize>mid * 20, id);
    if (c == 0) {
      let offs = ids + <usize>n * 24;
      let o = bswap<u32>(load<u32>(offs + (<usize>mid << 2)));
      if ((o & 0x80000000) == 0) return <u64>o;
      let large = offs + (<usize>n << 2);
      return bswap<u64>(load<u64>(large + (<usize>(o & 0x7fffffff) << 3)));
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return U64.MAX_VALUE;
}
