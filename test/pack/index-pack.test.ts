// wasmgit index-pack on packs real git made from generated history: the .idx is
// byte-identical to git index-pack's for OFS and REF delta packs, on 1 and 2
// threads, with a base budget small enough to force dropping and rebuilding
// bases, and fed as a stream in chunks of any size; git verify-pack accepts it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexPackFile, PackIndexer } from '../../host/pack/index-pack.ts';
import { git, gitBytes, tempDir } from '../helpers/git.ts';
import { makeHistory, packRef, prng, repackOfs } from '../helpers/history.ts';
import { wasmgit } from '../helpers/cli.ts';
import { listEntries, rawEntries, splitEntry } from '../helpers/pack-edit.ts';

const { dir, cleanup } = tempDir('index-pack');
const repo = join(dir, 'repo');
const out = join(dir, 'out');
git(dir, ['init', '-q', '--bare', out]);
mkdirSync(repo);
makeHistory(repo, { commits: 400, seed: 7 });
const packs: Record<string, string> = {
  'OFS deltas (repack -adf --depth=50 --window=250)': repackOfs(repo),
  'REF deltas (pack-objects --no-reuse-delta)': packRef(repo, join(dir, 'ref')),
};

/** What git index-pack writes for `pack`. */
function gitIdx(pack: string): Buffer {
  const idx = join(dir, `git-${Math.random().toString(36).slice(2)}.idx`);
  git(dir, ['index-pack', '-o', idx, pack]);
  return readFileSync(idx);
}

const expected = new Map<string, Buffer>();
for (const [name, pack] of Object.entries(packs)) expected.set(pack, gitIdx(pack));

test('the generated packs have deep delta chains, OFS deltas in one and REF deltas in the other', () => {
  const typesIn = (pack: string) => {
    const bytes = readFileSync(pack);
    const listed = listEntries(dir, pack.replace(/\.pack$/, '.idx'));
    return new Set(rawEntries(bytes, listed).map((raw) => splitEntry(raw).type));
  };
  const ofs = packs['OFS deltas (repack -adf --depth=50 --window=250)'];
  const ref = packs['REF deltas (pack-objects --no-reuse-delta)'];
  const depths = [...git(dir, ['verify-pack', '-v', ofs]).matchAll(/^chain length = (\d+):/gm)].map((m) => +m[1]);
  assert.ok(Math.max(...depths) >= 10, `chains reach depth ${Math.max(...depths)}`);
  assert.ok(typesIn(ofs).has(6) && !typesIn(ofs).has(7), 'OFS_DELTA entries only');
  assert.ok(typesIn(ref).has(7) && !typesIn(ref).has(6), 'REF_DELTA entries only');
});

for (const [name, pack] of Object.entries(packs)) {
  test(`${name}: .idx equals git index-pack's, 1 thread`, async () => {
    const r = await indexPackFile(pack, { threads: 1 });
    assert.ok(Buffer.from(r.idx).equals(expected.get(pack)!), 'idx bytes equal');
    assert.is(r.packChecksum, readFileSync(pack).subarray(-20).toString('hex'));
    assert.ok(r.deltas > 500, `deltas: ${r.deltas}`);
  });

  test(`${name}: .idx equals git index-pack's, 2 threads (main thread and a worker)`, async () => {
    const r = await indexPackFile(pack, { threads: 2 });
    assert.ok(Buffer.from(r.idx).equals(expected.get(pack)!), 'idx bytes equal');
  });

  test(`${name}: .idx equals git index-pack's, resolved by worker threads alone`, async () => {
    const r = await indexPackFile(pack, { threads: 3, mainThread: false });
    assert.ok(Buffer.from(r.idx).equals(expected.get(pack)!), 'idx bytes equal');
    assert.is(r.resolvedInWorkers, r.deltas, 'every delta came back from a worker');
  });

  test(`${name}: a 4 KiB base budget (bases dropped and rebuilt) and no delta store (every delta read again) give the same .idx`, async () => {
    const r = await indexPackFile(pack, { threads: 1, cacheLimit: 4096, deltaStoreLimit: 0 });
    assert.ok(Buffer.from(r.idx).equals(expected.get(pack)!));
  });

  test(`${name}: a delta store too small for all deltas, workers only: the same .idx`, async () => {
    const r = await indexPackFile(pack, { threads: 2, mainThread: false, deltaStoreLimit: 20_000 });
    assert.ok(Buffer.from(r.idx).equals(expected.get(pack)!));
  });

  test(`${name}: wasmgit verify-pack -v prints what git verify-pack -v prints`, () => {
    const idx = pack.replace(/\.pack$/, '.idx');
    const ours = wasmgit(['verify-pack', '-v', idx]);
    assert.is(ours.stderr, '');
    assert.is(ours.status, 0);
    assert.is(ours.stdout, git(dir, ['verify-pack', '-v', idx]));
    const stat = wasmgit(['verify-pack', '-s', idx]);
    assert.is(stat.stdout, git(dir, ['verify-pack', '-s', idx]));
  });
}

