// The index file builder (assembly/index-file.ts via host/core/index-file.ts):
// git must read what it builds -- entries sorted as git sorts, stat data as
// given, long paths, the cache tree -- and bad input is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCore } from '../../host/core/index.ts';
import { buildIndexFile, type IndexEntry, type StatData } from '../../host/core/index-file.ts';
import { UnsafePathError } from '../../host/core/tree.ts';
import { git, gitEnv, tempDir } from '../helpers/git.ts';
import { g, writeBlob } from './make-repo.ts';

const tmp = tempDir('index-file');
const repo = join(tmp.dir, 'repo');
g(tmp.dir, ['init', '-q', repo]);
const core = await loadCore();
const id = Buffer.from(writeBlob(repo, 'x\n'), 'hex');

const stat = (k: number): StatData => ({ ctimeSec: 1700000000 + k, ctimeNsec: 1000 + k, mtimeSec: 1600000000 + k, mtimeNsec: 2000 + k, dev: 64768 + k, ino: 4000000000 + k, uid: 1000 + k, gid: 100 + k, size: 4294967295 - k });
const entry = (path: string | Buffer, k = 0, mode = 0o100644): IndexEntry => ({ path: Buffer.from(path), mode, id, stat: stat(k) });

/** Reads an index file with git (GIT_INDEX_FILE), as `ls-files --debug` prints it. */
function gitRead(bytes: Uint8Array, args = ['ls-files', '--debug']): string {
  const file = join(tmp.dir, 'index');
  writeFileSync(file, bytes);
  return git(repo, args, { env: { ...gitEnv, GIT_INDEX_FILE: file } });
}

test('git reads every field back: paths sorted as git sorts them, stat data as given', () => {
  // Byte order, not locale or tree order: 'B' < 'a-b' < 'a.b' < 'a/b' < 'a0' < 'b' < 'é'.
  const paths = ['é', 'b', 'a0', 'a/b', 'B', 'a.b', 'a-b'];
  const bytes = buildIndexFile(core, paths.map((p, k) => entry(p, k, k === 1 ? 0o100755 : k === 2 ? 0o120000 : 0o100644)));
  assert.is(gitRead(bytes, ['ls-files', '-z']).split('\0').filter(Boolean).join(' '), ['B', 'a-b', 'a.b', 'a/b', 'a0', 'b', 'é'].join(' '));
  const debug = gitRead(bytes);
  paths.forEach((p, k) => {
    const s = stat(k);
    const block = debug.split(/\n(?=\S)/).find((b) => b.split('\n')[0].replace(/^"|"$/g, '') === (p === 'é' ? '\\303\\251' : p))!;
    assert.ok(block, p);
    assert.match(block, `ctime: ${s.ctimeSec}:${s.ctimeNsec}`);
    assert.match(block, `mtime: ${s.mtimeSec}:${s.mtimeNsec}`);
    assert.match(block, `dev: ${s.dev}\tino: ${s.ino}`);
    assert.match(block, `uid: ${s.uid}\tgid: ${s.gid}`);
    assert.match(block, `size: ${s.size}\tflags: 0`);
  });
  const modes = gitRead(bytes, ['ls-files', '-s']);
  assert.match(modes, /100755 \S+ 0\tb\n/);
  assert.match(modes, /120000 \S+ 0\ta0\n/);
  // git accepts the checksum: a rewrite by git gives the same entries.
  gitRead(bytes, ['update-index', '--index-version', '2']);
});

test('a path of 4095 bytes and more: name length 0xFFF in the flags, git still reads it', () => {
  const long = 'd/'.repeat(2100) + 'file';
  const bytes = buildIndexFile(core, [entry(long), entry('short')]);
  const listed = gitRead(bytes, ['ls-files']).split('\n');
  assert.equal(listed.slice(0, 2), [long, 'short']);
  // flags of the first entry, right after the 12-byte header and 60 bytes of fields
  assert.is(Buffer.from(bytes).readUInt16BE(12 + 60), 0xfff);
});

test('skip-worktree entries: version 3 with extended flags, byte for byte what git update-index --skip-worktree writes', () => {
  const long = 'd/'.repeat(2100) + 'skipped';
  const paths = ['a', 'dir/b', long, 'z'];
  const skipped = new Set(['dir/b', long]);
  const plain = buildIndexFile(core, paths.map((p, k) => entry(p, k)));
  const sparse = buildIndexFile(core, paths.map((p, k) => ({ ...entry(p, k), skipWorktree: skipped.has(p) })));
  assert.is(Buffer.from(plain).readUInt32BE(4), 2, 'no extended flags: version 2');
  assert.is(Buffer.from(sparse).readUInt32BE(4), 3, 'extended flags: version 3');
  assert.is(gitRead(sparse, ['ls-files', '-t']), `H a\nS ${long}\nS dir/b\nH z\n`);
  // git's own bytes: the plain index with the same entries marked by git.
  const file = join(tmp.dir, 'index');
  writeFileSync(file, plain);
  git(repo, ['update-index', '--skip-worktree', 'dir/b', long], { env: { ...gitEnv, GIT_INDEX_FILE: file } });
  assert.equal(readFileSync(file), Buffer.from(sparse));
});

test('the cache tree is written as given and git uses it', () => {
  const tree = git(repo, ['mktree'], { input: `100644 blob ${id.toString('hex')}\tf\n` }).trim();
  const bytes = buildIndexFile(core, [entry('f')], [{ name: Buffer.alloc(0), entryCount: 1, subtreeCount: 0, id: Buffer.from(tree, 'hex') }]);
  // header 12, one entry of 62 + 1 bytes padded to 64, then the extension
  const ext = Buffer.from(bytes).subarray(12 + 64, bytes.length - 20);
  assert.equal(ext, Buffer.concat([Buffer.from('TREE'), Buffer.from([0, 0, 0, 25]), Buffer.from('\x001 0\n'), Buffer.from(tree, 'hex')]));
  // write-tree takes the root's id straight from a valid cache tree.
  assert.is(gitRead(bytes, ['write-tree']).trim(), tree);
});

test('duplicate paths and unsafe paths are refused naming the path', () => {
  assert.throws(() => buildIndexFile(core, [entry('a'), entry('b'), entry('a')]), (e: unknown) => e instanceof UnsafePathError && /'a': duplicate entry/.test((e as Error).message));
  for (const [p, rule] of [['x/../y', /'\.\.' is not allowed/], ['/abs', /empty path component/], ['a//b', /empty path component/], ['a/', /empty path component/], ['a/.git/config', /'\.git' is reserved/], ['nul\0byte', /NUL/], ['', /empty/]] as const) {
    assert.throws(() => buildIndexFile(core, [entry(p)]), (e: unknown) => e instanceof UnsafePathError && rule.test((e as Error).message), JSON.stringify(p));
  }
  assert.throws(() => buildIndexFile(core, [entry('.gitmodules', 0, 0o120000)]), /symbolic link/);
});

test('an empty index is valid', () => {
  const bytes = buildIndexFile(core, []);
  assert.is(bytes.length, 12 + 20);
  assert.is(gitRead(bytes, ['ls-files']), '');
});

test.after(() => tmp.cleanup());
test.run();
