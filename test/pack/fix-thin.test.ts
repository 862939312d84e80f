// wasmgit index-pack --stdin --fix-thin on thin packs git made
// (`git pack-objects --thin --stdout` over A..B), indexed into a repository that
// has A: the completed pack and its .idx must be byte-identical to what
// `git index-pack --stdin --fix-thin` writes in a twin repository, with the
// bases read from packs or from loose objects, REF or OFS deltas, one or two
// threads; and failures (bases missing, a corrupt local object, no --stdin)
// must fail as git fails, leaving nothing behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import { git, gitBytes, gitEnv, tempDir } from '../helpers/git.ts';
import { makeHistory } from '../helpers/history.ts';
import { wasmgit, type Run } from '../helpers/cli.ts';
import { PackIndexer } from '../../host/pack/index-pack.ts';
import { repositoryObjects } from '../../host/cli/repo-objects.ts';

const { dir, cleanup } = tempDir('fix-thin');
const src = join(dir, 'src');
mkdirSync(src);
makeHistory(src, { commits: 120, seed: 21 });
const B = git(src, ['rev-parse', 'main']).trim();
const A = git(src, ['rev-parse', 'main~30']).trim();

/** A thin pack of A..B (bases in A left out), as a fetch from A would receive it. */
function thinPack(extra: string[] = []): Buffer {
  return gitBytes(src, ['pack-objects', '--thin', '--stdout', '-q', '--revs', ...extra], `${B}\n^${A}\n`);
}
const thinRef = thinPack();
const thinOfs = thinPack(['--delta-base-offset']);

/** A bare repository holding A's history, packed or as loose objects. */
let repos = 0;
function repoWithA(how: 'packed' | 'loose' | 'empty'): string {
  const r = join(dir, `r${repos++}-${how}`);
  git(dir, ['init', '-q', '--bare', r]);
  if (how === 'empty') return r;
  const pack = gitBytes(src, ['pack-objects', '--stdout', '-q', '--revs'], `${A}\n`);
  if (how === 'packed') git(r, ['index-pack', '--stdin'], { input: pack });
  else git(r, ['unpack-objects', '-q'], { input: pack });
  return r;
}

