// `wasmgit clone` as a command: git's messages and exit codes for usage errors,
// missing repositories and branches, a non-empty target; progress lines as git
// prints them with --progress; nothing left behind by a failed or interrupted
// clone; local paths and file:// URLs give what git clone gives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { skipWithReason } from '../helpers/skip.ts';
import { fileURLToPath } from 'node:url';
import { slowRelay, type HttpServer } from '../helpers/servers.ts';
import { assertSameClone, git, gitAsync, gitEnv, serveFixture, treeListing, type Fixture } from './fixture.ts';

const cli = fileURLToPath(new URL('../../host/cli/wasmgit.ts', import.meta.url));
// Resolved here, so the CLI runs from source whatever directory it runs in.
const tsx = import.meta.resolve('tsx');

function wasmgit(args: string[], cwd: string, opts: { env?: NodeJS.ProcessEnv; onStderr?(text: string, child: ReturnType<typeof spawn>): void } = {}): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, cli, ...args], { cwd, env: opts.env ?? gitEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr, child);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

let fx: Fixture;
let server: HttpServer;
let work: string;
let close: () => Promise<void>;

test.before(async () => {
  ({ fx, server, work, close } = await serveFixture('clone-cli'));
});

test.after(() => close());

test('--progress: git\'s lines on stderr, in git\'s order and format', async () => {
  const r = await wasmgit(['clone', '--progress', server.url('repo.git'), 'progress'], work);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Cloning into 'progress'\.\.\.\n/);
  assert.match(r.stderr, /remote: Enumerating objects: \d+, done\. {8}\n/);
  assert.match(r.stderr, /Receiving objects: 100% \((\d+)\/\1\)(, [\d.]+ (bytes|KiB|MiB) \| [\d.]+ (bytes|KiB|MiB)\/s)?, done\.\n/);
  assert.match(r.stderr, /Resolving deltas: 100% \((\d+)\/\1\), done\.\n/);
  assert.ok(r.stderr.indexOf('Receiving objects') < r.stderr.indexOf('Resolving deltas'));
  // Without a terminal and without --progress: only the first line.
  const quiet = await wasmgit(['clone', server.url('repo.git'), 'noprogress'], work);
  assert.is(quiet.stderr, "Cloning into 'noprogress'...\n");
  const q = await wasmgit(['clone', '-q', '--progress', server.url('repo.git'), 'q'], work);
  assert.is(q.stderr, '');
});

test('the directory name is guessed from the URL; --bare adds .git', async () => {
  const d = join(work, 'guess');
  mkdirSync(d);
  assert.is((await wasmgit(['clone', '-q', server.url('repo.git')], d)).code, 0);
  assert.is((await wasmgit(['clone', '-q', '--bare', server.url('repo.git')], d)).code, 0);
  assert.equal(readdirSync(d).sort(), ['repo', 'repo.git']);
});

test('local path and file:// clones are what git clone makes', async () => {
  for (const src of [fx.path('repo.git'), `file://${fx.path('repo.git')}`]) {
    const tag = src.startsWith('file') ? 'file' : 'path';
    await gitAsync(work, ['clone', '-q', src, `git-${tag}`]);
    const r = await wasmgit(['clone', src, `ours-${tag}`], work);
    assert.is(r.code, 0, r.stderr);
    // git prints "done." after copying a local repository's objects.
    assert.is(r.stderr, tag === 'path' ? `Cloning into 'ours-${tag}'...\ndone.\n` : `Cloning into 'ours-${tag}'...\n`);
    assertSameClone(join(work, `ours-${tag}`), join(work, `git-${tag}`));
  }
});

test('a shallow source: the clone is shallow too, as git makes it; --reject-shallow and clone.rejectShallow refuse it; -l is ignored with git\'s warnings', async () => {
  const shallowSrc = join(work, 'shallow-src.git');
  git(work, ['clone', '-q', '--bare', '--depth', '2', `file://${fx.path('repo.git')}`, shallowSrc]);
  const stderrOf = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((res) => {
      const c = spawn('git', args, { cwd: work, env: gitEnv });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (code) => res({ code, stderr: err }));
    });
  for (const [tag, src] of [['path', shallowSrc], ['file', `file://${shallowSrc}`]]) {
    for (const [variant, extra] of [['plain', []], ['l', ['-l']]] as const) {
      const name = `shallow-${tag}-${variant}`;
      const theirs = await stderrOf(['clone', ...extra, src, `git-${name}`]);
      const ours = await wasmgit(['clone', ...extra, src, `ours-${name}`], work);
      assert.is(ours.code, 0, ours.stderr);
      assert.is(ours.stderr.replace(`ours-${name}`, `git-${name}`), theirs.stderr, `${name}: stderr`);
      assert.is(readFileSync(join(work, `ours-${name}`, '.git', 'shallow'), 'utf8'), readFileSync(join(work, `git-${name}`, '.git', 'shallow'), 'utf8'), `${name}: shallow file`);
      assertSameClone(join(work, `ours-${name}`), join(work, `git-${name}`));
    }
    for (const refuse of [['--reject-shallow'], ['-c', 'clone.rejectShallow=true']]) {
      const name = `refused-${tag}-${refuse.length}`;
      const theirs = await stderrOf(['clone', ...refuse, src, name]);
      const ours = await wasmgit(['clone', ...refuse, src, name], work);
      assert.is(ours.code, 128, ours.stderr);
      assert.is(ours.stderr, theirs.stderr, `${name}: stderr`);
      assert.not.ok(existsSync(join(work, name)), `${name} is not left behind`);
    }
  }
  // A local path's warnings for what a local clone ignores come before the refusal, as in builtin/clone.c.
  for (const refuse of [['--reject-shallow', '--depth', '1', '--filter=blob:none'], ['-l', '--shallow-since=@1700000000', '-c', 'clone.rejectShallow=true']]) {
    const name = `refused-warned-${refuse[0]}`;
    const theirs = await stderrOf(['clone', ...refuse, shallowSrc, name]);
    const ours = await wasmgit(['clone', ...refuse, shallowSrc, name], work);
    assert.is(theirs.code, 128, theirs.stderr);
    assert.is(ours.code, 128, ours.stderr);
    assert.is(ours.stderr, theirs.stderr, `${name}: stderr`);
    assert.not.ok(existsSync(join(work, name)), `${name} is not left behind`);
  }
  // A source that is not shallow passes --reject-shallow; -l with a URL is ignored with git's warning.
  const theirs = await stderrOf(['clone', '-l', '--reject-shallow', `file://${fx.path('repo.git')}`, 'git-l-url']);
  const ours = await wasmgit(['clone', '-l', '--reject-shallow', `file://${fx.path('repo.git')}`, 'ours-l-url'], work);
  assert.is(ours.code, 0, ours.stderr);
  assert.is(ours.stderr.replace('ours-l-url', 'git-l-url'), theirs.stderr);
});

