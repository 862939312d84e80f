// Borrowed objects: `--reference`, `--reference-if-able`, `--shared` and
// `--dissociate`, each beside `git clone` with the same options. The
// reference repository is a non-bare one whose objects are loose (as commits
// leave them), holding the first half of the upstream history; upstream
// (served over smart HTTP, in protocol v2 and v0) has the rest. What git
// reports about the two clones must match, the alternates file included, and
// the pack the server sent must hold only what the reference lacks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clone } from '../../host/clone.ts';
import { startHttpServer, type HttpServer } from '../helpers/servers.ts';
import { tempDir } from '../helpers/git.ts';
import { assertSameClone, git, gitAsync, gitEnv, runIn as run, treeListing, wasmgitIn as wasmgit } from './fixture.ts';


let tmp: { dir: string; cleanup(): void };
let server: HttpServer;
let v0: HttpServer;

test.before(async () => {
  tmp = tempDir('reference');
  const d = tmp.dir;
  // seed: three commits made by git commit, so its objects are loose.
  git(d, ['init', '-q', '-b', 'main', 'seed']);
  const seed = join(d, 'seed');
  for (let i = 1; i <= 3; i++) commit(seed, i);
  git(d, ['clone', '-q', '--bare', 'seed', 'upstream.git']);
  // More history upstream: two commits, a branch and an annotated tag the seed never had.
  git(d, ['clone', '-q', 'upstream.git', 'more']);
  const more = join(d, 'more');
  for (let i = 4; i <= 5; i++) commit(more, i);
  git(more, ['tag', '-a', '-m', 'v1', 'v1', 'HEAD~1']);
  git(more, ['branch', 'dev', 'HEAD~1']);
  git(more, ['push', '-q', 'origin', 'main', 'dev', 'v1']);
  git(join(d, 'upstream.git'), ['repack', '-a', '-d', '-q']);
  // A reference with everything, and a shallow one.
  git(d, ['clone', '-q', '--mirror', 'upstream.git', 'full.git']);
  git(d, ['clone', '-q', '--depth', '1', `file://${join(d, 'upstream.git')}`, 'shallow']);
  server = await startHttpServer({ root: d });
  v0 = await startHttpServer({ root: d, protocolV0Only: true });
});

/** Commit number i: an edit to a shared file, a new file, and a binary file that never changes. */
function commit(repo: string, i: number): void {
  writeFileSync(join(repo, 'a.txt'), `${'line\n'.repeat(50)}edit ${i}\n`);
  writeFileSync(join(repo, `f${i}.txt`), `file ${i}\n`);
  writeFileSync(join(repo, 'bin.dat'), Buffer.alloc(4096, 7));
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', `commit ${i}`]);
}

test.after(async () => {
  await server.close();
  await v0.close();
  tmp.cleanup();
});

/** Objects a clone holds itself, packed or loose (git keeps a small v0 fetch loose), not those it borrows. */
function ownObjects(dir: string): number {
  const counts = git(dir, ['count-objects', '-v']);
  return Number(/^count: (\d+)$/m.exec(counts)![1]) + Number(/^in-pack: (\d+)$/m.exec(counts)![1]);
}
const alternates = (dir: string) => {
  const f = join(dir, '.git/objects/info/alternates');
  return existsSync(f) ? readFileSync(f, 'utf8') : '(none)';
};

for (const [label, srv] of [['protocol v2', () => server], ['protocol v0', () => v0]] as const) {
  test(`--reference over smart HTTP (${label}): alternates, refs, work tree as git's; the server sends only what the reference lacks`, async () => {
    const url = srv().url('upstream.git');
    const theirs = join(tmp.dir, `git-ref-${label.slice(-2)}`);
    const ours = join(tmp.dir, `ours-ref-${label.slice(-2)}`);
    await gitAsync(tmp.dir, ['clone', '-q', '--reference', 'seed', url, theirs]);
    await clone({ repository: url, directory: ours, reference: ['seed'], env: gitEnv, cwd: tmp.dir });
    assertSameClone(ours, theirs);
    assert.is(alternates(ours), `${join(tmp.dir, 'seed')}/.git/objects\n`);
    assert.is(alternates(ours), alternates(theirs));
    const all = Number(git(join(tmp.dir, 'upstream.git'), ['count-objects', '-v']).match(/in-pack: (\d+)/)![1]);
    assert.ok(ownObjects(ours) > 0 && ownObjects(ours) < all, `${ownObjects(ours)} of ${all} objects fetched`);
    assert.is(ownObjects(ours), ownObjects(theirs), 'as many objects fetched as git');
  });
}

