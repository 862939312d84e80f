// wasmgit's clone against `git clone` of the same repository over the same smart
// HTTP server: for every option set below, real git must not be able to tell the
// two clones apart (refs, HEAD, config, packed-refs, reflogs, .git layout, work
// tree with modes and links, index), and `git fsck --full --strict` and
// `git status` must be clean.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { clone, type CloneOptions } from '../../host/clone.ts';
import type { HttpServer } from '../helpers/servers.ts';
import { assertSameClone, git, gitAsync, gitEnv, serveFixture, type CompareOptions, type Fixture } from './fixture.ts';

let fx: Fixture;
let server: HttpServer;
let work: string;
let close: () => Promise<void>;

test.before(async () => {
  ({ fx, server, work, close } = await serveFixture('same-as-git'));
  // Partial clones need the server to accept filters (http-backend reads the config per request).
  git(fx.path('repo.git'), ['config', 'uploadpack.allowFilter', 'true']);
});

test.after(() => close());

let seq = 0;
async function both(args: string[], opts: Omit<CloneOptions, 'repository'> & { repo?: string }, cmp: CompareOptions = {}) {
  const url = server.url(opts.repo ?? 'repo.git');
  const n = ++seq;
  const theirs = join(work, `git-${n}`);
  const ours = join(work, `ours-${n}`);
  await gitAsync(work, ['clone', '-q', ...args, url, theirs]);
  const { repo: _r, ...rest } = opts;
  await clone({ ...rest, repository: url, directory: ours, env: gitEnv, cwd: work });
  assertSameClone(ours, theirs, cmp);
  return { ours, theirs };
}

test('default clone: all branches as remote-tracking refs, tags, the default branch checked out', async () => {
  const { ours } = await both([], {});
  assert.ok(existsSync(join(ours, 'link-to-readme')));
  assert.is(statSync(join(ours, 'bin/run.sh')).mode & 0o111, 0o111, 'executable bit');
  assert.ok(statSync(join(ours, 'libs/sub')).isDirectory(), 'gitlink checked out as an empty directory');
  const packs = readdirSync(join(ours, '.git/objects/pack'));
  assert.equal(packs.filter((p) => p.endsWith('.pack')).length, 1);
  assert.ok(packs.every((p) => /^pack-[0-9a-f]{40}\.(pack|idx)$/.test(p)), `pack names: ${packs}`);
});

test('--bare', async () => {
  await both(['--bare'], { bare: true }, { bare: true });
});

test('--bare and --mirror with core.logAllRefUpdates: HEAD\'s reflog started by the symref, with no message, as git starts it', async () => {
  for (const value of ['true', 'always']) {
    const config = [`core.logAllRefUpdates=${value}`];
    await both(['--bare', '-c', config[0]], { bare: true, config }, { bare: true });
    await both(['--mirror', '-c', config[0]], { mirror: true, config }, { bare: true });
  }
});

test('--mirror', async () => {
  await both(['--mirror'], { mirror: true }, { bare: true });
});

test('--depth 1 (single branch, followed tags, shallow file)', async () => {
  const { ours, theirs } = await both(['--depth', '1'], { depth: 1 });
  assert.is(readFileSync(join(ours, '.git/shallow'), 'utf8'), readFileSync(join(theirs, '.git/shallow'), 'utf8'));
});

test('--shallow-since and --shallow-exclude', async () => {
  await both(['--shallow-since=2023-11-17 00:00:00 +0000'], { shallowSince: new Date('2023-11-17T00:00:00Z') });
  await both(['--shallow-exclude=v1.0'], { shallowExclude: ['v1.0'] });
});

test('-b <annotated tag>: detached HEAD at the commit it peels to', async () => {
  const { ours } = await both(['-b', 'v1.0'], { branch: 'v1.0' });
  assert.match(readFileSync(join(ours, '.git/HEAD'), 'utf8'), /^[0-9a-f]{40}\n$/);
});

test('-b <branch> --single-branch', async () => {
  await both(['-b', 'dev', '--single-branch'], { branch: 'dev', singleBranch: true });
});

test('-b <tag> --single-branch: the refspec names the tag', async () => {
  await both(['-b', 'light', '--single-branch'], { branch: 'light', singleBranch: true });
});

test('--no-checkout', async () => {
  const { ours } = await both(['--no-checkout'], { noCheckout: true }, { checkout: false });
  assert.not.ok(existsSync(join(ours, 'README.md')));
});

test('-c remote.origin.fetch naming HEAD: the remote HEAD fetched into the ref it names, as git fetches it', async () => {
  const config = ['remote.origin.fetch=+HEAD:refs/remotes/origin/head'];
  await both(['-c', config[0]], { config });
  await both(['--mirror', '-c', config[0]], { mirror: true, config }, { bare: true });
});

