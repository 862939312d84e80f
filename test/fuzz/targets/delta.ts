// The delta applier (assembly/pack/delta.ts) against a reference written from
// the format description (gitformat-pack "Deltified representation", and the
// checks of git's patch-delta.c): same verdict, same output.
//
// An input is varint(base length) + base + delta; mutations go mostly to the
// delta, whose size varints and copy ranges are the attack surface.
import { Rng } from '../prng.ts';
import { Failure, bucket, messageClass, type Sandbox } from '../sandbox.ts';
import { biggerSize, decodeVarint, encodeVarint, type Field } from '../mutate.ts';
import type { Outcome, Target } from '../target.ts';

/** Output sizes the fuzzer allocates; larger declared results are run with a small buffer. */
const OUT_CAP = 16 << 20;

export function packDeltaInput(base: Uint8Array, delta: Uint8Array): Uint8Array {
  const h = encodeVarint(BigInt(base.length));
  const out = new Uint8Array(h.length + base.length + delta.length);
  out.set(h);
  out.set(base, h.length);
  out.set(delta, h.length + base.length);
  return out;
}

export function unpackDeltaInput(d: Uint8Array): { base: Uint8Array; delta: Uint8Array } {
  const v = decodeVarint(d, 0);
  if (!v || v.value > BigInt(d.length - v.len)) return { base: new Uint8Array(0), delta: d };
  const n = Number(v.value);
  return { base: d.subarray(v.len, v.len + n), delta: d.subarray(v.len + n) };
}

/**
 * The two size varints; null when truncated or wider than 64 bits. Like the
 * core, an encoding longer than 64 bits is refused even when its extra groups
 * are zero: git never writes one, and git's C shifts past 64 bits there.
 */
function header(d: Uint8Array): { base: bigint; result: bigint; len: number } | null {
  let p = 0;
  const sizes: bigint[] = [];
  for (let k = 0; k < 2; k++) {
    let v = 0n, shift = 0n;
    for (;;) {
      if (p >= d.length) return null;
      const b = d[p++];
      if (shift > 63n || (shift === 63n && (b & 0x7e) !== 0)) return null;
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) break;
    }
    sizes.push(v);
  }
  return { base: sizes[0], result: sizes[1], len: p };
}

/** Reference: git's patch_delta rules. */
export function referenceApply(base: Uint8Array, delta: Uint8Array, outLen: number): Uint8Array | string {
  const h = header(delta);
  if (!h) return 'bad header';
  if (h.base !== BigInt(base.length)) return 'base size mismatch';
  if (h.result !== BigInt(outLen)) return 'result size mismatch';
  const out = new Uint8Array(outLen);
  let o = 0, p = h.len;
  while (p < delta.length) {
    const cmd = delta[p++];
    if (cmd & 0x80) {
      let off = 0, size = 0;
      for (let i = 0; i < 4; i++) if (cmd & (1 << i)) { if (p >= delta.length) return 'truncated copy'; off += delta[p++] * 2 ** (8 * i); }
      for (let i = 0; i < 3; i++) if (cmd & (0x10 << i)) { if (p >= delta.length) return 'truncated copy'; size += delta[p++] * 2 ** (8 * i); }
      if (size === 0) size = 0x10000;
      if (off + size > base.length) return 'copy outside base';
      if (size > outLen - o) return 'copy past result';
      out.set(base.subarray(off, off + size), o);
      o += size;
    } else if (cmd) {
      if (cmd > delta.length - p) return 'truncated insert';
      if (cmd > outLen - o) return 'insert past result';
      out.set(delta.subarray(p, p + cmd), o);
      o += cmd;
      p += cmd;
    } else return 'opcode 0';
  }
  return o === outLen ? out : 'short result';
}

/** Header varints and the copy commands' operands, for the enlarging mutators. */
function deltaFields(delta: Uint8Array): Field[] {
  const f: Field[] = [];
  const a = decodeVarint(delta, 0);
  if (!a) return f;
  f.push({ off: 0, len: a.len, kind: 'varint' });
  const b = decodeVarint(delta, a.len);
  if (b) f.push({ off: a.len, len: b.len, kind: 'varint' });
  return f;
}

