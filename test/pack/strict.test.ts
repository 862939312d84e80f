// wasmgit index-pack --strict against git index-pack --strict: objects made
// with `git hash-object --literally` (malformed trees, commits, tags, and
// .gitmodules/.gitattributes blobs), packed by git pack-objects, indexed by both
// in fresh repositories. Exit status and standard error must be git's (the
// message names the same object), and nothing may be left behind on failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { git, gitBytes, gitEnv, tempDir } from '../helpers/git.ts';
import { makeHistory, repackOfs } from '../helpers/history.ts';
import { wasmgit, type Run } from '../helpers/cli.ts';
import { indexPackFile, PackIndexer } from '../../host/pack/index-pack.ts';
import { StrictError } from '../../host/pack/strict.ts';
import { repositoryObjects } from '../../host/cli/repo-objects.ts';

const { dir, cleanup } = tempDir('strict');
const src = join(dir, 'src');
git(dir, ['init', '-q', '--bare', src]);

const write = (type: string, content: string | Buffer): string =>
  git(src, ['hash-object', '--literally', '-w', '-t', type, '--stdin'], { input: typeof content === 'string' ? Buffer.from(content, 'latin1') : content }).trim();
const blob = write('blob', 'hi\n');
const emptyTree = git(src, ['mktree'], { input: '' }).trim();

/** A raw tree: [mode, name, id] entries, written in the order given. */
function rawTree(entries: [string, string, string?][]): string {
  const parts = entries.map(([mode, name, id]) => Buffer.concat([Buffer.from(`${mode} ${name}\0`, 'latin1'), Buffer.from(id ?? blob, 'hex')]));
  return write('tree', Buffer.concat(parts));
}

const packOf = (ids: string[]): Buffer => gitBytes(src, ['pack-objects', '--stdout', '-q'], ids.join('\n') + '\n');

