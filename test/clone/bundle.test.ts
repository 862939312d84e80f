// Cloning from a bundle file made by `git bundle create`, against `git clone`
// of the same file: the clones must be the same for real git (refs, HEAD,
// config, packed-refs, reflogs, work tree, index, fsck, status), the options
// git ignores for a bundle ignored alike, and the failures git has words for
// (prerequisites, a filtered bundle, a file that is no bundle) the same on
// stderr with the same exit status. Failures git words poorly (a truncated or
// corrupt bundle) must name the file and the offset, and leave nothing behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { clone, type CloneOptions } from '../../host/clone.ts';
import { tempDir } from '../helpers/git.ts';
import { wasmgit } from '../helpers/cli.ts';
import { assertSameClone, git, gitEnv } from './fixture.ts';

const tmp = tempDir('bundle');
const work = tmp.dir;
const src = join(work, 'src');
const b = (name: string) => join(work, `${name}.bundle`);

function commit(msg: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(src, name, '..'), { recursive: true });
    writeFileSync(join(src, name), content);
  }
  git(src, ['add', '-A']);
  git(src, ['commit', '-q', '-m', msg]);
}

test.before(() => {
  git(work, ['init', '-q', '-b', 'master', src]);
  commit('one', { 'README.md': 'hello\n', 'src/a.txt': 'a\n'.repeat(200) });
  symlinkSync('README.md', join(src, 'link'));
  writeFileSync(join(src, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(src, 'run.sh'), 0o755);
  commit('two', { 'src/a.txt': 'a\n'.repeat(199) + 'b\n', 'docs/guide.md': 'guide\n' });
  git(src, ['tag', '-a', '-m', 'version one', 'v1']);
  git(src, ['tag', '-a', '-m', 'a tag of a tag', 'v1-signed', 'v1']);
  commit('three', { 'README.md': 'hello again\n' });
  git(src, ['tag', 'light', 'HEAD~2']);
  git(src, ['checkout', '-q', '-b', 'side', 'HEAD~1']);
  commit('side work', { 'side.txt': 'side\n' });
  git(src, ['checkout', '-q', 'master']);
  // HEAD points at master, and `side`'s tip is no other branch's: HEAD's branch is told by its id alone.
  git(src, ['bundle', 'create', '-q', b('all'), '--all']);
  git(src, ['bundle', 'create', '-q', '--version=3', b('v3'), '--all']);
  git(src, ['bundle', 'create', '-q', b('master'), 'master']);
  git(src, ['bundle', 'create', '-q', b('side'), 'side']);
  git(src, ['bundle', 'create', '-q', b('tags'), '--tags']);
  git(src, ['bundle', 'create', '-q', b('prereq'), 'master~1..master']);
  git(src, ['checkout', '-q', '--detach', 'master~1']);
  git(src, ['bundle', 'create', '-q', b('detached'), 'HEAD', 'side']);
  git(src, ['bundle', 'create', '-q', b('head-only'), 'HEAD']);
  git(src, ['checkout', '-q', 'master']);
});

test.after(() => tmp.cleanup());

let seq = 0;
/** `git clone <args> <bundle> <dir>` and wasmgit's clone of the same path, from the same directory; compared. */
async function both(bundle: string, args: string[], opts: Omit<CloneOptions, 'repository'> = {}, cmp: Parameters<typeof assertSameClone>[2] = {}) {
  const n = ++seq;
  const theirs = join(work, `git-${n}`);
  const ours = join(work, `ours-${n}`);
  const g = spawnSync('git', ['clone', '-q', ...args, bundle, theirs], { cwd: work, env: gitEnv, encoding: 'utf8' });
  assert.is(g.status, 0, `git clone: ${g.stderr}`);
  await clone({ ...opts, repository: bundle, directory: ours, env: gitEnv, cwd: work });
  assertSameClone(ours, theirs, cmp);
  return { ours, theirs };
}

/** The same command through `git` and `wasmgit`, each in a directory of its own: stderr, stdout and status. */
function bothCli(args: string[]) {
  const n = ++seq;
  const gdir = join(work, `gcli-${n}`);
  const wdir = join(work, `wcli-${n}`);
  mkdirSync(gdir);
  mkdirSync(wdir);
  const g = spawnSync('git', args, { cwd: gdir, env: gitEnv, encoding: 'utf8' });
  const w = wasmgit(args, { cwd: wdir, env: gitEnv });
  return { g: { status: g.status, stdout: g.stdout, stderr: g.stderr }, w, gdir, wdir };
}

const packFiles = (dir: string) => readdirSync(join(dir, '.git/objects/pack')).map((f) => f.replace(/^pack-[0-9a-f]{40}/, 'pack-*'));

test('--all bundle with HEAD: every branch, the tags (peeled in packed-refs), HEAD guessed from its id', async () => {
  const { ours } = await both(b('all'), []);
  assert.match(readFileSync(join(ours, '.git/packed-refs'), 'utf8'), /\n\^[0-9a-f]{40}\n/, 'annotated tags are peeled');
  assert.is(git(ours, ['symbolic-ref', 'HEAD']).trim(), 'refs/heads/master');
  assert.is(git(ours, ['config', 'remote.origin.url']).trim(), b('all'), 'remote.origin.url is the bundle path');
  assert.equal(packFiles(ours).sort(), ['pack-*.idx', 'pack-*.pack']);
});

test('v3 bundle (@object-format=sha1)', async () => {
  assert.match(readFileSync(b('v3'), 'latin1').slice(0, 40), /^# v3 git bundle\n@object-format=sha1\n/);
  await both(b('v3'), []);
});

test('one branch, no HEAD, named as the default branch: checked out, no refs/remotes/origin/HEAD', async () => {
  const { ours } = await both(b('master'), []);
  assert.is(git(ours, ['rev-parse', 'HEAD']).trim(), git(src, ['rev-parse', 'master']).trim());
  assert.not.ok(existsSync(join(ours, '.git/refs/remotes/origin/HEAD')));
});

test('one branch, no HEAD, not the default branch: HEAD left unborn with git’s warning', async () => {
  await both(b('side'), []);
});

test('init.defaultBranch picks the branch of a bundle without HEAD', async () => {
  const n = ++seq;
  const theirs = join(work, `git-${n}`);
  const ours = join(work, `ours-${n}`);
  const env = { ...gitEnv, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'init.defaultBranch', GIT_CONFIG_VALUE_0: 'side' };
  const g = spawnSync('git', ['clone', '-q', b('side'), theirs], { cwd: work, env, encoding: 'utf8' });
  assert.is(g.status, 0, g.stderr);
  await clone({ repository: b('side'), directory: ours, env, cwd: work });
  assertSameClone(ours, theirs);
  assert.is(git(ours, ['symbolic-ref', 'HEAD']).trim(), 'refs/heads/side');
});

test('two branches at HEAD’s commit, neither the default: the one listed last wins, as git (its list is reversed)', async () => {
  git(src, ['branch', 'p1', 'side']);
  git(src, ['branch', 'p2', 'side']);
  git(src, ['checkout', '-q', '--detach', 'side']);
  git(src, ['bundle', 'create', '-q', b('p1p2'), 'HEAD', 'p1', 'p2']);
  git(src, ['bundle', 'create', '-q', b('p2p1'), 'HEAD', 'p2', 'p1']);
  git(src, ['checkout', '-q', 'master']);
  const first = await both(b('p1p2'), []);
  const second = await both(b('p2p1'), []);
  assert.is(git(first.ours, ['symbolic-ref', 'HEAD']).trim(), 'refs/heads/p2');
  assert.is(git(second.ours, ['symbolic-ref', 'HEAD']).trim(), 'refs/heads/p1');
});

test('only tags: nothing to check out, as git', async () => {
  await both(b('tags'), [], {}, { checkout: false });
});

test('detached HEAD, and HEAD alone', async () => {
  const { ours } = await both(b('detached'), []);
  assert.match(readFileSync(join(ours, '.git/HEAD'), 'utf8'), /^[0-9a-f]{40}\n$/);
  await both(b('head-only'), []);
});

test('--bare, --mirror, -b <branch>, -b <tag>, --no-tags, --single-branch, --no-checkout', async () => {
  await both(b('all'), ['--bare'], { bare: true }, { bare: true });
  await both(b('all'), ['--mirror'], { mirror: true }, { bare: true });
  await both(b('all'), ['-b', 'side'], { branch: 'side' });
  await both(b('all'), ['-b', 'v1'], { branch: 'v1' });
  await both(b('all'), ['--no-tags'], { noTags: true });
  await both(b('all'), ['--single-branch'], { singleBranch: true });
  await both(b('all'), ['--no-checkout'], { noCheckout: true }, { checkout: false });
});

test('--depth and --shallow-*: ignored by the bundle (no shallow file) but single-branch, as git', async () => {
  const { ours } = await both(b('all'), ['--depth=1'], { depth: 1 });
  assert.not.ok(existsSync(join(ours, '.git/shallow')));
  await both(b('all'), ['--shallow-since=2000-01-01'], { shallowSince: new Date('2000-01-01T00:00:00Z') });
  await both(b('all'), ['--shallow-exclude=side'], { shallowExclude: ['side'] });
});

test('--filter: recorded as git records it, the whole pack kept, no .promisor file', async () => {
  const { ours } = await both(b('all'), ['--filter=blob:none'], { filter: 'blob:none' });
  assert.is(git(ours, ['config', 'remote.origin.partialclonefilter']).trim(), 'blob:none');
  assert.equal(packFiles(ours).sort(), ['pack-*.idx', 'pack-*.pack']);
});

test('a path without its .bundle suffix finds the bundle; remote.origin.url keeps the path as typed', () => {
  const r = bothCli(['clone', '../all', 'out']);
  assert.is(r.w.status, r.g.status, r.w.stderr);
  assert.is(r.w.stderr, r.g.stderr);
  assert.is(git(join(r.wdir, 'out'), ['config', 'remote.origin.url']).trim(), `${r.wdir}/../all`);
  assertSameClone(join(r.wdir, 'out'), join(r.gdir, 'out'), { ignoreConfig: /^remote\.origin\.url$/ });
});

test('the directory is named after the bundle without .bundle (and <name>.git when bare)', () => {
  for (const args of [['clone', '-q', b('all')], ['clone', '-q', '--bare', b('all')]]) {
    const r = bothCli(args);
    assert.is(r.w.status, 0, r.w.stderr);
    assert.equal(readdirSync(r.wdir), readdirSync(r.gdir));
  }
});

test('CLI: what git prints for --server-option, -u, --local, --reject-shallow and -q against a bundle', () => {
  for (const opt of [['--server-option=x'], ['-u', 'no-such-program'], ['--local'], ['--reject-shallow'], ['-q'], []]) {
    const r = bothCli(['clone', ...opt, b('all'), 'out']);
    assert.is(r.w.status, r.g.status, `${opt}: ${r.w.stderr}`);
    assert.is(r.w.stderr, r.g.stderr, `stderr for ${opt}`);
    assertSameClone(join(r.wdir, 'out'), join(r.gdir, 'out'));
  }
});

test('prerequisites: git’s error lines and status, nothing left behind', () => {
  // Two prerequisites: master~1 and the commit a topic branch grew from.
  git(src, ['branch', 'topic', 'light']);
  git(src, ['checkout', '-q', 'topic']);
  commit('topic', { 'topic.txt': 'topic\n' });
  git(src, ['checkout', '-q', 'master']);
  git(src, ['bundle', 'create', '-q', b('prereq2'), 'master', 'topic', '^master~1', '^topic~1']);
  assert.is(readFileSync(b('prereq2'), 'latin1').split('\n').filter((l) => l.startsWith('-')).length, 2);
  for (const args of [['clone', b('prereq'), 'out'], ['clone', '-q', '--bare', b('prereq'), 'out'], ['clone', b('prereq2'), 'out']]) {
    const r = bothCli(args);
    assert.is(r.g.status, 128);
    assert.is(r.w.status, r.g.status, r.w.stderr);
    assert.is(r.w.stderr, r.g.stderr);
    assert.match(r.w.stderr, /Repository lacks these prerequisite commits:\nerror: [0-9a-f]{40} \n/);
    assert.equal(readdirSync(r.wdir), []);
  }
  // Mapping no ref, git fetches nothing and so never looks at the prerequisites.
  const r = bothCli(['clone', '--single-branch', b('prereq'), 'out']);
  assert.is(r.w.status, r.g.status, r.w.stderr);
  assert.is(r.w.stderr, r.g.stderr);
});

test('--reference: the bundle is unbundled whole; its prerequisites met by the borrowed objects, its thin pack completed from them', async () => {
  for (const name of ['all', 'prereq']) {
    const { ours, theirs } = await both(b(name), ['--reference', src], { reference: [src] });
    assert.is(readFileSync(join(ours, '.git/objects/info/alternates'), 'utf8'), `${src}/.git/objects\n`);
    const idx = (d: string) => readdirSync(join(d, '.git/objects/pack')).filter((f) => f.endsWith('.idx')).map((f) => readFileSync(join(d, '.git/objects/pack', f)));
    assert.equal(idx(ours), idx(theirs), `${name}: the same pack, byte for byte in its .idx`);
  }
  // A reference that lacks them: git's error, as without one.
  git(work, ['init', '-q', join(work, 'empty-ref')]);
  const r = bothCli(['clone', '--reference', join(work, 'empty-ref'), b('prereq'), 'out']);
  assert.is(r.g.status, 128);
  assert.is(r.w.status, r.g.status, r.w.stderr);
  assert.is(r.w.stderr, r.g.stderr);
});

test('a filtered (@filter) bundle is refused as git refuses it', () => {
  const all = readFileSync(b('v3'));
  writeFileSync(b('filtered'), Buffer.concat([Buffer.from('# v3 git bundle\n@object-format=sha1\n@filter=blob:none\n'), all.subarray('# v3 git bundle\n@object-format=sha1\n'.length)]));
  const r = bothCli(['clone', b('filtered'), 'out']);
  assert.is(r.g.status, 128);
  assert.is(r.w.status, 128, r.w.stderr);
  assert.is(r.w.stderr, r.g.stderr);
  assert.equal(readdirSync(r.wdir), []);
});

test('a file that is no bundle, a bundle path with a trailing slash, and a file:// URL naming a bundle: git’s words', () => {
  writeFileSync(join(work, 'notes.txt'), 'not a bundle\n');
  for (const args of [['clone', join(work, 'notes.txt'), 'out'], ['clone', `${b('all')}/`, 'out'], ['clone', `file://${b('all')}`, 'out'], ['ls-remote', `file://${b('all')}`]]) {
    const r = bothCli(args);
    assert.is(r.g.status, 128);
    assert.is(r.w.status, r.g.status, r.w.stderr);
    assert.is(r.w.stderr, r.g.stderr);
    assert.equal(readdirSync(r.wdir), []);
  }
});

test('SHA-256 bundle: refused clearly, nothing left behind', () => {
  const repo = join(work, 's256');
  git(work, ['init', '-q', '--object-format=sha256', repo]);
  writeFileSync(join(repo, 'f'), 'x\n');
  git(repo, ['add', 'f']);
  git(repo, ['commit', '-q', '-m', 'x']);
  git(repo, ['bundle', 'create', '-q', b('s256'), '--all']);
  const w = wasmgit(['clone', b('s256'), join(work, 's256-out')], { cwd: work, env: gitEnv });
  assert.is(w.status, 128);
  assert.match(w.stderr, /SHA-256/);
  assert.not.ok(existsSync(join(work, 's256-out')));
  const ls = wasmgit(['ls-remote', b('s256')], { cwd: work, env: gitEnv });
  assert.is(ls.stdout, git(work, ['ls-remote', b('s256')]));
});

/** The pack's offset in a bundle: just after the first blank line. */
const packStart = (bytes: Buffer) => bytes.indexOf('\n\n') + 2;

test('corrupt bundles: the file and the offset named, status 128, nothing left behind', () => {
  const all = readFileSync(b('all'));
  const at = packStart(all);
  const cases: [string, Buffer, RegExp][] = [
    ['truncated', all.subarray(0, all.length - 30), new RegExp(`pack starts at byte offset ${at} .*truncated at offset \\d+`)],
    ['checksum', Buffer.concat([all.subarray(0, all.length - 1), Buffer.from([all[all.length - 1] ^ 0xff])]), new RegExp(`pack starts at byte offset ${at} .*checksum mismatch at offset \\d+`)],
    ['no-pack', all.subarray(0, at), new RegExp(`no pack after the header \\(byte offset ${at}\\)`)],
    ['bad-line', Buffer.from(`# v2 git bundle\n${'a'.repeat(40)} refs/heads/master\nnot a ref line\n\n`), /bad reference line 'not a ref line'.*\(line 3, byte offset 75\)/],
    ['cut-header', all.subarray(0, 30), /header ends in the middle of a line \(line 2, byte offset 16\)/],
    ['bad-capability', Buffer.from(`# v3 git bundle\n@frobnicate\n\n`), /unknown capability 'frobnicate' \(line 2, byte offset 16\)/],
  ];
  for (const [name, bytes, expected] of cases) {
    writeFileSync(b(name), bytes);
    const out = join(work, `corrupt-${name}`);
    const w = wasmgit(['clone', b(name), out], { cwd: work, env: gitEnv });
    assert.is(w.status, 128, `${name}: ${w.stderr}`);
    assert.ok(w.stderr.includes(`fatal: ${b(name)}: `), `${name} names the file: ${w.stderr}`);
    assert.match(w.stderr, expected, name);
    assert.not.ok(existsSync(out), `${name}: nothing left behind`);
  }
});

test('ls-remote: the refs in git’s order, with its filters', () => {
  for (const args of [[b('all')], ['--heads', b('all')], ['--tags', b('all')], ['--symref', b('all')], [b('all'), 'master', 'v1'], [b('prereq')], [b('detached')], ['--exit-code', b('tags'), 'refs/heads/*'], ['-o', 'x', '--upload-pack=no-such-program', b('all')]]) {
    const r = bothCli(['ls-remote', ...args]);
    assert.is(r.w.status, r.g.status, `${args}: ${r.w.stderr}`);
    assert.is(r.w.stdout, r.g.stdout, `ls-remote ${args.join(' ')}`);
    assert.is(r.w.stderr, r.g.stderr);
  }
});

test.run();