test('--filter with a local path: ignored with git\'s warning, the partial clone still registered in the config as git does', async () => {
  const empty = join(work, 'filter-empty-src.git');
  git(work, ['init', '-q', '--bare', empty]);
  for (const [name, src, extra] of [['filter-local', fx.path('repo.git'), []], ['filter-local-mirror', fx.path('repo.git'), ['--mirror']], ['filter-local-empty', empty, []]] as const) {
    const theirs = await new Promise<string>((resolve) => {
      const c = spawn('git', ['clone', '--filter=blob:none', ...extra, src, `git-${name}`], { cwd: work, env: gitEnv });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', () => resolve(err));
    });
    const ours = await wasmgit(['clone', '--filter=blob:none', ...extra, src, `ours-${name}`], work);
    assert.is(ours.code, 0, ours.stderr);
    assert.is(ours.stderr.replace(`ours-${name}`, 'X'), theirs.replace(`git-${name}`, 'X'), `${name}: stderr`);
    assertSameClone(join(work, `ours-${name}`), join(work, `git-${name}`), { bare: extra.length > 0 });
  }
});

test('--no-local: a path cloned through git-upload-pack, as git does (--depth and --filter apply, no "done.")', async () => {
  for (const [name, extra] of [['plain', []], ['depth', ['--depth', '1']], ['filter', ['--filter=blob:none']]] as const) {
    const theirs = spawnSync('git', ['clone', '--no-local', ...extra, fx.path('repo.git'), `git-no-local-${name}`], { cwd: work, env: gitEnv, encoding: 'utf8' });
    const ours = await wasmgit(['clone', '--no-local', ...extra, fx.path('repo.git'), `ours-no-local-${name}`], work);
    assert.is(theirs.status, 0, theirs.stderr);
    assert.is(ours.code, 0, ours.stderr);
    assert.is(ours.stderr.replace('ours-', 'git-'), theirs.stderr, name);
    assertSameClone(join(work, `ours-no-local-${name}`), join(work, `git-no-local-${name}`));
    const objects = (d: string) => git(join(work, d), ['cat-file', '--batch-all-objects', '--batch-check']);
    assert.is(objects(`ours-no-local-${name}`), objects(`git-no-local-${name}`), `${name}: the same objects`);
  }
});

test('a --branch that is not there (an empty one included), with and without --single-branch: git\'s words, in git\'s order', async () => {
  for (const args of [['-b', 'nosuch'], ['-b', 'nosuch', '--single-branch'], ['--branch='], ['--branch=', '--depth', '1']]) {
    const src = args.includes('--depth') ? `file://${fx.path('repo.git')}` : fx.path('repo.git');
    const theirs = spawnSync('git', ['clone', ...args, src, 'git-nobranch'], { cwd: work, env: gitEnv, encoding: 'utf8' });
    const ours = await wasmgit(['clone', ...args, src, 'ours-nobranch'], work);
    assert.is(theirs.status, 128, theirs.stderr);
    assert.is(ours.code, 128, ours.stderr);
    assert.is(ours.stderr.replace('ours-', 'git-'), theirs.stderr, args.join(' '));
    assert.not.ok(existsSync(join(work, 'ours-nobranch')));
  }
});

test('a -c entry git cannot write: git\'s two lines after "Cloning into", exit 128, nothing left', async () => {
  for (const bad of ['nosection', '=x', 'a.b.', 'a.1b=x']) {
    const theirs = spawnSync('git', ['clone', '-c', 'ok.key=1', '-c', bad, fx.path('repo.git'), 'git-badc'], { cwd: work, env: gitEnv, encoding: 'utf8' });
    const ours = await wasmgit(['clone', '-c', 'ok.key=1', '-c', bad, fx.path('repo.git'), 'ours-badc'], work);
    assert.is(theirs.status, 128, theirs.stderr);
    assert.is(ours.code, 128, ours.stderr);
    assert.is(ours.stderr.replace('ours-', 'git-'), theirs.stderr, bad);
    assert.not.ok(existsSync(join(work, 'ours-badc')));
  }
});