test('index-pack <pack> writes <pack>.idx beside it and prints the checksum; git verify-pack accepts it', () => {
  const pack = join(dir, 'copy.pack');
  copyFileSync(packs['OFS deltas (repack -adf --depth=50 --window=250)'], pack);
  const r = wasmgit(['index-pack', pack]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, readFileSync(pack).subarray(-20).toString('hex') + '\n');
  assert.ok(readFileSync(join(dir, 'copy.idx')).equals(expected.get(packs['OFS deltas (repack -adf --depth=50 --window=250)'])!));
  git(dir, ['verify-pack', join(dir, 'copy.idx')]);
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('.tmp')), [], 'no temporary files left');
});

test("an -o whose directory is missing: git's message, naming the .idx asked for", () => {
  const pack = packs['OFS deltas (repack -adf --depth=50 --window=250)'];
  const idx = join(dir, 'no-such-dir', 'x.idx');
  const r = wasmgit(['index-pack', '-o', idx, pack]);
  const theirs = spawnSync('git', ['index-pack', '-o', idx, pack], { encoding: 'utf8' });
  assert.is(r.status, 128);
  assert.is(r.stderr, theirs.stderr);
});

test('the bundled command (dist/) resolves on 2 worker threads too', () => {
  const pack = packs['REF deltas (pack-objects --no-reuse-delta)'];
  const idx = join(dir, 'bundle.idx');
  const r = wasmgit(['index-pack', '--threads', '2', '-o', idx, pack], { bundle: true });
  assert.is(r.status, 0, r.stderr);
  assert.ok(readFileSync(idx).equals(expected.get(pack)!));
});

test('index-pack --stdin writes the pack and its .idx, prints "pack\\t<checksum>", and refuses an existing pack', () => {
  const src = packs['REF deltas (pack-objects --no-reuse-delta)'];
  const bytes = readFileSync(src);
  const pack = join(dir, 'fromstdin.pack');
  const r = wasmgit(['index-pack', '--stdin', '-v', pack], { input: bytes, cwd: out });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, `pack\t${bytes.subarray(-20).toString('hex')}\n`);
  assert.match(r.stderr, /Resolving deltas: 100% \(\d+\/\d+\), done\./);
  assert.ok(readFileSync(pack).equals(bytes));
  assert.ok(readFileSync(join(dir, 'fromstdin.idx')).equals(expected.get(src)!));
  const again = wasmgit(['index-pack', '--stdin', pack], { input: bytes, cwd: out });
  assert.is(again.status, 128);
  assert.match(again.stderr, /fatal: unable to create '.*fromstdin\.pack': File exists/);
});

test('PackIndexer: chunks of every size (down to 1 byte) give the same pack and .idx, named by checksum', async () => {
  const src = packs['OFS deltas (repack -adf --depth=50 --window=250)'];
  const bytes = readFileSync(src);
  const packDir = join(out, 'objects', 'pack');
  const phases = new Set<string>();
  const indexer = await PackIndexer.create({ packDir, threads: 2, onProgress: (p) => phases.add(p) });
  const rand = prng(3);
  let off = 0;
  while (off < bytes.length) {
    // Single bytes at first (every header and zlib boundary split), then larger.
    const n = off < 4000 ? 1 : 1 + Math.floor(rand() * 70000);
    indexer.write(bytes.subarray(off, off + n));
    off += n;
  }
  const r = await indexer.finish();
  const name = bytes.subarray(-20).toString('hex');
  assert.is(r.packPath, join(packDir, `pack-${name}.pack`));
  assert.ok(readFileSync(r.packPath).equals(bytes));
  assert.ok(readFileSync(r.idxPath).equals(expected.get(src)!));
  assert.ok(phases.has('receiving') && phases.has('resolving'), [...phases].join());
  assert.equal(readdirSync(packDir).sort(), [`pack-${name}.idx`, `pack-${name}.pack`]);
  // The repository reads it: every object is there.
  git(out, ['update-ref', 'refs/heads/main', git(repo, ['rev-parse', 'main']).trim()]);
  git(out, ['fsck', '--full', '--strict', '--no-dangling']);
});

test('PackIndexer: a stream that breaks off leaves nothing behind', async () => {
  const bytes = readFileSync(packs['OFS deltas (repack -adf --depth=50 --window=250)']);
  const broken = join(dir, 'broken');
  git(dir, ['init', '-q', '--bare', broken]);
  const packDir = join(broken, 'objects', 'pack');
  const indexer = await PackIndexer.create({ packDir, threads: 1 });
  indexer.write(bytes.subarray(0, bytes.length >> 1));
  try {
    await indexer.finish();
    assert.unreachable('a truncated stream must fail');
  } catch (err) {
    assert.match((err as Error).message, /pack truncated at offset \d+/);
  }
  assert.equal(readdirSync(packDir), []);
});

test('an empty pack (no objects) indexes as git does', async () => {
  const pack = join(dir, 'empty.pack');
  writeFileSync(pack, gitBytes(repo, ['pack-objects', '--stdout'], ''));
  const r = await indexPackFile(pack, { threads: 1 });
  assert.ok(Buffer.from(r.idx).equals(gitIdx(pack)));
  assert.is(r.objects, 0);
});

test.after(cleanup);
test.run();
