// Decompression bombs: small inputs that claim, or really expand to, far more
// than they hold. Each must be refused (or bounded) before linear memory is
// committed for the claim; a pack arriving as a stream (a clone) is the case
// that matters, since nothing bounds its header's claims yet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { loadCore, CoreError, type Core } from '../../host/core/instance.ts';
import { PackCore } from '../../host/core/pack.ts';
import { PackIndexer } from '../../host/pack/index-pack.ts';
import { git, tempDir } from '../helpers/git.ts';
import { writePack } from '../fuzz/targets/pack.ts';
import { encodeVarint } from '../fuzz/mutate.ts';

const MiB = 1 << 20;
/** Pass 1's fixed buffers: input window, scratch output, the store of small deltas (16 MiB by default), with room to spare. */
const PASS1 = 80 * MiB;
const E_SIZE_MISMATCH = -13, E_DELTA = -32, E_OBJECT_TOO_LARGE = -34;

function packOf(entries: Parameters<typeof writePack>[0]['entries']): Uint8Array {
  return writePack({ version: 2, count: entries.length, entries }, true);
}

const blob = (data: Uint8Array | string, size?: bigint) => {
  const d = typeof data === 'string' ? Buffer.from(data) : data;
  return { type: 3, size: size ?? BigInt(d.length), data: d, z: null };
};
const ofsDelta = (base: number, delta: number[]) => ({ type: 6, size: BigInt(delta.length), data: Uint8Array.from(delta), z: null, base });

/** Indexes `pack` on a fresh core, fed in 1 KiB chunks like a network stream. */
async function index(pack: Uint8Array, opts: { knownSize?: boolean; memoryLimit?: number } = {}): Promise<{ core: Core; error?: CoreError; objects?: number; idx?: Uint8Array }> {
  const core = await loadCore();
  const pc = new PackCore(core);
  try {
    pc.scanBegin(opts.knownSize ? pack.length : undefined);
    for (let o = 0; o < pack.length; o += 1024) pc.scanPush(pack.subarray(o, o + 1024));
    const objects = pc.scanEnd();
    pc.resolveBegin({ readAt: (o, dst) => { const s = pack.subarray(o, o + dst.length); dst.set(s); return s.length; } }, { memoryLimit: opts.memoryLimit });
    pc.resolveAll();
    pc.resolveCheck();
    return { core, objects, idx: pc.buildIdx() };
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    return { core, error: e };
  }
}

const memory = (core: Core) => core.exports.memory.buffer.byteLength;

test('a 13-byte streamed pack claiming 17 million or 4 billion objects commits no table for them', async () => {
  const claim = async (n: number) => {
    const head = Buffer.alloc(12);
    head.write('PACK');
    head.writeUInt32BE(2, 4);
    head.writeUInt32BE(n, 8);
    const r = await index(Buffer.concat([head, Buffer.from([0x30])]));
    assert.ok(r.error, `${n}: refused`);
    assert.match(r.error!.message, /truncated/);
    return memory(r.core);
  };
  // Pass 1's fixed buffers (input window, delta store) are the same for any
  // claim: only what the claim adds is the bomb.
  const one = await claim(1);
  for (const n of [17_000_000, 0xffffffff]) {
    const m = await claim(n);
    assert.ok(m - one < 1 * MiB, `${n} claimed objects: linear memory ${m} bytes, ${m - one} more than for one object`);
  }
});

test('a streamed pack of 3000 objects (its table grown as they arrive) indexes exactly as git does', async () => {
  const { dir, cleanup } = tempDir('bomb-grow');
  try {
    // Blobs and deltas on them (kept in pass 1's delta store, which grows with the table).
    const base = Buffer.from('a base line that deltas copy from\n');
    const pack = packOf(Array.from({ length: 3000 }, (_, i) => {
      if (i % 2 === 0) return blob(`object ${i}\n`);
      const tail = Buffer.from(`delta ${i}\n`);
      return ofsDelta(0, [...encodeVarint(BigInt(base.length)), ...encodeVarint(BigInt(base.length + tail.length)), 0x90, base.length, tail.length, ...tail]);
    }).map((e, i) => (i === 0 ? blob(base) : e)));
    writeFileSync(join(dir, 'p.pack'), pack);
    git(dir, ['index-pack', '-o', join(dir, 'p.idx'), join(dir, 'p.pack')]);
    const r = await index(pack);
    assert.is(r.error, undefined);
    assert.is(r.objects, 3000);
    assert.ok(Buffer.from(r.idx!).equals(readFileSync(join(dir, 'p.idx'))), 'the .idx is git\'s, byte for byte');
  } finally {
    cleanup();
  }
});

