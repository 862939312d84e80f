// A plain local path, read without git: the refs match `git ls-remote <path>`,
// and the one pack stream built from the repository's packs (copied verbatim, or
// with duplicates left out and OFS_DELTAs rewritten) and loose objects (re-encoded
// with stored zlib blocks) is accepted by `git index-pack` and `git fsck`.
// One case runs in a child process whose PATH has no git at all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRemote, TransportError, type Advertisement, type RemoteRef } from '../../host/transport/index.ts';
import { formatLsRemote } from '../../host/cli/ls-remote.ts';
import { collectingSink, git, gitLsRemote, tempDir, testEnv, verifyFetched, within } from '../helpers/remote-repos.ts';

const tmp = tempDir('local');
const spawnSyncGit = (args: string[]) => spawnSync('git', args, { encoding: 'utf8' });
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function commit(work: string, msg: string, files: Record<string, string | Uint8Array>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(work, name, '..'), { recursive: true });
    writeFileSync(join(work, name), content);
  }
  git(work, ['add', '-A']);
  git(work, ['commit', '-q', '-m', msg]);
  return git(work, ['rev-parse', 'HEAD']).trim();
}

const text = (seed: number, lines: number) => Array.from({ length: lines }, (_, i) => `line ${i} of a file that changes a little (${(i * seed) % 97})`).join('\n');

async function fetchAll(path: string) {
  const remote = await openRemote(path, { env: testEnv });
  try {
    const adv = await within(20_000, 'advertise', remote.advertise());
    const sink = collectingSink();
    const res = await within(60_000, 'fetch', remote.fetch({ wants: adv.refs.map((r) => r.oid) }, sink));
    return { adv, sink, res };
  } finally {
    await remote.close();
  }
}

/** Every object the source has, as `git cat-file --batch-all-objects` lists them. */
function allObjects(gitDir: string): string[] {
  return git(gitDir, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname)']).split('\n').filter(Boolean).sort();
}

function checkAgainstGit(source: string, adv: Advertisement, pack: Uint8Array, gitDirOfSource = source) {
  const v = verifyFetched(tmp.dir, pack, adv.refs);
  assert.equal([...v.objects.keys()].sort(), allObjects(gitDirOfSource), 'the pack holds every object of the source, once');
  return v;
}

test('one pack plus loose objects (a multi-block one, an empty one); peeled tags; refs match git ls-remote', async () => {
  const work = join(tmp.dir, 'simple');
  git(tmp.dir, ['init', '-q', '-b', 'main', work]);
  commit(work, 'one', { 'a.txt': text(3, 400), 'dir/b.bin': randomBytes(40_000) });
  commit(work, 'two', { 'a.txt': text(5, 420) });
  git(work, ['tag', '-a', 'v1', '-m', 'tag one']);
  git(work, ['tag', '-a', 'v1-again', '-m', 'a tag of a tag', 'v1']);
  git(work, ['repack', '-adq']);
  git(work, ['pack-refs', '--all']);
  // Loose from here on: a blob over 64 KiB (several stored blocks), an empty blob, a loose tag, a branch.
  commit(work, 'three', { 'big.bin': randomBytes(200_000), 'empty': '' });
  git(work, ['tag', '-a', 'v3', '-m', 'loose tag']);
  git(work, ['branch', 'side', 'HEAD~1']);
  git(work, ['symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/heads/side']);
  const { adv, sink } = await fetchAll(work);
  assert.equal(formatLsRemote(adv), await gitLsRemote(work));
  assert.is(adv.headTarget, 'refs/heads/main');
  assert.is(adv.refs.find((r) => r.name === 'refs/remotes/origin/HEAD')?.symrefTarget, 'refs/heads/side');
  checkAgainstGit(work, adv, sink.bytes(), join(work, '.git'));
});

/** `git verify-pack -v` of a pack: id → base id (for deltas) or null. */
function packEntries(work: string, idx: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const line of git(work, ['verify-pack', '-v', idx]).split('\n')) {
    const m = /^([0-9a-f]{40}) +\w+ +\d+ \d+ \d+(?: \d+ ([0-9a-f]{40}))?/.exec(line);
    if (m) out.set(m[1], m[2] ?? null);
  }
  return out;
}

