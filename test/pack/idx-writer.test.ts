// The .idx writer's large offset table (offsets of 2^31 and more, which only
// packs over 2 GiB have): built from a hand-made entry table, then read back by
// git show-index. (A real pack over 4 GiB is indexed by large-pack.test.ts when
// WASMGIT_LARGE_TESTS=1, and by the benchmark.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { loadCore } from '../../host/core/instance.ts';
import { PackCore } from '../../host/core/pack.ts';
import { git, tempDir } from '../helpers/git.ts';

/** A table block as laid out by assembly/pack/table.ts (58 bytes a row + 8). */
function tableBlock(offsets: bigint[], ids: Buffer[], crcs: number[]): Uint8Array {
  const n = ids.length;
  const block = new Uint8Array(n * 58 + 8);
  const v = new DataView(block.buffer);
  let p = 0;
  for (const o of offsets) { v.setBigUint64(p, o, true); p += 8; } // n + 1
  for (let i = 0; i < n; i++) { v.setBigUint64(p, 10n, true); p += 8; } // sizes
  for (let i = 0; i < n; i++) { v.setBigUint64(p, 10n, true); p += 8; } // results
  for (const c of crcs) { v.setUint32(p, c, true); p += 4; }
  for (let i = 0; i < n; i++) { v.setUint32(p, 0xffffffff, true); p += 4; } // bases
  p += 4 * n; // depths
  for (const id of ids) { block.set(id, p); p += 20; }
  for (let i = 0; i < n; i++) block[p++] = 3; // types: blob
  for (let i = 0; i < n; i++) block[p++] = 3; // kinds
  return block;
}

test('offsets from 2^31 up go to the large offset table, and git show-index reads them back', async () => {
  const offsets = [12n, 4096n, 0x7fffffffn, 0x80000000n, 0x1_0000_0000n + 77n, 5n * 0x1_0000_0000n + 3n];
  const n = offsets.length;
  const ids = offsets.map(() => randomBytes(20));
  ids[1][0] = ids[4][0]; // two ids in one fanout bucket
  const crcs = offsets.map(() => randomBytes(4).readUInt32LE());
  const pc = new PackCore(await loadCore());
  pc.loadTable(tableBlock([...offsets, 6n * 0x1_0000_0000n], ids, crcs), n);
  const checksum = randomBytes(20);
  pc.core.bytes(pc.core.exports.packChecksumPtr(), 20).set(checksum);
  const idx = Buffer.from(pc.buildIdx());

  const large = offsets.filter((o) => o >= 0x80000000n).length;
  assert.is(large, 3);
  assert.is(idx.length, 8 + 1024 + n * 28 + large * 8 + 40);
  assert.ok(idx.subarray(-40, -20).equals(checksum), 'pack checksum');
  assert.ok(idx.subarray(-20).equals(createHash('sha1').update(idx.subarray(0, -20)).digest()), 'idx checksum');

  const { dir, cleanup } = tempDir('idx-writer');
  try {
    const listing = git(dir, ['show-index'], { input: idx });
    const want = offsets
      .map((o, i) => ({ line: `${o} ${ids[i].toString('hex')} (${crcs[i].toString(16).padStart(8, '0')})`, id: ids[i].toString('hex') }))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((x) => x.line + '\n')
      .join('');
    assert.is(listing, want);
  } finally {
    cleanup();
  }
});

test.run();