test('an entry declaring a 1 TiB object in 20 bytes is refused, with no memory committed for it', async () => {
  const pack = packOf([blob('tiny', 1n << 40n)]);
  for (const knownSize of [true, false]) {
    const r = await index(pack, { knownSize });
    assert.ok(r.error, 'refused');
    assert.ok(r.error!.offset !== undefined, `the error names an offset: ${r.error!.message}`);
    assert.ok(memory(r.core) < PASS1 + 16 * MiB, `linear memory ${memory(r.core)} bytes`);
  }
});

test('an entry declaring 2^64-1 bytes (the inflater\'s "size unknown") is refused, not inflated unchecked', async () => {
  const pack = packOf([blob('tiny', (1n << 64n) - 1n)]);
  for (const knownSize of [true, false]) {
    const r = await index(pack, { knownSize });
    assert.ok(r.error, 'refused');
    assert.match(r.error!.message, /size 18446744073709551615 at pack offset 12/);
  }
});

test('a delta declaring a 1 TiB result is refused in pass 1, before any memory is committed', async () => {
  // Base size 4, result 2^40, one copy of 4 bytes: the header lies about the result.
  const pack = packOf([blob('base'), ofsDelta(0, [...encodeVarint(4n), ...encodeVarint(1n << 40n), 0x90, 0x04])]);
  const r = await index(pack);
  assert.is(r.error?.code, E_DELTA, r.error?.message);
  assert.match(r.error!.message, /declares a result of 1099511627776 bytes/);
  assert.ok(memory(r.core) < PASS1 + 16 * MiB, `linear memory ${memory(r.core)} bytes`);
});

test('a real expansion (a 200-byte pack rebuilding a 256 MiB object) stops at the memory cap', async () => {
  // A 64 KiB base and a delta of 4096 one-byte copies (each copies 64 KiB).
  const base = new Uint8Array(0x10000).fill(0x61);
  const delta = [...encodeVarint(0x10000n), ...encodeVarint(4096n * 0x10000n), ...new Array(4096).fill(0x80)];
  const pack = packOf([blob(base), ofsDelta(0, delta)]);
  assert.ok(pack.length < 1000, `the pack is small (${pack.length} bytes)`);
  const r = await index(pack, { memoryLimit: 64 * MiB });
  assert.is(r.error?.code, E_OBJECT_TOO_LARGE, r.error?.message);
  assert.ok(memory(r.core) <= PASS1 + 64 * MiB, `linear memory ${memory(r.core)} bytes under a 64 MiB cap`);
});

test('a zlib stream expanding far beyond its declared size stops at the declared size', async () => {
  const bomb = zlib.deflateSync(Buffer.alloc(64 * MiB), { level: 9 }); // ~64 KiB
  const pack = packOf([{ type: 3, size: 100n, data: new Uint8Array(0), z: bomb }]);
  const r = await index(pack);
  assert.is(r.error?.code, E_SIZE_MISMATCH, r.error?.message);
  assert.ok(memory(r.core) < PASS1 + 16 * MiB, `linear memory ${memory(r.core)} bytes`);
  // And the inflater alone, one-shot: 1000 bytes declared, nothing written past them.
  const core = await loadCore();
  const inp = core.alloc(bomb.length), out = core.alloc(1000 + 64);
  core.bytes(inp, bomb.length).set(bomb);
  core.bytes(out + 1000, 64).fill(0xa5);
  const s = core.exports.inflateWhole(inp, bomb.length, out, 1000);
  assert.is(s, E_SIZE_MISMATCH);
  assert.ok(core.bytes(out + 1000, 64).every((b) => b === 0xa5), 'nothing written past the declared size');
});

test('a refused streamed pack leaves no file behind', async () => {
  const { dir, cleanup } = tempDir('bomb-files');
  try {
    const ix = await PackIndexer.create({ packDir: dir, threads: 1 });
    const head = Buffer.alloc(12);
    head.write('PACK');
    head.writeUInt32BE(2, 4);
    head.writeUInt32BE(0xffffffff, 8);
    let refused: unknown = null;
    try {
      ix.write(head);
      ix.write(Buffer.from([0x30]));
      await ix.finish();
    } catch (e) {
      refused = e;
    }
    assert.instance(refused, CoreError);
    assert.equal(readdirSync(dir), [], 'the partial pack was removed');
    assert.not.ok(existsSync(join(dir, 'pack-.pack')));
  } finally {
    cleanup();
  }
});

test.run();