test('--reference to a repository that has everything: nothing is fetched, as git', async () => {
  const url = server.url('upstream.git');
  const theirs = join(tmp.dir, 'git-full');
  const ours = join(tmp.dir, 'ours-full');
  await gitAsync(tmp.dir, ['clone', '-q', '--reference', 'full.git', url, theirs]);
  await clone({ repository: url, directory: ours, reference: ['full.git'], env: gitEnv, cwd: tmp.dir });
  assertSameClone(ours, theirs);
  assert.is(alternates(ours), `${join(tmp.dir, 'full.git')}/objects\n`);
  assert.equal(readdirSync(join(ours, '.git/objects/pack')), readdirSync(join(theirs, '.git/objects/pack')));
  assert.equal(readdirSync(join(ours, '.git/objects/pack')), []);
});

test('--depth with a reference that has everything: still fetched (an empty pack) for the shallow boundary, as git', async () => {
  const url = server.url('upstream.git');
  const theirs = join(tmp.dir, 'git-full-depth');
  const ours = join(tmp.dir, 'ours-full-depth');
  await gitAsync(tmp.dir, ['clone', '-q', '--depth', '1', '--reference', 'full.git', url, theirs]);
  await clone({ repository: url, directory: ours, depth: 1, reference: ['full.git'], env: gitEnv, cwd: tmp.dir });
  assertSameClone(ours, theirs);
  assert.ok(existsSync(join(ours, '.git/shallow')));
  assert.equal(readdirSync(join(ours, '.git/objects/pack')), readdirSync(join(theirs, '.git/objects/pack')));
});

test('--shared from a local path: the source objects borrowed, none copied; ignored for a file:// URL', async () => {
  const theirs = join(tmp.dir, 'git-shared');
  const ours = join(tmp.dir, 'ours-shared');
  const g = await run('git', ['clone', '--shared', 'upstream.git', theirs], tmp.dir);
  const w = await wasmgit(['clone', '--shared', 'upstream.git', ours], tmp.dir);
  assert.is(w.code, 0, w.stderr);
  assert.is(w.stderr.replace('ours-shared', 'git-shared'), g.stderr);
  assertSameClone(ours, theirs);
  assert.is(alternates(ours), `${join(tmp.dir, 'upstream.git')}/objects\n`);
  assert.is(alternates(ours), alternates(theirs));
  assert.is(ownObjects(ours), 0);
  const url = `file://${join(tmp.dir, 'upstream.git')}`;
  await clone({ repository: url, directory: join(tmp.dir, 'ours-shared-url'), shared: true, env: gitEnv, cwd: tmp.dir });
  assert.is(alternates(join(tmp.dir, 'ours-shared-url')), '(none)');
});

test('--dissociate: the borrowed objects packed in before the checkout, as git leaves them; the clone stands alone once the reference is gone', async () => {
  const url = server.url('upstream.git');
  const ours = join(tmp.dir, 'ours-dissociate');
  const theirs = join(tmp.dir, 'git-dissociate');
  const w = await wasmgit(['clone', '-q', '--dissociate', '--reference', 'seed', url, ours], tmp.dir);
  assert.is(w.code, 0, w.stderr);
  await gitAsync(tmp.dir, ['clone', '-q', '--dissociate', '--reference', 'seed', url, theirs]);
  // The .git layout (info/refs and objects/info/packs, which git's repack writes, included), refs, fsck, status.
  assertSameClone(ours, theirs);
  assert.is(alternates(ours), '(none)');
  assert.is(readFileSync(join(ours, '.git/info/refs'), 'utf8'), readFileSync(join(theirs, '.git/info/refs'), 'utf8'));
  // One pack, as git's repack leaves: what the refs reach, borrowed and fetched alike; objects/info/packs names it.
  assertOnePackAsGit(ours, theirs);
  renameSync(join(tmp.dir, 'seed'), join(tmp.dir, 'seed-away'));
  try {
    const fsck = await run('git', ['fsck', '--full', '--strict', '--no-dangling'], ours);
    assert.is(fsck.code, 0, fsck.stdout + fsck.stderr);
    assert.is(git(ours, ['status', '--porcelain']), '');
    assert.is(git(ours, ['log', '--format=%s']).trim().split('\n').length, 5);
  } finally {
    renameSync(join(tmp.dir, 'seed-away'), join(tmp.dir, 'seed'));
  }
});