function gitRun(cwd: string, args: string[], input?: Uint8Array): Run {
  const r = spawnSync('git', args, { cwd, env: gitEnv, input, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Name → bytes of the files git or wasmgit wrote to objects/pack (the ones the twin had before excluded). */
function newPackFiles(repo: string, before: string[]): Map<string, Buffer> {
  const d = join(repo, 'objects', 'pack');
  return new Map(readdirSync(d).filter((f) => !before.includes(f)).sort().map((f) => [f, readFileSync(join(d, f))]));
}
const packDirList = (repo: string) => readdirSync(join(repo, 'objects', 'pack'));

/** Runs git and wasmgit on twin repositories; returns both runs and what each wrote. */
function twinRun(how: 'packed' | 'loose' | 'empty', pack: Buffer, args: string[]) {
  const theirs = repoWithA(how);
  const ours = repoWithA(how);
  const beforeTheirs = packDirList(theirs);
  const beforeOurs = packDirList(ours);
  const g = gitRun(theirs, ['index-pack', ...args], pack);
  const r = wasmgit(['index-pack', ...args], { input: pack, cwd: ours });
  return { g, r, ours, theirs, gitFiles: newPackFiles(theirs, beforeTheirs), ourFiles: newPackFiles(ours, beforeOurs) };
}

function assertSameFiles(ourFiles: Map<string, Buffer>, gitFiles: Map<string, Buffer>): void {
  assert.equal([...ourFiles.keys()], [...gitFiles.keys()], 'the same file names');
  for (const [name, bytes] of gitFiles) assert.ok(ourFiles.get(name)!.equals(bytes), `${name} is byte-identical to git's`);
}

test('the thin packs are thin: git index-pack without --fix-thin refuses them', () => {
  const r = repoWithA('packed');
  for (const pack of [thinRef, thinOfs]) {
    const g = gitRun(r, ['index-pack', '--stdin'], pack);
    assert.is(g.status, 128);
    assert.match(g.stderr, /unresolved delta/);
  }
});

test('REF deltas, bases in a pack: the completed pack and .idx are git\'s, byte for byte', () => {
  const { g, r, ours, gitFiles, ourFiles } = twinRun('packed', thinRef, ['--stdin', '--fix-thin', '-v']);
  assert.is(g.status, 0, g.stderr);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, g.stdout);
  const appended = /completed with (\d+) local objects?\./.exec(g.stderr);
  assert.ok(appended && +appended[1] > 0, 'git appended objects');
  assert.match(r.stderr, new RegExp(`Resolving deltas: 100% \\(\\d+/\\d+\\), completed with ${appended![1]} local objects?\\.\\n$`));
  assert.equal(gitFiles.size, 2);
  assertSameFiles(ourFiles, gitFiles);
  git(ours, ['update-ref', 'refs/heads/main', B]);
  git(ours, ['fsck', '--full', '--strict', '--no-dangling']);
});

test('OFS and REF deltas, bases as loose objects, two threads, --keep: git\'s bytes and "keep"', () => {
  const { g, r, ours, gitFiles, ourFiles } = twinRun('loose', thinOfs, ['--stdin', '--fix-thin', '--threads=2', '--keep=fetch']);
  assert.is(g.status, 0, g.stderr);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, g.stdout);
  assert.match(r.stdout, /^keep\t[0-9a-f]{40}\n$/);
  assert.equal(gitFiles.size, 3);
  assertSameFiles(ourFiles, gitFiles);
  const name = r.stdout.trim().split('\t')[1];
  git(ours, ['verify-pack', join(ours, 'objects', 'pack', `pack-${name}.idx`)]);
});

test('--strict with --fix-thin: objects linking to the repository\'s pass, and the files are git\'s', () => {
  const { g, r, gitFiles, ourFiles } = twinRun('loose', thinOfs, ['--stdin', '--fix-thin', '--strict']);
  assert.is(g.status, 0, g.stderr);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, g.stderr);
  assert.is(r.stdout, g.stdout);
  assertSameFiles(ourFiles, gitFiles);
});

test('a pack that is not thin is left as it is, as git leaves it', () => {
  const full = gitBytes(src, ['pack-objects', '--stdout', '-q', '--revs'], `${B}\n^${A}\n`);
  const { g, r, gitFiles, ourFiles } = twinRun('packed', full, ['--stdin', '--fix-thin', '-v']);
  assert.is(g.status, 0, g.stderr);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, g.stdout);
  assert.is(r.stdout, `pack\t${full.subarray(-20).toString('hex')}\n`);
  assert.match(r.stderr, /Resolving deltas: 100% \(\d+\/\d+\), done\.\n$/);
  assertSameFiles(ourFiles, gitFiles);
});

test('core.compression=2 is followed byte for byte; at level 6 (node:zlib) the same objects, a valid pack', () => {
  for (const [key, level, identical] of [['core.compression', 2, true], ['core.loosecompression', 6, false]] as const) {
    const theirs = repoWithA('packed');
    const ours = repoWithA('packed');
    for (const r of [theirs, ours]) git(r, ['config', key, String(level)]);
    const before = packDirList(ours);
    const g = gitRun(theirs, ['index-pack', '--stdin', '--fix-thin'], thinRef);
    const r = wasmgit(['index-pack', '--stdin', '--fix-thin'], { input: thinRef, cwd: ours });
    assert.is(g.status, 0, g.stderr);
    assert.is(r.status, 0, r.stderr);
    const gitFiles = newPackFiles(theirs, before);
    const ourFiles = newPackFiles(ours, before);
    if (identical) {
      assert.is(r.stdout, g.stdout);
      assertSameFiles(ourFiles, gitFiles);
      continue;
    }
    const ids = (repo: string, files: Map<string, Buffer>) =>
      git(repo, ['show-index'], { input: [...files].find(([f]) => f.endsWith('.idx'))![1] })
        .split('\n')
        .map((l) => l.split(' ')[1])
        .sort();
    assert.equal(ids(ours, ourFiles), ids(theirs, gitFiles), 'the same objects');
    const idx = [...ourFiles.keys()].find((f) => f.endsWith('.idx'))!;
    git(ours, ['verify-pack', join(ours, 'objects', 'pack', idx)]);
    git(ours, ['update-ref', 'refs/heads/main', B]);
    git(ours, ['fsck', '--full', '--strict', '--no-dangling']);
  }
});