test('objects in several packs appear once; OFS_DELTA entries whose bases were left out become REF_DELTA', async () => {
  const work = join(tmp.dir, 'dups');
  git(tmp.dir, ['init', '-q', '-b', 'main', work]);
  // Versions differ in a few lines and shrink over time, so git picks the older,
  // larger ones (which both packs hold) as delta bases for the newer ones.
  const version = (i: number) => `${text(2, 600 - 10 * i)}\nversion ${i}\n`;
  for (let i = 0; i < 10; i++) commit(work, `c${i}`, { 'f.txt': version(i), [`n${i}.txt`]: text(i + 7, 300 + i) });
  git(work, ['repack', '-adq', '--depth=50', '--window=50']);
  // A second, smaller pack sharing objects with the first: the last versions of
  // f.txt again, and new versions stored as deltas against them.
  for (let i = 10; i < 13; i++) commit(work, `c${i}`, { 'f.txt': version(i) });
  const oids = git(work, ['rev-list', '--objects', 'HEAD', '^HEAD~5']).split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
  const packDir = join(work, '.git', 'objects', 'pack');
  git(work, ['pack-objects', '-q', '--delta-base-offset', '--window=50', '--depth=50', join(packDir, 'pack')], `${oids.join('\n')}\n`);
  git(work, ['prune-packed']);
  const idxs = readdirSync(packDir).filter((n) => n.endsWith('.idx')).map((n) => join(packDir, n));
  assert.is(idxs.length, 2);
  const [big, small] = idxs.map((i) => packEntries(work, i)).sort((a, b) => b.size - a.size);
  const dups = [...small.keys()].filter((oid) => big.has(oid));
  const deltas = [...small.values()].filter(Boolean);
  assert.ok(dups.length > 0 && deltas.length > 0, `the smaller pack shares ${dups.length} objects and holds ${deltas.length} deltas`);
  assert.match(git(work, ['count-objects', '-v']), /^count: 0$/m);
  const { adv, sink } = await fetchAll(work);
  assert.equal(formatLsRemote(adv), await gitLsRemote(work));
  checkAgainstGit(work, adv, sink.bytes(), join(work, '.git'));
});

test('alternates: objects borrowed from another repository are sent too', async () => {
  const base = join(tmp.dir, 'alt-base');
  git(tmp.dir, ['init', '-q', '-b', 'main', base]);
  commit(base, 'base', { 'x.txt': text(11, 200) });
  git(base, ['repack', '-adq']);
  const borrower = join(tmp.dir, 'alt-borrower.git');
  git(tmp.dir, ['clone', '-q', '--bare', '--shared', base, borrower]);
  const scratch = join(tmp.dir, 'alt-work');
  git(tmp.dir, ['clone', '-q', borrower, scratch]);
  commit(scratch, 'more', { 'y.txt': text(13, 200) });
  git(scratch, ['push', '-q', 'origin', 'main']);
  const { adv, sink } = await fetchAll(borrower);
  assert.equal(formatLsRemote(adv), await gitLsRemote(borrower));
  checkAgainstGit(borrower, adv, sink.bytes());
});

test('a pack larger than the output chunk streams in chunks of at most 1 MiB', async () => {
  const work = join(tmp.dir, 'large');
  git(tmp.dir, ['init', '-q', '-b', 'main', work]);
  commit(work, 'big', { 'a.bin': randomBytes(3 << 20) });
  git(work, ['repack', '-adq']);
  const remote = await openRemote(work, { env: testEnv });
  const adv = await remote.advertise();
  const sizes: number[] = [];
  const parts: Uint8Array[] = [];
  await remote.fetch({ wants: [adv.refs[0].oid] }, { pack: (c) => void (sizes.push(c.length), parts.push(c.slice())), remoteMessage() {} });
  assert.ok(sizes.length >= 3, `${sizes.length} chunks`);
  assert.ok(Math.max(...sizes) <= 1 << 20);
  verifyFetched(tmp.dir, Buffer.concat(parts), adv.refs);
});

