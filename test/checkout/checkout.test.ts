// checkout() (host/checkout/): the work tree and .git/index it writes must be
// what `git clone` writes. The oracle is a `git clone` of the same repository;
// ours checks out into a `git clone --no-checkout` of it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkout } from '../../host/checkout/checkout.ts';
import type { PackHandle } from '../../host/core/objects.ts';
import { git, gitEnv, tempDir } from '../helpers/git.ts';
import { g, makeSampleRepo, packObjects, packsOf, readIndexFile, sameAsGit, writeBlob, writeRawTree } from './make-repo.ts';

const tmp = tempDir('checkout');
const src = makeSampleRepo(tmp.dir);
const ref = join(tmp.dir, 'ref');
g(tmp.dir, ['clone', '-q', src, ref]);
let n = 0;

/** A fresh `git clone --no-checkout` of `repo`, to check out into. */
function emptyClone(repo = src): string {
  const dst = join(tmp.dir, `dst${n++}`);
  g(tmp.dir, ['clone', '-q', '--no-checkout', repo, dst]);
  return dst;
}

function assertSameAsGit(dst: string, oracle = ref) {
  sameAsGit(dst, oracle);
}

test('a checkout is what git clone checks out: files, modes, links, gitlink, index', async () => {
  const dst = emptyClone();
  const tree = git(src, ['rev-parse', 'HEAD^{tree}']).trim();
  const calls: [number, number][] = [];
  const res = await checkout({ gitDir: join(dst, '.git'), workTree: dst, treeOid: tree, packs: packsOf(join(dst, '.git')), onProgress: (d, t) => calls.push([d, t]) });
  assertSameAsGit(dst);
  const entries = git(dst, ['ls-files']).split('\n').filter(Boolean).length;
  assert.is(res.files, entries);
  assert.is(calls.length, entries);
  assert.ok(calls.every(([d, t], i) => d === i + 1 && t === entries), 'progress counts up to the total');
  // The sample has what it claims.
  const modes = git(dst, ['ls-files', '-s']);
  for (const m of ['100755', '120000', '160000']) assert.ok(modes.includes(`${m} `), `has a ${m} entry`);
  assert.ok(lstatSync(join(dst, 'modules/sub')).isDirectory(), 'gitlink is an empty directory');
  assert.equal(readdirSync(join(dst, 'modules/sub')), []);
});

test('the index matches git clone\'s byte for byte but for stat data, which matches lstat', async () => {
  const dst = emptyClone();
  const tree = git(src, ['rev-parse', 'HEAD^{tree}']).trim();
  await checkout({ gitDir: join(dst, '.git'), workTree: dst, treeOid: tree, packs: packsOf(join(dst, '.git')) });
  const ours = readIndexFile(join(dst, '.git', 'index'));
  const theirs = readIndexFile(join(ref, '.git', 'index'));
  assert.is(ours.version, theirs.version);
  const meta = (e: (typeof ours.entries)[0]) => `${e.mode.toString(8)} ${e.id} ${e.flags} ${e.path}`;
  assert.equal(ours.entries.map(meta), theirs.entries.map(meta));
  assert.ok(ours.extensions.subarray(0, 4).toString() === 'TREE', 'a cache tree is written');
  assert.ok(ours.extensions.equals(theirs.extensions), 'extensions (the cache tree) are identical');
  for (const e of ours.entries) {
    const st = lstatSync(join(dst, e.path), { bigint: true });
    const u = (v: bigint) => Number(BigInt.asUintN(32, v));
    assert.equal(
      [e.ctimeSec, e.ctimeNsec, e.mtimeSec, e.mtimeNsec, e.dev, e.ino, e.uid, e.gid, e.size],
      [u(st.ctimeNs / 1000000000n), u(st.ctimeNs % 1000000000n), u(st.mtimeNs / 1000000000n), u(st.mtimeNs % 1000000000n), u(st.dev), u(st.ino), u(st.uid), u(st.gid), u(st.size)],
      e.path,
    );
  }
  // git reads it and, in its own refresh, has nothing to change.
  git(dst, ['update-index', '--refresh']);
});

test('with the base cache off, deep delta chains still check out identically', async () => {
  const dst = emptyClone();
  const { loadCore } = await import('../../host/core/instance.ts');
  const core = await loadCore();
  core.exports.objectCacheSize(0);
  const tree = git(src, ['rev-parse', 'HEAD^{tree}']).trim();
  // ObjectStore.open keeps the cache size the core has.
  await checkout({ core, gitDir: join(dst, '.git'), workTree: dst, treeOid: tree, packs: packsOf(join(dst, '.git')) });
  assertSameAsGit(dst);
});

test('an older commit checks out as git checks it out', async () => {
  const dst = emptyClone();
  const old = git(src, ['rev-parse', 'HEAD~30']).trim();
  const oracle = join(tmp.dir, 'ref-old');
  g(tmp.dir, ['clone', '-q', '--no-checkout', src, oracle]);
  g(oracle, ['checkout', '-q', '--detach', old]);
  await checkout({ gitDir: join(dst, '.git'), workTree: dst, treeOid: git(src, ['rev-parse', `${old}^{tree}`]).trim(), packs: packsOf(join(dst, '.git')) });
  g(dst, ['update-ref', '--no-deref', 'HEAD', old]);
  assertSameAsGit(dst, oracle);
});