test('protocol.<name>.allow, $GIT_ALLOW_PROTOCOL and $GIT_PROTOCOL_FROM_USER apply to the URL or path given, as in git', async () => {
  const cases: [string[], NodeJS.ProcessEnv][] = [
    [['-c', 'protocol.file.allow=never'], {}],
    [['-c', 'protocol.allow=never'], {}],
    [[], { GIT_ALLOW_PROTOCOL: 'http:https' }],
    [[], { GIT_PROTOCOL_FROM_USER: '0' }],
    [['-c', 'protocol.file.allow=user'], {}],
    // Refused after the local clone's warnings, as git's transport_get() comes after them.
    [['-c', 'protocol.file.allow=never', '--depth', '1'], {}],
  ];
  for (const [args, extraEnv] of cases) {
    for (const src of [fx.path('repo.git'), `file://${fx.path('repo.git')}`]) {
      const env = { ...gitEnv, ...extraEnv };
      const theirs = spawnSync('git', ['clone', ...args, src, 'git-proto'], { cwd: work, env, encoding: 'utf8' });
      const ours = await wasmgit(['clone', ...args, src, 'ours-proto'], work, { env });
      const what = `${args.join(' ')} ${JSON.stringify(extraEnv)} ${src}`;
      assert.is(ours.code, theirs.status, `${what}: ${ours.stderr}`);
      assert.is(ours.stderr.replace('ours-', 'git-'), theirs.stderr, what);
      rmSync(join(work, 'git-proto'), { recursive: true, force: true });
      rmSync(join(work, 'ours-proto'), { recursive: true, force: true });
    }
  }
  // A submodule's file URL is not the user's: refused (twice), the superproject kept with
  // the leading directories of the submodule's git directory, exit 1, as with git.
  const theirs = spawnSync('git', ['clone', '-q', '--recurse-submodules', fx.path('repo.git'), 'git-proto-sub'], { cwd: work, env: gitEnv, encoding: 'utf8' });
  const ours = await wasmgit(['clone', '-q', '--recurse-submodules', fx.path('repo.git'), 'ours-proto-sub'], work);
  assert.is(theirs.status, 1, theirs.stderr);
  assert.is(ours.code, 1, ours.stderr);
  assert.is(ours.stderr.replaceAll('ours-', 'git-'), theirs.stderr);
  assert.equal(treeListing(join(work, 'ours-proto-sub', '.git', 'modules'), () => false), treeListing(join(work, 'git-proto-sub', '.git', 'modules'), () => false));
});

test('a local path is found as git clone finds it: without its .git suffix, or a linked worktree', async () => {
  const tree = join(work, 'lookup-worktree');
  await gitAsync(work, ['clone', '-q', fx.path('repo.git'), 'lookup-src']);
  await gitAsync(join(work, 'lookup-src'), ['worktree', 'add', '-q', '-b', 'side', tree]);
  for (const [src, name] of [[fx.path('repo'), 'no-suffix'], [tree, 'worktree']]) {
    await gitAsync(work, ['clone', '-q', src, `git-${name}`]);
    const r = await wasmgit(['clone', '-q', src, `ours-${name}`], work);
    assert.is(r.code, 0, r.stderr);
    assertSameClone(join(work, `ours-${name}`), join(work, `git-${name}`));
  }
  // `repo/` is looked up as typed: git finds neither `repo//.git` nor `repo/`, and never tries `repo.git`.
  const slash = `${fx.path('repo')}/`;
  const theirs = spawnSync('git', ['clone', slash, 'git-slash'], { cwd: work, env: gitEnv, encoding: 'utf8' });
  const ours = await wasmgit(['clone', slash, 'ours-slash'], work);
  assert.is(theirs.status, 128, theirs.stderr);
  assert.is(ours.code, 128, ours.stderr);
  assert.is(ours.stderr, theirs.stderr);
  assert.not.ok(existsSync(join(work, 'ours-slash')));
});

test('an empty repository, and a remote HEAD naming an unborn branch: git\'s warnings in git\'s order', async () => {
  const empty = join(work, 'empty-src.git');
  const unborn = join(work, 'unborn-src.git');
  git(work, ['init', '-q', '--bare', empty]);
  git(work, ['clone', '-q', '--bare', fx.path('repo.git'), unborn]);
  git(unborn, ['symbolic-ref', 'HEAD', 'refs/heads/no-such-branch']);
  let n = 0;
  for (const src of [empty, `file://${empty}`, unborn, `file://${unborn}`]) {
    for (const extra of [[], ['-n']]) {
      n++;
      const theirs = await new Promise<string>((resolve) => {
        const c = spawn('git', ['clone', ...extra, src, `git-warn-${n}`], { cwd: work, env: gitEnv });
        let err = '';
        c.stderr.on('data', (d) => (err += d));
        c.on('close', () => resolve(err));
      });
      const ours = await wasmgit(['clone', ...extra, src, `ours-warn-${n}`], work);
      assert.is(ours.code, 0, ours.stderr);
      assert.is(ours.stderr.replace(`ours-warn-${n}`, 'X'), theirs.replace(`git-warn-${n}`, 'X'), `${src} ${extra.join(' ')}`);
      assertSameClone(join(work, `ours-warn-${n}`), join(work, `git-warn-${n}`));
    }
  }
});

test('-l and --no-hardlinks, which scripts pass for local clones, give what git gives', async () => {
  await gitAsync(work, ['clone', '-q', '-l', '--no-hardlinks', fx.path('repo.git'), 'git-local-flags']);
  const r = await wasmgit(['clone', '-q', '-l', '--no-hardlinks', fx.path('repo.git'), 'ours-local-flags'], work);
  assert.is(r.code, 0, r.stderr);
  assertSameClone(join(work, 'ours-local-flags'), join(work, 'git-local-flags'));
});

