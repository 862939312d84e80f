// Byte-level mutations, plus structure-aware ones for the size fields parsers
// trust most: varints (git's delta headers, pack entry headers) and the LEN/NLEN
// pair of stored deflate blocks. Enlarging a declared size is how a small input
// asks for a huge buffer (a decompression bomb), so it gets its own mutators.
import type { Rng } from './prng.ts';

/** A size field inside an input that a mutation may rewrite coherently. */
export interface Field {
  off: number;
  len: number;
  /** varint: 7 bits per byte, low group first (delta sizes). pack: a pack entry header (type + size). */
  kind: 'varint' | 'pack';
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x40, 0x20, 0x10, 0xfe];

/** Sizes a hostile input would declare: off by one, doubled, at type limits, absurd. */
export function biggerSize(rng: Rng, old: bigint): bigint {
  switch (rng.below(10)) {
    case 0: return old + 1n;
    case 1: return old * 2n + 1n;
    case 2: return old + BigInt(rng.small(1 << 20));
    case 3: return (1n << 31n) - 1n + BigInt(rng.below(3));
    case 4: return (1n << 32n) - 1n + BigInt(rng.below(3));
    case 5: return (1n << 40n) + BigInt(rng.below(1000));
    case 6: return (1n << 63n) - 1n + BigInt(rng.below(2));
    case 7: return (1n << 64n) - 1n + BigInt(rng.below(2)); // 2^64 itself overflows 64 bits
    case 8: return old > 0n ? old - 1n : 0n;
    default: return BigInt(rng.small(1 << 26));
  }
}

export function encodeVarint(v: bigint): number[] {
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

export function decodeVarint(d: Uint8Array, p: number): { value: bigint; len: number } | null {
  let v = 0n;
  let shift = 0n;
  for (let i = p; i < d.length && i < p + 12; i++) {
    v |= BigInt(d[i] & 0x7f) << shift;
    shift += 7n;
    if (!(d[i] & 0x80)) return { value: v, len: i - p + 1 };
  }
  return null;
}

/** A pack entry header: 3-bit type and a size, 4 bits in the first byte then 7 per byte (gitformat-pack). */
export function encodePackHeader(type: number, size: bigint): number[] {
  let b = (type << 4) | Number(size & 0xfn);
  size >>= 4n;
  const out: number[] = [];
  while (size) {
    out.push(b | 0x80);
    b = Number(size & 0x7fn);
    size >>= 7n;
  }
  out.push(b);
  return out;
}

export function decodePackHeader(d: Uint8Array, p: number): { type: number; size: bigint; len: number } | null {
  if (p >= d.length) return null;
  let c = d[p];
  const type = (c >> 4) & 7;
  let size = BigInt(c & 15);
  let shift = 4n;
  let i = p + 1;
  while (c & 0x80) {
    if (i >= d.length || i > p + 12) return null;
    c = d[i++];
    size |= BigInt(c & 0x7f) << shift;
    shift += 7n;
  }
  return { type, size, len: i - p };
}

function splice(d: Uint8Array, at: number, remove: number, insert: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(d.length - remove + insert.length);
  out.set(d.subarray(0, at));
  out.set(insert, at);
  out.set(d.subarray(at + remove), at + insert.length);
  return out;
}

/** Offsets where a stored block's LEN is followed by its one's complement NLEN (RFC 1951 3.2.4). */
function storedHeaders(d: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= d.length; i++) {
    if ((d[i] ^ d[i + 2]) === 0xff && (d[i + 1] ^ d[i + 3]) === 0xff) out.push(i);
  }
  return out;
}

export interface MutateContext {
  /** Another corpus input, for splicing. */
  other(): Uint8Array;
  /** Size fields of `data` (when the target knows its structure). */
  fields?(data: Uint8Array): Field[];
}

/**
 * A plain Uint8Array copy. Node's Buffer.slice() is a view, not a copy: a
 * mutation through it would change the corpus input it came from.
 */
export function plain(d: Uint8Array): Uint8Array {
  return Buffer.isBuffer(d) ? new Uint8Array(d) : d;
}

