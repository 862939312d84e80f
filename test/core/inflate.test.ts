// Valid zlib streams: the core's inflate against node:zlib (the zlib library) as
// the oracle. Output and the count of input bytes used must match exactly, for
// every level, strategy, window size and memory level, whole or fed in chunks
// of any size into output windows of any size.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import zlib from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCore, type Core } from '../../host/core/instance.ts';
import { inflate, Inflater } from '../../host/core/inflate.ts';
import { git, gitBytes, tempDir } from '../helpers/git.ts';
import { farMatches, mixed, periodic, randomBytes, runs, text } from '../helpers/zlib-data.ts';

let core: Core;
test.before(async () => {
  core = await loadCore();
});

const STRATEGIES: [string, number][] = [
  ['default', zlib.constants.Z_DEFAULT_STRATEGY],
  ['filtered', zlib.constants.Z_FILTERED],
  ['huffman-only', zlib.constants.Z_HUFFMAN_ONLY],
  ['rle', zlib.constants.Z_RLE],
  ['fixed', zlib.constants.Z_FIXED],
];

function nodeInflate(z: Uint8Array): { output: Buffer; consumed: number } {
  const r = zlib.inflateSync(z, { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
  return { output: r.buffer, consumed: r.engine.bytesWritten };
}

function same(a: Uint8Array, b: Uint8Array, what: string): void {
  if (a.length !== b.length) assert.unreachable(`${what}: length ${a.length}, expected ${b.length}`);
  if (Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) !== 0) {
    let i = 0;
    while (a[i] === b[i]) i++;
    assert.unreachable(`${what}: first difference at output byte ${i}`);
  }
}

/** Inflates `z` whole (size known), streamed (size unknown), and checks both against node. */
function check(z: Uint8Array, what: string, opts: { chunkSize?: number; outChunkSize?: number } = {}): void {
  const want = nodeInflate(z);
  const whole = inflate(core, z, { expectedSize: want.output.length });
  same(whole.output, want.output, `${what} (whole)`);
  assert.is(whole.consumed, want.consumed, `${what} (whole): consumed`);
  const streamed = inflate(core, z, opts);
  same(streamed.output, want.output, `${what} (streamed)`);
  assert.is(streamed.consumed, want.consumed, `${what} (streamed): consumed`);
}

const DATA: [string, Uint8Array][] = [
  ['text', text(60_000)],
  ['random', randomBytes(40_000)],
  ['runs', runs(100_000)],
  ['far matches', farMatches(100_000)],
  ['periodic', periodic(50_000)],
  ['mixed', mixed(200_000)],
  ['one byte', new Uint8Array([42])],
  ['empty', new Uint8Array(0)],
];

test('every level 0-9 and every strategy, on every kind of data', () => {
  let n = 0;
  for (const [kind, data] of DATA) {
    for (let level = 0; level <= 9; level++) {
      for (const [sname, strategy] of STRATEGIES) {
        check(zlib.deflateSync(data, { level, strategy }), `${kind}, level ${level}, ${sname}`);
        n++;
      }
    }
  }
  assert.is(n, DATA.length * 10 * STRATEGIES.length);
});

test('window sizes 2^8..2^15 and memory levels 1..9', () => {
  const data = mixed(120_000, 11);
  for (let windowBits = 8; windowBits <= 15; windowBits++) {
    for (const memLevel of [1, 2, 5, 8, 9]) {
      for (const level of [1, 6, 9]) {
        check(zlib.deflateSync(data, { windowBits, memLevel, level }), `windowBits ${windowBits}, memLevel ${memLevel}, level ${level}`);
      }
    }
  }
});

test('matches at the maximum distance 32768 and of the maximum length 258', () => {
  const data = farMatches(300_000, 12);
  const z = zlib.deflateSync(data, { level: 9 });
  check(z, 'far matches');
  // The same through small output windows: every match reaches into the history the inflater keeps.
  check(z, 'far matches, 1000-byte output windows', { outChunkSize: 1000 });
  check(z, 'far matches, 32767-byte output windows', { outChunkSize: 32767 });
  check(zlib.deflateSync(runs(300_000, 13), { level: 9 }), 'long runs');
  check(zlib.deflateSync(new Uint8Array(1_000_000).fill(7), { level: 9 }), 'a megabyte of one byte');
});

test('many blocks: a large stream with a small memory level', () => {
  const data = mixed(2_000_000, 14);
  for (const [opts, chunks] of [
    [{ level: 1, memLevel: 1 }, { chunkSize: 65536, outChunkSize: 100_000 }],
    [{ level: 6, memLevel: 2 }, { chunkSize: 4093, outChunkSize: 3001 }],
    [{ level: 0 }, { chunkSize: 70_000, outChunkSize: 50_000 }],
  ] as const) {
    check(zlib.deflateSync(data, opts), `mixed 2 MB ${JSON.stringify(opts)} ${JSON.stringify(chunks)}`, chunks);
  }
});

// Small streams of each block type for exhaustive splitting.
const SMALL: [string, Uint8Array][] = [
  ['dynamic', zlib.deflateSync(text(700, 21), { level: 9 })],
  ['fixed', zlib.deflateSync(text(300, 22), { strategy: zlib.constants.Z_FIXED })],
  ['stored', zlib.deflateSync(randomBytes(200, 23), { level: 0 })],
  ['huffman only', zlib.deflateSync(text(400, 24), { strategy: zlib.constants.Z_HUFFMAN_ONLY })],
  ['runs', zlib.deflateSync(runs(3000, 25), { level: 9 })],
  ['empty', zlib.deflateSync(new Uint8Array(0))],
];

test('input split in two at every byte', () => {
  for (const [name, z] of SMALL) {
    const want = nodeInflate(z);
    for (let cut = 0; cut <= z.length; cut++) {
      const inf = new Inflater(core);
      const out: Uint8Array[] = [];
      const a = inf.push(z.subarray(0, cut));
      out.push(...a.output);
      assert.is(a.consumed, cut, `${name}: cut ${cut}, first part all consumed`);
      assert.is(a.done, cut === z.length, `${name}: cut ${cut}, done only with all input`);
      const b = inf.push(z.subarray(cut));
      out.push(...b.output);
      assert.ok(b.done, `${name}: cut ${cut} finished`);
      same(Buffer.concat(out), want.output, `${name}: cut ${cut}`);
      assert.is(inf.totalIn, want.consumed, `${name}: cut ${cut}, consumed`);
    }
  }
});

test('1-byte input chunks into output windows of 1, 2, 7, 13, 64 and 300 bytes', () => {
  for (const [name, z] of SMALL) {
    const want = nodeInflate(z);
    for (const outChunkSize of [1, 2, 7, 13, 64, 300]) {
      const r = inflate(core, z, { chunkSize: 1, outChunkSize });
      same(r.output, want.output, `${name}, out ${outChunkSize}`);
      assert.is(r.consumed, want.consumed, `${name}, out ${outChunkSize}: consumed`);
    }
  }
});

test('every input chunk size 1..40 with output windows that change on every call', () => {
  const z = zlib.deflateSync(mixed(20_000, 26), { level: 6 });
  const want = nodeInflate(z);
  for (let chunk = 1; chunk <= 40; chunk++) {
    const inf = new Inflater(core, { outChunkSize: 17 + chunk });
    const out: Uint8Array[] = [];
    for (let pos = 0; pos < z.length; pos += chunk) out.push(...inf.push(z.subarray(pos, pos + chunk)).output);
    inf.end();
    same(Buffer.concat(out), want.output, `chunk ${chunk}`);
  }
});

test('output windows at a different address on every call', () => {
  // The core is driven directly: each call writes to a new place, so any match
  // reaching before the current window must come from the kept history.
  const data = mixed(300_000, 27);
  const z = zlib.deflateSync(data, { level: 9 });
  const e = core.exports;
  const inPtr = core.alloc(z.length);
  core.bytes(inPtr, z.length).set(z);
  const windows = [core.alloc(5000), core.alloc(5000), core.alloc(5000)];
  e.inflateInit(BigInt(data.length));
  const parts: Uint8Array[] = [];
  let pos = 0;
  let status = 0;
  for (let call = 0; ; call++) {
    const size = 1 + ((call * 2654435761) >>> 0) % 4999;
    const w = windows[call % 3];
    status = e.inflateStep(inPtr + pos, Math.min(z.length - pos, 1 + (call % 3000)), w, size);
    assert.ok(status > 0, `step ${call} failed: ${status}`);
    parts.push(core.bytes(w, e.inflateProduced()).slice());
    pos += e.inflateConsumed();
    if (status === 1) break;
  }
  same(Buffer.concat(parts), data, 'output');
  assert.is(pos, z.length);
  assert.is(Number(e.inflateTotalIn()), z.length);
  assert.is(Number(e.inflateTotalOut()), data.length);
});

test('bytes after the stream are not consumed', () => {
  for (const [name, z] of SMALL) {
    for (const tail of [new Uint8Array([0]), randomBytes(3, 1), randomBytes(100, 2), z]) {
      const withTail = Buffer.concat([z, tail]);
      const want = nodeInflate(withTail);
      assert.is(want.consumed, z.length);
      check(withTail, `${name} + ${tail.length} bytes`);
      const oneByte = inflate(core, withTail, { chunkSize: 1 });
      assert.is(oneByte.consumed, z.length, `${name}: consumed, fed 1 byte at a time`);
      const inf = new Inflater(core);
      const r = inf.push(withTail);
      assert.ok(r.done);
      assert.is(r.consumed, z.length, `${name}: Inflater stops at the trailer`);
    }
  }
});

test('streams back to back, as in a pack', () => {
  const objects = [text(5000, 31), randomBytes(300, 32), runs(10_000, 33), new Uint8Array(0), text(17, 34)];
  const packed = Buffer.concat(objects.map((o, i) => zlib.deflateSync(o, { level: i % 10 })));
  let pos = 0;
  for (const o of objects) {
    const r = inflate(core, packed.subarray(pos), { expectedSize: o.length });
    same(r.output, o, `object at ${pos}`);
    pos += r.consumed;
  }
  assert.is(pos, packed.length);
});

test('loose objects written by git inflate to what git cat-file prints', () => {
  const { dir, cleanup } = tempDir('inflate');
  try {
    git(dir, ['init', '-q']);
    const samples = [text(20_000, 41), randomBytes(5000, 42), new Uint8Array(0), runs(50_000, 43)];
    for (const [i, s] of samples.entries()) {
      const file = join(dir, `f${i}`);
      writeFileSync(file, s);
      const oid = git(dir, ['hash-object', '-w', file]).trim();
      const loose = readFileSync(join(dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2)));
      const body = gitBytes(dir, ['cat-file', 'blob', oid]);
      const want = Buffer.concat([Buffer.from(`blob ${body.length}\0`), body]);
      const r = inflate(core, loose, { expectedSize: want.length });
      same(r.output, want, `loose object ${oid}`);
      assert.is(r.consumed, loose.length);
    }
  } finally {
    cleanup();
  }
});

