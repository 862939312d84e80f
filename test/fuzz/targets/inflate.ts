// The inflater (assembly/inflate.ts), one-shot and streaming, against node:zlib.
//
// Streaming runs split the input at random points (down to single bytes) and
// hand the core a different, small output window on each call, so history
// across windows, resumption inside a code and every NEED_* path are exercised.
// Each call's output window and input chunk are fenced; the input must never
// change and nothing may be written outside the window.
import zlib from 'node:zlib';
import { Rng } from '../prng.ts';
import { Failure, bucket, messageClass, type Sandbox } from '../sandbox.ts';
import type { Outcome, Target } from '../target.ts';

const DONE = 1, NEED_INPUT = 2, NEED_OUTPUT = 3;
const SIZE_UNKNOWN = 0xffffffffffffffffn;
/** Outputs beyond this are not compared (a bomb both sides would refuse to hold). */
const OUT_CAP = 4 << 20;

type Oracle = { ok: true; out: Buffer; consumed: number } | { ok: false; big: boolean; message: string };

function oracle(input: Uint8Array, chunkSize = 1 << 14): Oracle {
  try {
    const r = zlib.inflateSync(input, { info: true, chunkSize, maxOutputLength: OUT_CAP }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    return { ok: true, out: r.buffer, consumed: r.engine.bytesWritten };
  } catch (e) {
    const err = e as Error & { code?: string };
    // zlib keeps only the window the header declares (CINFO) between output
    // chunks; with one chunk as large as the output it resolves every distance
    // from the output itself, as the core does (its window is always 32 KiB).
    if (/too far back/.test(err.message) && chunkSize < OUT_CAP) return oracle(input, OUT_CAP);
    return { ok: false, big: err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError, message: err.message };
  }
}

function equal(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** A declared size: usually the true one, sometimes off, sometimes absurd. */
function declaredSize(rng: Rng, o: Oracle): number {
  const truth = o.ok ? o.out.length : rng.small(1 << 16);
  switch (rng.below(8)) {
    case 0: return truth + 1;
    case 1: return Math.max(0, truth - 1);
    case 2: return rng.small(1 << 16);
    default: return truth;
  }
}

function runWhole(sb: Sandbox, input: Uint8Array, rng: Rng, o: Oracle): Outcome {
  const expected = Math.min(declaredSize(rng, o), OUT_CAP);
  const inp = sb.input(input, 'the input');
  const out = sb.buffer(expected, 'the output');
  const e = sb.core.exports;
  const r = sb.call('inflateWhole', () => e.inflateWhole(inp.ptr, input.length, out.ptr, expected));
  sb.verify();
  const shouldWork = o.ok && o.out.length === expected;
  if (r >= 0) {
    if (!o.ok) throw new Failure('differential', `inflateWhole accepted a stream zlib refuses (${o.message})`);
    if (!shouldWork) throw new Failure('differential', `inflateWhole accepted ${expected} bytes declared, zlib inflates ${o.out.length}`);
    const at = equal(sb.core.bytes(out.ptr, expected), o.out);
    if (at >= 0) throw new Failure('differential', `inflateWhole output differs from zlib at byte ${at}`);
    if (r !== o.consumed) throw new Failure('differential', `inflateWhole consumed ${r} bytes, zlib ${o.consumed}`);
    return { signature: `whole|ok|${bucket(expected)}` };
  }
  const err = sb.error(r, 'inflateWhole');
  if (shouldWork) throw new Failure('differential', `inflateWhole refused a stream zlib inflates to the declared ${expected} bytes: ${err.message}`);
  return { signature: `whole|${r}|${messageClass(err.message)}` };
}

function runStream(sb: Sandbox, input: Uint8Array, rng: Rng, o: Oracle, tiny: boolean): Outcome {
  const e = sb.core.exports;
  const known = rng.chance(0.4);
  const expected = known ? declaredSize(rng, o) : -1;
  const maxChunk = tiny ? 4 : rng.pick([1, 7, 64, 1024, input.length || 1]);
  const maxWin = tiny ? 16 : rng.pick([1, 13, 300, 4096, 65536]);
  // Two window buffers: consecutive calls may write to different places, as the contract allows.
  const wins = [sb.buffer(maxWin, 'output window A'), sb.buffer(maxWin, 'output window B')];
  const inBuf = sb.buffer(maxChunk + 16, 'the input chunk');
  e.inflateInit(known ? BigInt(expected) : SIZE_UNKNOWN);
  const parts: Uint8Array[] = [];
  let pos = 0, total = 0, steps = 0, idle = 0, status = NEED_INPUT;
  // Tiny windows cost a call per few bytes: bombs are left to the larger windows.
  const cap = tiny ? 1 << 14 : Math.min(OUT_CAP, maxWin * 4096);
  const budget = 8 * (input.length + 8) + 4 * Math.ceil(cap / maxWin) + 64;
  for (;;) {
    if (++steps > budget) throw new Failure('hang', `inflateStep made ${steps} calls on ${input.length} bytes of input`);
    const c = Math.min(input.length - pos, rng.range(1, maxChunk));
    const w = rng.range(1, maxWin);
    const win = wins[rng.below(2)];
    const outPtr = win.ptr + win.cap - w; // flush against the after-guard
    // The chunk, then random bytes the core must neither use nor change.
    sb.core.bytes(inBuf.ptr, c).set(input.subarray(pos, pos + c));
    sb.core.bytes(inBuf.ptr + c, 16).set(rng.bytes(16));
    sb.freeze(inBuf.ptr, c + 16, 'the input chunk');
    let fenced = 0;
    if (w + 32 <= win.cap) {
      sb.fence(outPtr - 32, 32, 'before the output window');
      fenced = 1;
    }
    status = sb.call('inflateStep', () => e.inflateStep(inBuf.ptr, c, outPtr, w));
    sb.verify();
    sb.unfence(fenced);
    sb.unfreeze(1);
    if (status < 0) break;
    const used = e.inflateConsumed(), made = e.inflateProduced();
    if (used > c || made > w) throw new Failure('contract', `inflateStep consumed ${used}/${c} and produced ${made}/${w}`);
    if (status === NEED_INPUT && used !== c) throw new Failure('contract', `NEED_INPUT with ${c - used} bytes of the chunk unconsumed`);
    if (status !== DONE && status !== NEED_INPUT && status !== NEED_OUTPUT) throw new Failure('bad-status', `inflateStep returned ${status}`);
    if (made && total < OUT_CAP) parts.push(sb.core.bytes(outPtr, made).slice());
    total += made;
    pos += used;
    if (Number(e.inflateTotalIn()) !== pos || Number(e.inflateTotalOut()) !== total) {
      throw new Failure('contract', `inflateTotalIn/Out ${e.inflateTotalIn()}/${e.inflateTotalOut()} but ${pos}/${total} seen`);
    }
    if (status === DONE) break;
    if (used === 0 && made === 0 && c > 0) {
      if (++idle > 3) throw new Failure('hang', `inflateStep made no progress ${idle} times in a row (status ${status}, offset ${pos})`);
    } else idle = 0;
    if (status === NEED_INPUT && pos >= input.length) break; // input ended inside the stream
    if (total > cap) return { signature: `${tiny ? 'tiny' : 'stream'}|big` };
  }
  const modeName = (tiny ? 'tiny' : 'stream') + (known ? '-sized' : '');
  const shouldWork = o.ok && (!known || o.out.length === expected);
  if (status === DONE) {
    // A finished stream stays finished.
    const again = sb.call('inflateStep', () => e.inflateStep(inBuf.ptr, 0, wins[0].ptr, 1));
    if (again !== DONE || e.inflateProduced() !== 0) throw new Failure('contract', `inflateStep after DONE returned ${again}, produced ${e.inflateProduced()}`);
    if (!o.ok && o.big) return { signature: `${modeName}|big` };
    if (!o.ok) throw new Failure('differential', `${modeName}: the core inflated a stream zlib refuses (${o.message})`);
    if (!shouldWork) throw new Failure('differential', `${modeName}: the core accepted ${expected} declared bytes, zlib inflates ${o.out.length}`);
    if (pos !== o.consumed) throw new Failure('differential', `${modeName}: consumed ${pos} bytes, zlib ${o.consumed}`);
    const out = concat(parts, total);
    const at = equal(out, o.out);
    if (at >= 0) throw new Failure('differential', `${modeName}: output differs from zlib at byte ${at} (${out.length} vs ${o.out.length} bytes)`);
    return { signature: `${modeName}|ok|${bucket(total)}` };
  }
  if (status < 0) {
    const err = sb.error(status, 'inflateStep');
    if (shouldWork) throw new Failure('differential', `${modeName}: the core refused a stream zlib inflates: ${err.message}`);
    // A failed stream stays failed.
    const again = sb.call('inflateStep', () => e.inflateStep(inBuf.ptr, 0, wins[0].ptr, 1));
    if (again !== status) throw new Failure('contract', `inflateStep after error ${status} returned ${again}`);
    return { signature: `${modeName}|${status}|${messageClass(err.message)}|${bucket(steps)}` };
  }
  // Input ran out before the end of the stream: truncated.
  if (shouldWork) throw new Failure('differential', `${modeName}: the core wants more input after ${pos} bytes, zlib finished at ${o.ok ? o.consumed : '?'}`);
  return { signature: `${modeName}|truncated|${bucket(total)}` };
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(Math.min(total, OUT_CAP + (1 << 17)));
  let o = 0;
  for (const p of parts) {
    if (o + p.length > out.length) break;
    out.set(p, o);
    o += p.length;
  }
  return out.subarray(0, o);
}

/**
 * Mutation of compressed data mostly breaks the Adler-32 first; fixing the
 * trailer for half the inputs lets corrupted literals and matches reach the end.
 */
function fixAdler(d: Uint8Array): Uint8Array {
  if (d.length < 6) return d;
  try {
    const r = zlib.inflateRawSync(d.subarray(2), { info: true, maxOutputLength: OUT_CAP }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    const end = 2 + r.engine.bytesWritten;
    const a = adler32(r.buffer);
    const out = new Uint8Array(Math.max(d.length, end + 4));
    out.set(d);
    out[end] = a >>> 24;
    out[end + 1] = (a >>> 16) & 0xff;
    out[end + 2] = (a >>> 8) & 0xff;
    out[end + 3] = a & 0xff;
    return out;
  } catch {
    return d;
  }
}

function adler32(b: Uint8Array): number {
  let s1 = 1, s2 = 0;
  for (let i = 0; i < b.length; ) {
    const end = Math.min(b.length, i + 3800);
    for (; i < end; i++) {
      s1 += b[i];
      s2 += s1;
    }
    s1 %= 65521;
    s2 %= 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}

export const inflateTarget: Target = {
  name: 'inflate',
  maxLen: 1 << 18,
  seeds: (s) => s.zlib,
  mutate(data, rng, generic) {
    const m = generic(data);
    return rng.chance(0.5) ? fixAdler(m) : m;
  },
  run(sb, input, runSeed) {
    const rng = new Rng(runSeed, 11);
    const o = oracle(input);
    switch (rng.below(4)) {
      case 0: return runWhole(sb, input, rng, o);
      case 1: return runStream(sb, input, rng, o, true);
      default: return runStream(sb, input, rng, o, false);
    }
  },
};