test('bases the repository lacks: fails as git does, naming a missing base and its delta, leaving nothing', () => {
  const { g, r, gitFiles, ourFiles } = twinRun('empty', thinRef, ['--stdin', '--fix-thin']);
  assert.is(g.status, 128);
  assert.is(r.status, 128);
  assert.match(g.stderr, /unresolved delta/);
  assert.match(r.stderr, /^fatal: pack has \d+ unresolved deltas?: the delta at offset \d+ needs base [0-9a-f]{40}/);
  assert.equal(ourFiles.size, 0, 'no pack, .idx or temporary file left');
  void gitFiles;
});

test('a corrupt local object: fails as git does, naming it, leaving nothing', () => {
  // An object git appends: in its completed pack but not among A..B's objects.
  const probe = repoWithA('packed');
  const before = packDirList(probe);
  assert.is(gitRun(probe, ['index-pack', '--stdin', '--fix-thin'], thinRef).status, 0);
  const idx = [...newPackFiles(probe, before).keys()].find((f) => f.endsWith('.idx'))!;
  const inThin = new Set(git(src, ['rev-list', '--objects', `${A}..${B}`]).split('\n').map((l) => l.split(' ')[0]));
  const appended = git(probe, ['show-index'], { input: readFileSync(join(probe, 'objects', 'pack', idx)) })
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((id) => id && !inThin.has(id));
  assert.ok(appended.length > 0, 'git appended objects');
  const victim = appended[0];
  const theirs = repoWithA('loose');
  const ours = repoWithA('loose');
  for (const r of [theirs, ours]) {
    // A loose object under the victim's name whose content hashes to another id.
    const type = git(r, ['cat-file', '-t', victim]).trim();
    const body = Buffer.from('not what was stored\n');
    const path = join(r, 'objects', victim.slice(0, 2), victim.slice(2));
    rmSync(path, { force: true });
    writeFileSync(path, deflateSync(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body])));
  }
  const ourBefore = packDirList(ours);
  const g = gitRun(theirs, ['index-pack', '--stdin', '--fix-thin'], thinRef);
  const r = wasmgit(['index-pack', '--stdin', '--fix-thin'], { input: thinRef, cwd: ours });
  assert.is(g.status, 128);
  assert.is(r.status, 128);
  assert.match(g.stderr, new RegExp(`local object ${victim} is corrupt`));
  assert.match(r.stderr, new RegExp(`^fatal: local object ${victim} is corrupt`));
  assert.equal(packDirList(ours), ourBefore, 'nothing left behind');
});

test('--fix-thin without --stdin fails with git\'s message', () => {
  const r0 = repoWithA('packed');
  const pack = join(dir, 'thin.pack');
  writeFileSync(pack, thinRef);
  const g = gitRun(r0, ['index-pack', '--fix-thin', pack]);
  const r = wasmgit(['index-pack', '--fix-thin', pack], { cwd: r0 });
  assert.is(r.status, g.status);
  assert.is(r.stderr, g.stderr);
});

test('PackIndexer: a 4 KiB base budget while resolving below appended bases gives git\'s bytes too', async () => {
  const theirs = repoWithA('packed');
  const ours = repoWithA('packed');
  const before = packDirList(theirs);
  assert.is(gitRun(theirs, ['index-pack', '--stdin', '--fix-thin'], thinRef).status, 0);
  const objects = await repositoryObjects({ gitDir: ours, commonDir: ours });
  try {
    const indexer = await PackIndexer.create({ packDir: join(ours, 'objects', 'pack'), threads: 1, cacheLimit: 4096, deltaStoreLimit: 0, fixThin: objects });
    for (let off = 0; off < thinRef.length; off += 1000) indexer.write(thinRef.subarray(off, off + 1000));
    const res = await indexer.finish();
    assert.ok(res.appended > 0);
  } finally {
    objects.close();
  }
  assertSameFiles(newPackFiles(ours, before), newPackFiles(theirs, before));
});

test.after(cleanup);
test.run();