test('a shallow source passes its shallow list on; depth and filter are ignored with git\'s warnings', async () => {
  const src = join(tmp.dir, 'deep');
  git(tmp.dir, ['init', '-q', '-b', 'main', src]);
  for (let i = 0; i < 3; i++) commit(src, `c${i}`, { 'f.txt': text(i + 1, 100) });
  const shallowClone = join(tmp.dir, 'shallow-src');
  git(tmp.dir, ['clone', '-q', '--depth=1', `file://${src}`, shallowClone]);
  const remote = await openRemote(shallowClone, { env: testEnv });
  const adv = await remote.advertise();
  const sink = collectingSink();
  const res = await remote.fetch({ wants: adv.refs.map((r) => r.oid), depth: 1, filter: 'blob:none' }, sink);
  assert.equal(res.shallow, [git(shallowClone, ['rev-parse', 'HEAD']).trim()]);
  assert.equal(res.warnings, ['--depth is ignored in local clones; use file:// instead.', '--filter is ignored in local clones; use file:// instead.']);
  verifyFetched(tmp.dir, sink.bytes(), adv.refs, { shallow: res.shallow });
});

test('a missing path and a directory that is no repository: not-found errors', async () => {
  const missing = join(tmp.dir, 'nowhere');
  let err = await openRemote(missing).then((r) => r.advertise()).catch((e) => e);
  assert.instance(err, TransportError);
  assert.is(err.kind, 'not-found');
  // What git upload-pack says for a path with no repository, missing or not.
  assert.match(err.message, `'${missing}' does not appear to be a git repository\nCould not read from remote repository.`);
  const plain = join(tmp.dir, 'plain-dir');
  mkdirSync(plain);
  err = await openRemote(plain).then((r) => r.advertise()).catch((e) => e);
  assert.is(err.kind, 'not-found');
  assert.match(err.message, /does not appear to be a git repository/);
});

test('a malformed packed-refs line is refused with its line number, as git refuses it (never an empty repository)', async () => {
  const bare = join(tmp.dir, 'bad-packed.git');
  git(tmp.dir, ['init', '-q', '--bare', bare]);
  const oid = '7b535547895c5629fabdebd2863a546400ba3e03';
  for (const [what, body] of [
    ['no object id', ' refs/heads/x\n'],
    ['a short object id', `${oid.slice(0, 12)} refs/heads/x\n`],
    ['a peeled line first', `^${oid}\n`],
  ]) {
    writeFileSync(join(bare, 'packed-refs'), `# pack-refs with: peeled fully-peeled sorted \n${body}`);
    const err = await openRemote(bare, { env: testEnv }).then((r) => r.advertise()).catch((e) => e);
    assert.instance(err, TransportError, what);
    assert.match(err.message, 'packed-refs:2: unexpected line', what);
    const theirs = spawnSyncGit(['ls-remote', bare]);
    assert.is(theirs.status, 128, `git refuses ${what} too`);
  }
  // A loose ref holding neither an id nor `ref: <name>`: git's clone fails on it ("has a null OID"); so does ours, naming it.
  writeFileSync(join(bare, 'packed-refs'), '');
  writeFileSync(join(bare, 'refs', 'heads', 'junk'), 'garbage\n');
  const err = await openRemote(bare, { env: testEnv }).then((r) => r.advertise()).catch((e) => e);
  assert.instance(err, TransportError);
  assert.match(err.message, /refs\/heads\/junk: broken ref/);
  const theirs = spawnSync('git', ['clone', '-q', bare, join(tmp.dir, 'junk-clone')], { encoding: 'utf8' });
  assert.is(theirs.status, 128, 'git refuses it too');
});

