// SHA-256 (FIPS 180-4 §6.2), for repositories in git's sha256 object format.
//
// Context layout (sha256CtxSize() = 128 bytes, caller-allocated, any number live):
//   0   H[0..7]   u32 × 8
//   32  bufLen    u32: bytes waiting in buf (< 64)
//   40  total     u64: bytes hashed so far
//   64  buf       64 bytes, a partial block

import { sha256Compress } from "./sha256-rounds";

const CTX_SIZE: usize = 128;
const BUF_LEN = 32;
const TOTAL = 40;
const BUF = 64;

/** Bytes of caller memory a SHA-256 context needs. */
export function sha256CtxSize(): usize {
  return CTX_SIZE;
}

/** Starts a hash in `ctx` (initial value: FIPS 180-4 §5.3.3). */
export function sha256Init(ctx: usize): void {
  store<u32>(ctx, 0x6a09e667, 0);
  store<u32>(ctx, 0xbb67ae85, 4);
  store<u32>(ctx, 0x3c6ef372, 8);
  store<u32>(ctx, 0xa54ff53a, 12);
  store<u32>(ctx, 0x510e527f, 16);
  store<u32>(ctx, 0x9b05688c, 20);
  store<u32>(ctx, 0x1f83d9ab, 24);
  store<u32>(ctx, 0x5be0cd19, 28);
  store<u32>(ctx, 0, BUF_LEN);
  store<u64>(ctx, 0, TOTAL);
}

/** Hashes `len` bytes at `ptr`. */
export function sha256Update(ctx: usize, ptr: usize, len: usize): void {
  let n = <usize>load<u32>(ctx, BUF_LEN);
  store<u64>(ctx, load<u64>(ctx, TOTAL) + <u64>len, TOTAL);
  if (n != 0) {
    let take = min<usize>(64 - n, len);
    memory.copy(ctx + BUF + n, ptr, take);
    n += take; ptr += take; len -= take;
    if (n < 64) { store<u32>(ctx, <u32>n, BUF_LEN); return; }
    sha256Compress(ctx, ctx + BUF, 1);
  }
  let blocks = len >> 6;
  if (blocks != 0) {
    sha256Compress(ctx, ptr, blocks);
    ptr += blocks << 6;
    len &= 63;
  }
  if (len != 0) memory.copy(ctx + BUF, ptr, len);
  store<u32>(ctx, <u32>len, BUF_LEN);
}

/** Pads (§5.1.1) and writes the 32-byte digest to `out`. */
export function sha256Final(ctx: usize, out: usize): void {
  let n = <usize>load<u32>(ctx, BUF_LEN);
  let buf = ctx + BUF;
  store<u8>(buf + n, 0x80);
  n++;
  if (n > 56) {
    memory.fill(buf + n, 0, 64 - n);
    sha256Compress(ctx, buf, 1);
    n = 0;
  }
  memory.fill(buf + n, 0, 56 - n);
  store<u64>(buf, bswap<u64>(load<u64>(ctx, TOTAL) << 3), 56);
  sha256Compress(ctx, buf, 1);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(ctx + i)));
  store<u32>(ctx, 0, BUF_LEN);
}
