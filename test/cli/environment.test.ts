// The command in surroundings git copes with: a working directory that was
// removed, and an address space limited with `ulimit -v` (where Node 20's V8
// cannot reserve a wasm memory's guard pages, and a worker thread's isolate
// could not reserve its own). Each is compared with git.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../helpers/cli.ts';
import { git, gitIdentityEnv, tempDir } from '../helpers/git.ts';
import { skipWithReason } from '../helpers/skip.ts';

const { dir, cleanup } = tempDir('cli-environment');
const env: NodeJS.ProcessEnv = { ...process.env, ...gitIdentityEnv, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const src = join(dir, 'src');
git(dir, ['init', '-q', '-b', 'main', src], { env });
for (let i = 0; i < 3; i++) git(src, ['commit', '-q', '--allow-empty', '-m', `c${i}`], { env });
const bundle = join(root, 'dist', 'cli', 'wasmgit.js');

/** Runs `sh -c script` with the arguments as $1..., from `cwd`. */
function sh(script: string, args: string[], cwd = dir) {
  const r = spawnSync('sh', ['-c', script, 'sh', ...args], { cwd, env, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('a working directory that was removed: git\'s "Unable to read current working directory", nothing made', () => {
  for (const [name, args] of [['clone', ['clone', '-q', '--no-local', src, join(dir, 'gone-clone')]], ['ls-remote', ['ls-remote', src]]] as const) {
    const gone = join(dir, `gone-${name}`);
    mkdirSync(gone);
    // The shell enters the directory, which is then removed under it.
    const script = `cd "$1" && rmdir "$1" && shift && exec "$@"`;
    const theirs = sh(script, [gone, 'git', ...args]);
    mkdirSync(gone);
    const ours = sh(script, [gone, process.execPath, bundle, ...args]);
    assert.is(theirs.status, 128, theirs.stderr);
    assert.is(ours.status, 128, ours.stderr);
    // git's own line (its clone's helpers add their complaints around it).
    const line = 'fatal: Unable to read current working directory: No such file or directory\n';
    assert.ok(theirs.stderr.includes(line), `git ${name}: ${theirs.stderr}`);
    assert.is(ours.stderr, line, name);
    assert.not.ok(existsSync(join(dir, 'gone-clone')), 'no clone made');
    if (existsSync(gone)) rmdirSync(gone);
  }
});

// 2,100 files (the checkout's writer thread would start) with deltas between
// them (resolved on worker threads with pack.threads=2): every thread wasmgit
// can start, under the limit.
const wide = join(dir, 'wide');
git(dir, ['init', '-q', '-b', 'main', wide], { env });
const parts: string[] = [];
for (let i = 0; i < 2100; i++) {
  const data = `file ${i}\n${'a line of text that repeats\n'.repeat(20)}`;
  parts.push(`M 100644 inline d${i % 30}/f${i}.txt\ndata ${Buffer.byteLength(data)}\n${data}\n`);
}
git(wide, ['fast-import', '--quiet'], { env, input: `commit refs/heads/main\ncommitter T <t@example.com> 1600000000 +0000\ndata 5\nwide\n${parts.join('')}\n` });
git(wide, ['repack', '-a', '-d', '-f', '-q'], { env });

const LIMIT_KB = 3_000_000;
const limitName = 'under ulimit -v 3 GB the clone runs, as git\'s does, whether V8 can reserve wasm guard pages or not';
const canLimit = sh(`ulimit -v ${LIMIT_KB}`, []).status === 0;
if (!canLimit) skipWithReason(test, limitName, 'this shell cannot set ulimit -v');
else
  test(limitName, () => {
    const run = (cmd: string[], target: string) => sh(`ulimit -v ${LIMIT_KB} && exec "$@"`, [...cmd, 'clone', '-q', '--no-local', '-c', 'pack.threads=2', wide, target]);
    const theirs = run(['git'], join(dir, 'limited-git'));
    assert.is(theirs.status, 0, theirs.stderr);
    const ours = run([process.execPath, bundle], join(dir, 'limited'));
    assert.is(ours.status, 0, ours.stderr);
    git(join(dir, 'limited'), ['fsck', '--full', '--strict']);
    assert.is(git(join(dir, 'limited'), ['status', '--porcelain']), '');
    assert.is(git(join(dir, 'limited'), ['ls-files']).split('\n').length, 2101);
    assert.is(git(join(dir, 'limited'), ['rev-parse', 'HEAD']), git(join(dir, 'limited-git'), ['rev-parse', 'HEAD']));
  });

test.after(cleanup);
test.run();
