// `clone --sparse` against `git clone --sparse` of the same repository over the
// same smart HTTP server: config and config.worktree, info/sparse-checkout,
// the work tree (top-level entries only), the index (every entry, the others
// skip-worktree, version 3), `git status` clean, `git fsck` clean,
// `git sparse-checkout list`, and `git sparse-checkout add` working afterwards
// as it does in git's clone. With --filter=blob:none, only the blobs written
// are fetched, as git's checkout fetches them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clone, type CloneOptions } from '../../host/clone.ts';
import { SparseCheckoutError } from '../../host/errors.ts';
import { startHttpServer, type HttpServer } from '../helpers/servers.ts';
import { tempDir } from '../helpers/git.ts';
import { assertSameClone, FastImport, git, gitAsync, gitEnv, treeListing, type CompareOptions } from './fixture.ts';

let server: HttpServer;
let root: ReturnType<typeof tempDir>;
let work: ReturnType<typeof tempDir>;

/**
 * repo.git: top-level files (one executable, one symbolic link, .gitmodules),
 * nested directories holding files, executables and links, a top-level
 * submodule `top-sub` and a nested one `libs/sub`, both of sub.git.
 */
test.before(async () => {
  root = tempDir('sparse-fixture');
  work = tempDir('sparse');
  const sub = join(root.dir, 'sub.git');
  const repo = join(root.dir, 'repo.git');
  for (const d of [sub, repo]) git(root.dir, ['init', '-q', '--bare', '-b', 'main', d]);
  const s = new FastImport();
  s.commit('refs/heads/main', 'sub', [`M 100644 :${s.blob('submodule\n')} README`]);
  s.run(sub);
  const subCommit = git(sub, ['rev-parse', 'refs/heads/main']).trim();

  const f = new FastImport();
  const file = (mode: string, path: string, data: string) => `M ${mode} :${f.blob(data)} ${path}`;
  f.commit('refs/heads/main', 'first', [
    file('100644', 'README.md', '# sparse\n'),
    file('100755', 'build.sh', '#!/bin/sh\necho build\n'),
    file('120000', 'readme-link', 'README.md'),
    file('100644', '.gitmodules', '[submodule "top-sub"]\n\tpath = top-sub\n\turl = ../sub.git\n[submodule "libs/sub"]\n\tpath = libs/sub\n\turl = ../sub.git\n'),
    file('100644', 'src/main.c', 'int main(void) { return 0; }\n'),
    file('100755', 'src/tools/gen.sh', '#!/bin/sh\necho gen\n'),
    file('120000', 'src/tools/readme', '../../README.md'),
    file('100644', 'src/.gitattributes', '*.c text eol=crlf\n'),
    file('100644', 'docs/guide/intro.md', 'intro\n'),
    file('100644', 'docs/guide/deeper/a/b.txt', 'deep\n'),
    file('100644', 'libs/README', 'libs\n'),
    `M 160000 ${subCommit} top-sub`,
    `M 160000 ${subCommit} libs/sub`,
  ]);
  f.commit('refs/heads/main', 'second', [file('100644', 'docs/guide/intro.md', 'intro, second version\n'), file('100644', 'NEWS', 'news\n')]);
  f.run(repo);
  // Partial clones need the server to accept filters (http-backend reads the config per request).
  git(repo, ['config', 'uploadpack.allowFilter', 'true']);
  server = await startHttpServer({ root: root.dir });
});

test.after(async () => {
  await server.close();
  root.cleanup();
  work.cleanup();
});

let seq = 0;
async function both(args: string[], opts: Omit<CloneOptions, 'repository'>, cmp: CompareOptions = {}) {
  const url = server.url('repo.git');
  const n = ++seq;
  const theirs = join(work.dir, `git-${n}`);
  const ours = join(work.dir, `ours-${n}`);
  await gitAsync(work.dir, ['clone', '-q', ...args, url, theirs]);
  await clone({ ...opts, repository: url, directory: ours, env: gitEnv, cwd: work.dir });
  if (cmp.checkout !== false) {
    // The index as the clones left it, before any command rewrites it: git
    // clears skip-worktree in memory for what is present (a submodule cloned
    // outside the cone), and a later `git status` writes that back.
    const entries = (d: string) => git(d, ['ls-files', '-s', '--debug']).replace(/ctime: .*\n|mtime: .*\n|dev: .*\n|uid: .*\n/g, '');
    assert.fixture(entries(ours), entries(theirs), 'index entries of the fresh clones');
    for (const d of [ours, theirs]) git(d, ['status', '--porcelain']);
  }
  assertSameClone(ours, theirs, cmp);
  return { ours, theirs };
}

/** What git says about the sparse checkout of a clone, beyond what assertSameClone compares. */
function assertSameSparse(ours: string, theirs: string): void {
  for (const args of [['ls-files', '-t'], ['ls-files', '-v'], ['sparse-checkout', 'list'], ['config', '--list', '--worktree']]) {
    assert.fixture(git(ours, args), git(theirs, args), `git ${args.join(' ')}`);
  }
  const file = (d: string, p: string) => readFileSync(join(d, '.git', p));
  assert.equal(file(ours, 'info/sparse-checkout'), file(theirs, 'info/sparse-checkout'), 'info/sparse-checkout bytes');
  assert.equal(file(ours, 'config.worktree'), file(theirs, 'config.worktree'), 'config.worktree bytes');
  // Header (signature, version, entry count) and the extension signatures after the entries.
  assert.equal(file(ours, 'index').subarray(0, 12), file(theirs, 'index').subarray(0, 12), 'index header (version 3)');
  const diff = spawnSync('diff', ['-r', '-x', '.git', ours, theirs], { encoding: 'utf8' });
  assert.is(diff.status, 0, `diff -r -x .git: ${diff.stdout}${diff.stderr}`);
}

