// Adler-32 (RFC 1950 section 8.2): the checksum that ends every zlib stream.
//
//   s1 = 1 + sum of bytes            (mod 65521)
//   s2 = sum of every s1 after a byte (mod 65521)
//   adler = s2 << 16 | s1
//
// The modulo is taken once per block of NMAX bytes: with NMAX = 5552 (zlib's
// bound), 255·n(n+1)/2 + (n+1)(65521−1) ≤ 2^32−1, so neither sum can overflow
// a u32 inside a block. The SIMD path handles 16-byte chunks:
//
//   s1 += Σ b[i]
//   s2 += 16·s1_before + Σ (16 − i)·b[i]
//
// kept as three i32x4 accumulators (byte sums, the running sum of byte sums
// before each chunk, and the weighted sums) folded into s1/s2 once per block.

const BASE: u32 = 65521;
const NMAX: usize = 5552;
// The largest multiple of 16 not above NMAX: a SIMD block is whole chunks.
const NMAX16: usize = 5536;

/** Continues an Adler-32 over `len` bytes at `ptr`. Start with adler = 1. */
export function adler32Update(adler: u32, ptr: usize, len: usize): u32 {
  let s1 = adler & 0xffff;
  let s2 = adler >>> 16;
  let p = ptr;
  let end = ptr + len;
  if (ASC_FEATURE_SIMD) {
    // Weights 16..9 for bytes 0..7 of a chunk, 8..1 for bytes 8..15.
    const wLo = i16x8(16, 15, 14, 13, 12, 11, 10, 9);
    const wHi = i16x8(8, 7, 6, 5, 4, 3, 2, 1);
    while (end - p >= 16) {
      let n = min(end - p, NMAX16) & ~(<usize>15);
      let blockEnd = p + n;
      let vs1 = i32x4.splat(0);
      let vs1Before = i32x4.splat(0);
      let vs2 = i32x4.splat(0);
      while (p < blockEnd) {
        let v = v128.load(p);
        vs1Before = i32x4.add(vs1Before, vs1);
        vs1 = i32x4.add(vs1, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v)));
        let lo = i16x8.extend_low_i8x16_u(v);
        let hi = i16x8.extend_high_i8x16_u(v);
        vs2 = i32x4.add(vs2, i32x4.add(i32x4.dot_i16x8_s(lo, wLo), i32x4.dot_i16x8_s(hi, wHi)));
        p += 16;
      }
      let sumBytes = hsum(vs1);
      let sumBefore = hsum(vs1Before);
      let sumWeighted = hsum(vs2);
      s2 += <u32>n * s1 + (sumBefore << 4) + sumWeighted;
      s1 += sumBytes;
      s1 %= BASE;
      s2 %= BASE;
    }
  }
  while (p < end) {
    let blockEnd = p + min(end - p, NMAX);
    // Unrolled by 4: the tail of a block, or the whole input without SIMD.
    while (blockEnd - p >= 4) {
      s1 += <u32>load<u8>(p); s2 += s1;
      s1 += <u32>load<u8>(p, 1); s2 += s1;
      s1 += <u32>load<u8>(p, 2); s2 += s1;
      s1 += <u32>load<u8>(p, 3); s2 += s1;
      p += 4;
    }
    while (p < blockEnd) {
      s1 += <u32>load<u8>(p); s2 += s1;
      p++;
    }
    s1 %= BASE;
    s2 %= BASE;
  }
  return (s2 << 16) | s1;
}

// @ts-ignore: decorator
@inline function hsum(v: v128): u32 {
  return <u32>(i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3));
}
