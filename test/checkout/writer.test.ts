// A large checkout's writer thread (host/checkout/writer.ts): what it writes
// must be what `git clone` writes, as the single-threaded path does, and its
// failures (a file in the way, a system error, a full disk, an abort) must
// read the same and leave nothing behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkout, type CheckoutOptions } from '../../host/checkout/checkout.ts';
import { clone } from '../../host/clone.ts';
import { systemErrorMessage } from '../../host/errors.ts';
import { UnsafePathError } from '../../host/core/tree.ts';
import { git, gitEnv, tempDir } from '../helpers/git.ts';
import { skipWithReason } from '../helpers/skip.ts';
import { g, listing, makeSampleRepo, packObjects, packsOf, readIndexFile, sameAsGit, writeBlob, writeRawTree } from './make-repo.ts';

const tmp = tempDir('writer');
const sample = makeSampleRepo(tmp.dir);
const sampleRef = join(tmp.dir, 'sample-ref');
g(tmp.dir, ['clone', '-q', sample, sampleRef]);

/** More files than the thread's threshold (2000): regular, executable, links, equal contents, 60 directories two deep. */
const FILES = 2600;
const big = join(tmp.dir, 'big');
{
  g(tmp.dir, ['init', '-q', '--bare', '-b', 'main', big]);
  const parts: string[] = ['commit refs/heads/main\ncommitter T <t@example.com> 1600000000 +0000\ndata 5\nmany\n'];
  for (let i = 0; i < FILES; i++) {
    const path = `d${i % 30}/s${i % 2}/f${i}.txt`;
    if (i % 500 === 7) parts.push(`M 120000 inline ${path}\ndata 8\n../other`);
    else {
      // Every 10th file has the same content as another: one blob, several files.
      const data = i % 10 === 3 ? 'shared content\n' : `file ${i}\n${'line\n'.repeat(i % 9)}`;
      parts.push(`M ${i % 97 === 5 ? '100755' : '100644'} inline ${path}\ndata ${Buffer.byteLength(data)}\n${data}`);
    }
  }
  git(big, ['fast-import', '--quiet'], { input: parts.join('\n') + '\n\n' });
}
const bigRef = join(tmp.dir, 'big-ref');
g(tmp.dir, ['clone', '-q', big, bigRef]);
let n = 0;

/** A fresh `git clone --no-checkout` of `repo`, and checkout() options for its HEAD tree. */
function target(repo: string): { dst: string; opts: CheckoutOptions } {
  const dst = join(tmp.dir, `dst${n++}`);
  g(tmp.dir, ['clone', '-q', '--no-checkout', repo, dst]);
  const treeOid = git(dst, ['rev-parse', 'HEAD^{tree}']).trim();
  return { dst, opts: { gitDir: join(dst, '.git'), workTree: dst, treeOid, packs: packsOf(join(dst, '.git')) } };
}

/** Files (not directories) under `dir`, .git left out. */
function fileCount(dir: string): number {
  return listing(dir).filter((l) => !l.includes(' dir ')).length;
}

test('the sample through the writer thread: files, modes, links, gitlink and index as git clone makes them', async () => {
  const { dst, opts } = target(sample);
  const calls: [number, number][] = [];
  const res = await checkout({ ...opts, writerThread: true, onProgress: (d, t) => calls.push([d, t]) });
  sameAsGit(dst, sampleRef);
  const entries = git(dst, ['ls-files']).split('\n').filter(Boolean).length;
  assert.is(res.files, entries);
  assert.equal(calls.at(-1), [entries, entries], 'progress ends at the total');
  assert.ok(calls.every(([d], i) => i === 0 || d > calls[i - 1][0]), 'progress only goes up');
  // Stat data crossed from the thread intact: each entry's is what lstat says now.
  const u = (v: bigint) => Number(BigInt.asUintN(32, v));
  for (const e of readIndexFile(join(dst, '.git', 'index')).entries) {
    const st = lstatSync(join(dst, e.path), { bigint: true });
    assert.equal(
      [e.ctimeSec, e.ctimeNsec, e.mtimeSec, e.mtimeNsec, e.dev, e.ino, e.uid, e.gid, e.size],
      [u(st.ctimeNs / 1000000000n), u(st.ctimeNs % 1000000000n), u(st.mtimeNs / 1000000000n), u(st.mtimeNs % 1000000000n), u(st.dev), u(st.ino), u(st.uid), u(st.gid), u(st.size)],
      e.path,
    );
  }
});

test(`${FILES} files: the thread is used without being asked, and the result is git clone's`, async () => {
  const { dst, opts } = target(big);
  let calls = 0;
  const res = await checkout({ ...opts, onProgress: () => calls++ });
  assert.is(res.files, FILES);
  // The single-threaded path reports each file; the thread reports batches.
  assert.ok(calls < FILES / 10, `progress came in batches (${calls} reports)`);
  sameAsGit(dst, bigRef);
});