test('-c remote.origin.fetch with an exact source: its short name resolved as git resolves it, a bare name stored as a branch', async () => {
  // A negative refspec maps nothing in a clone; a full object id is fetched as itself.
  const oid = git(fx.path('repo.git'), ['rev-parse', 'dev~1']).trim();
  for (const spec of ['dev:foo', 'heads/dev:refs/remotes/origin/d2', 'light:refs/l', 'dev:', '^refs/heads/dev', `${oid}:refs/x`]) await both(['-c', `remote.origin.fetch=${spec}`], { config: [`remote.origin.fetch=${spec}`] });
  const config = ['remote.origin.fetch=dev:refs/d2'];
  await both(['--single-branch', '-b', 'dev', '-c', config[0]], { singleBranch: true, branch: 'dev', config });
});

/** git refuses the clone: wasmgit must too, with git's message, and leave no directory behind. */
async function bothRefuse(args: string[], opts: Omit<CloneOptions, 'repository'>) {
  const url = server.url('repo.git');
  const n = ++seq;
  const theirs = join(work, `git-${n}`);
  const ours = join(work, `ours-${n}`);
  const failed = await gitAsync(work, ['clone', '-q', ...args, url, theirs]).then(
    () => null,
    (err: Error) => err.message,
  );
  assert.ok(failed, `git clone ${args.join(' ')} should fail`);
  const fatal = /fatal: (.*)/.exec(failed!)![1];
  let ourError: unknown = null;
  await clone({ ...opts, repository: url, directory: ours, env: gitEnv, cwd: work }).catch((err) => (ourError = err));
  assert.ok(ourError instanceof Error, `clone with ${args.join(' ')} should fail as git's does (${fatal})`);
  assert.is((ourError as Error).message, fatal);
  assert.not.ok(existsSync(theirs));
  assert.not.ok(existsSync(ours), 'the failed clone is removed');
}

test('-c remote.origin.fetch writing a ref the clone writes too: refused after the fetch, as git\'s ref transaction refuses it', async () => {
  for (const [args, opts] of [
    [['-c', 'remote.origin.fetch=+refs/heads/*:refs/remotes/origin/*'], {}],
    [['-c', 'remote.origin.fetch=refs/tags/*:refs/tags/*'], {}],
    [['-c', 'remote.origin.fetch=+refs/heads/dev:refs/remotes/origin/main'], {}],
    [['--single-branch', '-c', 'remote.origin.fetch=+refs/heads/*:refs/remotes/origin/*'], { singleBranch: true }],
    [['--single-branch', '-b', 'light', '-c', 'remote.origin.fetch=refs/tags/*:refs/tags/*'], { singleBranch: true, branch: 'light' }],
    [['--bare', '-c', 'remote.origin.fetch=+refs/heads/*:refs/heads/*'], { bare: true }],
    [['--mirror', '-c', 'remote.origin.fetch=+refs/heads/*:refs/heads/*'], { mirror: true }],
  ] as [string[], Omit<CloneOptions, 'repository'>][]) {
    await bothRefuse(args, { ...opts, config: [args[args.indexOf('-c') + 1]] });
  }
});

test('-c remote.origin.fetch with an exact source the clone does not map: refused before the fetch', async () => {
  await bothRefuse(['-c', 'remote.origin.fetch=nope:refs/x'], { config: ['remote.origin.fetch=nope:refs/x'] });
  // A single-branch clone maps its one branch only.
  await bothRefuse(['--single-branch', '-c', 'remote.origin.fetch=+refs/heads/dev:refs/remotes/origin/dev'], { singleBranch: true, config: ['remote.origin.fetch=+refs/heads/dev:refs/remotes/origin/dev'] });
  await bothRefuse(['--single-branch', '-c', 'remote.origin.fetch=HEAD:refs/h'], { singleBranch: true, config: ['remote.origin.fetch=HEAD:refs/h'] });
});

test('--single-branch --no-tags: tags still asked for along (include-tag), as git asks, but no refs made of them', async () => {
  // git fsck then finds the same dangling tag object in both clones.
  await both(['--single-branch', '--no-tags', '-b', 'dev'], { singleBranch: true, noTags: true, branch: 'dev' });
  await both(['--depth', '1', '--no-tags'], { depth: 1, noTags: true });
});