test('a local path: the object files hardlinked as git links them (copied with --no-hardlinks); two packs and loose objects stay as they are', async () => {
  // A source with two packs, loose objects and a file git's local clone copies too (objects/info/packs).
  const src = join(work, 'linked-src');
  git(work, ['clone', '-q', '--no-local', fx.path('repo.git'), src]);
  for (const i of [1, 2]) {
    writeFileSync(join(src, `linked${i}.txt`), `linked ${i}\n`);
    git(src, ['add', '.']);
    git(src, ['commit', '-qm', `linked ${i}`]);
    if (i === 1) git(src, ['repack', '-dq']);
  }
  git(src, ['update-server-info']);
  // Files (mode, path, content) under objects/.
  const objectFiles = (repo: string) => treeListing(join(repo, '.git', 'objects'), () => false).filter((l) => l.startsWith('f '));
  const inode = (path: string) => lstatSync(path).ino;
  for (const [tag, extra] of [['links', []], ['copies', ['--no-hardlinks']]] as const) {
    await gitAsync(work, ['clone', '-q', ...extra, src, `git-${tag}`]);
    const r = await wasmgit(['clone', '-q', ...extra, src, `ours-${tag}`], work);
    assert.is(r.code, 0, r.stderr);
    assertSameClone(join(work, `ours-${tag}`), join(work, `git-${tag}`));
    const files = objectFiles(join(work, `ours-${tag}`));
    assert.equal(files, objectFiles(join(work, `git-${tag}`)), `${tag}: objects/ holds what git's holds`);
    // The source's object files, their content (a copy is made read-write, as git makes it).
    const content = (l: string) => l.replace(/^f \d+ /, '');
    assert.equal(files.map(content), objectFiles(src).map(content), `${tag}: the source's object files`);
    assert.is(files.filter((l) => / pack\/pack-[0-9a-f]{40}\.pack /.test(l)).length, 2, `${tag}: two packs`);
    assert.ok(files.some((l) => / [0-9a-f]{2}\/[0-9a-f]{38} /.test(l)), `${tag}: loose objects`);
    for (const rel of readdirSync(join(src, '.git', 'objects', 'pack'))) {
      const same = inode(join(src, '.git', 'objects', 'pack', rel)) === inode(join(work, `ours-${tag}`, '.git', 'objects', 'pack', rel));
      assert.is(same, tag === 'links', `${tag}: ${rel} ${tag === 'links' ? 'linked' : 'copied'}`);
    }
  }
});

test('a local source with alternates (one of them relative): the clone borrows from them as git\'s does', async () => {
  const base = join(work, 'alt-base.git');
  git(work, ['clone', '-q', '--bare', fx.path('repo.git'), base]);
  const src = join(work, 'alt-src.git');
  git(work, ['clone', '-q', '--bare', '--shared', base, src]);
  writeFileSync(join(src, 'objects', 'info', 'alternates'), `../../alt-base.git/objects\n${join(base, 'objects')}\n`);
  await gitAsync(work, ['clone', '-q', src, 'git-alt']);
  const r = await wasmgit(['clone', '-q', src, 'ours-alt'], work);
  assert.is(r.code, 0, r.stderr);
  const alternates = (dir: string) => readFileSync(join(work, dir, '.git', 'objects', 'info', 'alternates'), 'utf8');
  assert.is(alternates('ours-alt'), alternates('git-alt'));
  assert.is(alternates('ours-alt'), `${join(base, 'objects')}\n`, 'made absolute, each directory once');
  assertSameClone(join(work, 'ours-alt'), join(work, 'git-alt'));
});

test('a symbolic link in the source\'s objects/: refused in git\'s words, nothing left', async () => {
  for (const [name, target] of [['evil-dir', '/etc'], ['pack/evil-file', '/etc/passwd']]) {
    const src = join(work, `symlinked-${name.replace('/', '-')}.git`);
    git(work, ['clone', '-q', '--bare', fx.path('repo.git'), src]);
    symlinkSync(target, join(src, 'objects', name));
    const theirs = spawnSync('git', ['clone', '-q', src, 'git-symlinked'], { cwd: work, env: gitEnv, encoding: 'utf8' });
    const ours = await wasmgit(['clone', '-q', src, 'ours-symlinked'], work);
    assert.is(ours.code, 128, ours.stderr);
    assert.is(ours.code, theirs.status);
    assert.is(ours.stderr, theirs.stderr);
    assert.not.ok(existsSync(join(work, 'ours-symlinked')), 'nothing left');
  }
});

// Another filesystem than the temporary directory's, where links from it fail (EXDEV).
const other = '/dev/shm';
const crossName = 'an explicit --local to another filesystem: git\'s "failed to create link", nothing left; without it the objects are copied';
if (!existsSync(other) || lstatSync(other).dev === lstatSync(tmpdir()).dev) skipWithReason(test, crossName, `${other} is not another filesystem than ${tmpdir()} here`);
else test(crossName, async () => {
  const dst = join(other, `wasmgit-cross-${process.pid}`);
  const gdst = join(other, `git-cross-${process.pid}`);
  try {
    const theirs = spawnSync('git', ['clone', '-q', '--local', fx.path('repo.git'), gdst], { cwd: work, env: gitEnv, encoding: 'utf8' });
    const ours = await wasmgit(['clone', '-q', '--local', fx.path('repo.git'), dst], work);
    assert.is(ours.code, theirs.status);
    assert.is(ours.stderr.replaceAll(dst, 'X'), theirs.stderr.replaceAll(gdst, 'X'));
    assert.not.ok(existsSync(dst), 'nothing left');
    const plain = await wasmgit(['clone', '-q', fx.path('repo.git'), dst], work);
    assert.is(plain.code, 0, plain.stderr);
    assert.is(git(dst, ['status', '--porcelain']), '');
    assert.is(spawnSync('git', ['fsck', '--full', '--strict'], { cwd: dst, env: gitEnv }).status, 0);
  } finally {
    rmSync(dst, { recursive: true, force: true });
    rmSync(gdst, { recursive: true, force: true });
  }
});