test('odd modes and empty trees: entries as git reads them, cache tree left for git to rebuild', async () => {
  const repo = join(tmp.dir, 'odd');
  g(tmp.dir, ['init', '-q', repo]);
  const b = writeBlob(repo, 'odd\n');
  const empty = writeRawTree(repo, []);
  const inner = writeRawTree(repo, [{ mode: '100644', name: 'f', id: b }, { mode: '40000', name: 'nothing', id: empty }]);
  const root = writeRawTree(repo, [{ mode: '100664', name: 'group-writable', id: b }, { mode: '40000', name: 'inner', id: inner }, { mode: '40000', name: 'void', id: empty }]);
  const commit = git(repo, ['commit-tree', '-m', 'odd', root]).trim();
  g(repo, ['update-ref', 'refs/heads/main', commit]);
  g(repo, ['symbolic-ref', 'HEAD', 'refs/heads/main']);
  g(repo, ['repack', '-adq']);
  const oracle = join(tmp.dir, 'odd-ref');
  g(tmp.dir, ['clone', '-q', repo, oracle]);
  const dst = emptyClone(repo);
  await checkout({ gitDir: join(dst, '.git'), workTree: dst, treeOid: root, packs: packsOf(join(dst, '.git')) });
  assertSameAsGit(dst, oracle);
  assert.not.ok(readdirSync(dst).includes('void'), 'no directory for an empty tree');
  const ext = readIndexFile(join(dst, '.git', 'index')).extensions.toString('latin1');
  assert.ok(ext.startsWith('TREE') && ext.includes('\0-1 1\n'), 'the root cache-tree node is marked unknown');
});

test('a partial checkout fetches the missing blobs once, before writing anything', async () => {
  const dst = join(tmp.dir, 'partial');
  g(tmp.dir, ['init', '-q', dst]);
  const tree = git(src, ['rev-parse', 'HEAD^{tree}']).trim();
  const allTrees = git(src, ['ls-tree', '-r', '-t', tree]).split('\n').filter((l) => l.includes(' tree ')).map((l) => l.split(/\s+/)[2]);
  const treePacks = packObjects(src, [tree, ...allTrees], join(tmp.dir, 'partial-trees'));
  const blobs = git(src, ['ls-tree', '-r', tree]).split('\n').filter((l) => l.includes(' blob ')).map((l) => l.split(/\s+/)[2]);
  const asked: string[][] = [];
  const fetchMissing = async (oids: string[]): Promise<PackHandle[]> => {
    asked.push(oids);
    assert.equal(readdirSync(dst), ['.git'], 'nothing written before the fetch');
    return packObjects(src, oids, join(tmp.dir, 'partial-blobs'));
  };
  await checkout({ gitDir: join(dst, '.git'), workTree: dst, treeOid: tree, packs: treePacks, fetchMissing });
  assert.is(asked.length, 1);
  assert.equal([...asked[0]].sort(), [...new Set(blobs)].sort());
  assert.is(git(dst, ['ls-files', '-s']), git(ref, ['ls-files', '-s']));
  const diff = spawnSync('diff', ['-r', '--no-dereference', '-x', '.git', ref, dst], { encoding: 'utf8', env: gitEnv });
  assert.is(diff.status, 0, diff.stdout);
});

test('an abort signal stops the checkout between files', async () => {
  const dst = emptyClone();
  const ac = new AbortController();
  const tree = git(src, ['rev-parse', 'HEAD^{tree}']).trim();
  let seen = 0;
  const run = checkout({ gitDir: join(dst, '.git'), workTree: dst, treeOid: tree, packs: packsOf(join(dst, '.git')), signal: ac.signal, onProgress: (d) => { seen = d; if (d === 5) ac.abort(); } });
  try {
    await run;
    assert.unreachable('should have been aborted');
  } catch (err) {
    assert.is((err as Error).name, 'AbortError');
  }
  assert.ok(seen >= 5 && seen < 10, `stopped after ${seen} entries`);
  assert.not.ok(readdirSync(join(dst, '.git')).includes('index'), 'no index written');
});

test('a missing tree or blob without a fetcher fails naming the object and the path', async () => {
  const dst = join(tmp.dir, 'missing');
  g(tmp.dir, ['init', '-q', dst]);
  const tree = git(src, ['rev-parse', 'HEAD^{tree}']).trim();
  const packs = packObjects(src, [tree], join(tmp.dir, 'only-root'));
  try {
    await checkout({ gitDir: join(dst, '.git'), workTree: dst, treeOid: tree, packs });
    assert.unreachable('should fail');
  } catch (err) {
    assert.match((err as Error).message, /object [0-9a-f]{40} \((the tree at '[^']+'|for '[^']+')\) not found/);
  }
  assert.equal(readdirSync(dst), ['.git']);
});

test.after(() => tmp.cleanup());
test.run();