test('a shallow source over protocol v0: its advertised boundary becomes the shallow file, only the commits that came', async () => {
  const shallow = fx.path('shallow-v0.git');
  git(fx.root, ['clone', '-q', '--bare', '--depth', '1', '--no-single-branch', `file://${fx.path('repo.git')}`, shallow]);
  const v0 = ['-c', 'protocol.version=0'];
  for (const [args, opts] of [
    [[], {}],
    [['--single-branch', '-b', 'dev'], { singleBranch: true, branch: 'dev' }],
    [['--bare'], { bare: true }],
  ] as [string[], Omit<CloneOptions, 'repository'>][]) {
    const { ours } = await both([...v0, ...args], { ...opts, repo: 'shallow-v0.git', config: ['protocol.version=0'] }, { bare: opts.bare });
    const gd = opts.bare ? ours : join(ours, '.git');
    assert.ok(existsSync(join(gd, 'shallow')), 'a shallow file');
    assert.is(git(ours, ['rev-parse', '--is-shallow-repository']).trim(), 'true');
  }
});

test('--no-tags, -o and -c: config written as git writes it', async () => {
  await both(['--no-tags', '-o', 'up', '-c', 'foo.Bar=baz qux', '-c', 'core.autocrlf=false', '-c', 'remote.up.tagOpt=x'], {
    noTags: true,
    origin: 'up',
    config: ['foo.Bar=baz qux', 'core.autocrlf=false', 'remote.up.tagOpt=x'],
  });
});

test('--filter=blob:none: promisor config, .promisor files, missing blobs fetched for the checkout', async () => {
  const { ours, theirs } = await both(['--filter=blob:none'], { filter: 'blob:none' });
  const promisors = (d: string) =>
    readdirSync(join(d, '.git/objects/pack'))
      .filter((p) => p.endsWith('.promisor'))
      .map((p) => ({ size: statSync(join(d, '.git/objects/pack', p)).size > 0, mode: statSync(join(d, '.git/objects/pack', p)).mode & 0o777 }))
      .sort((a, b) => Number(a.size) - Number(b.size));
  assert.equal(promisors(ours), promisors(theirs), 'one .promisor listing the refs, one empty one for the lazy fetch');
  const first = (d: string) => readdirSync(join(d, '.git/objects/pack')).filter((p) => p.endsWith('.promisor')).map((p) => readFileSync(join(d, '.git/objects/pack', p), 'utf8')).filter(Boolean);
  assert.equal(first(ours), first(theirs), '.promisor content');
});

// Filters that leave trees out too: the checkout fetches each missing tree
// (with its subtrees) and then the missing blobs, as git's lazy fetch does; a
// size filter is recorded in bytes, as git records it.
for (const filter of ['tree:0', 'blob:limit=1k', 'object:type=blob']) {
  test(`--filter=${filter}: the same config and objects as git's, the checkout complete`, async () => {
    const { ours, theirs } = await both([`--filter=${filter}`], { filter });
    assert.is(git(ours, ['config', 'remote.origin.partialclonefilter']), git(theirs, ['config', 'remote.origin.partialclonefilter']));
    const objects = (d: string) => git(d, ['cat-file', '--batch-all-objects', '--batch-check']).split('\n').sort().join('\n');
    assert.is(objects(ours), objects(theirs), 'the same objects present');
    const packs = (d: string) => readdirSync(join(d, '.git/objects/pack')).filter((p) => p.endsWith('.pack')).length;
    assert.is(packs(ours), packs(theirs), 'one pack per fetch, as git');
  });
}

test('--recurse-submodules: the submodule cloned into .git/modules, checked out at the recorded commit', async () => {
  const { ours, theirs } = await both(['--recurse-submodules'], { recurseSubmodules: true });
  assert.is(readFileSync(join(ours, 'libs/sub/.git'), 'utf8'), readFileSync(join(theirs, 'libs/sub/.git'), 'utf8'));
  assertSameClone(join(ours, 'libs/sub'), join(theirs, 'libs/sub'), {});
  assert.is(git(join(ours, 'libs/sub'), ['rev-parse', 'HEAD']).trim(), fx.subCommit);
  assert.is(git(ours, ['submodule', 'status']), git(theirs, ['submodule', 'status']));
});

test('an empty repository', async () => {
  await both([], { repo: 'empty.git' });
});

test('-c init.defaultBranch: not the initial branch of an empty clone over protocol v0 (git settles that before -c is written), and no refusal of a bad name', async () => {
  const v0 = ['-c', 'protocol.version=0'];
  for (const value of ['trunk', 'bad..name']) {
    const config = [`init.defaultBranch=${value}`];
    await both([...v0, '-c', config[0]], { repo: 'empty.git', config: ['protocol.version=0', ...config] });
    await both(['-c', config[0]], { config });
  }
});

test.run();
