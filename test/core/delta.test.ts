// assembly/pack/delta.ts: applying git's deltas. Deltas made by real git (taken
// out of a pack git wrote) must rebuild exactly what `git cat-file` prints; hand-made
// invalid deltas must be refused with E_DELTA, never trap or write out of bounds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCore, type Core } from '../../host/core/index.ts';
import { git, gitBytes, tempDir } from '../helpers/git.ts';
import { splitEntry } from '../helpers/pack-edit.ts';

const E_DELTA = -32;

/** Applies `delta` to `base` in a fresh core; returns the result or the core's error. */
function apply(core: Core, base: Uint8Array, delta: Uint8Array, outLen: number): { out?: Uint8Array; code: number; message: string; offset?: number } {
  const e = core.exports;
  const b = core.alloc(Math.max(base.length, 1));
  const d = core.alloc(Math.max(delta.length, 1));
  // A guard after the output shows any write past outLen.
  const o = core.alloc(outLen + 64);
  core.bytes(b, base.length).set(base);
  core.bytes(d, delta.length).set(delta);
  core.bytes(o, outLen + 64).fill(0xa5);
  const code = e.applyDelta(b, base.length, d, delta.length, o, outLen);
  const guard = core.bytes(o + outLen, 64);
  assert.ok(guard.every((x) => x === 0xa5), 'nothing written past the output');
  if (code < 0) {
    const err = core.lastError(code);
    return { code, message: err.message, offset: err.offset };
  }
  return { code, message: '', out: core.bytes(o, outLen).slice() };
}

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** A pack entry's inflated delta, found with git's own verify-pack listing. */
function deltaOf(pack: Uint8Array, offset: number, sizeInPack: number): Uint8Array {
  const { type, zdata } = splitEntry(Buffer.from(pack.buffer, pack.byteOffset + offset, sizeInPack));
  if (type !== 6 && type !== 7) throw new Error(`entry at ${offset} is not a delta (type ${type})`);
  return inflateSync(zdata);
}

function lines(n: number, edit: (i: number) => string | null): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const l = edit(i);
    if (l !== null) out.push(l);
  }
  return out.join('\n') + '\n';
}

test('deltas written by git pack-objects rebuild what git cat-file prints (REF and OFS)', async () => {
  const { dir, cleanup } = tempDir('delta');
  try {
    git(dir, ['init', '-q', '--bare', '.']);
    const bin = randomBytes(200_000);
    const bin2 = Buffer.concat([bin.subarray(0, 70_000), Buffer.from('inserted in the middle'), bin.subarray(70_000, 190_000), randomBytes(300)]);
    const blobs: (string | Buffer)[] = [
      lines(400, (i) => `line ${i} of a text file that changes a little between versions`),
      lines(400, (i) => (i % 37 === 0 ? `changed ${i}` : `line ${i} of a text file that changes a little between versions`)),
      lines(420, (i) => (i % 50 === 3 ? null : `line ${i} of a text file that changes a little between versions`)),
      lines(400, (i) => `prefix\n`.repeat(i % 3) + `line ${i} of a text file that changes a little between versions`),
      bin,
      bin2,
      Buffer.concat([bin2, bin2]),
    ];
    const ids = blobs.map((b) => git(dir, ['hash-object', '-w', '--stdin'], { input: b }).trim());
    let checked = 0;
    for (const ofs of [false, true]) {
      const args = ['pack-objects', '-q', '--window=10', '--depth=50', '--no-reuse-delta'];
      if (ofs) args.push('--delta-base-offset');
      git(dir, [...args, join(dir, ofs ? 'ofs' : 'ref')], { input: ids.join('\n') + '\n' });
      const packName = readdirSync(dir).find((f) => f.startsWith(ofs ? 'ofs-' : 'ref-') && f.endsWith('.pack'))!;
      const pack = readFileSync(join(dir, packName));
      const listing = git(dir, ['verify-pack', '-v', join(dir, packName)]);
      const core = await loadCore();
      for (const line of listing.split('\n')) {
        const m = /^([0-9a-f]{40}) blob\s+(\d+) (\d+) (\d+) \d+ ([0-9a-f]{40})$/.exec(line);
        if (!m) continue;
        const [, id, , sizeInPack, offset, baseId] = m; // the size column of a delta is its delta's size
        const delta = deltaOf(pack, Number(offset), Number(sizeInPack));
        const base = gitBytes(dir, ['cat-file', 'blob', baseId]);
        const want = gitBytes(dir, ['cat-file', 'blob', id]);
        const r = apply(core, base, delta, want.length);
        assert.is(r.code, 0, `delta of ${id} applies: ${r.message}`);
        assert.ok(Buffer.from(r.out!).equals(want), `delta of ${id} rebuilds git's blob`);
        checked++;
      }
    }
    assert.ok(checked >= 6, `git made deltas to check (${checked})`);
  } finally {
    cleanup();
  }
});

