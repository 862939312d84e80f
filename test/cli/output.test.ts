// Output that cannot be written, as git handles it: a reader that went away
// (`| head -1`) ends the command with status 141 and no message (git dies of
// SIGPIPE), a clone removing what it made; a full disk behind `>` is git's
// "write failure on standard output", status 128. Before, Node's unhandled
// EPIPE/ENOSPC event printed a stack trace and left a clone half made.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from '../helpers/cli.ts';
import { git, gitIdentityEnv, tempDir } from '../helpers/git.ts';
import { skipWithReason } from '../helpers/skip.ts';

const { dir, cleanup } = tempDir('cli-output');
const env: NodeJS.ProcessEnv = { ...process.env, ...gitIdentityEnv, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const src = join(dir, 'src.git');
git(dir, ['init', '-q', '--bare', '-b', 'main', src]);
const work = join(dir, 'work');
git(dir, ['init', '-q', '-b', 'main', work], { env });
for (let i = 0; i < 40; i++) git(work, ['commit', '-q', '--allow-empty', '-m', `c${i}`], { env });
const tags = Array.from({ length: 50 }, (_, i) => `create refs/tags/t${i} HEAD\n`).join('');
git(work, ['update-ref', '--stdin'], { input: tags, env });
git(work, ['push', '-q', src, 'main', '--tags'], { env });
git(src, ['repack', '-a', '-d', '-q']);
const idx = join(src, 'objects/pack', readdirSync(join(src, 'objects/pack')).find((n) => n.endsWith('.idx'))!);

const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const cli = join(root, 'host/cli/wasmgit.ts');

/** Runs wasmgit (or git) with `stream`'s reader gone before anything is written; the other stream is collected. */
function readerGone(cmd: 'wasmgit' | 'git', args: string[], stream: 'stdout' | 'stderr'): Promise<{ code: number | null; other: string }> {
  const [bin, argv] = cmd === 'git' ? ['git', args] : [process.execPath, ['--import', tsx, cli, ...args]];
  const c = spawn(bin, argv, { cwd: dir, env });
  const other = stream === 'stdout' ? c.stderr : c.stdout;
  let text = '';
  other.setEncoding('utf8').on('data', (t) => (text += t));
  c[stream].destroy();
  // A process killed by a signal has the status a shell shows for it: 128 + the signal's number (SIGPIPE: 141).
  return new Promise((resolve) => c.on('close', (code, signal) => resolve({ code: signal === 'SIGPIPE' ? 141 : signal ? -1 : code, other: text })));
}

test('a reader of standard output that goes away ends ls-remote and verify-pack with 141, silently, as git', async () => {
  for (const args of [['ls-remote', src], ['verify-pack', '-v', idx]]) {
    const theirs = await readerGone('git', args, 'stdout');
    const ours = await readerGone('wasmgit', args, 'stdout');
    assert.is(theirs.code, 141, `git ${args[0]} (killed by SIGPIPE): ${theirs.other}`);
    assert.is(ours.code, 141, `wasmgit ${args[0]}: ${ours.other}`);
    assert.is(ours.other, '', 'nothing on stderr (no stack trace)');
  }
});

const fullName = 'a full disk behind standard output: git\'s "write failure on standard output", status 128';
if (!existsSync('/dev/full')) skipWithReason(test, fullName, 'no /dev/full here to make writes fail with ENOSPC');
else test(fullName, () => {
  const fd = openSync('/dev/full', 'w');
  try {
    const run = (bin: string, argv: string[]) => spawnSync(bin, argv, { cwd: dir, env, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    const theirs = run('git', ['ls-remote', src]);
    const ours = run(process.execPath, ['--import', tsx, cli, 'ls-remote', src]);
    assert.is(theirs.status, 128);
    assert.is(ours.status, 128, ours.stderr);
    assert.is(ours.stderr, theirs.stderr);
  } finally {
    closeSync(fd);
  }
});

const progressName = 'progress to a full disk is ignored, as git ignores it: the clone completes';
if (!existsSync('/dev/full')) skipWithReason(test, progressName, 'no /dev/full here to make writes fail with ENOSPC');
else test(progressName, () => {
  const fd = openSync('/dev/full', 'w');
  try {
    const target = join(dir, 'full-progress');
    const r = spawnSync(process.execPath, ['--import', tsx, cli, 'clone', '--progress', '--no-local', src, target], { cwd: dir, env, stdio: ['ignore', 'pipe', fd] });
    assert.is(r.status, 0);
    assert.is(git(target, ['rev-parse', 'HEAD']), git(src, ['rev-parse', 'main']));
  } finally {
    closeSync(fd);
  }
});

test('a clone whose stderr reader goes away stops, removes what it made, and exits 141', async () => {
  const target = join(dir, 'cut');
  const r = await readerGone('wasmgit', ['clone', '--progress', '--no-local', src, target], 'stderr');
  assert.is(r.code, 141);
  assert.not.ok(existsSync(target), 'nothing left behind');
});

test.after(cleanup);
test.run();
