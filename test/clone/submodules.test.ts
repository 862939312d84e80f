// Submodule options of `wasmgit clone` against `git clone` with the same options
// over the same smart HTTP server: --recurse-submodules=<pathspec>,
// --shallow-submodules (with a recorded commit that is no branch tip, so it has
// to be fetched by itself), `shallow = true` and `update = none` in
// .gitmodules, -j, and a recorded commit the server does not have. For each,
// real git must not tell the two results apart: config, refs, reflogs, .git
// layout (FETCH_HEAD and shallow included), work trees, index, fsck, status,
// in the superproject and in every submodule, nested ones included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clone, type CloneOptions } from '../../host/clone.ts';
import { SubmoduleError } from '../../host/errors.ts';
import { startHttpServer, type HttpServer } from '../helpers/servers.ts';
import { tempDir } from '../helpers/git.ts';
import { assertSameClone, FastImport, git, gitAsync, gitEnv } from './fixture.ts';

const cli = fileURLToPath(new URL('../../host/cli/wasmgit.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

function wasmgit(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, cli, ...args], { cwd, env: gitEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** git clone, not throwing on failure: its exit status is part of what is compared. */
function gitClone(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('git', ['clone', ...args], { cwd, env: gitEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let root: { dir: string; cleanup(): void };
let work: { dir: string; cleanup(): void };
let server: HttpServer;
/** Commits the gitlinks record. */
const rec = { nested: '', a: '', b: '', c: '' };

/**
 * nested.git: n1 ← n2 ← n3 (main), `other` at n1.
 * a.git: a1 ← a2 (main), `dev` at a1; `deep/nested` records n2, below the tip.
 * b.git: b1 ← b2 (main), `other` at b1.
 * super.git: `mods/a` (a2), `b` (b2, `shallow = true`), `libs/c` (b1 of b.git,
 * `update = none`), declared in that order, which is not index order.
 * bad.git: `b` records a commit b.git does not have.
 * gone.git: `b`, and `gone` whose repository does not exist.
 */
function makeRepos(dir: string): void {
  const bare = (name: string) => {
    const p = join(dir, name);
    git(dir, ['init', '-q', '--bare', '-b', 'main', p]);
    return p;
  };
  const tip = (repo: string, rev: string) => git(repo, ['rev-parse', rev]).trim();

  const nested = bare('nested.git');
  const n = new FastImport();
  for (let i = 1; i <= 3; i++) n.commit('refs/heads/main', `n${i}`, [`M 100644 :${n.blob(`nested ${i}\n`)} nested.txt`]);
  n.run(nested);
  git(nested, ['branch', 'other', 'main~2']);
  rec.nested = tip(nested, 'main~1');

  const a = bare('a.git');
  const fa = new FastImport();
  fa.commit('refs/heads/main', 'a1', [
    `M 100644 :${fa.blob('[submodule "deep/nested"]\n\tpath = deep/nested\n\turl = ../nested.git\n')} .gitmodules`,
    `M 160000 ${rec.nested} deep/nested`,
    `M 100644 :${fa.blob('a 1\n')} a.txt`,
  ]);
  fa.commit('refs/heads/main', 'a2', [`M 100755 :${fa.blob('#!/bin/sh\necho a\n')} a.txt`]);
  fa.run(a);
  git(a, ['branch', 'dev', 'main~1']);
  rec.a = tip(a, 'main');

  const b = bare('b.git');
  const fb = new FastImport();
  fb.commit('refs/heads/main', 'b1', [`M 100644 :${fb.blob('b 1\n')} b.txt`]);
  fb.commit('refs/heads/main', 'b2', [`M 100644 :${fb.blob('b 2\n')} b.txt`, `M 120000 :${fb.blob('b.txt')} link`]);
  fb.run(b);
  git(b, ['branch', 'other', 'main~1']);
  rec.b = tip(b, 'main');
  rec.c = tip(b, 'main~1');

  const sup = bare('super.git');
  const fs = new FastImport();
  const modules =
    '[submodule "mods/a"]\n\tpath = mods/a\n\turl = ../a.git\n' +
    '[submodule "b"]\n\tpath = b\n\turl = ../b.git\n\tshallow = true\n' +
    '[submodule "libs/c"]\n\tpath = libs/c\n\turl = ../b.git\n\tupdate = none\n';
  fs.commit('refs/heads/main', 'super', [
    `M 100644 :${fs.blob(modules)} .gitmodules`,
    `M 100644 :${fs.blob('superproject\n')} README`,
    `M 160000 ${rec.a} mods/a`,
    `M 160000 ${rec.b} b`,
    `M 160000 ${rec.c} libs/c`,
  ]);
  fs.run(sup);

  const bad = bare('bad.git');
  const fbad = new FastImport();
  fbad.commit('refs/heads/main', 'records a commit nobody has', [
    `M 100644 :${fbad.blob('[submodule "b"]\n\tpath = b\n\turl = ../b.git\n')} .gitmodules`,
    `M 160000 ${'1234567890'.repeat(4)} b`,
  ]);
  fbad.run(bad);

  const gone = bare('gone.git');
  const fgone = new FastImport();
  fgone.commit('refs/heads/main', 'one submodule is gone', [
    `M 100644 :${fgone.blob('[submodule "b"]\n\tpath = b\n\turl = ../b.git\n[submodule "gone"]\n\tpath = gone\n\turl = ../missing.git\n')} .gitmodules`,
    `M 160000 ${rec.b} b`,
    `M 160000 ${rec.b} gone`,
  ]);
  fgone.run(gone);

  // --remote-submodules: b follows `other` (b1, not the recorded b2), n follows
  // the superproject's branch (`.`: main, n3, not the recorded n2).
  const follow = bare('follow.git');
  const ff = new FastImport();
  ff.commit('refs/heads/main', 'submodules following branches', [
    `M 100644 :${ff.blob('[submodule "b"]\n\tpath = b\n\turl = ../b.git\n\tbranch = other\n[submodule "n"]\n\tpath = n\n\turl = ../nested.git\n\tbranch = .\n')} .gitmodules`,
    `M 160000 ${rec.b} b`,
    `M 160000 ${rec.nested} n`,
  ]);
  ff.run(follow);

  const nobranch = bare('no-branch.git');
  const fn = new FastImport();
  fn.commit('refs/heads/main', 'a submodule following a branch its remote lacks', [
    `M 100644 :${fn.blob('[submodule "b"]\n\tpath = b\n\turl = ../b.git\n\tbranch = nope\n')} .gitmodules`,
    `M 160000 ${rec.b} b`,
  ]);
  fn.run(nobranch);
}

test.before(async () => {
  root = tempDir('submodules-repos');
  work = tempDir('submodules');
  makeRepos(root.dir);
  server = await startHttpServer({ root: root.dir });
});

test.after(async () => {
  await server.close();
  root.cleanup();
  work.cleanup();
});

/** Submodule paths cloned in a work tree, nested ones included, as git lists them. */
function clonedSubmodules(dir: string): string[] {
  return git(dir, ['submodule', 'foreach', '-q', '--recursive', 'echo $displaypath'])
    .split('\n')
    .filter(Boolean);
}

function gitDirOf(dir: string): string {
  return git(dir, ['rev-parse', '--absolute-git-dir']).trim();
}

/** Everything real git can see, superproject and submodules alike. */
function assertSameTree(ours: string, theirs: string): string[] {
  assertSameClone(ours, theirs);
  assert.is(git(ours, ['submodule', 'status', '--recursive']), git(theirs, ['submodule', 'status', '--recursive']), 'git submodule status --recursive');
  const subs = clonedSubmodules(theirs);
  assert.equal(clonedSubmodules(ours), subs, 'submodules cloned');
  for (const s of subs) {
    assertSameClone(join(ours, s), join(theirs, s));
    const count = (d: string) => git(join(d, s), ['rev-list', '--count', 'HEAD']).trim();
    assert.is(count(ours), count(theirs), `${s}: git rev-list --count HEAD`);
    const shallow = (d: string) => (existsSync(join(gitDirOf(join(d, s)), 'shallow')) ? readFileSync(join(gitDirOf(join(d, s)), 'shallow'), 'utf8') : '(none)');
    assert.is(shallow(ours), shallow(theirs), `${s}: shallow`);
  }
  return subs;
}

let seq = 0;
async function both(args: string[], opts: Omit<CloneOptions, 'repository'>, repo = 'super.git') {
  const url = server.url(repo);
  const n = ++seq;
  const theirs = join(work.dir, `git-${n}`);
  const ours = join(work.dir, `ours-${n}`);
  await gitAsync(work.dir, ['clone', '-q', ...args, url, theirs]);
  await clone({ ...opts, repository: url, directory: ours, env: gitEnv, cwd: work.dir });
  return { ours, theirs, subs: assertSameTree(ours, theirs) };
}

test('--recurse-submodules=<pathspec>: submodule.active holds it; only matching submodules (and all their own) are cloned', async () => {
  const { ours, subs } = await both(['--recurse-submodules=mods'], { recurseSubmodules: ['mods'] });
  assert.equal(subs, ['mods/a', 'mods/a/deep/nested']);
  assert.is(git(ours, ['config', '--get-all', 'submodule.active']), 'mods\n');
  assert.not.ok(existsSync(join(ours, '.git/modules/b')), 'b is not active');
  assert.equal(readdirSync(join(ours, 'b')), []);
  // Inside mods/a nothing set submodule.active: init marked its submodule active itself.
  assert.is(git(join(ours, 'mods/a'), ['config', 'submodule.deep/nested.active']), 'true\n');
  assert.is(git(join(ours, 'mods/a/deep/nested'), ['rev-parse', 'HEAD']).trim(), rec.nested);
});

test('several pathspecs, an exclusion and a directory with a trailing slash: sorted, deduplicated, matched as git matches them', async () => {
  const specs = ['mods/a/', ':!libs', 'b', 'mods/a/'];
  const { ours, subs } = await both(specs.map((s) => `--recurse-submodules=${s}`), { recurseSubmodules: specs });
  assert.equal(subs, ['b', 'mods/a', 'mods/a/deep/nested']);
  assert.is(git(ours, ['config', '--get-all', 'submodule.active']), ':!libs\nb\nmods/a/\n');
});

test('--shallow-submodules: depth 1 everywhere; a recorded commit below the tip is fetched by itself', async () => {
  const { ours, theirs } = await both(['--recurse-submodules', '--shallow-submodules'], { recurseSubmodules: true, shallowSubmodules: true });
  for (const s of ['b', 'mods/a', 'mods/a/deep/nested']) assert.is(git(join(ours, s), ['rev-list', '--count', 'HEAD']), '1\n', s);
  const nested = gitDirOf(join(ours, 'mods/a/deep/nested'));
  const shallow = readFileSync(join(nested, 'shallow'), 'utf8').split('\n');
  assert.ok(shallow.includes(rec.nested) && shallow.includes(git(nested, ['rev-parse', 'origin/main']).trim()), 'the tip and the fetched commit are shallow');
  assert.match(readFileSync(join(nested, 'FETCH_HEAD'), 'utf8'), new RegExp(`^${rec.nested}\t\t'${rec.nested}' of http://`));
  // All branches, depth 1: git 2.39 passes --no-single-branch to the submodule clones.
  assert.is(git(join(theirs, 'b'), ['config', 'remote.origin.fetch']), '+refs/heads/*:refs/remotes/origin/*\n');
});

test('CLI --recurse-submodules -j 2: `shallow = true` and `update = none` from .gitmodules, messages, exit status 0', async () => {
  const url = server.url('super.git');
  const theirs = join(work.dir, 'git-cli');
  const ours = join(work.dir, 'ours-cli');
  const g = await gitClone(['--recurse-submodules', '-j', '2', url, theirs], work.dir);
  const w = await wasmgit(['clone', '--recurse-submodules', '-j', '2', url, ours], work.dir);
  assert.is(w.code, g.code, w.stderr);
  assert.is(w.code, 0);
  assertSameTree(ours, theirs);
  assert.is(git(ours, ['config', 'submodule.libs/c.update']), 'none\n');
  assert.is(git(join(ours, 'b'), ['rev-list', '--count', 'HEAD']), '1\n', 'b is shallow: its .gitmodules entry says so');
  assert.is(git(join(ours, 'mods/a/deep/nested'), ['rev-list', '--count', 'HEAD']), '2\n', 'nested is not');
  for (const line of ["Submodule 'b' (" + server.url('b.git') + ") registered for path 'b'", "Skipping submodule 'libs/c'"]) {
    assert.ok(w.stderr.includes(line), `${line}\n---\n${w.stderr}`);
  }
  // git prints each submodule's checkout on stdout, the rest on stderr.
  assert.ok(w.stdout.includes(`Submodule path 'mods/a/deep/nested': checked out '${rec.nested}'`), w.stdout);
  assert.not.ok(w.stderr.includes('checked out'), w.stderr);
  assert.equal(w.stdout.split('\n').sort(), g.stdout.split('\n').sort(), 'stdout: the same lines (-j 2 may order them differently)');
});

test('--also-filter-submodules: each submodule is a partial clone with the same filter, its checkout fetching the blobs; refusals as git', async () => {
  for (const name of ['super.git', 'a.git', 'b.git', 'nested.git']) git(join(root.dir, name), ['config', 'uploadpack.allowFilter', 'true']);
  const url = server.url('super.git');
  const args = ['--filter=blob:none', '--also-filter-submodules', '--recurse-submodules'];
  const theirs = join(work.dir, 'git-also-filter');
  const ours = join(work.dir, 'ours-also-filter');
  const g = await gitClone([...args, url, theirs], work.dir);
  const w = await wasmgit(['clone', ...args, url, ours], work.dir);
  assert.is(w.code, g.code, w.stderr);
  assert.is(w.code, 0);
  const subs = assertSameTree(ours, theirs);
  assert.ok(subs.length >= 3, subs.join(' '));
  for (const s of subs) {
    assert.is(git(join(ours, s), ['config', 'remote.origin.partialclonefilter']), 'blob:none\n', s);
    assert.is(git(join(ours, s), ['config', 'remote.origin.promisor']), 'true\n', s);
    assert.is(git(join(ours, s), ['status', '--porcelain']), '', s);
  }
  for (const [missing, extra] of [['--filter', ['--also-filter-submodules', '--recurse-submodules']], ['--recurse-submodules', ['--also-filter-submodules', '--filter=blob:none']]] as const) {
    const gr = await gitClone([...extra, url, join(work.dir, 'git-refused')], work.dir);
    const wr = await wasmgit(['clone', ...extra, url, join(work.dir, 'ours-refused')], work.dir);
    assert.is(wr.code, 128, wr.stderr);
    assert.is(wr.stderr.replace('ours-refused', 'git-refused'), gr.stderr, `without ${missing}`);
    assert.not.ok(existsSync(join(work.dir, 'ours-refused')));
  }
});

test('a recorded commit the server does not have: exit status 128, the superproject kept, as with git', async () => {
  const url = server.url('bad.git');
  const theirs = join(work.dir, 'git-bad');
  const ours = join(work.dir, 'ours-bad');
  const g = await gitClone(['--recurse-submodules', url, theirs], work.dir);
  const w = await wasmgit(['clone', '--recurse-submodules', url, ours], work.dir);
  assert.is(w.code, g.code, w.stderr);
  assert.is(w.code, 128);
  const fatal = `fatal: Fetched in submodule path 'b', but it did not contain ${'1234567890'.repeat(4)}. Direct fetching of that commit failed.`;
  assert.ok(g.stderr.includes(fatal) && w.stderr.includes(fatal), w.stderr);
  assert.is(git(ours, ['submodule', 'status']), git(theirs, ['submodule', 'status']));
  assert.is(git(ours, ['status', '--porcelain']), git(theirs, ['status', '--porcelain']));
  assert.is(readFileSync(join(ours, '.git/modules/b/FETCH_HEAD'), 'utf8'), readFileSync(join(theirs, '.git/modules/b/FETCH_HEAD'), 'utf8'));

  // The library reports it as a SubmoduleError carrying git's exit status.
  const api = join(work.dir, 'api-bad');
  const err = await clone({ repository: url, directory: api, recurseSubmodules: true, env: gitEnv }).catch((e) => e);
  assert.instance(err, SubmoduleError);
  assert.is((err as SubmoduleError).exitCode, 128);
  assert.ok(existsSync(join(api, '.git/modules/b/HEAD')), 'the superproject and the cloned submodule are kept');
});

test('a submodule that cannot be cloned: retried once, no submodule checked out, exit status 1, the superproject kept', async () => {
  const url = server.url('gone.git');
  const theirs = join(work.dir, 'git-gone');
  const ours = join(work.dir, 'ours-gone');
  const g = await gitClone(['--recurse-submodules', url, theirs], work.dir);
  const w = await wasmgit(['clone', '--recurse-submodules', url, ours], work.dir);
  assert.is(w.code, g.code, w.stderr);
  assert.is(w.code, 1);
  for (const line of ["Failed to clone 'gone'. Retry scheduled", "Failed to clone 'gone' a second time, aborting"]) {
    assert.ok(g.stderr.includes(line) && w.stderr.includes(line), `${line}\n---\n${w.stderr}`);
  }
  assert.is(git(ours, ['submodule', 'status']), git(theirs, ['submodule', 'status']));
  assert.equal(readdirSync(join(ours, 'b')), ['.git'], 'b cloned, not checked out');
  assert.not.ok(existsSync(join(ours, '.git/modules/gone')));
  assert.is(git(ours, ['status', '--porcelain']), git(theirs, ['status', '--porcelain']));
});

test('--remote-submodules: each submodule at its remote-tracking branch (default HEAD), nested ones too, as git', async () => {
  const { ours } = await both(['--recurse-submodules', '--remote-submodules'], { recurseSubmodules: true, remoteSubmodules: true });
  const nestedTip = git(join(root.dir, 'nested.git'), ['rev-parse', 'main']).trim();
  assert.is.not(nestedTip, rec.nested);
  assert.is(git(join(ours, 'mods/a/deep/nested'), ['rev-parse', 'HEAD']).trim(), nestedTip, 'the tip of the remote HEAD, not the recorded commit');
  assert.is(git(join(ours, 'mods/a'), ['status', '--porcelain']), ' M deep/nested\n', 'the superproject sees the newer commit');
});

test('--remote-submodules: `branch = other` and `branch = .` from .gitmodules, and -c submodule.<name>.branch over them', async () => {
  const { ours } = await both(['--recurse-submodules', '--remote-submodules'], { recurseSubmodules: true, remoteSubmodules: true }, 'follow.git');
  assert.is(git(join(ours, 'b'), ['rev-parse', 'HEAD']).trim(), rec.c, 'b at other (b1)');
  assert.is(git(join(ours, 'n'), ['rev-parse', 'HEAD']).trim(), git(join(root.dir, 'nested.git'), ['rev-parse', 'main']).trim(), "n at the superproject's branch");
  // The superproject's config names the branch first (set here through a parent git's -c).
  const url = server.url('follow.git');
  const theirs = join(work.dir, 'git-follow-c');
  const mine = join(work.dir, 'ours-follow-c');
  const args = ['--recurse-submodules', '--remote-submodules', url];
  const env = { ...gitEnv, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'submodule.b.branch', GIT_CONFIG_VALUE_0: 'main' };
  await gitAsync(work.dir, ['-c', 'submodule.b.branch=main', 'clone', '-q', ...args, theirs]);
  await clone({ repository: url, directory: mine, recurseSubmodules: true, remoteSubmodules: true, env, cwd: work.dir });
  assertSameTree(mine, theirs);
  assert.is(git(join(mine, 'b'), ['rev-parse', 'HEAD']).trim(), rec.b, 'b at main (b2)');
});

test('--remote-submodules with a branch the remote lacks: git\'s message, exit status 128, the superproject kept', async () => {
  const url = server.url('no-branch.git');
  const theirs = join(work.dir, 'git-no-branch');
  const ours = join(work.dir, 'ours-no-branch');
  const g = await gitClone(['--recurse-submodules', '--remote-submodules', url, theirs], work.dir);
  const w = await wasmgit(['clone', '--recurse-submodules', '--remote-submodules', url, ours], work.dir);
  assert.is(w.code, g.code, w.stderr);
  assert.is(w.code, 128);
  const fatal = "fatal: Unable to find refs/remotes/origin/nope revision in submodule path 'b'";
  assert.ok(g.stderr.includes(fatal) && w.stderr.includes(fatal), w.stderr);
  assert.is(git(ours, ['submodule', 'status']), git(theirs, ['submodule', 'status']));
  assert.is(git(ours, ['status', '--porcelain']), git(theirs, ['status', '--porcelain']));
});

test('CLI --help documents the submodule options', async () => {
  const r = await wasmgit(['clone', '--help'], work.dir);
  for (const o of ['--recurse-submodules[=<pathspec>]', '--[no-]shallow-submodules', '--[no-]remote-submodules', '-j, --jobs <n>']) assert.ok(r.stdout.includes(o), o);
});

test.run();