test('deltaHeader reads both sizes, including ones past 2^32', async () => {
  const core = await loadCore();
  const e = core.exports;
  const bytes = [...varint(5_000_000_000), ...varint(300)];
  const p = core.alloc(bytes.length);
  core.bytes(p, bytes.length).set(bytes);
  assert.is(e.deltaHeader(p, bytes.length), bytes.length);
  assert.is(e.deltaBaseSize(), 5_000_000_000n);
  assert.is(e.deltaResultSize(), 300n);
  assert.is(e.deltaHeader(p, 2), E_DELTA, 'a header cut inside a varint is refused');
});

test('copy of size 0 means 0x10000, and copies with 4 offset bytes work', async () => {
  const core = await loadCore();
  const base = randomBytes(0x20000);
  // copy 0x10000 from offset 0x100 (size bytes absent), then 3 bytes at offset 0x0001fffd with all offset bytes.
  const delta = [...varint(base.length), ...varint(0x10003), 0x82, 0x01, 0x9f, 0xfd, 0xff, 0x01, 0x00, 0x03];
  const r = apply(core, base, Uint8Array.from(delta), 0x10003);
  assert.is(r.code, 0, r.message);
  assert.ok(Buffer.from(r.out!).equals(Buffer.concat([base.subarray(0x100, 0x10100), base.subarray(0x1fffd, 0x20000)])));
});

const invalid: [string, number[], number, number, RegExp, number][] = [
  // name, delta, base length, output length, message, delta offset of the fault
  ['copy past the end of the base', [...varint(10), ...varint(5), 0x91, 8, 5], 10, 5, /outside the base/, 2],
  ['copy with a 32-bit offset far outside the base', [...varint(10), ...varint(5), 0x98, 0xff, 5], 10, 5, /outside the base/, 2],
  ['base size differs from the base', [...varint(11), ...varint(3), 0x03, 1, 2, 3], 10, 3, /base size 11/, 0],
  ['result size differs from the expected size', [...varint(10), ...varint(4), 0x03, 1, 2, 3], 10, 3, /result size 4/, 0],
  ['output shorter than declared', [...varint(10), ...varint(5), 0x03, 1, 2, 3], 10, 5, /produced 3 bytes, declared 5/, 6],
  ['insert writes past the declared size', [...varint(10), ...varint(2), 0x03, 1, 2, 3], 10, 2, /past the declared result size/, 2],
  ['copy writes past the declared size', [...varint(10), ...varint(2), 0x90, 3], 10, 2, /past the declared result size/, 2],
  ['insert truncated', [...varint(10), ...varint(5), 0x05, 1, 2, 3], 10, 5, /truncated inside an insert/, 2],
  ['copy truncated', [...varint(10), ...varint(5), 0x93, 1], 10, 5, /truncated inside a copy/, 2],
  ['header truncated', [0x8a], 10, 5, /truncated/, 0],
  ['reserved command 0', [...varint(10), ...varint(5), 0x00, 1, 2, 3, 4, 5], 10, 5, /reserved command 0/, 2],
];

for (const [name, delta, baseLen, outLen, message, offset] of invalid) {
  test(`invalid delta refused: ${name}`, async () => {
    const core = await loadCore();
    const r = apply(core, new Uint8Array(baseLen).fill(7), Uint8Array.from(delta), outLen);
    assert.is(r.code, E_DELTA);
    assert.match(r.message, message);
    assert.is(r.offset, offset, 'error names the offset in the delta');
  });
}

test.run();
