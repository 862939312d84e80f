// CRC-32 in the core against node's zlib.crc32 (zlib's own crc32()).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { loadCore } from '../../host/core/instance.ts';
import { crc32 } from '../../host/core/hash.ts';

const core = await loadCore();

test('check value and empty input', () => {
  assert.is(crc32(core, Buffer.from('123456789')), 0xcbf43926);
  assert.is(crc32(core, new Uint8Array(0)), 0);
  assert.is(crc32(core, new Uint8Array(0), 0x12345678), 0x12345678);
});

test('all lengths 0..100 and larger sizes agree with zlib.crc32', () => {
  const data = randomBytes(100);
  for (let n = 0; n <= 100; n++) assert.is(crc32(core, data.subarray(0, n)), zlib.crc32(data.subarray(0, n)), `length ${n}`);
  for (const n of [255, 4096, 65537, 2_500_003]) {
    const b = randomBytes(n);
    assert.is(crc32(core, b), zlib.crc32(b), `length ${n}`);
  }
});

test('chaining: crc(a ++ b) = crc(b, crc(a)) at every split', () => {
  const data = randomBytes(100);
  const want = zlib.crc32(data);
  for (let i = 0; i <= data.length; i++) assert.is(crc32(core, data.subarray(i), crc32(core, data.subarray(0, i))), want, `split at ${i}`);
  assert.is(crc32(core, data.subarray(40), zlib.crc32(data.subarray(0, 40))), want, 'continues a zlib CRC');
});

test('unaligned pointers into linear memory', () => {
  const e = core.exports;
  const data = randomBytes(200);
  const buf = core.alloc(256 + 16);
  for (let shift = 0; shift < 16; shift++) {
    core.bytes(buf + shift, data.length).set(data);
    for (const n of [0, 1, 3, 15, 16, 17, 31, 33, 100, 200]) {
      assert.is(e.crc32Update(0, buf + shift, n) >>> 0, zlib.crc32(data.subarray(0, n)), `offset ${shift}, length ${n}`);
    }
  }
});

test('crc32Entries: one call over an offsets table equals zlib.crc32 per entry', () => {
  const e = core.exports;
  // Entry sizes covering every tail length (0..15 past a multiple of 16), empty entries included.
  const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 255, 256, 1000, 4097, 0, 12];
  const total = sizes.reduce((a, b) => a + b, 0);
  const data = randomBytes(total + 3);
  const base = core.alloc(total + 3), offs = core.alloc(4 * (sizes.length + 1)), out = core.alloc(4 * sizes.length);
  for (const shift of [0, 1, 3]) { // entries start at every alignment
    core.bytes(base, total + 3).set(data);
    const table = new Uint32Array(e.memory.buffer, offs, sizes.length + 1);
    let o = shift;
    table[0] = o;
    sizes.forEach((n, i) => { o += n; table[i + 1] = o; });
    e.crc32Entries(base, offs, sizes.length, out);
    const got = new Uint32Array(e.memory.buffer, out, sizes.length);
    sizes.forEach((n, i) => assert.is(got[i], zlib.crc32(data.subarray(table[i], table[i] + n)), `entry ${i} (${n} bytes), shift ${shift}`));
  }
});

test.run();
