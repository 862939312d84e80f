// Reading objects by id from packs (assembly/pack/read.ts through host/core/objects.ts):
// every object of a generated repository must read back exactly as `git cat-file`
// prints it, whatever the delta encoding (OFS or REF), chain depth, offset table
// (32- or 64-bit), .idx version (1 or 2), hash (SHA-1 or SHA-256), cache size or
// number of packs; damaged input must fail with a message naming the object and
// the pack offset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCore } from '../../host/core/index.ts';
import { MissingObjectError, ObjectStore, type PackHandle } from '../../host/core/objects.ts';
import { CoreError } from '../../host/core/instance.ts';
import { git, gitBytes, tempDir } from '../helpers/git.ts';
import { g, makeSampleRepo, packsOf } from './make-repo.ts';

const tmp = tempDir('objects');
const src = makeSampleRepo(tmp.dir);

/** Every object of the repository: id, type, content per `git cat-file --batch`. */
function allObjects(repo: string): { oid: string; type: string; data: Buffer }[] {
  const list = git(repo, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname)']).trim().split('\n');
  const out = gitBytes(repo, ['cat-file', '--batch'], list.join('\n') + '\n');
  const objs: { oid: string; type: string; data: Buffer }[] = [];
  let p = 0;
  while (p < out.length) {
    const nl = out.indexOf(10, p);
    const [oid, type, size] = out.toString('latin1', p, nl).split(' ');
    const start = nl + 1;
    objs.push({ oid, type, data: out.subarray(start, start + Number(size)) });
    p = start + Number(size) + 1;
  }
  return objs;
}

const objects = allObjects(src);

async function readsEverything(packs: PackHandle[], opts: { cacheBytes?: number; objectFormat?: 'sha1' | 'sha256' } = {}, order = objects) {
  const core = await loadCore();
  const store = ObjectStore.open(core, packs, opts);
  try {
    for (const o of order) {
      const got = store.read(o.oid);
      if (got.type !== o.type || !Buffer.from(got.data).equals(o.data)) {
        assert.unreachable(`${o.oid}: read ${got.type} of ${got.data.length} bytes, git has ${o.type} of ${o.data.length}`);
      }
    }
  } finally {
    store.close();
  }
}

function maxChain(idx: string, repo = src): number {
  const out = git(repo, ['verify-pack', '-v', idx]);
  let max = 0;
  for (const m of out.matchAll(/^chain length = (\d+):/gm)) max = Math.max(max, Number(m[1]));
  return max;
}

test('the sample repository has long delta chains (the test would be weak otherwise)', () => {
  const [p] = packsOf(join(src, '.git'));
  assert.ok(maxChain(p.idx as string) >= 20, `longest chain ${maxChain(p.idx as string)}`);
  assert.ok(objects.length > 150, `${objects.length} objects`);
});

test('every object reads back as git cat-file prints it (OFS_DELTA chains, default cache)', async () => {
  await readsEverything(packsOf(join(src, '.git')));
});

test('the same with the base cache disabled and with a tiny one, in reverse order', async () => {
  const packs = packsOf(join(src, '.git'));
  await readsEverything(packs, { cacheBytes: 0 });
  await readsEverything(packs, { cacheBytes: 4096 }, [...objects].reverse());
});

test('REF_DELTA packs (pack-objects --no-delta-base-offset) read back the same', async () => {
  const dir = join(tmp.dir, 'ref-delta');
  const base = join(dir, 'p');
  g(src, ['init', '-q', dir]);
  const ids = objects.map((o) => o.oid).join('\n') + '\n';
  const hash = git(src, ['pack-objects', '-q', '--no-delta-base-offset', '--depth=50', '--window=50', base], { input: ids }).trim();
  const pack = `${base}-${hash}.pack`;
  assert.ok(maxChain(`${base}-${hash}.idx`) >= 10);
  // The first deltified entry verify-pack lists has type 7 (REF_DELTA) in its header.
  const line = git(src, ['verify-pack', '-v', `${base}-${hash}.idx`]).split('\n').find((l) => l.split(/\s+/).length >= 7)!;
  assert.is((readFileSync(pack)[Number(line.split(/\s+/)[4])] >> 4) & 7, 7);
  await readsEverything([{ pack, idx: `${base}-${hash}.idx` }]);
});

test('64-bit offset table entries (index-pack --index-version=2,<offset>) are followed', async () => {
  const [p] = packsOf(join(src, '.git'));
  const idx = join(tmp.dir, 'large-offsets.idx');
  git(src, ['index-pack', '--index-version=2,100', '-o', idx, p.pack as string]);
  const plain = readFileSync(p.idx as string).length;
  assert.ok(readFileSync(idx).length > plain, 'the .idx has a 64-bit offset table');
  await readsEverything([{ pack: p.pack, idx }]);
});

test('a version-1 .idx (index-pack --index-version=1) reads the same', async () => {
  const [p] = packsOf(join(src, '.git'));
  const idx = join(tmp.dir, 'v1.idx');
  git(src, ['index-pack', '--index-version=1', '-o', idx, p.pack as string]);
  assert.is.not(readFileSync(idx).readUInt32BE(0), 0xff744f63, 'no version-2 signature');
  await readsEverything([{ pack: p.pack, idx }]);
});