let n = 0;
function gitRun(cwd: string, args: string[], input?: Uint8Array): Run {
  const r = spawnSync('git', args, { cwd, env: gitEnv, input, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh bare repository, holding the objects `repoHas` when given. */
function freshRepo(prefix: string, repoHas: string[] = []): string {
  const r = join(dir, `${prefix}${n++}`);
  git(dir, ['init', '-q', '--bare', r]);
  if (repoHas.length) git(r, ['index-pack', '--stdin'], { input: packOf(repoHas) });
  return r;
}

/**
 * wasmgit's index-pack --strict on `pack` in-process (the command itself is
 * run in the tests below that need it): what it would print and its status.
 */
async function ours(pack: Buffer, repo: string): Promise<Run> {
  const path = join(dir, `p${n++}.pack`);
  writeFileSync(path, pack);
  const lines: string[] = [];
  const objects = await repositoryObjects({ gitDir: repo, commonDir: repo });
  const stderr = () => lines.map((l) => `${l}\n`).join('');
  try {
    const r = await indexPackFile(path, { threads: 1, strict: { lookup: objects.lookup, typeOf: objects.typeOf, report: (l) => lines.push(l) } });
    return { status: 0, stdout: `pack\t${r.packChecksum}\n`, stderr: stderr() };
  } catch (err) {
    assert.instance(err, StrictError);
    return { status: 128, stdout: '', stderr: `${stderr()}fatal: ${(err as Error).message}\n` };
  } finally {
    objects.close();
  }
}

/** git index-pack --strict --stdin and wasmgit's, each in a fresh repository (holding `repoHas` first). */
async function both(pack: Buffer, repoHas: string[] = []) {
  const g = gitRun(freshRepo('g', repoHas), ['index-pack', '--strict', '--stdin'], pack);
  const w = await ours(pack, freshRepo('w', repoHas));
  return { g, w };
}

/** The same outcome as git: status, standard error and output; the message naming the object that fails. */
async function same(pack: Buffer, failing: string | RegExp, repoHas: string[] = []): Promise<void> {
  const { g, w } = await both(pack, repoHas);
  assert.is(w.status, g.status, `exit status (git: ${g.stderr})`);
  assert.is(w.stderr, g.stderr);
  assert.is(w.stdout, g.stdout);
  if (g.status !== 0) assert.match(w.stderr, failing, 'the message names the object');
}

/** The command itself: git's status and standard error, and nothing left in objects/pack on failure. */
function sameByCommand(pack: Buffer, repoHas: string[] = []): { g: Run; w: Run } {
  const theirs = freshRepo('g', repoHas);
  const mine = freshRepo('w', repoHas);
  const before = readdirSync(join(mine, 'objects', 'pack'));
  const g = gitRun(theirs, ['index-pack', '--strict', '--stdin'], pack);
  const w = wasmgit(['index-pack', '--strict', '--stdin'], { input: pack, cwd: mine });
  assert.is(w.status, g.status, `exit status (git: ${g.stderr})`);
  if (g.status !== 0) assert.equal(readdirSync(join(mine, 'objects', 'pack')), before, 'no pack, .idx or temporary file left');
  return { g, w };
}

// fsck_tree(): every kind of problem, each in a tree of its own (with the blob
// it names, so only the tree is at fault).
const trees: [string, [string, string, string?][]][] = [
  ['treeNotSorted', [['100644', 'b'], ['100644', 'a']]],
  ['duplicateEntries', [['100644', 'a'], ['100644', 'a']]],
  ['duplicateEntries (a blob and a tree of one name, not adjacent)', [['100644', 'a'], ['100644', 'a.b'], ['40000', 'a', emptyTree]]],
  ['hasDotgit', [['100644', '.git']]],
  ['hasDotgit (case folded)', [['100644', '.GiT']]],
  ['hasDotgit (NTFS short name)', [['100644', 'git~1']]],
  ['hasDotgit (HFS+ ignorable)', [['100644', '.g\u00e2\u0080\u008cit']]],
  ['hasDotgit (after a backslash)', [['100644', 'a\\.git']]],
  ['hasDot', [['100644', '.']]],
  ['hasDotdot', [['100644', '..']]],
  ['fullPathname', [['100644', 'a/b']]],
  ['zeroPaddedFilemode', [['040000', 'a', emptyTree]]],
  ['nullSha1', [['100644', 'a', '0'.repeat(40)]]],
  ['gitmodulesSymlink', [['120000', '.gitmodules']]],
  ['gitmodulesSymlink (NTFS short name)', [['120000', 'GITMOD~1']]],
];
for (const [name, entries] of trees) {
  test(`tree: ${name}`, async () => {
    const t = rawTree(entries);
    await same(packOf([t, blob, emptyTree]), t);
  });
}

test('tree: badTree (truncated, and a malformed mode), with the decode error git prints first', async () => {
  const short = write('tree', Buffer.concat([Buffer.from('100644 a\0'), Buffer.from(blob, 'hex').subarray(0, 17)]));
  await same(packOf([short]), short);
  const mode = write('tree', Buffer.concat([Buffer.from('10x644 a\0'), Buffer.from(blob, 'hex')]));
  await same(packOf([mode]), mode);
});

test('the command: a bad tree fails with git\'s status and message, leaving nothing', () => {
  const t = rawTree([['100644', '.git']]);
  const { g, w } = sameByCommand(packOf([t, blob]));
  assert.is(w.stderr, g.stderr);
  assert.match(w.stderr, t);
});

test('tree: warnings only (badFilemode, gitattributes/gitignore/mailmap symlinks) print and pass, as in git', async () => {
  for (const entries of [[['100664', 'a']], [['123456', 'a']], [['120000', '.gitattributes']], [['120000', '.gitignore']], [['120000', '.mailmap']], [['120000', 'maba30~1']]] as [string, string][][]) {
    const t = rawTree(entries);
    const { g, w } = await both(packOf([t, blob]));
    assert.is(g.status, 0, g.stderr);
    assert.match(g.stderr, /^warning: object [0-9a-f]{40}: \w+: /);
    assert.is(w.status, 0, w.stderr);
    assert.is(w.stderr, g.stderr);
    assert.is(w.stdout, g.stdout);
  }
});

// fsck_commit() and fsck_ident(), and index-pack's parse_commit_buffer() first.
const A = 'author A U Thor <a@example.com> 1700000000 +0000\n';
const C = 'committer C O Mitter <c@example.com> 1700000000 +0000\n';
const T = `tree ${emptyTree}\n`;
const commits: [string, string][] = [
  ['bogus commit (no tree line)', `parent ${emptyTree}\n${A}${C}\nmsg\n`],
  ['bad tree pointer', `tree ${emptyTree.slice(0, 39)}x\n${A}${C}\nmsg\n`],
  ['bad parents', `${T}parent 1234\n${A}${C}\nmsg\n`],
  ['missingAuthor', `${T}${C}\nmsg\n`],
  ['multipleAuthors', `${T}${A}${A}${C}\nmsg\n`],
  ['missingCommitter', `${T}${A}\nmsg\n`],
  ['badEmail', `${T}author A U Thor <a@example.com 1700000000 +0000\n${C}\nmsg\n`],
  ['missingEmail', `${T}author A U Thor 1700000000 +0000\n${C}\nmsg\n`],
  ['missingSpaceBeforeEmail', `${T}author A U Thor<a@example.com> 1700000000 +0000\n${C}\nmsg\n`],
  ['missingNameBeforeEmail', `${T}author <a@example.com> 1700000000 +0000\n${C}\nmsg\n`],
  ['badName', `${T}author A > U <a@example.com> 1700000000 +0000\n${C}\nmsg\n`],
  ['missingSpaceBeforeDate', `${T}author A U Thor <a@example.com>1700000000 +0000\n${C}\nmsg\n`],
  ['zeroPaddedDate', `${T}author A U Thor <a@example.com> 01700000000 +0000\n${C}\nmsg\n`],
  ['badDate', `${T}author A U Thor <a@example.com> x +0000\n${C}\nmsg\n`],
  ['badDateOverflow', `${T}author A U Thor <a@example.com> 99999999999999999999 +0000\n${C}\nmsg\n`],
  ['badDateOverflow (negative)', `${T}author A U Thor <a@example.com> -5 +0000\n${C}\nmsg\n`],
  ['badTimezone', `${T}author A U Thor <a@example.com> 1700000000 +000\n${C}\nmsg\n`],
  ['badTimezone (committer)', `${T}${A}committer C O Mitter <c@example.com> 1700000000 0000\n\nmsg\n`],
  ['nulInHeader', `${T}${A.replace('Thor', 'Th\0r')}${C}\nmsg\n`],
  ['unterminatedHeader', `${T}${A}${C.slice(0, -1)}`],
  ['nulInCommit', `${T}${A}${C}\nm\0sg\n`],
  ['fine: extra headers, and white space before a date', `${T}author A U Thor <a@example.com>  5 +0000\n${C}encoding x\nmergetag y\n\nmsg\n`],
];
for (const [name, content] of commits) {
  test(`commit: ${name}`, async () => {
    const c = write('commit', content);
    await same(packOf([c, emptyTree]), c);
  });
}

// fsck_tag(), after tag.c parse_tag_buffer().
const TG = 'tagger T A Gger <t@example.com> 1700000000 +0000\n';
const O = `object ${emptyTree}\ntype tree\n`;
const tags: [string, string][] = [
  ['badDate (tagger)', `${O}tag v1\ntagger T <t@example.com> x +0000\n\nmsg\n`],
  ['unterminatedHeader', `${O}tag v1\n${TG.slice(0, -1)}`],
  ['unknown tag type', `object ${emptyTree}\ntype tre\ntag v1\n${TG}\nmsg\n`],
  ['warning: badTagName', `${O}tag v1..x\n${TG}\nmsg\n`],
  ['warning: missingTaggerEntry', `${O}tag v1\n\nmsg\n`],
  ['fine: extra header', `${O}tag v1\n${TG}extra\n\nmsg\n`],
];
for (const [name, content] of tags) {
  test(`tag: ${name}`, async () => {
    const t = write('tag', content);
    await same(packOf([t, emptyTree]), t);
  });
}

test('tag: headers index-pack cannot parse fail with git\'s "invalid tag", and wasmgit names the object', async () => {
  for (const content of [`type tree\ntag v1\n${TG}\nmsg\n`, `object 1234\ntype tree\ntag v1\n${TG}\nmsg\n`, `object ${emptyTree}\ntag v1\n${TG}\nmsg\n`, `${O}${TG}\nmsg\n`, `${O}tag v1`]) {
    const t = write('tag', content);
    const { g, w } = await both(packOf([t]));
    assert.is(g.status, 128);
    assert.is(w.status, 128);
    assert.is(g.stderr, 'fatal: invalid tag\n');
    assert.ok(w.stderr.endsWith('fatal: invalid tag\n'), w.stderr);
    assert.match(w.stderr, new RegExp(`^error: object ${t}: `));
  }
});

// .gitmodules and .gitattributes blobs (fsck_blob()).
const gitmodules: [string, string][] = [
  ['gitmodulesUrl', '[submodule "x"]\n\tpath = x\n\turl = -upload-pack=evil\n'],
  ['gitmodulesName (reported for each of its variables)', '[submodule "../x"]\n\tpath = x\n\turl = https://example.com/x\n'],
  ['gitmodulesPath', '[submodule "x"]\n\tpath = -x\n\turl = https://example.com/x\n'],
  ['gitmodulesUpdate', '[submodule "x"]\n\tpath = x\n\turl = https://example.com/x\n\tupdate = !rm -rf /\n'],
  ['warning: gitmodulesParse', '[submodule "x"\n\tpath = x\n'],
];
for (const [name, content] of gitmodules) {
  test(`.gitmodules blob: ${name}`, async () => {
    const b = write('blob', content);
    const t = git(src, ['mktree'], { input: `100644 blob ${b}\t.gitmodules\n` }).trim();
    await same(packOf([t, b]), b);
  });
}

test('.gitattributes blob: gitattributesLineLength', async () => {
  const b = write('blob', `${'a'.repeat(3000)} text\n`);
  const t = git(src, ['mktree'], { input: `100644 blob ${b}\t.gitattributes\n` }).trim();
  await same(packOf([t, b]), b);
});

test('a .gitmodules blob the repository has (not the pack): refused before anything is written', () => {
  const b = write('blob', '[submodule "x"]\n\tpath = x\n\turl = -evil\n');
  const t = git(src, ['mktree'], { input: `100644 blob ${b}\t.gitmodules\n` }).trim();
  const { g, w } = sameByCommand(packOf([t]), [b]);
  // git checks it once the pack is stored: it prints "pack\t…", then fails.
  assert.is(g.status, 128);
  assert.match(g.stdout, /^pack\t/);
  assert.is(w.stderr, g.stderr);
  assert.is(w.stdout, '');
});

// Connectivity (fsck_walk() and check_objects()): what the pack's objects name.
test('connectivity: a named blob neither the pack nor the repository has', async () => {
  const missing = write('blob', 'not in the pack\n');
  const t = rawTree([['100644', 'a', missing]]);
  await same(packOf([t]), missing);
});

test('connectivity: a named blob the repository has passes', async () => {
  const there = write('blob', 'in the repository\n');
  const t = rawTree([['100644', 'a', there]]);
  await same(packOf([t]), t, [there]);
});

test('connectivity: an object outside the pack named as another type (the empty tree as a blob)', async () => {
  const tag = write('tag', `object ${emptyTree}\ntype blob\ntag v1\n${TG}\nmsg\n`);
  await same(packOf([tag]), emptyTree);
});

test('connectivity: inside the pack, named as another type before it is met, and after', async () => {
  // A commit (met first) naming a blob as its tree: the blob is then refused.
  const c = write('commit', `tree ${blob}\n${A}${C}\nmsg\n`);
  await same(packOf([c, blob]), blob);
  // A tree naming a commit as a blob: which git meets first (pack order here)
  // decides whether the commit or the tree is refused, and wasmgit follows.
  const c2 = write('commit', `tree ${emptyTree}\n${A}${C}\nother\n`);
  const t = rawTree([['100644', 'a', c2]]);
  await same(packOf([t, c2, emptyTree]), new RegExp(`${c2}|${t}`));
});

test('a whole history passes --strict with git\'s .idx, on one thread and with a worker', async () => {
  const repo = join(dir, 'history');
  mkdirSync(repo);
  makeHistory(repo, { commits: 40, seed: 5 });
  const pack = repackOfs(repo);
  const gitIdx = join(dir, 'history-git.idx');
  git(dir, ['index-pack', '--strict', '-o', gitIdx, pack]);
  for (const threads of ['1', '2']) {
    const ours = join(dir, `history-${threads}.idx`);
    const r = wasmgit(['index-pack', '--strict', '--threads', threads, '-o', ours, pack]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr, '');
    assert.ok(readFileSync(ours).equals(readFileSync(gitIdx)));
  }
});

test('a bad tree stored as a delta is caught in a worker thread too', async () => {
  // Many entries, then the same with a duplicate: git stores the second as a delta of the first.
  // (The bad one is the smaller, so it is not chosen as the base.)
  const names = Array.from({ length: 60 }, (_, i) => `file${String(i).padStart(3, '0')}`);
  const good = rawTree(names.map((x) => ['100644', x] as [string, string]));
  const bad = rawTree([...names.slice(0, 30), names[29], ...names.slice(30, 50)].map((x) => ['100644', x] as [string, string]));
  const pack = packOf([good, bad, blob]);
  const packPath = join(dir, 'delta-tree.pack');
  writeFileSync(packPath, pack);
  const v = git(dir, ['verify-pack', '-v', (git(dir, ['index-pack', packPath]), packPath.replace(/\.pack$/, '.idx'))]);
  assert.match(v, new RegExp(`^${bad} tree +\\d+ \\d+ \\d+ 1 `, 'm'), 'the bad tree is a delta');
  const g = gitRun(dir, ['index-pack', '--strict', '-o', join(dir, 'x.idx'), packPath]);
  assert.is(g.status, 128);
  const lines: string[] = [];
  const out = join(dir, 'worker-out');
  git(dir, ['init', '-q', '--bare', out]);
  const indexer = await PackIndexer.create({ packDir: join(out, 'objects', 'pack'), threads: 2, mainThread: false, strict: { report: (l) => lines.push(l) } });
  indexer.write(pack);
  try {
    await indexer.finish();
    assert.unreachable('the pack must be refused');
  } catch (err) {
    assert.is((err as Error).message, 'fsck error in packed object');
  }
  assert.is(lines.join('\n') + '\n' + 'fatal: fsck error in packed object\n', g.stderr);
  assert.equal(readdirSync(join(out, 'objects', 'pack')), []);
});

test.after(cleanup);
test.run();