/** One mutation; returns a new array (the input is left alone). */
export function mutateOnce(d: Uint8Array, rng: Rng, ctx: MutateContext): Uint8Array {
  d = plain(d);
  const n = d.length;
  const pos = () => rng.below(Math.max(1, n));
  // Positions near the start matter most (headers), so bias a third of them there.
  const hotPos = () => (rng.chance(0.33) ? rng.below(Math.min(n, 32) || 1) : pos());
  switch (rng.below(13)) {
    case 0: case 1: { // flip 1-4 bits
      if (!n) return rng.bytes(rng.small(16));
      const out = d.slice();
      for (let k = rng.range(1, 4); k > 0; k--) out[hotPos()] ^= 1 << rng.below(8);
      return out;
    }
    case 2: { // set bytes to interesting or random values
      if (!n) return Uint8Array.of(rng.pick(INTERESTING));
      const out = d.slice();
      for (let k = rng.range(1, 4); k > 0; k--) out[hotPos()] = rng.chance(0.5) ? rng.pick(INTERESTING) : rng.u32() & 0xff;
      return out;
    }
    case 3: { // add or subtract a little
      if (!n) return d;
      const out = d.slice();
      const p = hotPos();
      out[p] = (out[p] + rng.range(-16, 16)) & 0xff;
      return out;
    }
    case 4: // truncate
      return d.subarray(0, rng.chance(0.5) ? pos() : Math.max(0, n - rng.small(32))).slice();
    case 5: { // splice with another input
      const o = ctx.other();
      const a = rng.below(n + 1);
      const b = rng.below(o.length + 1);
      const out = new Uint8Array(a + o.length - b);
      out.set(d.subarray(0, a));
      out.set(o.subarray(b), a);
      return out;
    }
    case 6: { // insert a run: random bytes, one repeated byte, or a copy of part of the input
      const len = rng.small(rng.chance(0.1) ? 4096 : 64);
      let run: Uint8Array;
      const kind = rng.below(3);
      if (kind === 0) run = rng.bytes(len);
      else if (kind === 1) run = new Uint8Array(len).fill(rng.pick(INTERESTING));
      else {
        const from = rng.below(n + 1);
        run = d.slice(from, from + len);
      }
      return splice(d, rng.below(n + 1), 0, run);
    }
    case 7: { // remove a run
      if (!n) return d;
      const at = pos();
      return splice(d, at, Math.min(n - at, rng.small(rng.chance(0.1) ? 4096 : 64)), []);
    }
    case 8: { // overwrite a run with a copy from elsewhere in the input
      if (n < 2) return d;
      const len = rng.small(Math.min(n, 256));
      const from = rng.below(n - len + 1);
      const to = rng.below(n - len + 1);
      const out = d.slice();
      out.set(d.subarray(from, from + len), to);
      return out;
    }
    case 9: case 10: { // enlarge (or shift) a declared size the target knows about
      const fields = ctx.fields?.(d) ?? [];
      if (!fields.length) return mutateOnce(d, rng, ctx);
      const f = rng.pick(fields);
      if (f.kind === 'varint') {
        const v = decodeVarint(d, f.off);
        if (!v) return d;
        return splice(d, f.off, v.len, encodeVarint(biggerSize(rng, v.value)));
      }
      const h = decodePackHeader(d, f.off);
      if (!h) return d;
      return splice(d, f.off, h.len, encodePackHeader(h.type, biggerSize(rng, h.size)));
    }
    case 11: { // a stored block's LEN and NLEN, changed together so the pair still checks
      const hs = storedHeaders(d);
      if (!hs.length) return mutateOnce(d, rng, ctx);
      const at = rng.pick(hs);
      const old = d[at] | (d[at + 1] << 8);
      const len = rng.pick([old + 1, old * 2, 0xffff, 0, rng.below(0x10000), old + rng.small(1024)]) & 0xffff;
      const out = d.slice();
      out[at] = len & 0xff;
      out[at + 1] = len >> 8;
      out[at + 2] = ~len & 0xff;
      out[at + 3] = (~len >> 8) & 0xff;
      return out;
    }
    default: { // a varint written somewhere at random: long continuation chains
      const v = encodeVarint(biggerSize(rng, BigInt(rng.small(1 << 16))));
      const at = hotPos();
      return splice(d, at, Math.min(n - at, rng.below(v.length + 1)), v);
    }
  }
}

/** A stack of 1-5 mutations (small stacks most often). */
export function mutate(d: Uint8Array, rng: Rng, ctx: MutateContext, maxLen = 1 << 20): Uint8Array {
  let out = d;
  for (let k = rng.small(5); k > 0; k--) out = mutateOnce(out, rng, ctx);
  return out.length > maxLen ? out.subarray(0, maxLen) : out;
}