test('a version-1 .idx with offsets of 2 GiB and more (the pack moved up by 2^31 bytes, served sparsely)', async () => {
  const [p] = packsOf(join(src, '.git'));
  const idx = join(tmp.dir, 'v1-high.idx');
  git(src, ['index-pack', '--index-version=1', '-o', idx, p.pack as string]);
  const shift = 2 ** 31;
  const v1 = readFileSync(idx);
  const n = v1.readUInt32BE(1020);
  for (let i = 0; i < n; i++) v1.writeUInt32BE(v1.readUInt32BE(1024 + i * 24) + shift, 1024 + i * 24);
  // Entries keep their distances (OFS_DELTA stays valid); the gap after the header is never read.
  const bytes = readFileSync(p.pack as string);
  const size = bytes.length + shift;
  const readAt = (off: number, dst: Uint8Array) => {
    const len = Math.min(dst.length, size - off);
    for (let i = 0; i < len; ) {
      const at = off + i;
      if (at >= 12 && at < 12 + shift) throw new Error(`read in the gap at ${at}`);
      const from = at < 12 ? at : at - shift;
      const k = Math.min(len - i, at < 12 ? 12 - at : bytes.length - from);
      dst.set(bytes.subarray(from, from + k), i);
      i += k;
    }
    return len;
  };
  await readsEverything([{ pack: { size, readAt }, idx: v1 }]);
});

test('a SHA-256 repository reads back as git cat-file prints it (OFS and REF deltas)', async () => {
  const dir = join(tmp.dir, 'sha256');
  g(tmp.dir, ['init', '-q', '--object-format=sha256', dir]);
  const lines = Array.from({ length: 200 }, (_, j) => `line ${j} of a file that changes one line per commit`);
  for (let i = 0; i < 12; i++) {
    lines[(i * 17) % lines.length] = `changed in commit ${i}`;
    writeFileSync(join(dir, 'f.txt'), lines.join('\n'));
    g(dir, ['add', '.']);
    g(dir, ['commit', '-qm', `c${i}`]);
  }
  g(dir, ['tag', '-a', 'v1', '-m', 'a tag']);
  g(dir, ['repack', '-adfq', '--depth=50']);
  const all = allObjects(dir);
  const packs = packsOf(join(dir, '.git'));
  assert.ok(maxChain(packs[0].idx as string, dir) >= 5);
  await readsEverything(packs, { objectFormat: 'sha256' }, all);
  const base = join(tmp.dir, 'sha256-ref');
  const hash = git(dir, ['pack-objects', '-q', '--no-delta-base-offset', base], { input: all.map((o) => o.oid).join('\n') + '\n' }).trim();
  await readsEverything([{ pack: `${base}-${hash}.pack`, idx: `${base}-${hash}.idx` }], { objectFormat: 'sha256' }, all);
  // The same packs as SHA-1 are refused: the .idx does not fit 20-byte ids.
  const core = await loadCore();
  assert.throws(() => ObjectStore.open(core, packs), /pack index/);
});

test('more than 256 packs (fast-import checkpoints) are all registered and read', async () => {
  const dir = join(tmp.dir, 'many-packs');
  g(tmp.dir, ['init', '-q', '--bare', dir]);
  let stream = '';
  for (let i = 0; i < 300; i++) {
    const data = `file ${i}\n`.repeat(20 + i);
    stream += `commit refs/heads/main\ncommitter C O Mitter <c@example.com> ${1700000000 + i} +0000\ndata 2\nc\nM 100644 inline f${i % 7}.txt\ndata ${data.length}\n${data}\ncheckpoint\n\n`;
  }
  // unpackLimit=0: every checkpoint writes a pack, however few objects it holds.
  g(dir, ['-c', 'fastimport.unpackLimit=0', 'fast-import', '--quiet'], stream);
  const packs = packsOf(dir);
  assert.ok(packs.length > 256, `${packs.length} packs`);
  await readsEverything(packs, {}, allObjects(dir));
});

test('objects spread over several packs are all found', async () => {
  const dir = join(tmp.dir, 'multi');
  g(tmp.dir, ['clone', '-q', '--no-local', src, dir]);
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(dir, `more${i}.txt`), `more ${i}\n`.repeat(100 + i));
    g(dir, ['add', '.']);
    g(dir, ['commit', '-qm', `more ${i}`]);
    g(dir, ['repack', '-dq']); // incremental: a new pack with only the new objects
  }
  const packs = packsOf(join(dir, '.git'));
  assert.ok(packs.length >= 3, `${packs.length} packs`);
  await readsEverything(packs, {}, allObjects(dir));
});

