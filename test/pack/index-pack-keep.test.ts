// wasmgit index-pack --keep[=<msg>], and --stdin storing into the repository:
// the .keep, .pack and .idx files, their modes and what is printed are compared
// with what git index-pack does with the same arguments on a copy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { git, gitEnv, tempDir } from '../helpers/git.ts';
import { makeHistory, repackOfs } from '../helpers/history.ts';
import { wasmgit, type Run } from '../helpers/cli.ts';

const { dir, cleanup } = tempDir('index-pack-keep');
const repo = join(dir, 'repo');
mkdirSync(repo);
makeHistory(repo, { commits: 20, seed: 11 });
const source = repackOfs(repo);
const bytes = readFileSync(source);
const name = bytes.subarray(-20).toString('hex');

/** Runs git as a user would: exit status and both streams, never throwing. */
function gitRun(cwd: string, args: string[], input?: Uint8Array): Run {
  const r = spawnSync('git', args, { cwd, env: gitEnv, input, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Two fresh bare repositories holding a copy of the pack each: one for git, one for wasmgit. */
function twins(label: string): { ours: string; theirs: string } {
  const ours = join(dir, `${label}-ours`);
  const theirs = join(dir, `${label}-git`);
  for (const d of [ours, theirs]) {
    // A repository, as --stdin needs one; the pack lies at its top.
    git(dir, ['init', '-q', '--bare', d]);
    copyFileSync(source, join(d, 'p.pack'));
  }
  return { ours, theirs };
}

/** The .pack, .idx, .keep and temporary files in a directory. */
const packFiles = (d: string) => readdirSync(d).filter((f) => /\.(pack|idx|keep)$|tmp/.test(f)).sort();

/** Files of a directory with their bytes and permission bits. */
function listing(d: string, rename: (f: string) => string = (f) => f): Record<string, { mode: string; bytes: string }> {
  const out: Record<string, { mode: string; bytes: string }> = {};
  for (const f of readdirSync(d).sort()) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) continue;
    out[rename(f)] = { mode: (statSync(p).mode & 0o777).toString(8), bytes: readFileSync(p).toString('hex') };
  }
  return out;
}

test('--keep: an empty <pack>.keep of mode 0600 beside the .idx, as git writes it', () => {
  const { ours, theirs } = twins('bare');
  const r = wasmgit(['index-pack', '--keep', join(ours, 'p.pack')]);
  const g = gitRun(theirs, ['index-pack', '--keep', 'p.pack']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, g.stdout);
  assert.equal(listing(ours), listing(theirs));
  assert.is(readFileSync(join(ours, 'p.keep')).length, 0);
});

test('--keep=<msg> with --stdin <pack>: "<msg>\\n" in the .keep and "keep\\t<checksum>" printed', () => {
  const { ours, theirs } = twins('msg');
  const msg = 'fetch-pack 1234 on host.example';
  const r = wasmgit(['index-pack', '--stdin', `--keep=${msg}`, join(ours, 'in.pack')], { input: bytes, cwd: ours });
  const g = gitRun(theirs, ['index-pack', '--stdin', `--keep=${msg}`, 'in.pack'], bytes);
  assert.is(g.status, 0, g.stderr);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, `keep\t${name}\n`);
  assert.is(r.stdout, g.stdout);
  assert.is(readFileSync(join(ours, 'in.keep'), 'utf8'), `${msg}\n`);
  assert.equal(listing(ours), listing(theirs));
});

test('--keep= (an empty message) writes an empty file, as --keep does', () => {
  const { ours, theirs } = twins('empty-msg');
  const r = wasmgit(['index-pack', '--keep=', join(ours, 'p.pack')]);
  gitRun(theirs, ['index-pack', '--keep=', 'p.pack']);
  assert.is(r.status, 0, r.stderr);
  assert.equal(listing(ours), listing(theirs));
});

test('an existing .keep is left as it is, and --stdin then prints "pack", as git does', () => {
  const { ours, theirs } = twins('exists');
  for (const d of [ours, theirs]) writeFileSync(join(d, 'in.keep'), 'older\n', { mode: 0o644 });
  const r = wasmgit(['index-pack', '--stdin', '--keep=newer', join(ours, 'in.pack')], { input: bytes, cwd: ours });
  const g = gitRun(theirs, ['index-pack', '--stdin', '--keep=newer', 'in.pack'], bytes);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, g.stdout);
  assert.is(r.stdout, `pack\t${name}\n`);
  assert.is(readFileSync(join(ours, 'in.keep'), 'utf8'), 'older\n');
  assert.equal(listing(ours), listing(theirs));
});