test('inflateWhole reports the bytes used and the Adler-32 helper matches zlib', () => {
  const data = text(10_000, 51);
  const z = zlib.deflateSync(data);
  const e = core.exports;
  const inPtr = core.alloc(z.length + 10);
  const outPtr = core.alloc(data.length);
  core.bytes(inPtr, z.length).set(z);
  assert.is(e.inflateWhole(inPtr, z.length + 10, outPtr, data.length), z.length);
  same(core.bytes(outPtr, data.length), data, 'inflateWhole output');
  for (const n of [0, 1, 15, 16, 17, 5535, 5536, 5537, 5552, 5553, 10_000]) {
    const view = z.readUInt32BE(z.length - 4);
    if (n === data.length) assert.is(e.adler32Update(1, outPtr, n) >>> 0, view);
    const ref = adler32(data.subarray(0, n));
    assert.is(e.adler32Update(1, outPtr, n) >>> 0, ref, `adler32 of ${n} bytes`);
    // Chained in two pieces.
    const half = n >> 1;
    assert.is(e.adler32Update(e.adler32Update(1, outPtr, half), outPtr + half, n - half) >>> 0, ref, `chained adler32 of ${n} bytes`);
  }
});

/** Adler-32 straight from RFC 1950 section 8.2: the reference for the core's SIMD version. */
function adler32(b: Uint8Array): number {
  let s1 = 1, s2 = 0;
  for (const x of b) {
    s1 = (s1 + x) % 65521;
    s2 = (s2 + s1) % 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}

test.run();