test('reads going back and forth between packs read each small pack once', async () => {
  // Two packs of the same repository (their objects split), read alternately: each
  // fits in a window of its own, so neither is read again when the other is.
  const dir = join(tmp.dir, 'two-packs');
  g(tmp.dir, ['clone', '-q', '--no-local', src, dir]);
  writeFileSync(join(dir, 'late.txt'), 'late\n'.repeat(500));
  g(dir, ['add', '.']);
  g(dir, ['commit', '-qm', 'late']);
  g(dir, ['repack', '-dq']);
  const counted = packsOf(join(dir, '.git')).map((p) => {
    const bytes = readFileSync(p.pack as string);
    const c = { size: bytes.length, read: 0, readAt: (off: number, dst: Uint8Array) => ((c.read += dst.length), bytes.copy(dst, 0, off, off + dst.length)) };
    return { handle: { pack: c, idx: readFileSync(p.idx as string) }, c, ids: new Set(git(dir, ['show-index'], { input: readFileSync(p.idx as string) }).split('\n').filter(Boolean).map((l) => l.split(' ')[1])) };
  });
  assert.is(counted.length, 2);
  const all = allObjects(dir);
  const [a, b] = counted.map((k) => all.filter((o) => k.ids.has(o.oid)));
  assert.ok(a.length > 0 && b.length > 0);
  const alternating = Array.from({ length: 3 * Math.max(a.length, b.length) }, (_, i) => (i % 2 ? b : a)[Math.floor(i / 2) % (i % 2 ? b : a).length]);
  await readsEverything(counted.map((k) => k.handle), {}, alternating);
  // Once whole, plus the few bytes of header and trailer checked when the pack is registered.
  for (const k of counted) assert.ok(k.c.read <= k.c.size + 64, `a pack of ${k.c.size} bytes was read for ${k.c.read} bytes`);
});

test('packs given as byte sources (no filesystem paths) work the same', async () => {
  const [p] = packsOf(join(src, '.git'));
  const bytes = readFileSync(p.pack as string);
  const source = { size: bytes.length, readAt: (off: number, dst: Uint8Array) => bytes.copy(dst, 0, off, off + dst.length) };
  await readsEverything([{ pack: source, idx: readFileSync(p.idx as string) }]);
});

test('an id in no pack is MissingObjectError; a malformed id is a TypeError', async () => {
  const core = await loadCore();
  const store = ObjectStore.open(core, packsOf(join(src, '.git')));
  try {
    assert.throws(() => store.read('0123456789abcdef0123456789abcdef01234567'), (e: unknown) => e instanceof MissingObjectError && /0123456789abcdef/.test((e as Error).message));
    assert.is(store.locate('0123456789abcdef0123456789abcdef01234567'), -1);
    assert.throws(() => store.read('xyz'), TypeError);
  } finally {
    store.close();
  }
});

/** The pack entry of `oid`: its offset and on-disk size, per git verify-pack. */
function entryOf(idx: string, oid: string): { offset: number; size: number } {
  const line = git(src, ['verify-pack', '-v', idx]).split('\n').find((l) => l.startsWith(oid))!;
  const f = line.split(/\s+/);
  return { size: Number(f[3]), offset: Number(f[4]) };
}

test('a damaged entry fails naming the object id and its pack offset', async () => {
  const [p] = packsOf(join(src, '.git'));
  const blob = objects.find((o) => o.type === 'blob' && o.data.length > 1000)!;
  const { offset, size } = entryOf(p.idx as string, blob.oid);
  const damaged = join(tmp.dir, 'damaged.pack');
  const bytes = readFileSync(p.pack as string);
  // Flip bytes in the middle of the zlib data (the trailer is not checked on reads).
  for (let i = offset + Math.floor(size / 2); i < offset + Math.floor(size / 2) + 4; i++) bytes[i] ^= 0xff;
  writeFileSync(damaged, bytes);
  const core = await loadCore();
  const store = ObjectStore.open(core, [{ pack: damaged, idx: p.idx }], { cacheBytes: 0 });
  try {
    let err: unknown;
    try {
      store.read(blob.oid);
    } catch (e) {
      err = e;
    }
    assert.instance(err, CoreError);
    const msg = (err as Error).message;
    assert.ok(msg.includes(blob.oid), msg);
    assert.ok(msg.includes(`offset ${offset}`), msg);
    assert.ok((err as CoreError).code < 0);
  } finally {
    store.close();
  }
});

test('an .idx that belongs to another pack is refused when the pack is opened', async () => {
  const [p] = packsOf(join(src, '.git'));
  const dir = join(tmp.dir, 'other');
  g(tmp.dir, ['init', '-q', dir]);
  writeFileSync(join(dir, 'f'), 'other\n');
  g(dir, ['add', '.']);
  g(dir, ['commit', '-qm', 'other']);
  g(dir, ['repack', '-adq']);
  const [q] = packsOf(join(dir, '.git'));
  const core = await loadCore();
  assert.throws(() => ObjectStore.open(core, [{ pack: p.pack, idx: q.idx }]), /objects but its index|does not match/);
  // A truncated .idx.
  const cut = join(tmp.dir, 'cut.idx');
  copyFileSync(p.idx as string, cut);
  writeFileSync(cut, readFileSync(cut).subarray(0, 2000));
  assert.throws(() => ObjectStore.open(core, [{ pack: p.pack, idx: cut }]), /pack index/);
});

test.after(() => tmp.cleanup());
test.run();