test('--stdin without <pack> in a work tree\'s subdirectory stores pack-<checksum>.{pack,idx,keep} in its repository', () => {
  const ours = join(dir, 'store-ours');
  const theirs = join(dir, 'store-git');
  for (const d of [ours, theirs]) {
    git(dir, ['init', '-q', d]);
    mkdirSync(join(d, 'sub', 'deeper'), { recursive: true });
  }
  const r = wasmgit(['index-pack', '--stdin', '--keep=received'], { input: bytes, cwd: join(ours, 'sub', 'deeper') });
  // git 2.39 run from a subdirectory goes back there after finding the repository
  // and then writes under <subdirectory>/.git/objects/pack, its object directory
  // being the relative ".git/objects": so git runs from the top here.
  const g = gitRun(theirs, ['index-pack', '--stdin', '--keep=received'], bytes);
  assert.is(g.status, 0, g.stderr);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, g.stdout);
  const packDir = (d: string) => join(d, '.git', 'objects', 'pack');
  assert.equal(Object.keys(listing(packDir(ours))), [`pack-${name}.idx`, `pack-${name}.keep`, `pack-${name}.pack`]);
  assert.equal(listing(packDir(ours)), listing(packDir(theirs)));
  // The repository can read what was stored.
  git(ours, ['cat-file', '-e', git(repo, ['rev-parse', 'main']).trim()]);

  // Again: the .keep is there already, so both print "pack" and change nothing.
  const r2 = wasmgit(['index-pack', '--stdin', '--keep=again'], { input: bytes, cwd: ours });
  const g2 = gitRun(theirs, ['index-pack', '--stdin', '--keep=again'], bytes);
  assert.is(r2.status, 0, r2.stderr);
  assert.is(r2.stdout, g2.stdout);
  assert.equal(listing(packDir(ours)), listing(packDir(theirs)));
});

test('--stdin without <pack> finds the repository through GIT_DIR', () => {
  const bare = join(dir, 'bare.git');
  git(dir, ['init', '-q', '--bare', bare]);
  const r = wasmgit(['index-pack', '--stdin'], { input: bytes, cwd: dir, env: { ...process.env, GIT_DIR: bare } });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, `pack\t${name}\n`);
  assert.ok(existsSync(join(bare, 'objects', 'pack', `pack-${name}.idx`)));
});

test('--stdin without <pack> outside any repository fails as git does', () => {
  const nowhere = join(dir, 'nowhere');
  mkdirSync(nowhere);
  // GIT_CEILING_DIRECTORIES stops git's own search above the temporary directory.
  const env = { ...gitEnv, GIT_CEILING_DIRECTORIES: dir };
  const g = spawnSync('git', ['index-pack', '--stdin'], { cwd: nowhere, env, input: bytes, encoding: 'utf8' });
  const r = wasmgit(['index-pack', '--stdin'], { input: bytes, cwd: nowhere, env });
  assert.is(r.status, g.status);
  assert.is(r.stderr, g.stderr);
  assert.equal(readdirSync(nowhere), []);
});

test('a bad pack with --keep fails and leaves neither .keep nor .idx (git fails on it too)', () => {
  const { ours, theirs } = twins('bad');
  const bad = Buffer.from(bytes);
  bad[bad.length - 30] ^= 0x55; // inside the last entry: its zlib data or the trailer check fails
  for (const d of [ours, theirs]) writeFileSync(join(d, 'p.pack'), bad);
  const r = wasmgit(['index-pack', '--keep=x', join(ours, 'p.pack')]);
  const g = gitRun(theirs, ['index-pack', '--keep=x', 'p.pack']);
  assert.is(g.status, 128);
  assert.is(r.status, 128);
  assert.match(r.stderr, /^fatal: .*offset \d+/);
  assert.equal(packFiles(ours), ['p.pack']);

  const s = wasmgit(['index-pack', '--stdin', '--keep=x', join(ours, 'in.pack')], { input: bad, cwd: ours });
  assert.is(s.status, 128);
  assert.equal(packFiles(ours), ['p.pack']);
});

test('any existing path at <pack>.keep, even a directory, counts as kept already: "pack" is printed, as git prints', () => {
  const { ours, theirs } = twins('dir-keep');
  for (const d of [ours, theirs]) mkdirSync(join(d, 'in.keep'));
  const r = wasmgit(['index-pack', '--stdin', '--keep', join(ours, 'in.pack')], { input: bytes, cwd: ours });
  const g = gitRun(theirs, ['index-pack', '--stdin', '--keep', 'in.pack'], bytes);
  assert.is(g.status, 0, g.stderr);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, g.stdout);
  assert.equal(listing(ours), listing(theirs));
});

test.after(cleanup);
test.run();
