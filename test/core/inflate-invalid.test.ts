// Invalid zlib streams: each must end in a clear error with its code and input
// offset, never a hang, a trap or a read outside the input. node:zlib (the zlib
// library) is the oracle for which streams are valid.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import zlib from 'node:zlib';
import { loadCore, CoreError, type Core } from '../../host/core/instance.ts';
import { inflate, Inflater } from '../../host/core/inflate.ts';
import { randomBytes, runs, text } from '../helpers/zlib-data.ts';
import { BitWriter, dynamicHeader, fixedLitCode, zlibWrap, type DynamicHeader } from '../helpers/deflate-writer.ts';

const E_ZLIB_HEADER = -10;
const E_DEFLATE_DATA = -11;
const E_ZLIB_CHECKSUM = -12;
const E_SIZE_MISMATCH = -13;
const E_TRUNCATED = -14;

let core: Core;
test.before(async () => {
  core = await loadCore();
});

type Verdict = { ok: true; output: Buffer; consumed: number } | { ok: false };

function nodeVerdict(z: Uint8Array): Verdict {
  try {
    const r = zlib.inflateSync(z, { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    return { ok: true, output: r.buffer, consumed: r.engine.bytesWritten };
  } catch {
    return { ok: false };
  }
}

function ours(z: Uint8Array, opts: Parameters<typeof inflate>[2] = {}): { output: Uint8Array; consumed: number } | CoreError {
  try {
    return inflate(core, z, opts);
  } catch (e) {
    if (e instanceof CoreError) return e;
    throw e; // anything else (a trap, a TypeError) is a bug
  }
}

/** Expects an error with `code` (and `offset` when given), from every way of feeding the stream. */
function rejects(z: Uint8Array, code: number, what: string, offset?: number): void {
  assert.not.ok(nodeVerdict(z).ok, `${what}: node:zlib rejects it too`);
  for (const opts of [{}, { chunkSize: 1, outChunkSize: 3 }, { expectedSize: 1 << 16 }]) {
    const r = ours(z, opts);
    if (!(r instanceof CoreError)) return assert.unreachable(`${what} ${JSON.stringify(opts)}: inflated without error`);
    assert.is(r.code, code, `${what} ${JSON.stringify(opts)}: ${r.message}`);
    if (offset !== undefined && code !== E_SIZE_MISMATCH) assert.is(r.offset, offset, `${what}: error offset (${r.message})`);
    assert.match(r.message, /zlib: /);
  }
}

/** Expects success identical to node's. */
function accepts(z: Uint8Array, want: Uint8Array, what: string): void {
  const v = nodeVerdict(z);
  assert.ok(v.ok, `${what}: node:zlib accepts it`);
  for (const opts of [{}, { chunkSize: 1, outChunkSize: 1 }, { expectedSize: want.length }]) {
    const r = ours(z, opts);
    if (r instanceof CoreError) return assert.unreachable(`${what}: ${r.message}`);
    assert.equal(Array.from(r.output), Array.from(want), what);
    assert.is(r.consumed, z.length, `${what}: consumed`);
  }
}

const SMALL: [string, Uint8Array, Uint8Array][] = [];
for (const [name, data, opts] of [
  ['dynamic', text(500, 61), { level: 9 }],
  ['fixed', text(200, 62), { strategy: zlib.constants.Z_FIXED }],
  ['stored', randomBytes(60, 63), { level: 0 }],
  ['runs', runs(2000, 64), { level: 9 }],
] as const) {
  SMALL.push([name, data, zlib.deflateSync(data, opts)]);
}

test('truncation at every byte is E_TRUNCATED at the end of the input', () => {
  for (const [name, , z] of SMALL) {
    for (let cut = 0; cut < z.length; cut++) {
      const part = z.subarray(0, cut);
      assert.not.ok(nodeVerdict(part).ok);
      for (const opts of [{}, { chunkSize: 1 }, { expectedSize: 5000 }]) {
        const r = ours(part, opts);
        if (!(r instanceof CoreError)) return assert.unreachable(`${name} cut at ${cut}: no error`);
        assert.is(r.code, E_TRUNCATED, `${name} cut at ${cut} ${JSON.stringify(opts)}: ${r.message}`);
        assert.is(r.offset, cut);
      }
    }
  }
});

test('every single-bit flip: same verdict as zlib, same output when accepted', () => {
  let accepted = 0, rejected = 0;
  for (const [name, data, z] of SMALL) {
    for (let bit = 0; bit < z.length * 8; bit++) {
      const bad = Uint8Array.from(z);
      bad[bit >> 3] ^= 1 << (bit & 7);
      const v = nodeVerdict(bad);
      for (const opts of [{}, { chunkSize: 3, outChunkSize: 5 }, { expectedSize: data.length }]) {
        const r = ours(bad, opts);
        const sized = 'expectedSize' in opts;
        if (v.ok && (!sized || v.output.length === data.length)) {
          if (r instanceof CoreError) return assert.unreachable(`${name} bit ${bit}: zlib accepts, we said ${r.message}`);
          assert.ok(Buffer.from(r.output).equals(v.output), `${name} bit ${bit}: output`);
          assert.is(r.consumed, v.consumed, `${name} bit ${bit}: consumed`);
        } else {
          assert.ok(r instanceof CoreError, `${name} bit ${bit} ${JSON.stringify(opts)}: zlib rejects, we accepted`);
        }
      }
      if (v.ok) accepted++;
      else rejected++;
    }
  }
  // Both verdicts occur, so both branches above were exercised.
  assert.ok(accepted > 0 && rejected > 0, `accepted ${accepted}, rejected ${rejected}`);
});

test('bad zlib headers: check bits, method, window size, preset dictionary', () => {
  const body = zlib.deflateRawSync(Buffer.from('hello'));
  const withHeader = (cmf: number, flg: number) => {
    const check = 31 - (((cmf << 8) | flg) % 31);
    return Uint8Array.from([cmf, flg | (check === 31 ? 0 : check), ...body, 0x06, 0x2c, 0x02, 0x15]);
  };
  accepts(withHeader(0x78, 0x80), Buffer.from('hello'), 'a good header (sanity)');
  rejects(Uint8Array.from([0x78, 0x9d, ...body]), E_ZLIB_HEADER, 'FCHECK wrong', 0);
  rejects(withHeader(0x77, 0x80), E_ZLIB_HEADER, 'method 7', 0);
  rejects(withHeader(0x8f, 0x80), E_ZLIB_HEADER, 'method 15', 0);
  rejects(withHeader(0x88, 0x80), E_ZLIB_HEADER, 'window size 2^16 (CINFO 8)', 0);
  rejects(withHeader(0xf8, 0x80), E_ZLIB_HEADER, 'CINFO 15', 0);
  const fdict = withHeader(0x78, 0xa0);
  rejects(fdict, E_ZLIB_HEADER, 'preset dictionary', 0);
  assert.match((ours(fdict) as CoreError).message, /dictionary/);
});

test('a wrong Adler-32 is E_ZLIB_CHECKSUM at the trailer', () => {
  for (const [name, , z] of SMALL) {
    const bad = Uint8Array.from(z);
    bad[bad.length - 1] ^= 0x40;
    rejects(bad, E_ZLIB_CHECKSUM, name, z.length - 4);
  }
});

test('expected size: more or less output is E_SIZE_MISMATCH', () => {
  const data = text(3000, 65);
  const z = zlib.deflateSync(data);
  for (const size of [0, 1, data.length - 1, data.length + 1, data.length * 2]) {
    for (const opts of [{ expectedSize: size }, { expectedSize: size, chunkSize: 7 }, { expectedSize: size, outChunkSize: 100 }]) {
      const r = ours(z, opts);
      if (!(r instanceof CoreError)) return assert.unreachable(`size ${size}: no error`);
      assert.is(r.code, E_SIZE_MISMATCH, `size ${size} ${JSON.stringify(opts)}: ${r.message}`);
    }
  }
  assert.ok(Buffer.from((ours(z, { expectedSize: data.length }) as { output: Uint8Array }).output).equals(data));
  // An empty stream that was declared non-empty.
  const r = ours(zlib.deflateSync(new Uint8Array(0)), { expectedSize: 1 });
  assert.ok(r instanceof CoreError && r.code === E_SIZE_MISMATCH);
});

// ---- hand-built deflate data -------------------------------------------------------

const A = 97, B = 98;
/** A small complete code: 'a', 'b', end of block and length 3, two bits each. */
function litLens(over: Record<number, number> = { [A]: 2, [B]: 2, 256: 2, 257: 2 }): number[] {
  const l = new Array(258).fill(0);
  for (const [s, n] of Object.entries(over)) l[Number(s)] = n;
  return l;
}

/** A dynamic block: 'a', 'b', then (length 3, distance code `distSym`), end of block. */
function dynamicStream(h: Partial<DynamicHeader>, body: 'ab+match' | 'ab' | 'eob' = 'ab+match', distSym = 1): Uint8Array {
  const w = new BitWriter();
  const header: DynamicHeader = { litLens: litLens(), distLens: [1, 1], ...h };
  const { lit, dist } = dynamicHeader(w, header);
  const L = header.litLens, D = header.distLens;
  if (body !== 'eob') {
    w.code(lit[A], L[A]).code(lit[B], L[B]);
    if (body === 'ab+match') w.code(lit[257], L[257]).code(dist[distSym], Math.max(1, D[distSym] ?? 1));
  }
  w.code(lit[256], L[256]);
  const match = distSym === 0 ? 'bbb' : 'aba';
  const out = Buffer.from(body === 'ab+match' ? 'ab' + match : body === 'ab' ? 'ab' : '');
  return zlibWrap(w.finish(), out);
}

test('hand-built dynamic blocks that zlib accepts (sanity of the writer, and edge codes)', () => {
  accepts(dynamicStream({}), Buffer.from('ababa'), 'a small complete code');
  // A single code of length 1 is the one incomplete code allowed (RFC 1951 leaves it open; zlib allows it).
  accepts(dynamicStream({ distLens: [1] }, 'ab+match', 0), Buffer.from('abbbb'), 'one distance code of length 1');
  accepts(dynamicStream({ litLens: litLens({ 256: 1 }) }, 'eob'), Buffer.alloc(0), 'only an end-of-block code, of length 1');
  // No distance codes at all is fine while no match is used.
  accepts(dynamicStream({ distLens: [0] }, 'ab'), Buffer.from('ab'), 'no distance codes, literals only');
  // Code lengths sent with the zero-run codes 17 and 18 (16 is all over zlib's own streams).
  const preLens = [5, 5, 5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2];
  const exact: [number, number][] = [[18, 76], [17, 7], [2, 0], [2, 0], [18, 127], [18, 8], [2, 0], [2, 0], [1, 0], [1, 0]];
  accepts(dynamicStream({ preLens, preSymbols: exact }), Buffer.from('ababa'), 'code lengths sent with repeat codes 17/18');
});

test('over-subscribed and incomplete codes are E_DEFLATE_DATA', () => {
  rejects(dynamicStream({ litLens: litLens({ [A]: 2, [B]: 2, 256: 2, 257: 2, 99: 2 }) }), E_DEFLATE_DATA, 'over-subscribed literal/length code');
  rejects(dynamicStream({ litLens: litLens({ [A]: 2, [B]: 2, 256: 2 }) }, 'ab'), E_DEFLATE_DATA, 'incomplete literal/length code');
  rejects(dynamicStream({ litLens: litLens({ [A]: 1, 256: 1, 257: 1 }) }, 'eob'), E_DEFLATE_DATA, 'over-subscribed length-1 code');
  rejects(dynamicStream({ distLens: [1, 1, 1] }), E_DEFLATE_DATA, 'over-subscribed distance code');
  rejects(dynamicStream({ distLens: [2, 2, 2] }), E_DEFLATE_DATA, 'incomplete distance code');
  rejects(dynamicStream({ preLens: [...new Array(17).fill(4), 0, 0] }), E_DEFLATE_DATA, 'over-subscribed code length code');
  rejects(dynamicStream({ preLens: [...new Array(15).fill(4), 0, 0, 0, 0] }), E_DEFLATE_DATA, 'incomplete code length code');
  rejects(dynamicStream({ preLens: new Array(19).fill(0) }), E_DEFLATE_DATA, 'empty code length code');
});

test('bad code length sequences are E_DEFLATE_DATA', () => {
  const preLens = [5, 5, 5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2];
  rejects(dynamicStream({ preLens, preSymbols: [[16, 0]] }), E_DEFLATE_DATA, 'repeat of the previous length with none before');
  rejects(dynamicStream({ preLens, preSymbols: [[18, 127], [18, 127], [18, 127]] }), E_DEFLATE_DATA, 'zeros repeated past the last code');
  rejects(dynamicStream({ preLens, preSymbols: [[2, 0], [16, 3], [18, 127], [18, 106], [16, 3]] }), E_DEFLATE_DATA, 'a length repeated past the last code');
  rejects(dynamicStream({ litLens: litLens({ [A]: 2, [B]: 2, 99: 2, 257: 2 }) }, 'ab'), E_DEFLATE_DATA, 'no end-of-block code');
  rejects(dynamicStream({ litLens: [...litLens(), ...new Array(29).fill(0)] }), E_DEFLATE_DATA, '287 literal/length codes');
  rejects(dynamicStream({ distLens: [1, 1, ...new Array(30).fill(0)] }), E_DEFLATE_DATA, '32 distance codes');
});

test('codes that a valid table leaves unused, and distances too far back', () => {
  // Only distance code 0 exists; its unused sibling (code 1) is sent.
  const w = new BitWriter();
  const codes = dynamicHeader(w, { litLens: litLens(), distLens: [1] }).lit;
  w.code(codes[A], 2).code(codes[257], 2).code(1, 1).code(codes[256], 2);
  rejects(zlibWrap(w.finish()), E_DEFLATE_DATA, 'the unused code of a one-code distance table');
  rejects(dynamicStream({ distLens: [0] }), E_DEFLATE_DATA, 'a match with no distance codes');

  const fixed = (emit: (w: BitWriter) => void) => {
    const w = new BitWriter().bits(1, 1).bits(1, 2);
    emit(w);
    return zlibWrap(w.finish());
  };
  const lit = (w: BitWriter, s: number) => w.code(...fixedLitCode(s));
  // 'a', then length 3 at distance 2: one byte too far. 3 + 8 + 7 bits precede the distance: byte 2 of the deflate data.
  rejects(fixed((w) => { lit(w, A); lit(w, 257); w.code(1, 5); lit(w, 256); }), E_DEFLATE_DATA, 'distance 2 after 1 byte', 4);
  rejects(fixed((w) => { lit(w, 257); w.code(0, 5); lit(w, 256); }), E_DEFLATE_DATA, 'a match before any output', 3);
  rejects(fixed((w) => { lit(w, A); lit(w, 286); }), E_DEFLATE_DATA, 'literal/length code 286');
  rejects(fixed((w) => { lit(w, A); lit(w, 287); }), E_DEFLATE_DATA, 'literal/length code 287');
  rejects(fixed((w) => { lit(w, A); lit(w, 257); w.code(30, 5); lit(w, 256); }), E_DEFLATE_DATA, 'distance code 30');
  rejects(fixed((w) => { lit(w, A); lit(w, 257); w.code(31, 5); lit(w, 256); }), E_DEFLATE_DATA, 'distance code 31');
  // Far back across a stored block: 40000 bytes, then a 32768-distance match is fine, 40001 output later still fine,
  // but distance 32768 right after 100 bytes is not.
  rejects(fixed((w) => { for (let i = 0; i < 100; i++) lit(w, A); lit(w, 257); w.code(29, 5).bits(8191, 13); lit(w, 256); }),
    E_DEFLATE_DATA, 'distance 32768 after 100 bytes');
});

test('bad block type and bad stored lengths are E_DEFLATE_DATA', () => {
  rejects(zlibWrap(new BitWriter().bits(1, 1).bits(3, 2).finish()), E_DEFLATE_DATA, 'block type 3', 2);
  rejects(zlibWrap(new BitWriter().bits(0, 1).bits(1, 2).code(0, 7).bits(1, 1).bits(3, 2).finish()), E_DEFLATE_DATA, 'block type 3 after a fixed block', 3);
  const stored = (len: number, nlen: number, n: number) =>
    zlibWrap(new BitWriter().bits(1, 1).bits(0, 2).bytes([len & 0xff, len >> 8, nlen & 0xff, nlen >> 8]).bytes(new Uint8Array(n)).finish(), new Uint8Array(n));
  accepts(stored(5, 0xfffa, 5), new Uint8Array(5), 'a good stored block (sanity)');
  rejects(stored(5, 0xfffb, 5), E_DEFLATE_DATA, 'NLEN not the complement of LEN', 3);
  rejects(stored(5, 5, 5), E_DEFLATE_DATA, 'NLEN equal to LEN', 3);
});

test('a failed stream stays failed until the next inflateInit', () => {
  const e = core.exports;
  const z = zlibWrap(new BitWriter().bits(1, 1).bits(3, 2).finish());
  const ptr = core.alloc(z.length);
  const out = core.alloc(16);
  core.bytes(ptr, z.length).set(z);
  e.inflateInit(0xffffffffffffffffn);
  assert.is(e.inflateStep(ptr, z.length, out, 16), E_DEFLATE_DATA);
  assert.is(e.inflateStep(ptr, z.length, out, 16), E_DEFLATE_DATA);
  const good = zlib.deflateSync(Buffer.from('fine'));
  const gp = core.alloc(good.length);
  core.bytes(gp, good.length).set(good);
  e.inflateInit(4n);
  assert.is(e.inflateStep(gp, good.length, out, 16), 1);
  assert.is(Buffer.from(core.bytes(out, 4)).toString(), 'fine');
});

test('an Inflater whose stream was taken over refuses to continue', () => {
  const z = zlib.deflateSync(text(1000, 66));
  const first = new Inflater(core);
  first.push(z.subarray(0, 10));
  inflate(core, z, { expectedSize: 1000 });
  assert.throws(() => first.push(z.subarray(10)), /another inflate stream/);
});

test.run();
