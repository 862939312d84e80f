// SHA-256 in the core against FIPS 180-2 vectors and node:crypto.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { loadCore } from '../../host/core/instance.ts';
import { sha256, Sha256 } from '../../host/core/hash.ts';

const core = await loadCore();
const ref = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('FIPS 180-2 vectors', () => {
  assert.is(sha256(core, Buffer.from('abc')).hex, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.is(sha256(core, Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).hex, '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  assert.is(sha256(core, new Uint8Array(1_000_000).fill(0x61)).hex, 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  assert.is(sha256(core, new Uint8Array(0)).hex, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('every length 0..300 and a few MB agree with node:crypto', () => {
  const data = randomBytes(300);
  for (let n = 0; n <= 300; n++) assert.is(sha256(core, data.subarray(0, n)).hex, ref(data.subarray(0, n)), `length ${n}`);
  const big = randomBytes(3_000_017);
  assert.is(sha256(core, big).hex, ref(big));
});

test('chunked updates give the same digest at every split point', () => {
  const data = randomBytes(200);
  for (let i = 0; i <= data.length; i++) {
    assert.is(new Sha256(core).update(data.subarray(0, i)).update(data.subarray(i)).digest().hex, ref(data), `split at ${i}`);
  }
});

test.run();