const objects = (d: string) => git(d, ['cat-file', '--batch-all-objects', '--batch-check']).split('\n').sort().join('\n');

test('--sparse: top-level entries checked out, the rest skip-worktree; sparse-checkout add works as in git', async () => {
  const { ours, theirs } = await both(['--sparse'], { sparse: true });
  assertSameSparse(ours, theirs);
  assert.ok(existsSync(join(ours, 'build.sh')) && existsSync(join(ours, 'top-sub')), 'top-level files and gitlinks');
  assert.not.ok(existsSync(join(ours, 'src')) || existsSync(join(ours, 'libs')), 'no directory below the top');
  assert.match(git(ours, ['ls-files', '-t']), /^S src\/tools\/gen\.sh$/m);
  assert.is(readFileSync(join(ours, '.git/index')).readUInt32BE(4), 3, 'index version 3');

  for (const d of [ours, theirs]) git(d, ['sparse-checkout', 'add', 'src']);
  assert.equal(treeListing(ours), treeListing(theirs), 'work trees after sparse-checkout add src');
  assertSameSparse(ours, theirs);
  assert.is(git(ours, ['status', '--porcelain']), '', 'git status --porcelain after sparse-checkout add');
  assert.ok(existsSync(join(ours, 'src/tools/gen.sh')));
});

test('--sparse --filter=blob:none: only the blobs checked out are fetched', async () => {
  const { ours, theirs } = await both(['--sparse', '--filter=blob:none'], { sparse: true, filter: 'blob:none' });
  assertSameSparse(ours, theirs);
  assert.is(objects(ours), objects(theirs), 'the same objects present');
  assert.ok(objects(ours).includes(git(ours, ['rev-parse', 'HEAD:build.sh']).trim()), 'a top-level blob is present');
  assert.not.ok(objects(ours).includes(git(ours, ['rev-parse', 'HEAD:src/main.c']).trim()), 'a blob below the top is not');

  // Widening fetches the rest lazily, in both (from the server in this process: not blocking it).
  for (const d of [ours, theirs]) await gitAsync(d, ['sparse-checkout', 'add', 'docs']);
  assert.equal(treeListing(ours), treeListing(theirs), 'work trees after sparse-checkout add docs');
  assert.is(git(ours, ['status', '--porcelain']), '');
});

test('--sparse --no-checkout: sparse-checkout set up, no index, no files', async () => {
  const { ours, theirs } = await both(['--sparse', '--no-checkout'], { sparse: true, noCheckout: true }, { checkout: false });
  assert.not.ok(existsSync(join(ours, '.git/index')));
  assert.equal(treeListing(ours), treeListing(theirs));
  // A checkout by git afterwards honours the patterns.
  for (const d of [ours, theirs]) git(d, ['checkout', '-q', 'main']);
  assertSameSparse(ours, theirs);
});

test('--sparse --recurse-submodules: every submodule cloned, in the cone or not, as git does', async () => {
  const { ours, theirs } = await both(['--sparse', '--recurse-submodules'], { sparse: true, recurseSubmodules: true });
  assertSameSparse(ours, theirs);
  for (const p of ['top-sub', 'libs/sub']) {
    assertSameClone(join(ours, p), join(theirs, p), {});
    assert.ok(existsSync(join(ours, p, 'README')), `${p} checked out`);
  }
  assert.is(git(ours, ['submodule', 'status']), git(theirs, ['submodule', 'status']));
});

test('--sparse --bare: refused as git refuses it (exit status 1), nothing left behind', async () => {
  const url = server.url('repo.git');
  const theirs = join(work.dir, 'git-bare.git');
  const g = spawnSync('git', ['clone', '-q', '--bare', '--sparse', url, theirs], { env: gitEnv, encoding: 'utf8' });
  assert.is(g.status, 1);
  assert.not.ok(existsSync(theirs));
  const ours = join(work.dir, 'ours-bare.git');
  try {
    await clone({ repository: url, directory: ours, bare: true, sparse: true, env: gitEnv });
    assert.unreachable('clone --bare --sparse succeeded');
  } catch (err) {
    assert.instance(err, SparseCheckoutError);
    assert.is((err as SparseCheckoutError).exitCode, g.status);
  }
  assert.not.ok(existsSync(ours), 'the bare repository removed');

  const cli = fileURLToPath(new URL('../../host/cli/wasmgit.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), cli, 'clone', '-q', '--mirror', '--sparse', url, ours], { env: gitEnv, encoding: 'utf8' });
  const gm = spawnSync('git', ['clone', '-q', '--mirror', '--sparse', url, theirs], { env: gitEnv, encoding: 'utf8' });
  assert.is(r.status, gm.status, `exit status: ${r.stderr}`);
  assert.is(r.stderr, gm.stderr, 'the same messages');
  assert.not.ok(existsSync(ours));
});

test.run();