test('a thread the walk started is stopped when most entries are gitlinks, and the checkout is still git clone\'s', async () => {
  const repo = join(tmp.dir, 'gitlinks');
  g(tmp.dir, ['init', '-q', '--bare', '-b', 'main', repo]);
  const parts = ['commit refs/heads/main\ncommitter T <t@example.com> 1600000000 +0000\ndata 5\nlink\n'];
  for (let i = 0; i < 2100; i++) parts.push(`M 160000 ${'1'.repeat(39)}${i % 10} m${i % 20}/sub${i}`);
  for (let i = 0; i < 3; i++) parts.push(`M 100644 inline f${i}.txt\ndata 2\n${i}\n`);
  git(repo, ['fast-import', '--quiet'], { input: parts.join('\n') + '\n\n' });
  git(repo, ['repack', '-adq']);
  const ref = join(tmp.dir, 'gitlinks-ref');
  g(tmp.dir, ['clone', '-q', repo, ref]);
  const { dst, opts } = target(repo);
  let calls = 0;
  const res = await checkout({ ...opts, onProgress: () => calls++ });
  assert.is(res.files, 2103);
  assert.is(calls, 2103, 'one report per entry: the single-threaded path wrote the files');
  sameAsGit(dst, ref);
});

test('a file in the way: the same refusal with or without the thread, and nothing written after it', async () => {
  const messages: string[] = [];
  for (const writerThread of [true, false]) {
    const { dst, opts } = target(big);
    mkdirSync(join(dst, 'd4', 's0'), { recursive: true });
    writeFileSync(join(dst, 'd4', 's0', 'f1234.txt'), 'mine\n');
    mkdirSync(join(dst, 'd5', 's1'), { recursive: true });
    symlinkSync('/nowhere', join(dst, 'd5', 's1', 'f1235.txt'));
    let failure: unknown;
    await checkout({ ...opts, writerThread }).catch((e) => (failure = e));
    assert.instance(failure, UnsafePathError, `${writerThread}: ${failure}`);
    messages.push((failure as Error).message);
    assert.not.ok(existsSync(join(dst, '.git', 'index')), 'no index written');
    assert.ok(fileCount(dst) < FILES, 'the checkout stopped');
  }
  assert.is(messages[0], messages[1]);
  assert.match(messages[0], /^refusing to check out 'd(4\/s0\/f1234|5\/s1\/f1235)\.txt': something already exists at this path$/);
});

test('a system error in the thread keeps its code, call, path and message', async () => {
  // A name longer than the filesystem allows (NAME_MAX 255): git stores it, open() fails with ENAMETOOLONG.
  const repo = join(tmp.dir, 'long-name');
  g(tmp.dir, ['init', '-q', repo]);
  const blob = writeBlob(repo, 'x\n');
  const tree = writeRawTree(repo, [
    { mode: '100644', name: 'a.txt', id: blob },
    { mode: '100644', name: 'n'.repeat(300), id: blob },
  ]);
  const packs = packObjects(repo, [tree, blob], join(tmp.dir, 'long-name-pack'));
  const seen: NodeJS.ErrnoException[] = [];
  for (const writerThread of [true, false]) {
    const dst = join(tmp.dir, 'long-name-dst');
    rmSync(dst, { recursive: true, force: true });
    g(tmp.dir, ['init', '-q', dst]);
    let failure: unknown;
    await checkout({ gitDir: join(dst, '.git'), workTree: dst, treeOid: tree, packs, writerThread }).catch((e) => (failure = e));
    assert.instance(failure, Error);
    seen.push(failure as NodeJS.ErrnoException);
  }
  const [thread, plain] = seen;
  assert.is(plain.code, 'ENAMETOOLONG', plain.message);
  for (const k of ['message', 'code', 'errno', 'syscall', 'path'] as const) assert.is(thread[k], plain[k], k);
  assert.is(systemErrorMessage(thread), systemErrorMessage(plain));
  assert.match(systemErrorMessage(thread)!, /^unable to open '.*\/n{300}': File name too long$/);
});

test('an abort stops the thread: once checkout() rejects, no file is added', async () => {
  const { dst, opts } = target(big);
  const ac = new AbortController();
  let failure: unknown;
  await checkout({ ...opts, writerThread: true, signal: ac.signal, onProgress: () => ac.abort() }).catch((e) => (failure = e));
  assert.is((failure as Error)?.name, 'AbortError', String(failure));
  const now = fileCount(dst);
  assert.ok(now > 0 && now < FILES, `stopped part-way (${now} of ${FILES})`);
  await new Promise((r) => setTimeout(r, 100));
  assert.is(fileCount(dst), now, 'nothing written after the rejection');
  assert.not.ok(existsSync(join(dst, '.git', 'index')), 'no index written');
});

/** Whether a tmpfs can be mounted here (root, and a kernel that lets us): the reason when not. */
function mountProblem(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = join(tmp.dir, 'probe');
  mkdirSync(probe);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
  spawnSync('umount', [probe]);
  return null;
}

const fullDisk = 'a full disk while the thread writes: git\'s message, and the clone removed';
const noMount = mountProblem();
if (noMount) skipWithReason(test, fullDisk, noMount);
else
  test(fullDisk, async () => {
    // 1 MiB: the pack fits, 2600 files of a 4 KiB block each do not.
    const disk = join(tmp.dir, 'disk');
    mkdirSync(disk);
    assert.is(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk]).status, 0, 'mount');
    try {
      let failure: unknown;
      await clone({ repository: big, directory: join(disk, 'clone'), env: gitEnv }).catch((e) => (failure = e));
      // The clone's error: what the CLI prints after "fatal: ", as git words it.
      assert.is((failure as Error)?.message, 'write error: No space left on device', String(failure));
      assert.equal(readdirSync(disk), [], 'nothing left on the disk');
    } finally {
      spawnSync('umount', [disk]);
    }
  });

test.after(() => tmp.cleanup());
test.run();