test('a SHA-256 repository: tags and deltified commits in a REF_DELTA pack are read to peel; refs match git ls-remote', async () => {
  const work = join(tmp.dir, 'sha256');
  git(tmp.dir, ['init', '-q', '-b', 'main', '--object-format=sha256', work]);
  for (let i = 0; i < 4; i++) {
    // Long messages alike: a commit is worth storing as a delta despite two 64-digit ids.
    commit(work, `c${i}\n\n${'a message body that every commit shares. '.repeat(8)}`, { 'a.txt': text(i + 3, 300) });
    git(work, ['tag', '-a', `v${i}`, '-m', `tag ${i}`]);
  }
  git(work, ['tag', '-a', 'nested', '-m', 'a tag of a tag', 'v1']);
  // Refs stay loose, so every one is looked up in the objects; REF_DELTA bases are 32-byte ids.
  git(work, ['-c', 'repack.useDeltaBaseOffset=false', 'repack', '-adfq', '--depth=10']);
  const idx = readdirSync(join(work, '.git', 'objects', 'pack')).find((n) => n.endsWith('.idx'))!;
  assert.match(git(work, ['verify-pack', '-v', join(work, '.git', 'objects', 'pack', idx)]), /^[0-9a-f]{64} commit .* [0-9a-f]{64}$/m, 'a commit is stored as a delta');
  commit(work, 'loose', { 'b.txt': 'loose\n' });
  git(work, ['tag', '-a', 'v-loose', '-m', 'a loose tag']);
  const remote = await openRemote(work, { env: testEnv });
  try {
    const adv = await remote.advertise();
    assert.is(adv.objectFormat, 'sha256');
    assert.is(adv.refs.filter((r) => r.peeled).length, 6);
    assert.equal(formatLsRemote(adv), await gitLsRemote(work));
  } finally {
    await remote.close();
  }
});

test('the path is looked up as git clone does: <path>.git when <path> is none, and a linked worktree\'s git directory', async () => {
  const work = join(tmp.dir, 'lookup');
  git(tmp.dir, ['init', '-q', '-b', 'main', work]);
  commit(work, 'one', { 'a.txt': text(23, 50) });
  git(tmp.dir, ['clone', '-q', '--bare', work, join(tmp.dir, 'lookup-bare.git')]);
  const tree = join(tmp.dir, 'lookup-worktree');
  git(work, ['worktree', 'add', '-q', '-b', 'side', tree]);
  commit(tree, 'on side', { 'b.txt': text(29, 50) });
  for (const path of [join(tmp.dir, 'lookup-bare'), tree]) {
    const { adv, sink } = await fetchAll(path);
    assert.equal(formatLsRemote(adv), await gitLsRemote(path), path);
    verifyFetched(tmp.dir, sink.bytes(), adv.refs);
  }
  const remote = await openRemote(tree, { env: testEnv });
  assert.is((await remote.advertise()).headTarget, 'refs/heads/side');
  await remote.close();
});

test('with no git on PATH at all, a plain path still clones (run in a child process)', async () => {
  const work = join(tmp.dir, 'nogit');
  git(tmp.dir, ['init', '-q', '-b', 'main', work]);
  commit(work, 'one', { 'a.txt': text(17, 300) });
  git(work, ['tag', '-a', 'v1', '-m', 'v1']);
  git(work, ['repack', '-adq']);
  commit(work, 'two', { 'a.txt': text(19, 310) });
  const script = join(tmp.dir, 'nogit-child.mts');
  const out = join(tmp.dir, 'nogit.pack');
  writeFileSync(
    script,
    `import { openRemote } from ${JSON.stringify(join(repoRoot, 'host/transport/index.ts'))};
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
if (!spawnSync('git', ['--version']).error) throw new Error('git is reachable, the test proves nothing');
const r = await openRemote(${JSON.stringify(work)}, { env: process.env });
const adv = await r.advertise();
const parts = [];
await r.fetch({ wants: adv.refs.map((x) => x.oid) }, { pack: (c) => { parts.push(Buffer.from(c)); }, remoteMessage() {} });
writeFileSync(${JSON.stringify(out)}, Buffer.concat(parts));
process.stdout.write(JSON.stringify(adv.refs));
`,
  );
  const refs = await within(
    60_000,
    'the child process',
    new Promise<RemoteRef[]>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, env: { PATH: '', HOME: tmp.dir }, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`child failed: ${stderr || err.message}`));
        else resolve(JSON.parse(stdout));
      });
    }),
  );
  const adv = { refs } as Advertisement;
  assert.equal(formatLsRemote(adv), await gitLsRemote(work));
  checkAgainstGit(work, adv, readFileSync(out), join(work, '.git'));
});

test.after(() => tmp.cleanup());

test.run();