/** Rewrites one copy command with large or edge-of-base operands. */
function hostileCopy(delta: Uint8Array, base: Uint8Array, rng: Rng): Uint8Array {
  const h = header(delta);
  if (!h) return delta;
  const copies: [number, number][] = [];
  let p = h.len;
  while (p < delta.length) {
    const at = p, cmd = delta[p++];
    if (cmd & 0x80) p += popcount(cmd & 0x7f);
    else if (cmd) p += cmd;
    else break;
    if (cmd & 0x80) copies.push([at, Math.min(p, delta.length) - at]);
  }
  const off = rng.pick([0, base.length, base.length - 1, 0xffffffff, rng.below(base.length + 1), 0x7fffffff]) >>> 0;
  const size = rng.pick([0, 1, 0xffffff, 0x10000, base.length, rng.small(1 << 24)]) & 0xffffff;
  const cmd = [0xff, off & 0xff, (off >>> 8) & 0xff, (off >>> 16) & 0xff, off >>> 24, size & 0xff, (size >> 8) & 0xff, size >> 16];
  const [at, len] = copies.length ? rng.pick(copies) : [delta.length, 0];
  const out = new Uint8Array(delta.length - len + cmd.length);
  out.set(delta.subarray(0, at));
  out.set(cmd, at);
  out.set(delta.subarray(at + len), at + cmd.length);
  return out;
}

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

export const deltaTarget: Target = {
  name: 'delta',
  maxLen: 1 << 20,
  seeds: (s) => s.deltas.map((d) => packDeltaInput(d.base, d.delta)),
  mutate(data, rng, generic, ctx) {
    const { base, delta } = unpackDeltaInput(data);
    const r = rng.below(20);
    if (r < 2) return packDeltaInput(generic(base), delta);
    if (r < 4) return packDeltaInput(base, hostileCopy(delta, base, rng));
    if (r < 5) return packDeltaInput(unpackDeltaInput(ctx.other()).base, delta);
    if (r < 7) {
      // Enlarge a declared size on purpose: the bomb case.
      const f = deltaFields(delta);
      if (f.length) {
        const field = rng.pick(f);
        const v = decodeVarint(delta, field.off)!;
        const enc = encodeVarint(biggerSize(rng, v.value));
        const out = new Uint8Array(delta.length - v.len + enc.length);
        out.set(delta.subarray(0, field.off));
        out.set(enc, field.off);
        out.set(delta.subarray(field.off + v.len), field.off + enc.length);
        return packDeltaInput(base, out);
      }
    }
    return packDeltaInput(base, generic(delta));
  },
  run(sb: Sandbox, input: Uint8Array, runSeed: number): Outcome {
    const rng = new Rng(runSeed, 13);
    const { base, delta } = unpackDeltaInput(input);
    const e = sb.core.exports;
    const b = sb.input(base, 'the base');
    const d = sb.input(delta, 'the delta');
    const h = header(delta);
    const hr = sb.call('deltaHeader', () => e.deltaHeader(d.ptr, delta.length));
    if (h) {
      if (hr !== h.len) throw new Failure('differential', `deltaHeader returned ${hr}, the header is ${h.len} bytes`);
      // u64 results arrive as signed BigInts.
      const baseSize = BigInt.asUintN(64, e.deltaBaseSize()), resultSize = BigInt.asUintN(64, e.deltaResultSize());
      if (baseSize !== h.base || resultSize !== h.result) {
        throw new Failure('differential', `deltaHeader read sizes ${baseSize}/${resultSize}, expected ${h.base}/${h.result}`);
      }
    } else if (hr >= 0) throw new Failure('differential', `deltaHeader accepted a truncated or oversized header (${hr})`);
    else sb.error(hr, 'deltaHeader');
    // The declared result size when it is reasonable, otherwise (or sometimes) another.
    let outLen = h && h.result <= BigInt(OUT_CAP) ? Number(h.result) : rng.small(1 << 16);
    if (rng.chance(0.1)) outLen = Math.max(0, outLen + rng.range(-2, 2));
    const out = sb.buffer(outLen, 'the result');
    const r = sb.call('applyDelta', () => e.applyDelta(b.ptr, base.length, d.ptr, delta.length, out.ptr, outLen));
    sb.verify();
    const want = referenceApply(base, delta, outLen);
    if (r === 0) {
      if (typeof want === 'string') throw new Failure('differential', `applyDelta accepted a delta the reference refuses (${want})`);
      const got = sb.core.bytes(out.ptr, outLen);
      for (let i = 0; i < outLen; i++) if (got[i] !== want[i]) throw new Failure('differential', `applyDelta output differs at byte ${i}`);
      return { signature: `ok|${bucket(outLen)}` };
    }
    const err = sb.error(r, 'applyDelta');
    if (typeof want !== 'string') throw new Failure('differential', `applyDelta refused a delta the reference applies: ${err.message}`);
    return { signature: `${want}|${r}|${messageClass(err.message)}` };
  },
};
