// SHA-1 and SHA-1DC in the core, checked against node:crypto, FIPS 180 vectors,
// real git (`git hash-object`) and the public SHA-1 collision pairs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCore } from '../../host/core/instance.ts';
import { sha1, Sha1 } from '../../host/core/hash.ts';
import { git, tempDir } from '../helpers/git.ts';

const core = await loadCore();
const fixtures = fileURLToPath(new URL('../fixtures/sha1-collisions/', import.meta.url));
const nodeSha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');
const blob = (b: Uint8Array) => Buffer.concat([Buffer.from(`blob ${b.length}\0`), b]);
const modes = [{ detect: false }, { detect: true }];

test('FIPS 180-2 vectors, plain and with detection', () => {
  const million = new Uint8Array(1_000_000).fill(0x61);
  const vectors: [Uint8Array, string][] = [
    [Buffer.from('abc'), 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    [Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '84983e441c3bd26ebaae4aa1f95129e5e54670f1'],
    [million, '34aa973cd4c4daa4f61eeb2bdbad27316534016f'],
    [new Uint8Array(0), 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
  ];
  for (const opts of modes) {
    for (const [input, want] of vectors) assert.is(sha1(core, input, opts).hex, want, `${input.length} bytes, ${JSON.stringify(opts)}`);
  }
});

test('every length 0..300 and random lengths up to several MB agree with node:crypto', () => {
  const data = randomBytes(300);
  for (let n = 0; n <= 300; n++) {
    const want = nodeSha1(data.subarray(0, n));
    for (const opts of modes) {
      const got = sha1(core, data.subarray(0, n), opts);
      assert.is(got.hex, want, `length ${n} ${JSON.stringify(opts)}`);
      assert.is(got.collision, false);
    }
  }
  for (const n of [1 << 20, 3_000_017, 5 * (1 << 20) + 63]) {
    const big = randomBytes(n);
    for (const opts of modes) assert.is(sha1(core, big, opts).hex, nodeSha1(big), `length ${n} ${JSON.stringify(opts)}`);
  }
});

test('chunked updates give the same digest at every split point (and in 3 parts)', () => {
  const data = randomBytes(200);
  for (const opts of modes) {
    for (let i = 0; i <= data.length; i++) {
      const h = new Sha1(core, opts).update(data.subarray(0, i)).update(data.subarray(i)).digest();
      assert.is(h.hex, nodeSha1(data), `split at ${i}`);
    }
    for (let i = 0; i < 130; i += 7) {
      for (let j = i; j < 200; j += 13) {
        const h = new Sha1(core, opts).update(data.subarray(0, i)).update(data.subarray(i, j)).update(data.subarray(j)).digest();
        assert.is(h.hex, nodeSha1(data), `split at ${i}, ${j}`);
      }
    }
  }
});

test('several contexts live at once do not disturb each other', () => {
  const a = randomBytes(5000), b = randomBytes(7000);
  const ha = new Sha1(core), hb = new Sha1(core, { detect: false });
  for (let i = 0; i < 7000; i += 500) {
    if (i < 5000) ha.update(a.subarray(i, i + 500));
    hb.update(b.subarray(i, i + 500));
  }
  assert.is(hb.digest().hex, nodeSha1(b));
  assert.is(ha.digest().hex, nodeSha1(a));
});

test('fixtures are the published collision pairs (same plain SHA-1, different bytes)', () => {
  const pairs = [['shattered-1-prefix.bin', 'shattered-2-prefix.bin', 'f92d74e3874587aaf443d1db961d4e26dde13e9c'],
    ['sha-mbles-1.bin', 'sha-mbles-2.bin', '8ac60ba76f1999a1ab70223f225aefdc78d4ddc0']];
  for (const [x, y, want] of pairs) {
    const bx = readFileSync(join(fixtures, x)), by = readFileSync(join(fixtures, y));
    assert.not.ok(bx.equals(by));
    assert.is(nodeSha1(bx), want);
    assert.is(nodeSha1(by), want);
    assert.is(sha1(core, bx, { detect: false }).hex, want, `${x} plain`);
    assert.is(sha1(core, by, { detect: false }).hex, want, `${y} plain`);
  }
});

test('SHA-1DC flags all four collision files hashed raw, with E_SHA1_COLLISION and the block offset', () => {
  const digests = new Set<string>();
  for (const f of ['shattered-1-prefix.bin', 'shattered-2-prefix.bin', 'sha-mbles-1.bin', 'sha-mbles-2.bin']) {
    const b = readFileSync(join(fixtures, f));
    const r = sha1(core, b);
    assert.ok(r.collision, `${f} flagged`);
    assert.is.not(r.hex, nodeSha1(b), `${f}: safe hash differs from plain SHA-1`);
    digests.add(r.hex);
    // The raw status and error record, as other hosts see them.
    const e = core.exports;
    const ctx = core.alloc(e.sha1CtxSize()), buf = core.alloc(b.length), out = core.alloc(20);
    core.bytes(buf, b.length).set(b);
    e.sha1Init(ctx, 1);
    e.sha1Update(ctx, buf, b.length);
    assert.is(e.sha1Final(ctx, out), -20);
    const err = core.lastError();
    assert.is(err.code, -20);
    assert.match(err.message, /collision/);
    assert.ok(err.offset !== undefined && err.offset % 64 === 0 && err.offset < b.length, `${f}: offset ${err.offset}`);
  }
  assert.is(digests.size, 4, 'both halves of each pair get distinct digests');
});

test('SHA-1DC digest of a collision is the safe hash: the detected block compressed three times', () => {
  // An independent, straightforward SHA-1 in JavaScript (checked against node:crypto first).
  const rotl = (x: number, n: number) => ((x << n) | (x >>> (32 - n))) >>> 0;
  const compress = (h: number[], block: Uint8Array) => {
    const w = new Array<number>(80);
    for (let i = 0; i < 16; i++) w[i] = ((block[4 * i] << 24) | (block[4 * i + 1] << 16) | (block[4 * i + 2] << 8) | block[4 * i + 3]) >>> 0;
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    let [a, b, c, d, e] = h;
    for (let t = 0; t < 80; t++) {
      const f = t < 20 ? (b & c) | (~b & d) : t < 40 || t >= 60 ? b ^ c ^ d : (b & c) | (b & d) | (c & d);
      const k = [0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6][(t / 20) | 0];
      const tmp = (rotl(a, 5) + f + e + k + w[t]) >>> 0;
      e = d; d = c; c = rotl(b, 30); b = a; a = tmp;
    }
    return [a, b, c, d, e].map((x, i) => (x + h[i]) >>> 0);
  };
  const digest = (msg: Uint8Array, repeatBlock: number) => {
    const padded = new Uint8Array(Math.ceil((msg.length + 9) / 64) * 64);
    padded.set(msg);
    padded[msg.length] = 0x80;
    new DataView(padded.buffer).setBigUint64(padded.length - 8, BigInt(msg.length) * 8n);
    let h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
    for (let i = 0; i < padded.length / 64; i++) {
      const blk = padded.subarray(i * 64, i * 64 + 64);
      h = compress(h, blk);
      if (i === repeatBlock) h = compress(compress(h, blk), blk);
    }
    return h.map((x) => x.toString(16).padStart(8, '0')).join('');
  };
  const sample = randomBytes(333);
  assert.is(digest(sample, -1), nodeSha1(sample), 'reference SHA-1 in the test is right');
  for (const f of ['shattered-1-prefix.bin', 'sha-mbles-2.bin']) {
    const b = readFileSync(join(fixtures, f));
    const r = sha1(core, b);
    const offset = core.lastError().offset!;
    assert.is(r.hex, digest(b, offset / 64), f);
  }
});

test('hashed as git blobs, the collision files are not flagged and match git hash-object', () => {
  for (const f of ['shattered-1-prefix.bin', 'shattered-2-prefix.bin', 'sha-mbles-1.bin', 'sha-mbles-2.bin']) {
    const path = join(fixtures, f);
    const b = readFileSync(path);
    const r = sha1(core, blob(b));
    assert.is(r.collision, false, f);
    assert.is(r.hex, nodeSha1(blob(b)), f);
    assert.is(r.hex, git(fixtures, ['hash-object', path]).trim(), f);
  }
  assert.is(sha1(core, blob(readFileSync(join(fixtures, 'shattered-1-prefix.bin')))).hex, 'ef380704685cc8e54de9bc13556d1ff7026ec0cc');
});

test('object ids agree with git hash-object on random files', () => {
  const { dir, cleanup } = tempDir('sha1');
  try {
    const files: string[] = [];
    const sizes = [0, 1, 54, 55, 56, 63, 64, 65, 119, 120, 1000, 4096, 65536 + 3, 300_001];
    for (let i = 0; i < sizes.length; i++) {
      const p = join(dir, `f${i}`);
      writeFileSync(p, randomBytes(sizes[i]));
      files.push(p);
    }
    const ids = git(dir, ['hash-object', ...files]).trim().split('\n');
    files.forEach((p, i) => assert.is(sha1(core, blob(readFileSync(p))).hex, ids[i], `size ${sizes[i]}`));
  } finally {
    cleanup();
  }
});

test.run();