test('--dissociate from a reference holding unrelated history, packed or loose, deep or shallow: only what the refs reach is kept, as git keeps it', async () => {
  const d = tmp.dir;
  git(d, ['clone', '-q', 'seed', 'mixed']);
  const mixed = join(d, 'mixed');
  git(mixed, ['checkout', '-q', '--orphan', 'unrelated']);
  writeFileSync(join(mixed, 'other.txt'), 'nothing upstream has\n');
  git(mixed, ['add', '-A']);
  git(mixed, ['commit', '-q', '-m', 'unrelated']);
  const unrelated = git(mixed, ['rev-parse', 'unrelated']).trim();
  // full.git: everything upstream has, packed with deltas, and the unrelated commit fetched in as a branch of its own.
  git(join(d, 'full.git'), ['fetch', '-q', mixed, 'unrelated:refs/heads/unrelated']);
  git(join(d, 'full.git'), ['repack', '-a', '-d', '-q']);
  // bigger.git: upstream, and a branch nothing upstream reaches whose a.txt holds the tip's and more, so that
  // repack stores the tip's a.txt as a delta (of it, or of an older a.txt): with --depth 1 its base is
  // unreachable, so it must go as a whole object.
  git(d, ['clone', '-q', '--mirror', 'upstream.git', 'bigger.git']);
  const bigger = join(d, 'bigger.git');
  const tipBlob = git(bigger, ['rev-parse', 'main:a.txt']).trim();
  const tip = git(bigger, ['cat-file', 'blob', tipBlob]);
  const blob = git(bigger, ['hash-object', '-w', '--stdin'], tip + 'x\n'.repeat(2000)).trim();
  const tree = git(bigger, ['mktree'], `100644 blob ${blob}\ta.txt\n`).trim();
  git(bigger, ['update-ref', 'refs/heads/bigger', git(bigger, ['commit-tree', '-m', 'bigger', tree]).trim()]);
  git(bigger, ['repack', '-a', '-d', '-q']);
  const [idx] = readdirSync(join(bigger, 'objects/pack')).filter((f) => f.endsWith('.idx'));
  const line = git(bigger, ['verify-pack', '-v', join(bigger, 'objects/pack', idx)]).split('\n').find((l) => l.startsWith(tipBlob));
  assert.match(line ?? '', /^[0-9a-f]{40} blob +\d+ \d+ \d+ \d+ [0-9a-f]{40}$/, `the tip's a.txt is a delta: ${line}`);
  const cases: [string, string, string[]][] = [
    ['bigger.git', 'v2', ['--depth', '1']],
    ['mixed', 'v2', []],
    ['mixed', 'v0', []],
    ['full.git', 'v2', []],
    ['full.git', 'v2', ['--depth', '2']],
    ['mixed', 'v2', ['--depth', '2']],
  ];
  for (const [reference, tag, extra] of cases) {
    const what = `${reference} ${tag} ${extra.join(' ')}`;
    const url = (tag === 'v2' ? server : v0).url('upstream.git');
    const name = `${reference}-${tag}-${extra.length}`.replace(/\W/g, '-');
    const ours = join(d, `ours-${name}`);
    const theirs = join(d, `git-${name}`);
    const args = ['clone', '-q', ...extra, '--dissociate', '--reference', reference, url];
    const w = await wasmgit([...args, ours], d);
    assert.is(w.code, 0, `${what}: ${w.stderr}`);
    await gitAsync(d, [...args, theirs]);
    assertSameClone(ours, theirs);
    assertOnePackAsGit(ours, theirs);
    const here = await run('git', ['cat-file', '-e', unrelated], ours);
    assert.ok(here.code !== 0, `${what}: the unrelated commit is not kept`);
    assert.is(here.code, (await run('git', ['cat-file', '-e', unrelated], theirs)).code, what);
  }
});