test('a SHA-256 repository is refused with a clear message, over a path and file://, leaving nothing', async () => {
  const src = join(work, 'sha256-src');
  git(work, ['init', '-q', '--object-format=sha256', src]);
  writeFileSync(join(src, 'a.txt'), 'a\n');
  git(src, ['add', 'a.txt']);
  git(src, ['commit', '-q', '-m', 'a']);
  for (const url of [src, `file://${src}`]) {
    const r = await wasmgit(['clone', '-q', url, 'sha256-clone'], work);
    assert.is(r.code, 128, r.stderr);
    assert.is(r.stderr, 'fatal: the remote repository uses SHA-256 object names; wasmgit clones SHA-1 repositories only\n');
    assert.not.ok(existsSync(join(work, 'sha256-clone')));
  }
});

test('url.<base>.insteadOf from the global config rewrites the URL for clone and ls-remote, as git does', async () => {
  const globalConfig = join(work, 'insteadof.gitconfig');
  const base = server.url('');
  // Two aliases for one base, and a longer prefix that must win over a shorter one.
  writeFileSync(globalConfig, `[url "${base}"]\n\tinsteadOf = srv:\n\tinsteadOf = s:\n[url "${base}nope/"]\n\tinsteadOf = s\n`);
  const env = { ...gitEnv, GIT_CONFIG_GLOBAL: globalConfig };
  for (const alias of ['srv:repo.git', 's:repo.git']) {
    const url = await new Promise<string>((resolve) => {
      const c = spawn('git', ['ls-remote', '--get-url', alias], { cwd: work, env });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('close', () => resolve(out));
    });
    const ours = await wasmgit(['ls-remote', '--get-url', alias], work, { env });
    assert.is(ours.stdout, url, alias);
    const listed = await wasmgit(['ls-remote', alias], work, { env });
    assert.is(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /\trefs\/heads\//);
  }
  await gitAsync(work, ['clone', '-q', 'srv:repo.git', 'git-insteadof'], env);
  const r = await wasmgit(['clone', '-q', 'srv:repo.git', 'ours-insteadof'], work, { env });
  assert.is(r.code, 0, r.stderr);
  assertSameClone(join(work, 'ours-insteadof'), join(work, 'git-insteadof'));
  assert.is(git(join(work, 'ours-insteadof'), ['config', 'remote.origin.url']).trim(), 'srv:repo.git');
});

test('a local path clones with no git on PATH', async () => {
  const bin = join(work, 'bin-nogit');
  mkdirSync(bin);
  const { symlinkSync } = await import('node:fs');
  symlinkSync(process.execPath, join(bin, 'node'));
  const r = await wasmgit(['clone', fx.path('repo.git'), 'nogit'], work, { env: { ...gitEnv, PATH: bin } });
  assert.is(r.code, 0, r.stderr);
  assert.is(git(join(work, 'nogit'), ['status', '--porcelain']), '');
  assert.is(git(join(work, 'nogit'), ['fsck', '--full', '--strict']), '');
});

test('usage errors exit 129 with git\'s messages', async () => {
  const none = await wasmgit(['clone'], work);
  assert.is(none.code, 129);
  assert.match(none.stderr, /^fatal: You must specify a repository to clone\.\n\nusage: wasmgit clone/);
  // An empty one is given: a repository that does not exist, as git says.
  const empty = await wasmgit(['clone', ''], work);
  const gitEmpty = spawnSync('git', ['clone', ''], { cwd: work, env: gitEnv, encoding: 'utf8' });
  assert.is(empty.code, 128);
  assert.is(empty.code, gitEmpty.status);
  assert.is(empty.stderr, gitEmpty.stderr);
  const many = await wasmgit(['clone', 'a', 'b', 'c'], work);
  assert.is(many.code, 129);
  assert.match(many.stderr, /^fatal: Too many arguments\./);
  const bogus = await wasmgit(['clone', '--bogus', 'x'], work);
  assert.is(bogus.code, 129);
  assert.match(bogus.stderr, /^error: unknown option `bogus'\nusage: wasmgit clone/);
  // A bad or missing value: git's one line, no usage after it.
  for (const args of [['--depth'], ['--bare=x'], ['-j'], ['--jobs=x']]) {
    const theirs = spawnSync('git', ['clone', fx.path('repo.git'), 'never', ...args], { cwd: work, env: gitEnv, encoding: 'utf8' });
    const ours = await wasmgit(['clone', fx.path('repo.git'), 'never', ...args], work);
    assert.is(theirs.status, 129);
    assert.is(ours.code, 129);
    assert.is(ours.stderr, theirs.stderr, args.join(' '));
  }
});

test('--help documents every option', async () => {
  const r = await wasmgit(['clone', '--help'], work);
  assert.is(r.code, 0);
  for (const opt of ['-b, --branch', '--[no-]single-branch', '--depth', '--shallow-since', '--shallow-exclude', '--bare', '--mirror', '-n, --no-checkout', '-o, --origin', '-c, --config', '--filter', '--recurse-submodules', '--no-tags', '-q, --quiet', '-v, --verbose', '--[no-]progress']) {
    assert.ok(r.stdout.includes(opt), `--help mentions ${opt}`);
  }
});

test('a lone -h prints the usage on stdout and exits 129, as git clone -h does', async () => {
  const theirs = spawnSync('git', ['clone', '-h'], { encoding: 'utf8' });
  const r = await wasmgit(['clone', '-h'], work);
  assert.is(r.code, theirs.status);
  assert.is(r.stderr, '');
  assert.ok(r.stdout.includes('--recurse-submodules'), r.stdout);
});

test('fatal errors exit 128 and leave nothing behind', async () => {
  const missing = await wasmgit(['clone', join(work, 'does-not-exist')], work);
  assert.is(missing.code, 128);
  assert.is(missing.stderr, `fatal: repository '${join(work, 'does-not-exist')}' does not exist\n`);
  const http404 = await wasmgit(['clone', server.url('nope.git'), 'nope'], work);
  assert.is(http404.code, 128);
  assert.match(http404.stderr, /fatal: repository '.*nope\.git\/?' not found/);
  assert.not.ok(existsSync(join(work, 'nope')), 'nothing left after a missing repository');
  const branch = await wasmgit(['clone', '-b', 'no-such-branch', server.url('repo.git'), 'nobranch'], work);
  assert.is(branch.code, 128);
  assert.match(branch.stderr, /fatal: Remote branch no-such-branch not found in upstream origin\n$/);
  assert.not.ok(existsSync(join(work, 'nobranch')));
  // A given empty directory is emptied again, not removed (git's remove_junk).
  mkdirSync(join(work, 'given'));
  const given = await wasmgit(['clone', '-b', 'no-such-branch', server.url('repo.git'), 'given'], work);
  assert.is(given.code, 128);
  assert.equal(readdirSync(join(work, 'given')), []);
  const depth = await wasmgit(['clone', '--depth', '0', server.url('repo.git'), 'd0'], work);
  assert.is(depth.code, 128);
  assert.is(depth.stderr, 'fatal: depth 0 is not a positive number\n');
});

test('pack.threads and core.deltaBaseCacheLimit: taken as git takes them, refused in git\'s words', async () => {
  const args = ['-c', 'pack.threads=1', '-c', 'core.deltaBaseCacheLimit=64k'];
  await gitAsync(work, ['clone', '-q', ...args, server.url('repo.git'), 'git-cfg']);
  const ok = await wasmgit(['clone', '-q', ...args, server.url('repo.git'), 'ours-cfg'], work);
  assert.is(ok.code, 0, ok.stderr);
  assertSameClone(join(work, 'ours-cfg'), join(work, 'git-cfg'));
  for (const [key, value, named] of [['pack.threads', 'abc', 'pack.threads'], ['core.deltaBaseCacheLimit', '2x', 'core.deltabasecachelimit']]) {
    const dir = `bad-${named}`;
    const theirs = await new Promise<string>((resolve) => {
      const c = spawn('git', ['clone', '-q', '-c', `${key}=${value}`, server.url('repo.git'), `git-${dir}`], { cwd: work, env: gitEnv });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', () => resolve(err));
    });
    const ours = await wasmgit(['clone', '-q', '-c', `${key}=${value}`, server.url('repo.git'), dir], work);
    assert.is(ours.code, 128, ours.stderr);
    const line = `fatal: bad numeric config value '${value}' for '${named}': invalid unit`;
    assert.ok(theirs.split('\n').includes(line), `git says: ${theirs}`);
    assert.is(ours.stderr, `${line}\n`);
    assert.not.ok(existsSync(join(work, dir)), 'nothing left behind');
  }
});

test('--filter specs git refuses are refused with git\'s words, before anything is created', async () => {
  for (const spec of ['', 'bogus', 'blob:nonex', 'blob:limit=abc', 'tree:x', 'sparse:path=x', 'object:type=foo', 'combine:', 'combine:blob:none+tree', 'combine:blob:none+tree:1;']) {
    const theirs = await new Promise<string>((resolve) => {
      const c = spawn('git', ['clone', `--filter=${spec}`, server.url('repo.git'), 'git-filter'], { cwd: work, env: gitEnv });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', () => resolve(err));
    });
    const ours = await wasmgit(['clone', `--filter=${spec}`, server.url('repo.git'), 'ours-filter'], work);
    assert.is(ours.code, 128, `${spec}: ${ours.stderr}`);
    assert.is(ours.stderr, theirs, `--filter=${spec}`);
    assert.not.ok(existsSync(join(work, 'ours-filter')));
  }
});

test('an existing empty directory reached through a symbolic link is cloned into, as git does', async () => {
  mkdirSync(join(work, 'real-git'));
  mkdirSync(join(work, 'real-ours'));
  symlinkSync('real-git', join(work, 'link-git'));
  symlinkSync('real-ours', join(work, 'link-ours'));
  await gitAsync(work, ['clone', '-q', server.url('repo.git'), 'link-git']);
  const r = await wasmgit(['clone', '-q', server.url('repo.git'), 'link-ours'], work);
  assert.is(r.code, 0, r.stderr);
  assert.ok(lstatSync(join(work, 'link-ours')).isSymbolicLink(), 'the link stays a link');
  assertSameClone(join(work, 'real-ours'), join(work, 'real-git'));
});

test('--separate-git-dir: the git directory elsewhere, a .git file naming it; refusals and cleanup as git', async () => {
  await gitAsync(work, ['clone', '-q', `--separate-git-dir=${join(work, 'git-sep.git')}`, server.url('repo.git'), 'git-sep']);
  const r = await wasmgit(['clone', '-q', `--separate-git-dir=${join(work, 'ours-sep.git')}`, server.url('repo.git'), 'ours-sep'], work);
  assert.is(r.code, 0, r.stderr);
  assert.is(readFileSync(join(work, 'ours-sep', '.git'), 'utf8'), `gitdir: ${join(work, 'ours-sep.git')}\n`);
  assertSameClone(join(work, 'ours-sep'), join(work, 'git-sep'));
  const gitStderr = (args: string[]) =>
    new Promise<string>((resolve) => {
      const c = spawn('git', args, { cwd: work, env: gitEnv });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', () => resolve(err));
    });
  mkdirSync(join(work, 'sep-full'));
  writeFileSync(join(work, 'sep-full', 'x'), '');
  for (const args of [
    ['--bare', `--separate-git-dir=${join(work, 'sep-bare.git')}`, server.url('repo.git'), 'sep-bare'],
    [`--separate-git-dir=${join(work, 'sep-full')}`, server.url('repo.git'), 'sep-x'],
    [`--separate-git-dir=${join(work, 'sep-missing.git')}`, server.url('nope.git'), 'sep-missing'],
  ]) {
    const theirs = await gitStderr(['clone', '-q', ...args]);
    const ours = await wasmgit(['clone', '-q', ...args], work);
    assert.is(ours.code, 128, ours.stderr);
    assert.is(ours.stderr, theirs, args.join(' '));
  }
  for (const left of ['sep-bare', 'sep-bare.git', 'sep-x', 'sep-missing', 'sep-missing.git']) assert.not.ok(existsSync(join(work, left)), `${left} is not left behind`);
  assert.equal(readdirSync(join(work, 'sep-full')), ['x']);
});

test('--separate-git-dir that git refuses: existing (even empty), under a missing directory, named as typed', async () => {
  const base = join(work, 'sep-refusals');
  mkdirSync(join(base, 'empty'), { recursive: true });
  mkdirSync(join(base, 'full'));
  writeFileSync(join(base, 'full', 'x'), '');
  for (const sep of ['empty', 'full', 'missing/g', 'missing/../g', 'g/']) {
    const theirs = spawnSync('git', ['clone', `--separate-git-dir=${sep}`, fx.path('repo.git'), 'git-t'], { cwd: base, env: gitEnv, encoding: 'utf8' });
    const ours = await wasmgit(['clone', `--separate-git-dir=${sep}`, fx.path('repo.git'), 'ours-t'], base);
    assert.is(theirs.status, 128, theirs.stderr);
    assert.is(ours.code, 128, ours.stderr);
    assert.is(ours.stderr.replace('ours-', 'git-'), theirs.stderr, sep);
    assert.equal(readdirSync(base).sort(), ['empty', 'full'], sep);
    assert.equal(readdirSync(join(base, 'empty')), []);
  }
});

test('$GIT_WORK_TREE: the files go there, <directory> is the git directory with core.worktree; an existing one is refused', async () => {
  const withWorkTree = (wt: string) => ({ ...gitEnv, GIT_WORK_TREE: wt });
  for (const extra of [[], ['--separate-git-dir=SEP']]) {
    const tag = extra.length ? 'wt-sep' : 'wt';
    const gitArgs = extra.map((a) => a.replace('SEP', join(work, `${tag}-git.git`)));
    const ourArgs = extra.map((a) => a.replace('SEP', join(work, `${tag}-ours.git`)));
    await gitAsync(work, ['clone', '-q', ...gitArgs, server.url('repo.git'), `${tag}-git`], withWorkTree(join(work, `${tag}-git-files`)));
    const r = await wasmgit(['clone', '-q', ...ourArgs, server.url('repo.git'), `${tag}-ours`], work, { env: withWorkTree(`${tag}-ours-files`) });
    assert.is(r.code, 0, r.stderr);
    const gitDir = (who: string) => join(work, extra.length ? `${tag}-${who}.git` : `${tag}-${who}`);
    if (extra.length) assert.is(readFileSync(join(work, `${tag}-ours`), 'utf8'), `gitdir: ${gitDir('ours')}\n`, '<directory> is the .git file');
    const inRepo = (who: string, args: string[]) => git(work, [`--git-dir=${gitDir(who)}`, ...args]);
    assert.fixture(inRepo('ours', ['config', '--list', '--local']).replaceAll(`${tag}-ours`, 'X'), inRepo('git', ['config', '--list', '--local']).replaceAll(`${tag}-git`, 'X'), 'config, core.worktree included');
    assert.is(inRepo('ours', ['config', 'core.worktree']), `${join(work, `${tag}-ours-files`)}\n`);
    assert.fixture(inRepo('ours', ['for-each-ref']), inRepo('git', ['for-each-ref']), 'git for-each-ref');
    assert.equal(treeListing(join(work, `${tag}-ours-files`)), treeListing(join(work, `${tag}-git-files`)), 'work trees');
    assert.is(inRepo('ours', ['status', '--porcelain']), '', 'git status --porcelain');
    assert.is(spawnSync('git', [`--git-dir=${gitDir('ours')}`, 'fsck', '--full', '--strict', '--no-progress'], { env: gitEnv }).status, 0, 'git fsck');
  }
  // An existing work tree is refused with git's words; a failed clone removes both places.
  const gitErr = await new Promise<string>((res) => {
    const c = spawn('git', ['clone', '-q', server.url('repo.git'), 'wt-again-git'], { cwd: work, env: withWorkTree('wt-git-files') });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('close', () => res(err));
  });
  const again = await wasmgit(['clone', '-q', server.url('repo.git'), 'wt-again'], work, { env: withWorkTree('wt-git-files') });
  assert.is(again.code, 128);
  assert.is(again.stderr, gitErr.replace('wt-again-git', 'wt-again'));
  assert.not.ok(existsSync(join(work, 'wt-again')));
  const missing = await wasmgit(['clone', '-q', server.url('nope.git'), 'wt-missing'], work, { env: withWorkTree('wt-missing-files') });
  assert.is(missing.code, 128, missing.stderr);
  for (const left of ['wt-missing', 'wt-missing-files']) assert.not.ok(existsSync(join(work, left)), `${left} is not left behind`);
});

test('an invalid remote name is refused after "Cloning into", as git does, and nothing is left', async () => {
  for (const origin of ['a b', '', 'x..y']) {
    const theirs = spawnSync('git', ['clone', '--progress', '-o', origin, server.url('repo.git'), 'bad-origin'], { cwd: work, env: gitEnv, encoding: 'utf8' });
    const ours = await wasmgit(['clone', '--progress', '-o', origin, server.url('repo.git'), 'bad-origin'], work);
    assert.is(ours.code, theirs.status, `-o '${origin}'`);
    assert.is(ours.stderr, theirs.stderr, `-o '${origin}'`);
    assert.not.ok(existsSync(join(work, 'bad-origin')));
  }
});

test('an existing non-empty directory is refused as git refuses it', async () => {
  mkdirSync(join(work, 'full'));
  writeFileSync(join(work, 'full', 'keep'), 'mine\n');
  const r = await wasmgit(['clone', server.url('repo.git'), 'full'], work);
  assert.is(r.code, 128);
  assert.is(r.stderr, "fatal: destination path 'full' already exists and is not an empty directory.\n");
  assert.equal(readdirSync(join(work, 'full')), ['keep']);
});

test('a target that cannot be made: git\'s messages, and what was in its place left alone', async () => {
  const base = join(work, 'unmakeable');
  mkdirSync(base);
  writeFileSync(join(base, 'file'), 'mine\n');
  symlinkSync('nowhere', join(base, 'dangling'));
  for (const [target, extra] of [['file/sub', []], ['file/sub', ['--bare']], ['dangling', []], ['', []], ['', ['--bare']], ['', ['--mirror']]] as const) {
    const theirs = spawnSync('git', ['clone', ...extra, fx.path('repo.git'), target], { cwd: base, env: gitEnv, encoding: 'utf8' });
    const ours = await wasmgit(['clone', ...extra, fx.path('repo.git'), target], base);
    assert.is(theirs.status, 128, theirs.stderr);
    assert.is(ours.code, 128, ours.stderr);
    assert.is(ours.stderr, theirs.stderr, `${extra.join(' ')} ${target}`);
    assert.equal(readdirSync(base).sort(), ['dangling', 'file']);
    assert.ok(lstatSync(join(base, 'dangling')).isSymbolicLink());
  }
});

test('an init.defaultBranch git cannot use, in the user\'s config: refused in git\'s words, nothing left', async () => {
  const global = join(work, 'bad-default-branch.gitconfig');
  writeFileSync(global, '[init]\n\tdefaultBranch = bad..name\n');
  const env = { ...gitEnv, GIT_CONFIG_GLOBAL: global };
  const theirs = spawnSync('git', ['clone', fx.path('repo.git'), 'git-bad-default'], { cwd: work, env, encoding: 'utf8' });
  const ours = await wasmgit(['clone', fx.path('repo.git'), 'ours-bad-default'], work, { env });
  assert.is(theirs.status, 128, theirs.stderr);
  assert.is(ours.code, 128, ours.stderr);
  assert.is(ours.stderr.replace('ours-', 'git-'), theirs.stderr);
  assert.not.ok(existsSync(join(work, 'ours-bad-default')));
});

for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129], ['SIGQUIT', 131]] as const) {
  test(`${sig} in the middle of the transfer: exit ${code}, the new directory removed`, async () => {
    const big = join(fx.root, 'big.git');
    if (!existsSync(big)) {
      git(fx.root, ['init', '-q', '--bare', big]);
      git(big, ['hash-object', '-w', '--stdin'], undefined);
      const blob = git(big, ['hash-object', '-w', '--stdin'], randomBytes(600_000).toString('base64'));
      const tree = git(big, ['mktree'], `100644 blob ${blob.trim()}\tbig.txt\n`).trim();
      const commit = git(big, ['commit-tree', '-m', 'big', tree]).trim();
      git(big, ['update-ref', 'refs/heads/main', commit]);
      git(big, ['symbolic-ref', 'HEAD', 'refs/heads/main']);
    }
    const relay = await slowRelay(server.port, 2048);
    try {
      const url = `http://127.0.0.1:${relay.port}/big.git`;
      let sent = false;
      const r = await wasmgit(['clone', '--progress', url, `interrupted-${sig}`], work, {
        onStderr: (text, child) => {
          if (!sent && /Receiving objects: +\d+%/.test(text)) {
            sent = true;
            child.kill(sig);
          }
        },
      });
      assert.ok(sent, `the clone reached "Receiving objects" before the signal: ${r.stderr}`);
      assert.is(r.code, code, r.stderr);
      assert.not.ok(existsSync(join(work, `interrupted-${sig}`)), 'the partial clone is removed');
    } finally {
      relay.close();
    }
  });
}

test.run();