test('--dissociate in a partial clone: what the filter left out is passed over, and the packs stay promisor packs', async () => {
  const d = tmp.dir;
  git(join(d, 'upstream.git'), ['config', 'uploadpack.allowFilter', 'true']);
  const url = server.url('upstream.git');
  const ours = join(d, 'ours-partial');
  const theirs = join(d, 'git-partial');
  // The seed lacks commits 4 and 5 and their blobs: the filter leaves those blobs out, the checkout fetches the tip's.
  const args = ['clone', '-q', '--filter=blob:none', '--dissociate', '--reference', 'seed', url];
  const w = await wasmgit([...args, ours], d);
  assert.is(w.code, 0, w.stderr);
  await gitAsync(d, [...args, theirs]);
  assert.is(alternates(ours), '(none)');
  const packs = readdirSync(join(ours, '.git/objects/pack')).filter((f) => f.endsWith('.pack'));
  assert.ok(packs.length >= 1);
  for (const p of packs) assert.ok(existsSync(join(ours, '.git/objects/pack', p.replace(/\.pack$/, '.promisor'))), `${p} is a promisor pack`);
  const fsck = await run('git', ['fsck', '--full', '--strict', '--no-dangling'], ours);
  assert.is(fsck.code, 0, fsck.stdout + fsck.stderr);
  // Through the server (git may fetch what it lacks lazily): asynchronously, so that it can answer.
  const status = await run('git', ['status', '--porcelain'], ours);
  assert.is(status.stdout + status.stderr, '');
  assert.equal(treeListing(ours), treeListing(theirs), 'work trees');
  const log = async (repo: string) => (await run('git', ['log', '--format=%s'], repo)).stdout;
  assert.is(await log(ours), await log(theirs));
});

/** Both clones hold one pack, of the same objects, listed in objects/info/packs; nothing loose. */
function assertOnePackAsGit(ours: string, theirs: string): void {
  const packsOf = (repo: string) => readdirSync(join(repo, '.git/objects/pack')).filter((f) => f.endsWith('.pack'));
  const listed = readFileSync(join(ours, '.git/objects/info/packs'), 'utf8');
  assert.is(listed, `P ${packsOf(ours)[0]}\n\n`);
  assert.match(readFileSync(join(theirs, '.git/objects/info/packs'), 'utf8'), /^P pack-[0-9a-f]{40}\.pack\n\n$/);
  assert.is(packsOf(ours).length, 1);
  const objects = (repo: string) =>
    git(repo, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname)']).trim().split('\n').sort();
  assert.equal(objects(ours), objects(theirs), 'the same objects');
  const count = (repo: string) => git(repo, ['count-objects', '-v']).split('\n').filter((l) => /^(count|in-pack|packs):/.test(l));
  assert.equal(count(ours), count(theirs), 'nothing loose, one pack');
}

test("references that cannot be used: git's message and exit status, nothing left; --reference-if-able goes on with a notice", async () => {
  const url = server.url('upstream.git');
  for (const [args, code] of [[['--reference', 'nothere'], 128], [['--reference', 'shallow'], 128], [['--reference-if-able', 'nothere'], 0], [['--reference', 'a/b/c'], 128]] as const) {
    const g = await run('git', ['clone', ...args, url, 'git-bad'], tmp.dir);
    const w = await wasmgit(['clone', ...args, url, 'ours-bad'], tmp.dir);
    assert.is(w.code, code, `${args.join(' ')}: ${w.stderr}`);
    assert.is(w.code, g.code, args.join(' '));
    assert.is(w.stderr.replace(/ours-bad/g, 'git-bad'), g.stderr, args.join(' '));
    assert.is(existsSync(join(tmp.dir, 'ours-bad')), existsSync(join(tmp.dir, 'git-bad')), args.join(' '));
    if (code === 0) assertSameClone(join(tmp.dir, 'ours-bad'), join(tmp.dir, 'git-bad'));
    await run('rm', ['-rf', 'ours-bad', 'git-bad'], tmp.dir);
  }
});

test.run();
